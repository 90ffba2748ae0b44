"""The simulated affiliate report: every checkout an account earns commission on, and its life.

Pure functions of the world (seed) and simulated time, so the served report and the ground truth agree:

* **Live checkouts**: one per order placed in a live session (`internal_source` `Shopeelive-Shopee`), at the
  order's time (Shopee reports whole seconds), with the order's item, quantity and amount.
* **Video and other checkouts**: per account and local day a few checkouts from short videos
  (`Shopeevideo-Shopee`) and elsewhere (`Shopee-Search`), at times spread over the day, from the catalogue.
* **Commission**: each product has a rate (2.0%-10.0% in steps of 0.5%, a pure function of its id); the
  checkout's commission including the MCN's share is `amount x rate`; the account's own
  (`estimated_total_commission`) is that less the share of the MCN some accounts are linked to
  (`linked_mcn_commission_rate`, in 1/100000: `10000` = 10%), floored to Shopee's unit.
  All money in 1/100000 of the currency unit.
* **Life**: `Pending` from the purchase; a live order that is confirmed completes `complete_delay` after its
  confirmation, an unconfirmed one is `Cancelled` when its session settles (commission 0 from then on); video
  and other checkouts complete `complete_delay` after the purchase plus up to a day, one in eight is cancelled
  a day after the purchase.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shopee_client.simulator.world import CATALOGUE_SIZE, EPOCH_DAY, MINUTE_MS, Product, Session, World, _rng

__all__ = [
    "AFFILIATE_UNIT",
    "LIVE_SOURCE",
    "OTHER_SOURCE",
    "VIDEO_SOURCE",
    "Checkout",
    "checkout_row",
    "checkouts_between",
    "live_checkouts",
    "mcn_rate_units",
    "offsite_checkouts",
]

AFFILIATE_UNIT = 100_000
LIVE_SOURCE = "Shopeelive-Shopee"
VIDEO_SOURCE = "Shopeevideo-Shopee"
OTHER_SOURCE = "Shopee-Search"
_DAY_MS = 86_400_000
_OFFSITE_BASE = 900_000_000_000_000


def rate_permille(item_id: int) -> int:
    """The product's commission rate in 1/1000 (20..100 = 2.0%..10.0%, steps of 0.5%)."""
    d = hashlib.blake2b(f"rate:{item_id}".encode(), digest_size=2).digest()
    return 20 + 5 * (int.from_bytes(d, "big") % 17)


def mcn_rate_units(account: int) -> int:
    """The share of the MCN the account is linked to, in 1/100000 (0: none). Every third account has one."""
    return 10_000 if account % 3 == 2 else 0


@dataclass(frozen=True, slots=True)
class Checkout:
    checkout_id: int
    account: int
    session_id: int | None
    source: str
    purchase_ms: int
    product: Product
    qty: int
    amount: int  # whole rupiah paid
    complete_ms: int | None  # when it becomes Completed (None: never)
    cancel_ms: int | None  # when it becomes Cancelled (None: never)

    @property
    def purchase_s(self) -> int:
        return self.purchase_ms // 1000

    @property
    def gross_units(self) -> int:
        """Commission including the MCN's share, in 1/100000."""
        return self.amount * 100 * rate_permille(self.product.item_id)

    def own_units(self) -> int:
        """The account's own commission (the MCN's share taken off), in 1/100000."""
        return self.gross_units * (AFFILIATE_UNIT - mcn_rate_units(self.account)) // AFFILIATE_UNIT

    def status_at(self, t_ms: int) -> str:
        if self.cancel_ms is not None and t_ms >= self.cancel_ms:
            return "Cancelled"
        if self.complete_ms is not None and t_ms >= self.complete_ms:
            return "Completed"
        return "Pending"


def live_checkouts(sess: Session, complete_delay_ms: int) -> Iterator[Checkout]:
    for n, (ts, it, q, amt, conf) in enumerate(
        zip(sess.order_ts, sess.order_item, sess.order_qty, sess.order_amt, sess.order_conf, strict=True)
    ):
        yield Checkout(
            checkout_id=sess.session_id * 10_000 + n,
            account=sess.account,
            session_id=sess.session_id,
            source=LIVE_SOURCE,
            purchase_ms=ts // 1000 * 1000,
            product=sess.products[it],
            qty=q,
            amount=amt,
            complete_ms=conf + complete_delay_ms if conf >= 0 else None,
            cancel_ms=None if conf >= 0 else sess.settles_at_ms,
        )


def offsite_checkouts(world: World, account: int, day: date, complete_delay_ms: int) -> list[Checkout]:
    """The account's video and other checkouts purchased on local `day` (a pure function of the seed)."""
    day_ord = (day - EPOCH_DAY).days
    rng = _rng(world.seed, "affiliate", account, day_ord)
    tier = world.accounts[account].tier
    n = rng.randint(*{"small": (0, 3), "mid": (2, 8), "large": (5, 15)}[tier])
    start = world._local_ms(day, 0)
    out: list[Checkout] = []
    for k in range(n):
        ts = (start + int(rng.random() * (_DAY_MS - MINUTE_MS))) // 1000 * 1000
        product = world.product(account, rng.randrange(CATALOGUE_SIZE))
        qty = 1 if rng.random() < 0.8 else 2
        cancelled = rng.random() < 0.125
        out.append(
            Checkout(
                checkout_id=_OFFSITE_BASE + (day_ord * 10_000 + account) * 100 + k,
                account=account,
                session_id=None,
                source=VIDEO_SOURCE if rng.random() < 0.7 else OTHER_SOURCE,
                purchase_ms=ts,
                product=product,
                qty=qty,
                amount=qty * product.price,
                complete_ms=None if cancelled else ts + complete_delay_ms + int(rng.random() * _DAY_MS),
                cancel_ms=ts + _DAY_MS if cancelled else None,
            )
        )
    return out


def checkouts_between(world: World, account: int, from_ms: int, to_ms: int, complete_delay_ms: int) -> list[Checkout]:
    """Every checkout of the account purchased in [from_ms, to_ms]."""
    out: list[Checkout] = []
    for plan in world.plans_started_within(account, from_ms - _DAY_MS, to_ms):
        sess = world.session_of(plan)
        out += [c for c in live_checkouts(sess, complete_delay_ms) if from_ms <= c.purchase_ms <= to_ms]
    day = world.local_date(from_ms)
    last = world.local_date(to_ms)
    while day <= last:
        out += [
            c for c in offsite_checkouts(world, account, day, complete_delay_ms) if from_ms <= c.purchase_ms <= to_ms
        ]
        day += timedelta(days=1)
    return out


def checkout_row(c: Checkout, now_ms: int) -> dict[str, Any]:
    """One report row as Shopee sends it at `now_ms` (money in 1/100000 units)."""
    status = c.status_at(now_ms)
    cancelled = status == "Cancelled"
    gross = 0 if cancelled else c.gross_units
    own = 0 if cancelled else c.own_units()
    return {
        "checkout_id": c.checkout_id,
        "purchase_time": c.purchase_s,
        "checkout_status": status,
        "checkout_complete_time": c.complete_ms // 1000 if status == "Completed" and c.complete_ms else 0,
        "conversion_status": {"Pending": 1, "Completed": 2, "Cancelled": 4}[status],
        "gross_commission": gross,
        "estimated_total_commission": own,
        "estimated_total_commission_with_mcn": gross,
        "linked_mcn_commission_rate": str(mcn_rate_units(c.account)),
        "internal_source": c.source,
        "orders": [
            {
                "order_id": c.checkout_id * 10 + 1,
                "order_status": "Cancelled" if cancelled else ("Completed" if status == "Completed" else "Paid"),
                "items": [
                    {
                        "item_id": c.product.item_id,
                        "item_name": c.product.title,
                        "item_price": c.product.price * AFFILIATE_UNIT,
                        "actual_amount": c.amount * AFFILIATE_UNIT,
                        "qty": c.qty,
                        "item_commission": gross,
                    }
                ],
            }
        ],
    }
