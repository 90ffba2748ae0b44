"""Models of the affiliate commission report `affiliate.shopee.<d>/api/v3/report/list` (§3.8).

Money here is sent in 1/100000 units; `AffiliateMoney` converts it to an exact `Decimal` in currency units.
`purchase_time` and `checkout_complete_time` are epoch seconds (`0` = not yet: read as None).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, field_validator

from shopee_client.client.models.base import AffiliateMoney, EpochSeconds, OptCount, SnakeShopeeModel

__all__ = ["AffiliateCheckout", "AffiliateItem", "AffiliateOrder", "AffiliateReport"]

CANCELLED_CONVERSION_STATUS = 4
LIVE_SOURCE = "Shopeelive-Shopee"
VIDEO_SOURCE = "Shopeevideo-Shopee"


class AffiliateItem(SnakeShopeeModel):
    item_id: int
    item_name: str = ""
    item_price: AffiliateMoney | None = None
    actual_amount: AffiliateMoney | None = None
    qty: OptCount = None
    item_commission: AffiliateMoney | None = None


class AffiliateOrder(SnakeShopeeModel):
    order_id: int | str
    order_status: str | int | None = None
    items: list[AffiliateItem] = Field(default_factory=list)


class AffiliateCheckout(SnakeShopeeModel):
    checkout_id: int | str
    purchase_time: EpochSeconds
    checkout_status: str | None = None
    checkout_complete_time: EpochSeconds | None = None
    conversion_status: int | None = None
    gross_commission: AffiliateMoney | None = None
    estimated_total_commission: AffiliateMoney | None = None
    estimated_total_commission_with_mcn: AffiliateMoney | None = None
    linked_mcn_commission_rate: Decimal | str | None = None
    internal_source: str | None = None
    orders: list[AffiliateOrder] = Field(default_factory=list)

    @field_validator("checkout_complete_time", mode="before")
    @classmethod
    def _zero_is_not_yet(cls, value: object) -> object:
        return None if value in (0, "0", "") else value

    @property
    def is_cancelled(self) -> bool:
        return self.conversion_status == CANCELLED_CONVERSION_STATUS or (self.checkout_status or "").lower() in (
            "cancelled",
            "canceled",
        )

    @property
    def is_completed(self) -> bool:
        return not self.is_cancelled and (
            self.conversion_status == 2 or (self.checkout_status or "").lower() == "completed"
        )

    @property
    def source(self) -> str:
        """`live`, `video` or `other` (Shopee's `internal_source`)."""
        if self.internal_source == LIVE_SOURCE:
            return "live"
        return "video" if self.internal_source == VIDEO_SOURCE else "other"

    @property
    def is_from_live(self) -> bool:
        return self.internal_source == LIVE_SOURCE


class AffiliateReport(SnakeShopeeModel):
    """`data{total_count, list[]}`."""

    total_count: int
    items: list[AffiliateCheckout] = Field(default_factory=list, alias="list")
