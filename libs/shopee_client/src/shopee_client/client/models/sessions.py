"""Models of the session lists: realtime `sessionList` (§3.1) and the ended-session history `liveList/v2` (§3.2).

The two lists name the peak differently (`peakViewers` vs `peakViews`); both land in `peak_viewers`. History
sends JSON null for metrics Shopee has no data for; those stay `None`. `duration` is a `timedelta`; the
session's end is `start_time + duration` (`end_time`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from shopee_client.client.models.base import DurationMs, EpochMs, OptCount, OptMoney, Ratio, ShopeeModel

__all__ = ["LiveHistoryItem", "SessionListItem"]


class _SessionBase(ShopeeModel):
    session_id: int
    title: str = ""
    cover_image: str | None = None
    status: int
    start_time: EpochMs
    duration: DurationMs
    viewers: OptCount
    comments: OptCount = None
    likes: OptCount = None
    views: OptCount = None
    avg_views_duration: DurationMs | None = None
    followers_growth: OptCount = None
    atc: OptCount = None
    product_clicks: OptCount = None
    conversion_rate: Ratio | None = None
    placed_orders: OptCount
    placed_sales: OptMoney
    confirmed_orders: OptCount
    confirmed_sales: OptMoney

    @property
    def end_time(self) -> datetime:
        """`start_time + duration` (Shopee sends no end time; for a live session this is "now so far")."""
        return self.start_time + self.duration

    @property
    def duration_ms(self) -> int:
        return self.duration // timedelta(milliseconds=1)


class SessionListItem(_SessionBase):
    """One row of `…/realtime/sessionList` (live and recently ended sessions, newest first)."""

    peak_viewers: OptCount = Field(default=None, alias="peakViewers")


class LiveHistoryItem(_SessionBase):
    """One row of `…/liveList/v2` (ended sessions). Note `peakViews` on the wire."""

    peak_viewers: OptCount = Field(default=None, alias="peakViews")
    engaged_uv: OptCount = None
    avg_engaged_ccu: Ratio | None = None
    thirty_mins_count: OptCount = None
    placed_item_sold: OptCount = None
    confirmed_item_sold: OptCount = None
    paid_orders: OptCount = None
    paid_sales: OptMoney = None
