"""The hours backfill after an upgrade: sessions attributed before `attribution_hours` existed (no hours) or live
while it was created (some hours) get exactly the hours the consumer writes for a fresh attribution, through
migration `20261208010000_host_hours_backfill` (the queue) and `hours_backfill.run` (two replicas at once); a
batch racing the consumer on the same session, in either order, or run again, never counts anything twice; and a
session whose replay fails is set aside without holding the others up. The service does it on start by itself.

The data is `test_host_days`'s (two studios, co-hosts, unassigned stretches, a shift past midnight, unknown
confirmed figures, corrections after the end).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from prometheus_client import REGISTRY

from livestudio_commission import hours_backfill, sessions
from livestudio_commission import repository as repo
from livestudio_commission.attribution import Observation
from livestudio_commission.service import MIGRATIONS
from livestudio_runtime.db import create_pool
from livestudio_runtime.migrations import migrate
from tests.commission.integration.test_host_days import all_sessions, apply_commands, apply_in_batches, exact, roster
from tests.commission.integration.test_host_hours import assert_hours_exact
from tests.commission.kit import make_settings, running
from tests.fixtures.infra import TopicFactory

BACKFILL_MIGRATION = "20261208010000_host_hours_backfill.sql"
APP = "hours-backfill-test"
SNAPSHOTS = {
    "attribution_hours": "SELECT * FROM attribution_hours ORDER BY 1, 2, 3, 4, 5, 6, 7",
    "host_hours": "SELECT * FROM host_hours ORDER BY account_id, local_date, hour, host_id NULLS FIRST, studio_id",
    "account_hours": "SELECT * FROM account_hours ORDER BY 1, 2, 3",
    "attribution_parts": "SELECT * FROM attribution_parts ORDER BY 1, 2, 3, 4, 5",
    "attributions": "SELECT * FROM attributions ORDER BY account_id, session_id, host_id NULLS FIRST",
    "statement_dirty": "SELECT host_id, local_day FROM statement_dirty ORDER BY 1, 2",
}
QUEUE = "SELECT account_id, session_id FROM hours_backfill ORDER BY 1, 2"


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[tuple[str, ...]]]:
    return {name: exact(await conn.fetch(sql)) for name, sql in SNAPSHOTS.items()}


async def lose_hours(conn: asyncpg.Connection, where: str) -> None:
    """Drop the hours rows matching `where` and bring `host_hours` in line (the state before the hours existed)."""
    async with conn.transaction():
        keys = await conn.fetch(
            f"DELETE FROM attribution_hours WHERE {where} RETURNING studio_id, host_id, account_id, local_date, hour"
        )
        await repo.refresh_host_hours(
            conn, {(r["studio_id"], r["host_id"], r["account_id"], r["local_date"], r["hour"]) for r in keys}
        )


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    made = await create_pool(fresh_db, schema="commission", application_name=APP, min_size=1, max_size=3)
    try:
        yield made
    finally:
        await made.close()


async def connect(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn, server_settings={"search_path": "commission,public"})


async def until_blocked(conn: asyncpg.Connection, *, pid: int | None = None, app: str | None = None) -> None:
    """Until the backend `pid` (or any backend of application `app`) waits for a lock."""
    blocked = (
        "SELECT count(*) > 0 FROM pg_stat_activity WHERE (pid = $1 OR application_name = $2)"
        " AND cardinality(pg_blocking_pids(pid)) > 0"
    )
    async with asyncio.timeout(10):
        while True:
            if await conn.fetchval(blocked, pid, app):
                return
            await asyncio.sleep(0.02)


async def test_upgrade_gives_the_history_exactly_the_hours_of_a_fresh_attribution(
    fresh_db: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for sql in MIGRATIONS.glob("*.sql"):
        if sql.name != BACKFILL_MIGRATION:
            shutil.copy(sql, before / sql.name)
    await migrate(fresh_db, schema="commission", directory=before)
    conn = await connect(fresh_db)
    try:
        assert set(await apply_commands(conn, roster(), 0)) == {"applied"}
        await apply_in_batches(conn, all_sessions(), 7)
        fresh = await snapshot(conn)
        assert fresh["host_hours"]

        # history: no hours at all, except acc-1's session 102 (live at the migration: its hours from 12:00 on)
        # and acc-9's session 900 (attributed after the migration: all its hours)
        await lose_hours(conn, "NOT (session_id = 102 AND hour >= 12) AND session_id <> 900")
        lost = await snapshot(conn)
        assert lost["host_hours"] != fresh["host_hours"] and lost["attribution_hours"]

        await migrate(fresh_db, schema="commission", directory=MIGRATIONS)
        queued = [tuple(r) for r in await conn.fetch(QUEUE)]
        assert queued == [
            ("acc-1", 100), ("acc-1", 101), ("acc-1", 102), ("acc-2", 200), ("acc-2", 201), ("acc-9", 901)
        ]  # fmt: skip

        stopping = asyncio.Event()
        # two replicas at once: each session is taken by one of them
        runs = await asyncio.gather(
            *(
                hours_backfill.run(pool, stopping, batch=2, pause_s=0, lock_timeout_ms=5_000, retry_s=0.05)
                for _ in range(2)
            )
        )
        assert sum(r.sessions for r in runs) == len(queued)
        assert sum(r.pay_changed for r in runs) == 0
        # nothing left: a later start does nothing
        assert await hours_backfill.run(pool, stopping, batch=2, pause_s=0, lock_timeout_ms=0) == (0, 0)

        assert await snapshot(conn) == fresh  # hours, rollup and account-hours as written fresh; pay untouched
        await assert_hours_exact(conn)
        assert await conn.fetch(QUEUE) == []
        assert REGISTRY.get_sample_value("livestudio_commission_hours_backfill_backlog") == 0
    finally:
        await conn.close()


def held_back(observations: list[Observation], session_id: int) -> tuple[list[Observation], list[Observation]]:
    """(the rest, the session's end and correction): the session as it was while it was live."""
    late = [o for o in observations if o.session_id == session_id and o.kind != "snapshot"]
    return [o for o in observations if o not in late], late


async def test_a_batch_racing_the_consumer_or_run_twice_never_counts_twice(fresh_db: str, pool: asyncpg.Pool) -> None:
    await migrate(fresh_db, schema="commission", directory=MIGRATIONS)
    conn, consumer, other = await connect(fresh_db), await connect(fresh_db), await connect(fresh_db)
    try:
        assert set(await apply_commands(conn, roster(), 0)) == {"applied"}
        observations, late_101 = held_back(all_sessions(), 101)
        observations, late_102 = held_back(observations, 102)
        await apply_in_batches(conn, observations, 7)
        # a session that lost its hours, and every other session queued too (their hours are current)
        await lose_hours(conn, "session_id = 101")
        await conn.execute("INSERT INTO hours_backfill SELECT DISTINCT account_id, session_id FROM attribution_parts")
        stopping = asyncio.Event()

        def backfill() -> asyncio.Future[hours_backfill.Batch]:
            return asyncio.ensure_future(
                hours_backfill.run(pool, stopping, batch=10, pause_s=0, lock_timeout_ms=10_000)
            )

        # 1. the consumer first: it holds session 101 (adding its last increments' hours) when the batch reaches it
        tx = consumer.transaction()
        await tx.start()
        await sessions.apply_observations(consumer, late_101)
        batch = backfill()
        await until_blocked(conn, app=APP)
        await tx.commit()
        assert (await asyncio.wait_for(batch, 10)).pay_changed == 0
        await assert_hours_exact(conn)

        # 2. the batch first: it holds session 102 (without its hours) and waits for an account-hour lock while the
        # consumer's last increments of 102 wait for the session
        await lose_hours(conn, "session_id = 102")
        await conn.execute("INSERT INTO hours_backfill VALUES ('acc-1', 102)")
        hold = other.transaction()
        await hold.start()
        await other.execute("SELECT * FROM account_hours WHERE account_id = 'acc-1' FOR UPDATE")
        batch = backfill()
        await until_blocked(conn, app=APP)
        consumed = asyncio.ensure_future(apply_in_batches(consumer, late_102, len(late_102)))
        await until_blocked(conn, pid=consumer.get_server_pid())
        await hold.commit()
        assert (await asyncio.wait_for(batch, 10)).sessions == 1
        await asyncio.wait_for(consumed, 10)
        done = await assert_hours_exact(conn)

        # 3. run again over every session (their hours written by the consumer and the backfill): nothing changes
        settled = await snapshot(conn)
        await conn.execute("INSERT INTO hours_backfill SELECT DISTINCT account_id, session_id FROM attribution_parts")
        assert (await backfill()).sessions == 7
        assert await snapshot(conn) == settled
        assert await assert_hours_exact(conn) == done
    finally:
        for c in (conn, consumer, other):
            await c.close()


async def test_a_session_that_cannot_be_replayed_does_not_hold_the_others_up(fresh_db: str, pool: asyncpg.Pool) -> None:
    await migrate(fresh_db, schema="commission", directory=MIGRATIONS)
    conn = await connect(fresh_db)
    try:
        assert set(await apply_commands(conn, roster(), 0)) == {"applied"}
        await apply_in_batches(conn, all_sessions(), 7)
        fresh = await snapshot(conn)
        await lose_hours(conn, "true")
        await conn.execute("INSERT INTO hours_backfill SELECT DISTINCT account_id, session_id FROM attribution_parts")
        # session 101 names a studio and a timezone nobody knows: its replay raises
        bad = "UPDATE sessions SET studio_id = $1, timezone = $2 WHERE session_id = 101"
        await conn.execute(bad, "ghost", "Nowhere/Never")
        stopping = asyncio.Event()
        done = await hours_backfill.run(
            pool, stopping, batch=3, pause_s=0, lock_timeout_ms=5_000, retry_s=0, max_attempts=2
        )
        assert done.sessions == 6
        row = await conn.fetchrow("SELECT * FROM hours_backfill")
        assert row is not None and (row["session_id"], row["attempts"]) == (101, 2)
        assert "Nowhere/Never" in row["last_error"]
        assert REGISTRY.get_sample_value("livestudio_commission_hours_backfill_backlog") == 1
        # every other session has its hours, exactly
        others = (await snapshot(conn))["attribution_hours"]
        expected = [r for r in fresh["attribution_hours"] if r[1] != "101"]
        assert others == expected and len(expected) < len(fresh["attribution_hours"])
        # given up: a later start does not try it again
        assert await hours_backfill.run(pool, stopping, batch=3, pause_s=0, lock_timeout_ms=0, max_attempts=2) == (0, 0)

        # fixed, and queued again as the runbook says: done
        await conn.execute(bad, "st1", "Asia/Jakarta")
        await conn.execute("UPDATE hours_backfill SET attempts = 0")
        assert (await hours_backfill.run(pool, stopping, batch=3, pause_s=0, lock_timeout_ms=0)).sessions == 1
        assert await snapshot(conn) == fresh
    finally:
        await conn.close()


async def test_the_service_backfills_on_start_without_an_operator_step(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    await migrate(fresh_db, schema="commission", directory=MIGRATIONS)
    conn = await connect(fresh_db)
    try:
        assert set(await apply_commands(conn, roster(), 0)) == {"applied"}
        await apply_in_batches(conn, all_sessions(), 7)
        fresh = await snapshot(conn)
        await lose_hours(conn, "true")
        await conn.execute("INSERT INTO hours_backfill SELECT DISTINCT account_id, session_id FROM attribution_parts")
        async with running(await make_settings(kafka_bootstrap, fresh_db, topic_factory)):
            async with asyncio.timeout(20):
                while True:
                    if not await conn.fetchval("SELECT count(*) FROM hours_backfill"):
                        break
                    await asyncio.sleep(0.05)
        after = await snapshot(conn)
        for name in ("attribution_hours", "host_hours", "account_hours", "attribution_parts"):
            assert after[name] == fresh[name], name
    finally:
        await conn.close()
