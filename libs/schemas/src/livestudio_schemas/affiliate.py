"""Payload of `shopee.affiliate.v1`: one affiliate checkout as Shopee reports it, with its orders and items.

A checkout is what a buyer paid in one go through the account's affiliate links (Shopee's affiliate report,
`affiliate.shopee.<d>/api/v3/report/list`). Its status moves `pending` -> `completed` or `cancelled`; the ingest
re-reads it while it can still change and publishes a new event whenever what Shopee reports about it changed.
Consumers keep the newest `observed_at` per `(account_id, checkout_id)`: each event replaces what was known.

Money: Shopee sends the report's amounts as integers in 1/100000 of the currency unit (checked against the
simulator's contract and the client's parser: `Rp 1,234` is sent as `123400000`). The events carry them
converted to the currency unit as exact decimal strings with up to five decimal places (`"1234"`,
`"61.70000"`), never rounded, so sums over checkouts are exact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from livestudio_schemas.envelope import event_type
from livestudio_schemas.types import AwareDatetime, Count

AFFILIATE_CHECKOUT = event_type("affiliate.checkout")

CommissionMoney = Annotated[
    Decimal,
    Field(
        max_digits=24,
        decimal_places=5,
        description="exact amount in the account currency (Shopee's 1/100000 units converted), as a string",
    ),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
]
"""Exact money of the affiliate report: currency units with up to five decimal places."""

CheckoutStatus = Literal["pending", "completed", "cancelled", "other"]
"""`pending` until Shopee validates the checkout; then `completed` (commission final) or `cancelled` (none)."""

Source = Literal["live", "video", "other"]
"""Where the buyer came from: `live` (`Shopeelive-Shopee`), `video` (`Shopeevideo-Shopee`), anything else."""


class AffiliateItem(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    item_id: int
    item_name: str | None = None
    item_price: CommissionMoney | None = None
    actual_amount: CommissionMoney | None = Field(default=None, description="what the buyer paid for the line")
    qty: Count | None = None
    item_commission: CommissionMoney | None = None


class AffiliateOrder(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    order_id: str = Field(min_length=1)
    order_status: str | None = None
    items: list[AffiliateItem] = Field(default_factory=list)


class AffiliateCheckout(BaseModel):
    """One checkout at `observed_at`. Commission figures: `None` = Shopee did not report it (unknown).

    `estimated_commission` is Shopee's `estimated_total_commission` (the account's own commission, the MCN's
    share excluded); `estimated_commission_with_mcn` its `estimated_total_commission_with_mcn` (including the
    share of the MCN the account is linked to; equal when there is none). `final_commission*` are the same
    figures once the checkout is `completed` (final), `0` once `cancelled` (a cancellation reverses the
    commission), `None` while `pending`."""

    model_config = ConfigDict(extra="allow", frozen=True)

    account_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    checkout_id: str = Field(min_length=1)
    purchased_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    status: CheckoutStatus
    shopee_status: str | None = Field(default=None, description="Shopee's checkout_status text, as sent")
    conversion_status: int | None = Field(default=None, description="Shopee's conversion_status (4 = cancelled)")
    source: Source
    internal_source: str | None = Field(default=None, description="Shopee's internal_source, as sent")
    currency: str = Field(default="IDR", min_length=3, max_length=3)
    timezone: str = Field(default="Asia/Jakarta")
    estimated_commission: CommissionMoney | None = None
    estimated_commission_with_mcn: CommissionMoney | None = None
    final_commission: CommissionMoney | None = None
    final_commission_with_mcn: CommissionMoney | None = None
    mcn_commission_rate: str | None = Field(default=None, description="Shopee's linked_mcn_commission_rate")
    gmv: CommissionMoney | None = Field(default=None, description="sum of the items' actual_amount")
    observed_at: AwareDatetime
    orders: list[AffiliateOrder] = Field(default_factory=list)
