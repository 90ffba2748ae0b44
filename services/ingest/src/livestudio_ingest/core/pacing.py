"""The history backfill's event-rate budget: a token bucket of sessions per second, shared by one replica's pollers.

Live polling and the backfill publish to the same topics, which the same consumers (analytics, commission, the
gateway's SSE) read in order: a backfill that publishes as fast as Shopee answers puts thousands of events ahead
of the live ones and every consumer lags behind them. So before a poller reads a backfill page it takes a page's
worth of sessions from the replica's budget (`taken`: None, no room, the page waits for a later gap), and gives
back what the page did not use (`returned`: a short page, or a page cut short by a live poll). Live events never
take from the budget: they are never held back.

Pure functions of the budget and a monotonic clock reading; the driver (`pacing.BackfillPacer`) holds the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Budget:
    """Sessions the backfill may publish now, refilled at `rate` per second up to `burst`."""

    rate: float
    """Sessions per second."""
    burst: float
    """The most that can be taken at once (at least a page)."""
    tokens: float
    at: float
    """Monotonic seconds of the last refill."""


def full(rate: float, burst: float, now: float) -> Budget:
    return Budget(rate=rate, burst=burst, tokens=burst, at=now)


def refilled(budget: Budget, now: float) -> Budget:
    """The budget at `now` (a clock reading before the last one changes nothing)."""
    if now <= budget.at:
        return budget
    tokens = min(budget.burst, budget.tokens + (now - budget.at) * budget.rate)
    return replace(budget, tokens=tokens, at=now)


def taken(budget: Budget, sessions: int, now: float) -> Budget | None:
    """The budget after taking `sessions`, or None when there is not enough room (nothing is taken)."""
    current = refilled(budget, now)
    need = min(float(sessions), current.burst)  # a page larger than the burst waits for a full bucket
    if current.tokens + 1e-9 < need:
        return None
    return replace(current, tokens=current.tokens - need)


def returned(budget: Budget, sessions: int, now: float) -> Budget:
    """Give back `sessions` taken and not published (never above the burst)."""
    current = refilled(budget, now)
    return replace(current, tokens=min(current.burst, current.tokens + max(0, sessions)))


def wait_s(budget: Budget, sessions: int, now: float) -> float:
    """Seconds until `sessions` can be taken (0: now)."""
    current = refilled(budget, now)
    need = min(float(sessions), current.burst)
    return max(0.0, (need - current.tokens) / current.rate)
