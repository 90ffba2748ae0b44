"""Is a session on air? Both signals of SHOPEE_API.md §3.6 plus a staleness guard, as a pure function.

Shopee's `status` (1 live, 2 ended) is usually right, but some sessions report 2 while still streaming; the
other signal is `startTime + duration` still advancing between polls. A session is on air when:

* status is 1 and its end (start + duration) moved within `stale_after` (a status stuck at 1 on a frozen
  duration is stale: the guard), or
* status is anything else but its end is still within `end_confirm` of now, i.e. it keeps advancing with the
  clock (the status lies while it streams).

Shopee's end (start + duration) is its own record of the session's last activity, so "moved within X" is
"end within X of now" (the end only ever moves forward). Times are the ingest clock's (the simulator's timeline
in simulator mode). Deciding "ended" is final for the caller: SessionEnded is emitted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

LIVE_STATUS = 1


@dataclass(frozen=True, slots=True)
class LivenessPolicy:
    stale_after: timedelta = timedelta(minutes=10)
    end_confirm: timedelta = timedelta(minutes=3)


@dataclass(frozen=True, slots=True)
class Liveness:
    last_end: datetime
    """`start + duration` as last seen."""
    advanced_at: datetime
    """The end as of our clock (never later than now): when the session was last active."""
    live: bool


def assess(
    prev: Liveness | None, *, status: int | None, end: datetime, now: datetime, policy: LivenessPolicy
) -> Liveness:
    """Liveness after one sessionList observation of a session."""
    last_end = end if prev is None or end > prev.last_end else prev.last_end
    # Shopee's own last activity (clamped to our clock): an end that keeps up with "now" is still moving.
    advanced_at = min(last_end, now)
    frozen_for = now - advanced_at
    limit = policy.stale_after if status == LIVE_STATUS else policy.end_confirm
    return Liveness(last_end=last_end, advanced_at=advanced_at, live=frozen_for <= limit)


def assess_unseen(prev: Liveness, *, now: datetime, policy: LivenessPolicy) -> Liveness:
    """A tracked session missing from sessionList: on air only while its last movement is recent."""
    return Liveness(
        last_end=prev.last_end, advanced_at=prev.advanced_at, live=now - prev.advanced_at <= policy.stale_after
    )
