"""Hours of the day for the history attributed before the host-hours migration: draining `hours_backfill`.

Migration `20261208010000_host_hours_backfill` queues every session whose `attribution_hours` do not add up to its
`attribution_parts` (attributed before `attribution_hours` existed, or live while it was created). The service
runs `run` beside the consumer after start-up, until the queue is empty; only an SRE queues sessions again (the
runbook's rolling-update case), so afterwards the service merely looks at the empty queue once a minute.

* **Exact.** A batch is `sessions.reattribute` of the claimed sessions: each session's parts and hours replayed
  from its stored increments and the roster (what a fresh attribution writes; the hour of an increment is not in
  `attribution_parts`, so hours cannot be derived from the parts). Pay is compared first: when it is unchanged (the
  normal case) only the hours are replaced; when it differs (a roster change that was never replayed) the session
  is re-attributed like after a roster change and its statements marked; the log counts such sessions.
* **Safe beside the consumer and other replicas.** The queue rows are claimed `FOR UPDATE SKIP LOCKED` and deleted
  in the transaction that writes the hours, so two replicas take different sessions and a crash leaves the row
  queued. Re-attribution takes the session's row lock (the consumer's first lock), then the account-hour locks in
  their one order, and replaces the session's hours (never adds), so a session attributed by the consumer before
  or after a batch ends with the same hours, and a batch run twice changes nothing.
* **Yields to live consumption.** Small batches, each its own short transaction, a pause between them, and a lock
  timeout: a batch that would wait longer for a lock the consumer holds rolls back and is retried later.
* **One bad session holds nothing up.** A batch that raises is retried one session per transaction; a session
  that fails alone moves behind the others, and after `MAX_ATTEMPTS` failures stays queued untried (counted by the
  gauge and the finishing log line as `given_up`; its `last_error` is in the queue row).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import NamedTuple

import asyncpg
import structlog

from livestudio_commission import metrics, sessions
from livestudio_commission import repository as repo

log = structlog.get_logger(__name__)
GAUGE_EVERY_S = 5.0
"""How often the backlog gauge is recounted while the backfill runs"""
RETRY_S = 1.0
"""Wait after a batch that gave up on a lock or failed"""
IDLE_S = 60.0
"""How often the service looks at an empty queue again (one `count(*)` of an empty table)"""
MAX_ATTEMPTS = 5
"""Failures after which a session stays queued untried (`attempts`, `last_error`; the runbook says what then)"""


class Batch(NamedTuple):
    sessions: int
    """sessions taken from the queue (their hours now current)"""
    pay_changed: int
    """of which re-attribution changed the pay (statements marked)"""


class BatchFailed(Exception):
    """Re-attributing these claimed sessions raised (the cause); their queue rows are back."""

    def __init__(self, keys: list[repo.SessionKey]) -> None:
        super().__init__(f"{len(keys)} sessions")
        self.keys = keys


async def backfill_batch(
    pool: asyncpg.Pool, *, batch: int, lock_timeout_ms: int = 0, max_attempts: int = MAX_ATTEMPTS
) -> Batch:
    """Re-attribute up to `batch` queued sessions in one transaction; Batch(0, 0) when none is left to take.
    Raises `BatchFailed` when the re-attribution raised (a lock given up or a deadlock raises as it is)."""
    keys: list[repo.SessionKey] = []
    try:
        async with pool.acquire() as conn, conn.transaction():
            await repo.set_lock_timeout(conn, lock_timeout_ms)
            keys = await repo.claim_hours_backfill(conn, batch, max_attempts)
            if not keys:
                return Batch(0, 0)
            changed = await sessions.reattribute(conn, keys)
    except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError):
        raise
    except Exception as exc:
        if keys:
            raise BatchFailed(keys) from exc
        raise
    metrics.HOURS_BACKFILLED.inc(len(keys))
    return Batch(len(keys), changed)


async def waiting(pool: asyncpg.Pool, max_attempts: int = MAX_ATTEMPTS) -> tuple[int, int]:
    """(sessions to try, sessions given up); the gauge counts both."""
    async with pool.acquire() as conn:
        due, parked = await repo.hours_backfill_waiting(conn, max_attempts)
    metrics.HOURS_BACKFILL_BACKLOG.set(due + parked)
    return due, parked


async def _failed(pool: asyncpg.Pool, key: repo.SessionKey, error: BaseException | None) -> None:
    """Move a session that failed alone behind the others (and count the failure)."""
    try:
        async with pool.acquire() as conn:
            await repo.hours_backfill_failed(conn, key, repr(error)[:1000])
    except Exception:
        log.exception("hours_backfill_failure_not_recorded", account_id=key[0], session_id=key[1])


async def _pause(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


async def run(
    pool: asyncpg.Pool,
    stopping: asyncio.Event,
    *,
    batch: int,
    pause_s: float,
    lock_timeout_ms: int,
    retry_s: float = RETRY_S,
    max_attempts: int = MAX_ATTEMPTS,
) -> Batch:
    """Drain the queue until no session is left to try (or `stopping` is set); what this process did."""
    due, parked = await waiting(pool, max_attempts)
    if not due:
        return Batch(0, 0)
    log.info("hours_backfill_started", waiting=due, given_up=parked, batch=batch)
    started = counted = time.monotonic()
    done = changed = 0
    alone = 0  # after a failed batch, its sessions are retried one per transaction: only a bad one fails again
    while not stopping.is_set():
        try:
            result = await backfill_batch(
                pool, batch=1 if alone else batch, lock_timeout_ms=lock_timeout_ms, max_attempts=max_attempts
            )
        except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError) as exc:
            # the consumer holds a lock the batch needs: give it the way, retry the same sessions later
            log.info("hours_backfill_yielded", reason=type(exc).__name__)
            await _pause(stopping, retry_s)
            continue
        except BatchFailed as failed:
            log.error("hours_backfill_failed", sessions=len(failed.keys), exc_info=failed.__cause__)
            if len(failed.keys) == 1:
                await _failed(pool, failed.keys[0], failed.__cause__)
                alone = max(0, alone - 1)
            else:
                alone = len(failed.keys)
            await _pause(stopping, retry_s)
            continue
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("hours_backfill_failed")
            await _pause(stopping, retry_s)
            continue
        if not result.sessions:
            break
        alone = max(0, alone - 1)
        done += result.sessions
        changed += result.pay_changed
        if result.pay_changed:
            log.warning("hours_backfill_changed_pay", sessions=result.pay_changed)
        if time.monotonic() - counted >= GAUGE_EVERY_S:
            await waiting(pool, max_attempts)
            counted = time.monotonic()
        await _pause(stopping, pause_s)
    left, parked = await waiting(pool, max_attempts)
    (log.warning if parked else log.info)(
        "hours_backfill_stopped" if stopping.is_set() else "hours_backfill_finished",
        sessions=done,
        pay_changed=changed,
        waiting=left,
        given_up=parked,
        seconds=round(time.monotonic() - started, 1),
    )
    return Batch(done, changed)
