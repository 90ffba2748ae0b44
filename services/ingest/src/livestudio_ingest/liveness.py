"""Is a session on air? Both signals of SHOPEE_API.md §3.6 plus a staleness guard, as a pure function.

Shopee's `status` (1 live, 2 ended) is usually right, but some sessions report 2 while still streaming; the
other signal is `startTime + duration` still advancing between polls. A session is on air when:

* status is 1 and its end (start + duration) moved within `stale_after` (a status stuck at 1 on a frozen
  duration is stale: the guard), or
* status is anything else but its end moved within `end_confirm` (the status lies while it streams).

On first sight the end itself stands for "last moved". Times are the ingest clock's (the simulator's timeline in
simulator mode). Deciding "ended" is final for the caller: SessionEnded is emitted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

LIVE_STATUS = 1


@dataclass(frozen=True, slots=True)
class LivenessPolicy:
    stale_after: timedelta = timedelta(minutes=10)
    end_confirm: timedelta = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Liveness:
    last_end: datetime
    """`start + duration` as last seen."""
    advanced_at: datetime
    """When (ingest clock) the end was last seen moving forward."""
    live: bool


def assess(
    prev: Liveness | None, *, status: int | None, end: datetime, now: datetime, policy: LivenessPolicy
) -> Liveness:
    """Liveness after one sessionList observation of a session."""
    if prev is None:
        advanced_at = min(end, now)
        last_end = end
    elif end > prev.last_end:
        advanced_at = now
        last_end = end
    else:
        advanced_at = prev.advanced_at
        last_end = prev.last_end
    frozen_for = now - advanced_at
    limit = policy.stale_after if status == LIVE_STATUS else policy.end_confirm
    return Liveness(last_end=last_end, advanced_at=advanced_at, live=frozen_for <= limit)


def assess_unseen(prev: Liveness, *, now: datetime, policy: LivenessPolicy) -> Liveness:
    """A tracked session missing from sessionList: on air only while its last movement is recent."""
    return Liveness(
        last_end=prev.last_end, advanced_at=prev.advanced_at, live=now - prev.advanced_at <= policy.stale_after
    )
