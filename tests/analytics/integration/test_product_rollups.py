"""Rollups kept by the refresher: product rollups answer the top-products read exactly like the raw scan, and
rounds interleaved with the consumer (marks renewed mid-round, a crash between apply and refresh) lose nothing."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY

from livestudio_analytics import repository, rollups
from livestudio_analytics.main import MIGRATIONS
from livestudio_analytics.rebuild import rebuild_rollups
from livestudio_analytics.settings import AnalyticsSettings
from livestudio_gateway.repository import PRODUCT_ORDERS, Repository
from livestudio_gateway.repository import create_pool as gateway_pool
from livestudio_runtime.db import DbConnection, create_pool
from livestudio_runtime.migrations import migrate
from tests.analytics import kit
from tests.analytics.db import apply_in_transaction, digest, refresh
from tests.analytics.strategies import Message, decode_message

# What the gateway's top-products read scanned before the product rollups (one studio's raw year per request).
RAW_TOP_PRODUCTS = """
SELECT i.item_id, max(i.title) AS title, count(*)::bigint AS sessions,
  sum(i.product_clicks)::bigint AS product_clicks, sum(i.add_to_cart)::bigint AS add_to_cart,
  sum(i.placed_orders)::bigint AS placed_orders, sum(i.placed_items_sold)::bigint AS placed_items_sold,
  sum(i.confirmed_orders)::bigint AS confirmed_orders, sum(i.confirmed_items_sold)::bigint AS confirmed_items_sold,
  sum(i.placed_sales) AS placed_sales, sum(i.confirmed_sales) AS confirmed_sales
FROM analytics.sessions s
JOIN analytics.session_items i ON i.account_id = s.account_id AND i.session_id = s.session_id
WHERE ($1::text[] IS NULL OR s.studio_id = ANY($1::text[]))
  AND ($2::text IS NULL OR s.account_id = $2)
  AND s.local_day BETWEEN $3 AND $4
GROUP BY i.item_id
ORDER BY {order} DESC NULLS LAST, i.item_id
LIMIT $5
"""
ROLLUP_TABLES = ("hourly_account", "hourly_studio", "daily_items", "daily_studio_items", "monthly_account")
SPEC = kit.StreamSpec(
    seed=11, accounts=6, studios=2, sessions_per_account=5, snapshots=(6, 12), items_every=2, poison=0
)


def messages() -> list[Message]:
    return [Message(r.topic, r.value) for r in kit.realistic_stream(SPEC)]


def late_items(account_id: str, studio_id: str, session_id: int, item_id: int, observed_at: Any) -> Message:
    """Items of a session that change after its rollups were refreshed: a product's figures and title change,
    a new product appears."""
    items = [
        {
            "item_id": item_id,
            "title": "Zebra later title",
            "product_clicks": 900,
            "placed_orders": 40,
            "placed_sales": "5",
        },
        {"item_id": 8, "title": "Brand new", "add_to_cart": 3, "confirmed_orders": 2, "confirmed_sales": "123.45"},
    ]
    return Message(
        "item",
        kit.items_event(
            account_id=account_id, studio_id=studio_id, session_id=session_id, observed_at=observed_at, items=items
        ),
    )


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema="analytics", application_name="rollups", min_size=1, max_size=3)
    try:
        yield pool
    finally:
        await pool.close()


async def rollup_rows(conn: DbConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: [tuple(r) for r in await conn.fetch(f"SELECT * FROM analytics.{t} ORDER BY 1, 2, 3, 4")]
        for t in ROLLUP_TABLES
    }


async def test_top_products_from_rollups_equal_the_raw_scan(pool: asyncpg.Pool, fresh_db: str) -> None:
    stream = messages()
    rng = random.Random(5)
    i = 0
    while i < len(stream):  # batches of random sizes, the refresher running after some of them only
        n = rng.randint(1, 40)
        await apply_in_transaction(pool, [decode_message(m) for m in stream[i : i + n]])
        if rng.random() < 0.4:
            await refresh(pool)
        i += n
    await refresh(pool)
    async with pool.acquire() as conn:
        first = await conn.fetchrow(
            "SELECT s.account_id, s.studio_id, s.session_id, s.observed_at, min(i.item_id) AS item_id "
            "FROM analytics.sessions s JOIN analytics.session_items i USING (account_id, session_id) "
            "GROUP BY 1, 2, 3, 4 ORDER BY 1, 3 LIMIT 1"
        )
    assert first is not None
    late = late_items(
        first["account_id"],
        first["studio_id"],
        first["session_id"],
        first["item_id"],
        first["observed_at"] + timedelta(days=2),
    )
    await apply_in_transaction(pool, [decode_message(late)])
    await refresh(pool)

    reads = await gateway_pool(fresh_db, min_size=1, max_size=2, statement_timeout_ms=10_000)
    try:
        repo = Repository(reads)
        async with reads.acquire() as conn:
            studios = [r[0] for r in await conn.fetch("SELECT DISTINCT studio_id FROM analytics.sessions ORDER BY 1")]
            accounts = [r[0] for r in await conn.fetch("SELECT DISTINCT account_id FROM analytics.sessions ORDER BY 1")]
            days = [r[0] for r in await conn.fetch("SELECT DISTINCT local_day FROM analytics.sessions ORDER BY 1")]
            items = await conn.fetchval("SELECT count(DISTINCT item_id) FROM analytics.session_items")
        assert len(studios) == 2 and len(accounts) == 6 and len(days) >= 4 and items >= 10  # non-trivial data
        ranges = [(days[0], days[-1]), (days[1], days[-2]), (days[2], days[2]), (date(2020, 1, 1), date(2020, 1, 2))]
        checked = 0
        for by, order in PRODUCT_ORDERS.items():
            raw_sql = RAW_TOP_PRODUCTS.format(order=order)
            for lo, hi in ranges:
                cases: list[tuple[list[str] | None, str | None]] = [(None, None), ([studios[0]], None), (studios, None)]
                cases += [([studios[0]], a) for a in accounts] + [(None, accounts[0])]
                for scope, account in cases:
                    got = await repo.top_products(scope, account, lo, hi, by, 100)
                    async with reads.acquire() as conn:
                        want = await conn.fetch(raw_sql, scope, account, lo, hi, 100)
                    assert [dict(r) for r in got] == [dict(r) for r in want], (by, lo, hi, scope, account)
                    checked += bool(want)
        assert checked > 50
        # the late items changed the answers: item 8 appears, the changed product has its new title
        top = await repo.top_products(None, first["account_id"], days[0], days[-1], "confirmed_sales", 100)
        assert any(r["item_id"] == 8 and r["title"] == "Brand new" for r in top)
        assert any(r["item_id"] == first["item_id"] and r["title"] == "Zebra later title" for r in top)
    finally:
        await reads.close()


async def test_refreshed_rollups_equal_a_recompute_of_everything(pool: asyncpg.Pool) -> None:
    stream = messages()
    for i in range(0, len(stream), 25):
        await apply_in_transaction(pool, [decode_message(m) for m in stream[i : i + 25]])
        await refresh(pool)
    async with pool.acquire() as conn:
        incremental = await rollup_rows(conn)
        assert all(incremental[t] for t in ROLLUP_TABLES)
        await conn.execute(f"TRUNCATE {', '.join(f'analytics.{t}' for t in ROLLUP_TABLES)}")
        async with conn.transaction():
            assert await repository.mark_everything(conn) > 0
    await refresh(pool)
    async with pool.acquire() as conn:
        assert await rollup_rows(conn) == incremental
        assert await repository.marks_backlog(conn) == (0, 0.0)


async def test_a_mark_renewed_during_a_round_survives_it(pool: asyncpg.Pool) -> None:
    """The refresher reads marks, recomputes; meanwhile the consumer commits newer facts for the same keys. The
    round must not delete those renewed marks (its recompute did not see the new facts)."""
    stream = messages()
    item_batches = [m for m in stream if m.topic == "item"]
    sessions = [m for m in stream if m.topic == "session"]
    await apply_in_transaction(pool, [decode_message(m) for m in sessions])
    await apply_in_transaction(pool, [decode_message(item_batches[0])])
    async with pool.acquire() as conn, conn.transaction():
        assert await repository.try_refresh_lock(conn)
        pending = await repository.pending_marks(conn, 1000)
        assert pending.days and pending.sessions
        await repository.recompute_items(conn, [(a, d) for a, d, _ in pending.days])
        await repository.recompute_hours(conn, [(a, s, m) for a, s, m, _ in pending.sessions])
        await repository.recompute_months(conn, [(a, m) for a, m, _ in pending.months])
        # the consumer commits more facts (every item snapshot, every session again) before the round ends
        await apply_in_transaction(pool, [decode_message(m) for m in item_batches[1:] + sessions[-5:]])
        cleared = await repository.clear_marks(conn, pending)
    assert cleared < len(pending.days) + len(pending.sessions)
    async with pool.acquire() as conn:
        waiting, _ = await repository.marks_backlog(conn)
        assert waiting > 0
    await refresh(pool)  # the next round finishes the job
    async with pool.acquire() as conn:
        after_rounds = await rollup_rows(conn)
        await conn.execute(f"TRUNCATE {', '.join(f'analytics.{t}' for t in ROLLUP_TABLES)}")
        async with conn.transaction():
            await repository.mark_everything(conn)
    await refresh(pool)
    async with pool.acquire() as conn:
        assert await rollup_rows(conn) == after_rounds


async def test_marks_are_durable_with_the_facts(pool: asyncpg.Pool, fresh_db: str) -> None:
    """A crash between the consumer's commit and the refresher's round loses no rollup: the marks were committed
    with the facts, and a new process (new pool) refreshes them."""
    await apply_in_transaction(pool, [decode_message(m) for m in messages()])
    await pool.close()  # "crash": nothing in memory survives
    fresh = await create_pool(fresh_db, schema="analytics", application_name="after-crash", min_size=1)
    try:
        async with fresh.acquire() as conn:
            assert (await repository.marks_backlog(conn))[0] > 0
            assert await conn.fetchval("SELECT count(*) FROM analytics.daily_items") == 0
        await refresh(fresh)
        async with fresh.acquire() as conn:
            counts = await digest(conn)
            assert counts["daily_items"][0] > 0 and counts["hourly_account"][0] > 0
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM (SELECT DISTINCT s.account_id, s.local_day, i.item_id "
                    "FROM analytics.sessions s JOIN analytics.session_items i USING (account_id, session_id)) k"
                )
                == counts["daily_items"][0]
            )
    finally:
        await fresh.close()


async def test_rebuild_rollups_recomputes_them_from_the_facts(pool: asyncpg.Pool, fresh_db: str) -> None:
    """`livestudio-analytics rebuild --rollups`: wrong or missing rollups come back from the stored facts."""
    await apply_in_transaction(pool, [decode_message(m) for m in messages()])
    await refresh(pool)
    async with pool.acquire() as conn:
        good = await rollup_rows(conn)
        await conn.execute("DELETE FROM analytics.daily_items WHERE item_id % 2 = 0")
        await conn.execute("UPDATE analytics.hourly_account SET viewers = 0")
        await conn.execute("TRUNCATE analytics.daily_studio_items, analytics.hourly_studio")
    summary = await rebuild_rollups(AnalyticsSettings(database_url=fresh_db))
    assert summary["marked"]
    async with pool.acquire() as conn:
        assert await rollup_rows(conn) == good


async def test_the_refresher_defers_rounds_while_the_consumer_catches_up(pool: asyncpg.Pool) -> None:
    await apply_in_transaction(pool, [decode_message(m) for m in messages()[:40]])
    busy = True

    async def backlog() -> int:
        async with pool.acquire() as conn:
            return (await repository.marks_backlog(conn))[0]

    task = asyncio.create_task(rollups.run_refresher(pool, 0.05, 1000, busy=lambda: busy, max_defer_s=30))
    try:
        await asyncio.sleep(0.6)
        waiting = await backlog()
        assert waiting > 0  # deferred: the consumer is "catching up"
        assert REGISTRY.get_sample_value("livestudio_analytics_rollup_dirty_keys") == waiting  # gauges still kept
        busy = False
        for _ in range(100):
            if not await backlog():
                break
            await asyncio.sleep(0.05)
        assert await backlog() == 0  # caught up once the backlog is gone
        await asyncio.sleep(0.2)
        assert REGISTRY.get_sample_value("livestudio_analytics_rollup_dirty_keys") == 0
        assert REGISTRY.get_sample_value("livestudio_analytics_rollup_lag_seconds") == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
