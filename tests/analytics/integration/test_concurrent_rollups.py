"""Two consumers (different partitions) changing sessions of the same account-day never lose each other's rollup."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg

from livestudio_analytics import repository
from livestudio_analytics.handlers import apply_batch
from livestudio_analytics.main import MIGRATIONS
from livestudio_runtime.db import create_pool
from livestudio_runtime.exactly_once import Decoded
from livestudio_runtime.migrations import migrate
from tests.analytics import kit
from tests.analytics.strategies import Message, decode_message

STARTED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def snapshot(session_id: int, sales: str) -> Message:
    raw = kit.session_event(
        "snapshot",
        account_id="acc-1",
        studio_id="st-1",
        session_id=session_id,
        started_at=STARTED + timedelta(hours=session_id),
        observed_at=STARTED + timedelta(hours=session_id, minutes=5),
        metrics={"placed_sales": sales, "placed_orders": 1},
        on_air=True,
    )
    return Message("session", raw)


async def test_concurrent_batches_on_one_account_day_serialise_their_rollups(fresh_db: str) -> None:
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema="analytics", application_name="concurrency", min_size=2)
    try:
        first = pool.acquire()
        second = pool.acquire()
        conn1 = await first.__aenter__()
        conn2 = await second.__aenter__()
        tx1 = conn1.transaction()
        await tx1.start()
        await apply_batch(conn1, [Decoded("s", 0, 0, 0, None, decode_message(snapshot(1, "100")))])

        async def other_partition() -> None:
            async with conn2.transaction():
                await apply_batch(conn2, [Decoded("s", 1, 0, 0, None, decode_message(snapshot(2, "50")))])

        task = asyncio.create_task(other_partition())
        await asyncio.sleep(1.0)
        assert not task.done(), "the second batch must wait for the first one's rollup lock"
        await tx1.commit()
        await asyncio.wait_for(task, 30)
        await first.__aexit__(None, None, None)
        await second.__aexit__(None, None, None)

        row = await pool.fetchrow("SELECT sessions, placed_orders, placed_sales FROM daily_account")
        assert row is not None
        assert tuple(row) == (2, 2, 150)
        studio = await pool.fetchrow("SELECT sessions, accounts, placed_sales FROM daily_studio")
        assert studio is not None
        assert tuple(studio) == (2, 1, 150)
    finally:
        await pool.close()


async def test_batch_statements_do_not_scan_history(fresh_db: str) -> None:
    """With many sessions stored, merging and recomputing a few keys uses the indexes, not a full scan."""
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    conn = await asyncpg.connect(fresh_db, server_settings={"search_path": "analytics"})
    try:
        await conn.execute(
            """
            INSERT INTO sessions (account_id, session_id, studio_id, started_at, local_day, timezone, currency,
                                  observed_at, placed_sales, field_observed_at)
            SELECT 'acc-' || (n % 500), n, 'st-1', now(), current_date - (n / 500), 'UTC', 'IDR', now(), 1,
                   ARRAY[]::timestamptz[]
            FROM generate_series(1, 50000) AS n
            """
        )
        await conn.execute("ANALYZE sessions")
        plan = await repository.explain_batch(
            conn,
            {("acc-1", 1): decode_message(snapshot(1, "5")).session},  # type: ignore[union-attr]
        )
        assert "Seq Scan on sessions" not in plan, plan
    finally:
        await conn.close()


async def test_a_huge_batch_holds_a_bounded_number_of_advisory_locks(fresh_db: str) -> None:
    """5000 account-days in one batch must not exhaust the shared lock table (max_locks_per_transaction)."""
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    conn = await asyncpg.connect(fresh_db, server_settings={"search_path": "analytics"})
    try:
        days = {(f"acc-{n}", date(2026, 1, 1) + timedelta(days=n % 30)) for n in range(5000)}
        async with conn.transaction():
            await repository.recompute_days(conn, days)
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        assert held <= 2 * repository.LOCK_BUCKETS
    finally:
        await conn.close()
