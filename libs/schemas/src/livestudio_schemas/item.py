"""Payload of `shopee.live.item.v1`: the products of one session at one `observed_at` (cumulative figures)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from livestudio_schemas.envelope import CloudEvent, event_type
from livestudio_schemas.types import AwareDatetime, Count, Money, Ratio

ITEM_SNAPSHOT = event_type("item.snapshot")


class ItemMetrics(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    item_id: int = Field(gt=0)
    title: str | None = None
    min_price: Money | None = None
    max_price: Money | None = None
    product_clicks: Count | None = None
    click_through_rate: Ratio | None = None
    add_to_cart: Count | None = None
    placed_orders: Count | None = None
    placed_sales: Money | None = None
    placed_items_sold: Count | None = None
    confirmed_orders: Count | None = None
    confirmed_sales: Money | None = None
    confirmed_items_sold: Count | None = None


class ItemSnapshots(BaseModel):
    """Every product of a session as read (all pages) at `observed_at`."""

    model_config = ConfigDict(extra="allow", frozen=True)

    account_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    session_id: int = Field(gt=0)
    observed_at: AwareDatetime
    currency: str = Field(default="IDR", min_length=3, max_length=3)
    complete: bool = Field(default=True, description="false when not every page could be read")
    items: list[ItemMetrics]


class ItemSnapshotsEvent(CloudEvent[ItemSnapshots]):
    """The envelope with its `type` pinned (a unit test pins the literal to `ITEM_SNAPSHOT`)."""

    type: Literal["livestudio.item.snapshot.v1"]
