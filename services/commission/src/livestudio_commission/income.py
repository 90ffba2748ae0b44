"""Affiliate commission income tied to sessions and hosts: one checkout's figures in, exact per-bucket parts out.

The same roster attribution that splits a session's GMV decides who earned a live checkout's commission:

* **The session.** A checkout sourced from a live (`live`) belongs to the account's latest session that started
  at most `GRACE` after the purchase (Shopee reports purchase times in whole seconds, sessions in
  milliseconds) and at most `MAX_SPAN` before it. A session's end is not used: the end a consumer learns first
  can be early (the ingest may decide an end that a still-moving duration later refutes, and the first end is
  kept), and a buyer may check out from a live's replay after it; the next session's start closes the span.
  Video and other checkouts, and live checkouts no known session covers, belong to no session.
* **The hosts.** Within its session, the checkout goes to the on-air windows containing the purchase instant
  (not before the session's start), split by the co-hosts' shares, exactly like a point increment of the
  session's figures (`attribution.time_weights`). Nobody on air, or no session: the *unassigned* bucket.
* **Exactness.** Every figure (estimated and final commission, with and without the MCN's share, GMV) is split by
  largest remainder in Shopee's own unit of affiliate money, 1/100000 (`money.allocate_money`), so the parts of a
  checkout add up to its figures exactly; an unknown figure (`None`) stays unknown in every part.
* **Replacing, not adding.** A checkout's parts are recomputed from its newest known state whenever it changes
  (a status change, a cancellation that zeroes the commission), whenever a session of its account appears or its
  end becomes known, and whenever the roster of its account changes. Applying the same state twice gives the same
  parts, so a re-read is applied once and a cancellation reverses the commission.

The local day of every part is the purchase's local day in the studio's timezone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from livestudio_commission.attribution import Bucket, time_weights
from livestudio_commission.money import Weights, allocate_money
from livestudio_commission.roster import OnAirWindow

GRACE = timedelta(seconds=1)
MAX_SPAN = timedelta(hours=24)
"""A live checkout bought longer than this after its account's latest session started belongs to no session."""
QUANTUM = Decimal("0.00001")
"""Shopee's unit of affiliate money (1/100000 of the currency unit): what a checkout's figures are split in."""
_MICRO = timedelta(microseconds=1)
Figure = Literal["estimated", "estimated_with_mcn", "final", "final_with_mcn", "gmv"]
FIGURES: tuple[Figure, ...] = ("estimated", "estimated_with_mcn", "final", "final_with_mcn", "gmv")


@dataclass(frozen=True)
class Checkout:
    """One checkout's newest known state, reduced to what attribution needs (times in UTC)."""

    account_id: str
    checkout_id: str
    studio_id: str
    source: str
    status: str
    purchased_at: datetime
    observed_at: datetime
    currency: str
    timezone: str
    figures: Mapping[Figure, Decimal | None]


@dataclass(frozen=True)
class SessionSpan:
    session_id: int
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Part:
    """A checkout's share for one host (None = unassigned) from one window ("" = none)."""

    host_id: str | None
    window_key: str
    session_id: int | None
    local_day: date
    figures: dict[Figure, Decimal | None]


def newer(stored_observed_at: datetime | None, incoming: Checkout) -> bool:
    """Apply `incoming`? Only what was observed after what is stored (equal or older: already applied)."""
    return stored_observed_at is None or incoming.observed_at > stored_observed_at


def session_at(purchased_at: datetime, spans: Sequence[SessionSpan]) -> SessionSpan | None:
    """The session of a live purchase: the latest started at most GRACE after it and at most MAX_SPAN before it."""
    best: SessionSpan | None = None
    for s in spans:
        if s.started_at - GRACE > purchased_at or s.started_at + MAX_SPAN < purchased_at:
            continue
        if best is None or (s.started_at, s.session_id) > (best.started_at, best.session_id):
            best = s
    return best


def _instant(purchased_at: datetime, session: SessionSpan) -> datetime:
    """The purchase, not before the session's start (rounding to whole seconds may put it just before)."""
    return max(purchased_at, session.started_at + _MICRO)


def split(
    checkout: Checkout, session: SessionSpan | None, windows: Sequence[OnAirWindow], quantum: Decimal
) -> list[Part]:
    """The checkout's parts: whole to the unassigned bucket, or over the hosts on air in its session."""
    tz = ZoneInfo(checkout.timezone)
    day = checkout.purchased_at.astimezone(tz).date()
    if checkout.source != "live" or session is None:
        return [Part(None, "", None, day, dict(checkout.figures))]
    t = _instant(checkout.purchased_at.astimezone(UTC), session)
    weights = time_weights(windows, t, t, tz)
    if len(weights) == 1:
        bucket = weights[0][0]
        return [Part(bucket.host_id, bucket.window_key, session.session_id, day, dict(checkout.figures))]
    prepared: Weights[Bucket] = Weights.of(weights)
    parts = {b: Part(b.host_id, b.window_key, session.session_id, day, {}) for b in prepared.keys}
    for figure in FIGURES:
        amount = checkout.figures.get(figure)
        if amount is None:
            for p in parts.values():
                p.figures[figure] = None
            continue
        for bucket, share in allocate_money(amount, prepared, quantum).items():
            parts[bucket].figures[figure] = share
    return [parts[b] for b in prepared.keys]


def totals(parts: Sequence[Part]) -> dict[Figure, Decimal | None]:
    """Sum of the parts per figure (None when unknown): equals the checkout's figures exactly."""
    out: dict[Figure, Decimal | None] = {}
    for figure in FIGURES:
        values = [p.figures.get(figure) for p in parts]
        out[figure] = None if any(v is None for v in values) else sum((v for v in values if v is not None), Decimal(0))
    return out
