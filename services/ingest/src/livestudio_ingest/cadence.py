"""When to read a session's overview and products, and how soon the next poll cycle must come for it.

Pure functions of the ingest clock (Shopee's timeline: real time for real Shopee, the simulator's in simulator
mode) and of how fast that clock runs against the real one. The rules (issue #24):

* a session on air is read every cycle;
* a session whose end is decided in this cycle is read in this cycle: its placed figures, item by item, are
  final from that read on, whatever the clock speed;
* a session decided ended whose Shopee end (start + duration) still moves is still streaming, whatever its
  status says: it is read every cycle, like a session on air;
* an ended session is read again at `reads` evenly spaced moments of the settle window on the ingest clock
  (end + k * window / reads, k = 1..reads), so late confirmations are followed the same way at any speed;
* the poll cycle comes early for the next such moment (the real wait is the ingest-clock wait divided by the
  clock's speed), but never sooner than the account's Shopee rate limit allows for the calls of a cycle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SettlePolicy:
    window: timedelta = timedelta(hours=6)
    """How long after its end an ended session is read again (ingest clock)."""
    reads: int = 12
    """Reads spread evenly over the window (after the one when the end is decided)."""

    @property
    def step(self) -> timedelta:
        return self.window / max(1, self.reads)


def next_settle_read(end: datetime, last_read: datetime | None, policy: SettlePolicy) -> datetime | None:
    """The ingest-clock moment of the next settling read of a session that ended at `end`, given the last read
    of its details (None: never read since the ingest started); None when the window's reads are done."""
    if policy.reads <= 0 or policy.window <= timedelta(0):
        return None
    step = policy.step
    if last_read is None:
        return end
    k = max(1, math.floor((last_read - end) / step) + 1)
    if k > policy.reads:
        return None
    return end + step * k


def detail_due(
    *,
    on_air: bool,
    ending: bool,
    end: datetime | None,
    end_moved: bool = False,
    last_read: datetime | None,
    now: datetime,
    policy: SettlePolicy,
) -> bool:
    """Read the overview and every product page of this session in this cycle?

    `ending`: the session is decided ended in this cycle (it was on air until now). `end`: Shopee's end (start +
    duration) of an ended session; `end_moved`: that end moved since the last detail read. `last_read`: the
    ingest-clock time of the last detail read."""
    if on_air or ending or end_moved:
        return True
    if end is None:
        return False
    if last_read is None:  # not read since the ingest started (a restart): once, if still in the window
        return now - end <= policy.window
    due = next_settle_read(end, last_read, policy)
    return due is not None and due <= now


def reread_budget(interval_s: float, *, rate_per_s: float, calls_per_session: int = 2) -> int:
    """How many sessions the history re-read may read in detail (overview + products) in one cycle: what half
    the cycle's interval allows at the account's rate limit, at least one; the rest waits for later cycles."""
    return max(1, math.floor(rate_per_s * interval_s / 2 / max(1, calls_per_session)))


def cycle_interval(
    base_s: float,
    *,
    now: datetime,
    next_read: datetime | None,
    speed: float,
    calls: int,
    rate_per_s: float,
) -> float:
    """Real seconds until the next poll cycle: the base interval (on air / idle), or sooner when a settling read
    falls due before it, but not sooner than `calls` Shopee calls at the account's rate limit take.

    `next_read`: the earliest next settling read of the account's ended sessions (ingest clock). `speed`: ingest
    seconds per real second (1 for real Shopee, the simulator's speed; 0 when its clock is frozen)."""
    if next_read is None or speed <= 0 or not math.isfinite(speed):
        return base_s
    wait_s = max(0.0, (next_read - now).total_seconds()) / speed
    floor_s = max(1, calls) / rate_per_s if rate_per_s > 0 else base_s
    return min(base_s, max(wait_s, floor_s))
