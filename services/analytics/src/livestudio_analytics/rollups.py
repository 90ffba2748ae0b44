"""The rollup refresher: recomputes the hourly, product and monthly rollups whose keys the consumer marked dirty.

The consumer only records stale keys (`repository.mark_dirty`, in the transaction that writes the facts, so a
mark is exactly as durable as what it marks). Every `rollup_refresh_ms` the refresher takes the oldest marks (at
most `rollup_refresh_limit` of each kind per transaction, rounds repeated until none is left), recomputes those
keys from the facts, and deletes the marks it handled in the same transaction; a mark renewed meanwhile (its
`seq` changed) stays for the next round. A crash anywhere loses nothing: an uncommitted round leaves its marks.
Recomputing is idempotent and exact, so any number of rounds, in any order, gives the same rollups as a
recompute of everything. One refresher runs at a time across replicas (a transaction-scoped advisory lock);
readiness does not depend on it (a failure is logged and retried on the next tick). While the consumer catches
up a backlog (a full batch or more waiting), rounds are deferred up to `rollup_max_defer_ms`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import structlog

from livestudio_analytics import metrics, repository

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Round:
    """What one refresh transaction did."""

    locked: bool  # False: another refresher holds the lock (nothing done)
    days: int  # (account, day) product marks taken
    sessions: int  # session hour marks taken
    months: int  # (account, month) marks taken
    cleared: int  # marks deleted (the rest were renewed meanwhile)

    @property
    def taken(self) -> int:
        return self.days + self.sessions + self.months


async def refresh_round(pool: asyncpg.Pool, limit: int) -> Round:
    """One transaction: take the oldest marks, recompute their rollups, delete the marks not renewed meanwhile."""
    async with pool.acquire() as conn, conn.transaction():
        if not await repository.try_refresh_lock(conn):
            return Round(False, 0, 0, 0, 0)
        pending = await repository.pending_marks(conn, limit)
        await repository.recompute_items(conn, [(a, d) for a, d, _ in pending.days])
        await repository.recompute_hours(conn, [(a, s, m) for a, s, m, _ in pending.sessions])
        await repository.recompute_months(conn, [(a, m) for a, m, _ in pending.months])
        cleared = await repository.clear_marks(conn, pending)
    return Round(True, len(pending.days), len(pending.sessions), len(pending.months), cleared)


async def refresh_until_drained(pool: asyncpg.Pool, limit: int) -> int:
    """Rounds until a round takes fewer marks than `limit` of each kind; returns the marks cleared."""
    cleared = 0
    while True:
        started = time.perf_counter()
        done = await refresh_round(pool, limit)
        if not done.locked:
            return cleared
        cleared += done.cleared
        metrics.ROLLUP_REFRESH_SECONDS.observe(time.perf_counter() - started)
        metrics.ROLLUP_KEYS_REFRESHED.labels("days").inc(done.days)
        metrics.ROLLUP_KEYS_REFRESHED.labels("sessions").inc(done.sessions)
        metrics.ROLLUP_KEYS_REFRESHED.labels("months").inc(done.months)
        if done.days < limit and done.sessions < limit and done.months < limit:
            return cleared


async def update_backlog_gauges(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        waiting, age = await repository.marks_backlog(conn)
    metrics.ROLLUP_DIRTY_KEYS.set(waiting)
    metrics.ROLLUP_LAG.set(age)


def _never_busy() -> bool:
    return False


async def run_refresher(
    pool: asyncpg.Pool,
    period_s: float,
    limit: int,
    *,
    busy: Callable[[], bool] = _never_busy,
    max_defer_s: float = 60.0,
) -> None:
    """The service's background task: drain the marks every `period_s`; failures are logged and retried.

    While `busy()` (the consumer is catching up a backlog) rounds are deferred, up to `max_defer_s` since the first
    deferred one: a round costs about the same whatever the events since the last, so fewer rounds leave more of
    the database to the consumer, and the rollups catch up once the backlog is gone (or every `max_defer_s`).
    """
    deferred_since: float | None = None
    while True:
        await asyncio.sleep(period_s)
        deferring = False
        if busy():
            now = time.monotonic()
            deferred_since = now if deferred_since is None else deferred_since
            deferring = now - deferred_since < max_defer_s
        if not deferring:
            deferred_since = None
        try:
            if not deferring:
                await refresh_until_drained(pool, limit)
            await update_backlog_gauges(pool)  # the lag keeps growing while rounds are deferred
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            metrics.ROLLUP_REFRESH_FAILURES.inc()
            log.warning("rollup_refresh_failed", error=str(exc), error_type=type(exc).__name__)
