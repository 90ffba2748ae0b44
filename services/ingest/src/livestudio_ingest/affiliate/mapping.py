"""Shopee's affiliate checkout (client model) to the contract's event: status, source, commission, fingerprint.

Money stays exact: the client turned Shopee's 1/100000 units into `Decimal` currency units and the event carries
them as they are. `final_commission*` is the estimated figure once `completed`, `0` once `cancelled`, `None`
while `pending` (not known yet). The fingerprint hashes everything but `observed_at`, so a re-read that finds
nothing changed publishes nothing, and the event id (account, checkout, fingerprint) is the same for the same
content.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from livestudio_schemas.affiliate import AFFILIATE_CHECKOUT, AffiliateCheckout, AffiliateItem, AffiliateOrder
from livestudio_schemas.envelope import CloudEvent, content_hash, deterministic_event_id
from shopee_client.client.models import AffiliateCheckout as ShopeeCheckout

SOURCE = "/livestudio/ingest"


def status_of(c: ShopeeCheckout) -> str:
    if c.is_cancelled:
        return "cancelled"
    if c.is_completed:
        return "completed"
    text = (c.checkout_status or "").lower()
    if c.conversion_status == 1 or text == "pending":
        return "pending"
    return "other"


def _gmv(c: ShopeeCheckout) -> Decimal | None:
    amounts = [i.actual_amount for o in c.orders for i in o.items]
    if not amounts or any(a is None for a in amounts):
        return None
    return sum((a for a in amounts if a is not None), Decimal(0))


def _final(status: str, estimated: Decimal | None) -> Decimal | None:
    if status == "cancelled":
        return Decimal(0)
    return estimated if status == "completed" else None


def checkout_event(
    c: ShopeeCheckout, *, account_id: str, studio_id: str, currency: str, timezone: str, observed_at: datetime
) -> AffiliateCheckout:
    status = status_of(c)
    estimated = c.estimated_total_commission
    with_mcn = c.estimated_total_commission_with_mcn
    if status == "cancelled":  # a cancelled checkout earns nothing, whatever figures Shopee still shows
        estimated = Decimal(0) if estimated is not None else None
        with_mcn = Decimal(0) if with_mcn is not None else None
    rate = c.linked_mcn_commission_rate
    return AffiliateCheckout(
        account_id=account_id,
        studio_id=studio_id,
        checkout_id=str(c.checkout_id),
        purchased_at=c.purchase_time,
        completed_at=c.checkout_complete_time,
        status=status,  # type: ignore[arg-type]
        shopee_status=c.checkout_status,
        conversion_status=c.conversion_status,
        source=c.source,  # type: ignore[arg-type]
        internal_source=c.internal_source,
        currency=currency,
        timezone=timezone,
        estimated_commission=estimated,
        estimated_commission_with_mcn=with_mcn,
        final_commission=_final(status, estimated),
        final_commission_with_mcn=_final(status, with_mcn),
        mcn_commission_rate=None if rate is None else str(rate),
        gmv=_gmv(c),
        observed_at=observed_at,
        orders=[
            AffiliateOrder(
                order_id=str(o.order_id),
                order_status=None if o.order_status is None else str(o.order_status),
                items=[
                    AffiliateItem(
                        item_id=i.item_id,
                        item_name=i.item_name or None,
                        item_price=i.item_price,
                        actual_amount=i.actual_amount,
                        qty=i.qty,
                        item_commission=i.item_commission,
                    )
                    for i in o.items
                ],
            )
            for o in c.orders
        ],
    )


def fingerprint(event: AffiliateCheckout) -> str:
    return content_hash(event, exclude={"observed_at"})


def wrap(event: AffiliateCheckout, digest: str) -> CloudEvent[Any]:
    return CloudEvent[Any].wrap(
        event,
        type_=AFFILIATE_CHECKOUT,
        source=SOURCE,
        time=event.observed_at,
        subject=f"{event.account_id}:{event.checkout_id}",
        id_=deterministic_event_id(event.account_id, AFFILIATE_CHECKOUT, event.checkout_id, digest),
    )
