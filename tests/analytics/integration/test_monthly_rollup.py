"""The monthly account rollup kept by the refresher equals the sums of `daily_account` per account, month and
studio after real batches (sessions across a month boundary, settled corrections days later, ad spend), a late
correction after a refresh, and a rebuild of the rollups; the consumer marks the months of the days it recomputed.
The migration backfills it from the daily rows already stored."""

from __future__ import annotations

import random
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from livestudio_analytics.main import MIGRATIONS
from livestudio_analytics.rebuild import rebuild_rollups
from livestudio_analytics.settings import AnalyticsSettings
from livestudio_runtime.db import DbConnection, create_pool
from livestudio_runtime.migrations import migrate
from tests.analytics import kit
from tests.analytics.db import apply_in_transaction, refresh
from tests.analytics.strategies import Message, decode_message

# Sessions over ~3 days from two days before a month ends: both months have facts.
SPEC = kit.StreamSpec(
    seed=23,
    accounts=6,
    studios=2,
    sessions_per_account=6,
    snapshots=(4, 8),
    items_every=1000,
    poison=0,
    ad_spend_days=30,
    start=datetime(2026, 10, 30, 10, 0, tzinfo=UTC),
)
FROM_DAILY = """
SELECT account_id, date_trunc('month', day)::date AS month, studio_id, max(currency COLLATE "C") AS currency,
       sum(sessions)::bigint AS sessions, sum(streaming_ms)::bigint AS streaming_ms, sum(viewers)::bigint AS viewers,
       max(peak_viewers) AS peak_viewers, sum(placed_orders)::bigint AS placed_orders,
       sum(confirmed_orders)::bigint AS confirmed_orders, sum(placed_sales) AS placed_sales,
       sum(confirmed_sales) AS confirmed_sales, sum(ad_spend) AS ad_spend
FROM analytics.daily_account GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
MONTHLY = """
SELECT account_id, month, studio_id, currency, sessions, streaming_ms, viewers, peak_viewers, placed_orders,
       confirmed_orders, placed_sales, confirmed_sales, ad_spend
FROM analytics.monthly_account ORDER BY 1, 2, 3
"""


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema="analytics", application_name="months", min_size=1, max_size=3)
    try:
        yield pool
    finally:
        await pool.close()


async def monthly_and_expected(conn: DbConnection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [dict(r) for r in await conn.fetch(MONTHLY)], [dict(r) for r in await conn.fetch(FROM_DAILY)]


async def test_monthly_account_equals_the_sums_of_daily_account(pool: asyncpg.Pool, fresh_db: str) -> None:
    stream = [Message(r.topic, r.value) for r in kit.realistic_stream(SPEC)]
    rng = random.Random(4)
    i = 0
    while i < len(stream):  # batches of random sizes, the refresher running after some of them only
        n = rng.randint(1, 60)
        await apply_in_transaction(pool, [decode_message(m) for m in stream[i : i + n]])
        if rng.random() < 0.3:
            await refresh(pool)
        i += n
    await refresh(pool)
    async with pool.acquire() as conn:
        got, want = await monthly_and_expected(conn)
        assert got == want
        assert {r["month"].month for r in got} == {10, 11}  # both sides of the boundary
        assert any(r["ad_spend"] is not None for r in got) and any(r["confirmed_sales"] is not None for r in got)
        assert await conn.fetchval("SELECT count(*) FROM analytics.rollup_dirty_months") == 0

        # a late correction of a refreshed month: the consumer marks it, the next round brings the month up to date
        last = await conn.fetchrow(
            "SELECT account_id, studio_id, session_id, started_at, ended_at, observed_at, timezone "
            "FROM analytics.sessions WHERE ended_at IS NOT NULL ORDER BY local_day, account_id LIMIT 1"
        )
        assert last is not None
    correction = kit.session_event(
        "corrected",
        account_id=last["account_id"],
        studio_id=last["studio_id"],
        session_id=last["session_id"],
        started_at=last["started_at"],
        observed_at=last["observed_at"].replace(year=2027),
        ended_at=last["ended_at"],
        metrics={"confirmed_orders": 777, "confirmed_sales": "123456789"},
        timezone=last["timezone"],
        source="live_history",
    )
    await apply_in_transaction(pool, [decode_message(Message("session", correction))])
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM analytics.rollup_dirty_months") == 1
        got, want = await monthly_and_expected(conn)
        assert got != want  # stale until the refresher's round
    await refresh(pool)
    async with pool.acquire() as conn:
        got, want = await monthly_and_expected(conn)
        assert got == want
        assert any(r["confirmed_orders"] is not None and r["confirmed_orders"] >= 777 for r in got)
        good = got
        # rollups lost or damaged: `rebuild --rollups` brings them back from the facts, stale rows included
        await conn.execute("DELETE FROM analytics.monthly_account WHERE account_id = $1", last["account_id"])
        await conn.execute("UPDATE analytics.monthly_account SET viewers = 0, confirmed_sales = NULL")
        await conn.execute(
            "INSERT INTO analytics.monthly_account (account_id, month, studio_id, sessions, streaming_ms) "
            "VALUES ('acc-gone', '2026-01-01', 'st-0', 1, 0)"
        )
    summary = await rebuild_rollups(AnalyticsSettings(database_url=fresh_db))
    assert "monthly_account" in summary["rebuilt"]  # type: ignore[operator]
    async with pool.acquire() as conn:
        got, want = await monthly_and_expected(conn)
        assert got == want == good


async def test_the_migration_backfills_monthly_account_from_daily_account(fresh_db: str, tmp_path: Path) -> None:
    before = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, before)
    (before / "20261207220000_monthly_account.sql").unlink()
    await migrate(fresh_db, schema="analytics", directory=before)
    conn = await asyncpg.connect(fresh_db)
    try:
        await conn.execute(
            """
            INSERT INTO analytics.daily_account (account_id, day, studio_id, currency, sessions, sessions_on_air,
                   streaming_ms, viewers, peak_viewers, placed_orders, confirmed_orders, placed_sales, confirmed_sales,
                   ad_spend)
            SELECT 'acc-' || a, d::date, CASE WHEN a = 2 AND d >= '2026-11-15' THEN 'st-1' ELSE 'st-' || (a % 2) END,
                   'IDR', 1 + a, 0, 60000 * a, CASE WHEN a <> 3 THEN 10 * a END, a, 2, 1,
                   CASE WHEN a <> 3 THEN 1000.50 * a END, CASE WHEN a <> 3 THEN 900.25 END,
                   CASE WHEN extract(dow FROM d) = 1 THEN 25000 END
            FROM generate_series(0, 4) a, generate_series('2026-10-20'::date, '2026-12-10'::date, '1 day') d
            """
        )
    finally:
        await conn.close()
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    conn = await asyncpg.connect(fresh_db)
    try:
        got, want = await monthly_and_expected(conn)
    finally:
        await conn.close()
    assert got == want and len(got) == 16  # 5 accounts x 3 months, acc-2 in two studios in November, st-1 in December
    assert [r["confirmed_sales"] for r in got if r["account_id"] == "acc-3"] == [None, None, None]
