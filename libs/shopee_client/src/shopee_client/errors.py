"""Shortcut import path for the error taxonomy: `from shopee_client.errors import AuthExpired`."""

from shopee_client.client.errors import *  # noqa: F403
from shopee_client.client.errors import __all__ as __all__
