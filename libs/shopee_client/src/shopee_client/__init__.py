"""shopee_client: typed async client for the Shopee Live endpoints, plus a deterministic simulator.

Public API (see README.md): `ShopeeClient`, `ClientSettings`, `AccountContext`, `follow_up`, the regions, the error
taxonomy, the response models (`shopee_client.models`), the clocks (`shopee_client.clock`) and the simulator
(`shopee_client.simulator`).
"""

from shopee_client.client import (
    INDONESIA,
    REGIONS,
    AccountContext,
    AuthExpired,
    BaseUrls,
    ClientSettings,
    HostFamily,
    NotFound,
    NotOwned,
    RateLimited,
    Region,
    ResponseShapeError,
    ShopeeClient,
    ShopeeClientError,
    ShopeeError,
    TimeDim,
    Transient,
    follow_up,
    get_region,
)
from shopee_client.clock import Clock, SimulatedClock, SystemClock

__all__ = [
    "INDONESIA",
    "REGIONS",
    "AccountContext",
    "AuthExpired",
    "BaseUrls",
    "ClientSettings",
    "Clock",
    "HostFamily",
    "NotFound",
    "NotOwned",
    "RateLimited",
    "Region",
    "ResponseShapeError",
    "ShopeeClient",
    "ShopeeClientError",
    "ShopeeError",
    "SimulatedClock",
    "SystemClock",
    "TimeDim",
    "Transient",
    "follow_up",
    "get_region",
]
