"""Models of the per-session realtime dashboard: overview (§3.3), productList (§3.4), profiles and trends (§3.5).

The overview's names differ from the lists: `placedOrder` → `placed_orders`, `placedGmv` → `placed_gmv`,
`pcu` → `peak_viewers`, and Shopee's misspelled `…WhithinLastOneMinute` → `…_within_last_one_minute`.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from shopee_client.client.models.base import (
    DurationMs,
    EpochMs,
    Money,
    OptCount,
    OptMoney,
    Ratio,
    ShopeeModel,
)

__all__ = [
    "AudienceProfile",
    "EngagementData",
    "ProductItem",
    "ProfileBucket",
    "SessionOverview",
    "SessionTrends",
    "TrendPoint",
]


class EngagementData(ShopeeModel):
    """`overview.data.engagementData`."""

    likes: OptCount = None
    comments: OptCount = None
    viewers: OptCount = None
    shares: OptCount = None
    views: OptCount = None
    new_followers: OptCount = None
    avg_viewing_duration: DurationMs | None = None


class SessionOverview(ShopeeModel):
    """`…/realtime/dashboard/overview?sessionId=` (cumulative figures of one session, live or ended)."""

    status: int | None = None
    ccu: OptCount
    peak_viewers: OptCount = Field(alias="pcu")
    viewers: OptCount
    views: OptCount
    buyers: OptCount = None
    confirmed_buyers: OptCount = None
    avg_view_time: DurationMs | None = None
    atc: OptCount = None
    placed_items_sold: OptCount
    placed_orders: OptCount = Field(alias="placedOrder")
    placed_gmv: OptMoney
    confirmed_items_sold: OptCount
    confirmed_orders: OptCount = Field(alias="confirmedOrder")
    confirmed_gmv: OptMoney
    ctr: Ratio | None = None
    co: Ratio | None = None
    confirmed_co: Ratio | None = None
    engaged_ccu: OptCount = None
    comments_within_last_one_minute: OptCount = Field(default=None, alias="commentsWhithinLastOneMinute")
    atc_within_last_one_minute: OptCount = Field(default=None, alias="atcWhithinLastOneMinute")
    gmv_per_mille: OptMoney = Field(default=None, alias="gpm")
    confirmed_gmv_per_mille: OptMoney = Field(default=None, alias="confirmedGpm")
    avg_basket_size: OptMoney = Field(default=None, alias="abs")
    confirmed_avg_basket_size: OptMoney = Field(default=None, alias="confirmedAbs")
    comments_rate: Ratio | None = None
    avg_engaged_ccu: Ratio | None = None
    engaged_viewers: OptCount = None
    engagement_data: EngagementData | None = None

    @property
    def avg_view_time_ms(self) -> int | None:
        return None if self.avg_view_time is None else self.avg_view_time // timedelta(milliseconds=1)


class ProductItem(ShopeeModel):
    """One row of `…/realtime/dashboard/productList`."""

    item_id: int
    title: str = ""
    cover_image: str | None = None
    min_price: OptMoney = None
    max_price: OptMoney = None
    product_clicks: OptCount = None
    ctr: Ratio | None = None
    atc: OptCount = None
    orders_created: OptCount
    revenue: OptMoney
    item_sold: OptCount
    cor: Ratio | None = None
    confirmed_orders: OptCount = Field(alias="confirmedOrderCnt")
    confirmed_revenue: OptMoney
    confirmed_item_sold: OptCount
    confirmed_cor: Ratio | None = None


class ProfileBucket(ShopeeModel):
    """One bucket of a distribution: `{itemName, value}`."""

    item_name: str
    value: Ratio | None = None


class AudienceProfile(ShopeeModel):
    """`{type, distribution[{itemName, value}]}` from viewer-profile, buyer-profile, viewer-source."""

    type: str | int
    distribution: list[ProfileBucket] = Field(default_factory=list)


class TrendPoint(ShopeeModel):
    """One point of a trend line: `{time (ms), value}`."""

    time: EpochMs
    value: Money | None = None


class SessionTrends(ShopeeModel):
    """`…/realtime/dashboard/trends` → `data.trends.<metric>[{time, value}]` (metric names as Shopee sends them)."""

    trends: dict[str, list[TrendPoint]] = Field(default_factory=dict)
