"""Shortcut import path for the response models: `from shopee_client.models import SessionOverview`."""

from shopee_client.client.models import *  # noqa: F403
from shopee_client.client.models import __all__ as __all__
