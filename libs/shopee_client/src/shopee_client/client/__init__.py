"""The Shopee client: account context, regions, settings, errors, models and `ShopeeClient`."""

from shopee_client.client.account import AccountContext
from shopee_client.client.api import ShopeeClient, TimeDim
from shopee_client.client.errors import (
    AuthExpired,
    NotFound,
    NotOwned,
    RateLimited,
    ResponseShapeError,
    ShopeeClientError,
    ShopeeError,
    Transient,
)
from shopee_client.client.regions import INDONESIA, REGIONS, BaseUrls, HostFamily, Region, get_region
from shopee_client.client.settings import ClientSettings
from shopee_client.client.slots import follow_up

__all__ = [
    "INDONESIA",
    "REGIONS",
    "AccountContext",
    "AuthExpired",
    "BaseUrls",
    "ClientSettings",
    "HostFamily",
    "NotFound",
    "NotOwned",
    "RateLimited",
    "Region",
    "ResponseShapeError",
    "ShopeeClient",
    "ShopeeClientError",
    "ShopeeError",
    "TimeDim",
    "Transient",
    "follow_up",
    "get_region",
]
