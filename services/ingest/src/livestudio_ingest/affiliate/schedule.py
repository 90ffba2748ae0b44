"""What to read of an account's affiliate report, and when: pure functions of its read state and the clock.

* **Backfill**: an account never read gets the last `backfill` (30 days) of purchases, once.
* **New checkouts**: every `new_interval`, the purchases since the last such read (minus `overlap`, for
  checkouts Shopee lists late), up to now.
* **Re-reads**: every `reread_interval`, the purchases from the oldest checkout still `pending` (it may become
  completed or cancelled) up to now, no further back than `horizon`. Nothing pending: nothing to re-read.

Shopee answers at most 31 days per query, so every window is cut into pieces of at most `MAX_WINDOW`. Times are
the ingest clock's (Shopee's timeline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

MAX_WINDOW = timedelta(days=30)
ReadKind = Literal["backfill", "new", "reread"]


@dataclass(frozen=True, slots=True)
class ReadPolicy:
    backfill: timedelta = timedelta(days=30)
    new_interval: timedelta = timedelta(minutes=15)
    overlap: timedelta = timedelta(hours=1)
    reread_interval: timedelta = timedelta(hours=6)
    horizon: timedelta = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class ReadState:
    backfilled_at: datetime | None = None
    last_new_at: datetime | None = None
    last_reread_at: datetime | None = None
    oldest_pending: datetime | None = None
    """purchase time of the oldest checkout published as pending"""


@dataclass(frozen=True, slots=True)
class Read:
    kind: ReadKind
    start: datetime
    end: datetime


def windows(start: datetime, end: datetime, size: timedelta = MAX_WINDOW) -> list[tuple[datetime, datetime]]:
    """[start, end] cut into consecutive pieces of at most `size`, newest first."""
    out: list[tuple[datetime, datetime]] = []
    hi = end
    while hi > start:
        lo = max(start, hi - size)
        out.append((lo, hi))
        hi = lo
    return out


def due_reads(state: ReadState, now: datetime, policy: ReadPolicy, *, clock_stopped: bool = False) -> list[Read]:
    """The reads due at `now` (empty: nothing due). A backfill replaces the others. `clock_stopped`: the ingest
    clock stands still (a frozen simulator): one more read at that instant is due, whatever the intervals, so
    that what was published is the report as it stands then (pages of one read are otherwise served at moments
    a running clock spreads apart)."""
    if state.backfilled_at is None:
        return [Read("backfill", now - policy.backfill, now)]
    reads: list[Read] = []
    once_more = clock_stopped and (state.last_new_at is None or state.last_new_at < now)
    new_due = once_more or state.last_new_at is None or now - state.last_new_at >= policy.new_interval
    reread_due = state.oldest_pending is not None and (
        once_more or state.last_reread_at is None or now - state.last_reread_at >= policy.reread_interval
    )
    if reread_due and state.oldest_pending is not None:
        start = max(state.oldest_pending, now - policy.horizon)
        if start < now:
            return [Read("reread", start, now)]  # covers the new checkouts too
    if new_due:
        since = state.last_new_at or state.backfilled_at
        start = max(min(since, now) - policy.overlap, now - MAX_WINDOW)
        reads.append(Read("new", start, now))
    return reads


def after_reads(state: ReadState, reads: list[Read], now: datetime) -> ReadState:
    """The state once `reads` (done at `now`) all succeeded; `oldest_pending` is recomputed by the caller."""
    kinds = {r.kind for r in reads}
    return ReadState(
        backfilled_at=now if "backfill" in kinds else state.backfilled_at,
        last_new_at=now if kinds else state.last_new_at,
        last_reread_at=now if kinds & {"backfill", "reread"} else state.last_reread_at,
        oldest_pending=state.oldest_pending,
    )
