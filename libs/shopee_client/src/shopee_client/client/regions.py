"""Regions and host families: where each Shopee endpoint lives, per country, and how to override it.

A `Region` carries the country's domain, timezone, currency and the headers the web app sends. `HostFamily`
names the host an endpoint lives on; `BaseUrls` maps each family to a base URL. `BaseUrls.for_region()` gives
the real Shopee hosts; `BaseUrls.single(url)` points every family at one server (the simulator serves all of
them on one port because their paths do not collide).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo

__all__ = ["REGIONS", "BaseUrls", "HostFamily", "Region", "get_region"]


class HostFamily(enum.StrEnum):
    """The host an endpoint lives on (also decides its envelope shape)."""

    CREATOR = "creator"  # creator.shopee.<d>, prefix /supply/api/lm/sellercenter, {code,msg,data}
    SELLER_CENTRE = "seller_centre"  # seller.shopee.<d>, prefix /api/supply/lm/sellercenter, {code,msg,data}
    SELLER = "seller"  # seller.shopee.<d>/api/v4/... (streaming promotions)
    SHOP = "shop"  # shopee.<d>/api/v2|v4, {error,error_msg,data}
    LIVE = "live"  # live.shopee.<d>/api/v1, {err_code,err_msg,data}
    AFFILIATE = "affiliate"  # affiliate.shopee.<d>/api/v3, {code,msg,data}
    SELLER_APP = "seller_app"  # seller-app.shopee.<d>/api/app/pas/v1


CREATOR_PREFIX = "/supply/api/lm/sellercenter"
SELLER_CENTRE_PREFIX = "/api/supply/lm/sellercenter"


@dataclass(frozen=True, slots=True)
class Region:
    """A Shopee country site."""

    code: str  # x-region header, e.g. "id"
    domain: str  # e.g. "co.id"
    timezone_name: str  # IANA name, e.g. "Asia/Jakarta"
    utc_offset: str  # x-region-timezone header, e.g. "+0700"
    currency: str  # ISO 4217, e.g. "IDR"
    currency_decimals: int  # 0 for IDR/VND: money is whole units

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone_name)

    def headers(self) -> dict[str, str]:
        """Region headers the creator web app sends (dashboard paths 404 without them)."""
        return {
            "x-region": self.code,
            "x-region-domain": self.domain,
            "x-region-timezone": self.utc_offset,
            "x-env": "live",
            "language": "en",
        }


REGIONS: dict[str, Region] = {
    r.domain: r
    for r in (
        Region("id", "co.id", "Asia/Jakarta", "+0700", "IDR", 0),
        Region("my", "com.my", "Asia/Kuala_Lumpur", "+0800", "MYR", 2),
        Region("th", "co.th", "Asia/Bangkok", "+0700", "THB", 2),
        Region("sg", "sg", "Asia/Singapore", "+0800", "SGD", 2),
        Region("vn", "vn", "Asia/Ho_Chi_Minh", "+0700", "VND", 0),
        Region("ph", "ph", "Asia/Manila", "+0800", "PHP", 2),
        Region("br", "com.br", "America/Sao_Paulo", "-0300", "BRL", 2),
        Region("mx", "com.mx", "America/Mexico_City", "-0600", "MXN", 2),
    )
}

INDONESIA = REGIONS["co.id"]


def get_region(key: str) -> Region:
    """Look a region up by domain (`co.id`) or code (`id`)."""
    if key in REGIONS:
        return REGIONS[key]
    for region in REGIONS.values():
        if region.code == key:
            return region
    raise KeyError(f"unknown Shopee region {key!r}")


@dataclass(frozen=True, slots=True)
class BaseUrls:
    """Base URL (scheme://host[:port], no trailing slash) per host family."""

    creator: str
    seller_centre: str
    seller: str
    shop: str
    live: str
    affiliate: str
    seller_app: str

    @classmethod
    def for_region(cls, region: Region) -> BaseUrls:
        d = region.domain
        return cls(
            creator=f"https://creator.shopee.{d}",
            seller_centre=f"https://seller.shopee.{d}",
            seller=f"https://seller.shopee.{d}",
            shop=f"https://shopee.{d}",
            live=f"https://live.shopee.{d}",
            affiliate=f"https://affiliate.shopee.{d}",
            seller_app=f"https://seller-app.shopee.{d}",
        )

    @classmethod
    def single(cls, url: str) -> BaseUrls:
        """Every host family served by one base URL (the simulator)."""
        u = url.rstrip("/")
        return cls(u, u, u, u, u, u, u)

    def for_family(self, family: HostFamily) -> str:
        return str(getattr(self, family.value))
