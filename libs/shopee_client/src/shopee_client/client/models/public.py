"""Model of the public, cookie-less probe `live.shopee.<d>/api/v1/shop_page/live/ongoing?uid=` (§3.7)."""

from __future__ import annotations

from shopee_client.client.models.base import SnakeShopeeModel

__all__ = ["OngoingLive", "OngoingLiveInfo"]


class OngoingLiveInfo(SnakeShopeeModel):
    """The session a seller is streaming now (other fields kept in `model_extra`)."""

    session_id: int
    title: str = ""


class OngoingLive(SnakeShopeeModel):
    """`data{ongoing_live: null | {session_id, title, …}}`."""

    ongoing_live: OngoingLiveInfo | None = None

    @property
    def is_live(self) -> bool:
        return self.ongoing_live is not None
