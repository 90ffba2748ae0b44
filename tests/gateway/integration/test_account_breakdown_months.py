"""The account breakdown reads whole months from `monthly_account` and the ends of the range from `daily_account`:
for every range (inside one month, across months, on month boundaries, none at all) and scope its rows equal the
sums over the daily rows (the query before the monthly rollup), NULLs and studio moves included."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from livestudio_gateway.repository import Repository, create_pool
from tests.gateway.kit import MONTHLY_ROLLUPS_SQL, SCHEMA_SQL

# The breakdown over daily rows only (the reference the monthly read must equal).
DAILY_BREAKDOWN = """
WITH totals AS (
    SELECT d.account_id, max(d.studio_id COLLATE "C") AS studio_id,
      sum(d.sessions)::bigint AS sessions, sum(d.streaming_ms)::bigint AS streaming_ms,
      sum(d.viewers)::bigint AS viewers, max(d.peak_viewers)::bigint AS peak_viewers,
      sum(d.placed_orders)::bigint AS placed_orders, sum(d.confirmed_orders)::bigint AS confirmed_orders,
      sum(d.placed_sales) AS placed_sales, sum(d.confirmed_sales) AS confirmed_sales, sum(d.ad_spend) AS ad_spend
    FROM analytics.daily_account d
    WHERE ($1::text[] IS NULL OR d.studio_id = ANY($1::text[])) AND d.day BETWEEN $2 AND $3
    GROUP BY d.account_id
    ORDER BY sum(d.confirmed_sales) DESC NULLS LAST, d.account_id
    LIMIT $4
)
SELECT t.*, a.display_name
FROM totals t
LEFT JOIN ingest.accounts a ON a.account_id = t.account_id
ORDER BY t.confirmed_sales DESC NULLS LAST, t.account_id
"""
START = date(2026, 9, 20)
DAYS = 130  # 2026-09-20 .. 2027-01-27: four month boundaries, a year boundary


def daily_rows() -> list[tuple[Any, ...]]:
    rng = random.Random(3)
    rows: list[tuple[Any, ...]] = []
    for a in range(6):
        account = f"acc-{a}"
        for n in range(DAYS):
            day = START + timedelta(days=n)
            if rng.random() < 0.3:
                continue  # no session that day
            studio = "st-1" if a % 2 else "st-0"
            if a == 5 and day >= date(2026, 11, 10):
                studio = "st-0"  # moved studio in the middle of November
            unknown = a == 4 or rng.random() < 0.1  # acc-4 never reports sales: its sums stay NULL
            rows.append(
                (
                    account,
                    studio,
                    day,
                    rng.randint(1, 3),
                    rng.randint(0, 9) * 600_000,
                    None if unknown else rng.randint(0, 500),
                    None if unknown else rng.randint(0, 90),
                    None if unknown else rng.randint(0, 20),
                    None if unknown else rng.randint(0, 20),
                    None if unknown else Decimal(rng.randint(0, 10**7)) / 100,
                    None if unknown else Decimal(rng.randint(0, 10**7)) / 100,
                    Decimal(rng.randint(0, 5000)) if day.weekday() == 0 else None,
                )
            )
    return rows


@pytest.fixture
async def repo(fresh_db: str) -> AsyncIterator[Repository]:
    conn = await asyncpg.connect(fresh_db)
    try:
        await conn.execute(SCHEMA_SQL.read_text())
        await conn.executemany(
            "INSERT INTO ingest.accounts (account_id, studio_id, display_name, state) VALUES ($1, $2, $3, 'active')",
            [(f"acc-{a}", f"st-{a % 2}", f"Toko {a}") for a in range(5)],  # acc-5 has no ingest row: name NULL
        )
        await conn.executemany(
            "INSERT INTO analytics.daily_account (account_id, studio_id, day, sessions, streaming_ms, viewers, "
            "peak_viewers, placed_orders, confirmed_orders, placed_sales, confirmed_sales, ad_spend) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            daily_rows(),
        )
        await conn.execute(MONTHLY_ROLLUPS_SQL.read_text())
    finally:
        await conn.close()
    pool = await create_pool(fresh_db, min_size=1, max_size=2, statement_timeout_ms=10_000)
    try:
        yield Repository(pool)
    finally:
        await pool.close()


async def test_breakdown_with_whole_months_equals_the_daily_sums(repo: Repository) -> None:
    d = date
    ranges = [
        (d(2026, 11, 3), d(2026, 11, 20)),  # inside one month
        (d(2026, 11, 1), d(2026, 11, 30)),  # exactly one month
        (d(2026, 10, 1), d(2026, 12, 31)),  # starts and ends on month boundaries
        (d(2026, 10, 15), d(2026, 11, 14)),  # across a boundary, no whole month
        (d(2026, 9, 25), d(2027, 1, 10)),  # whole months in the middle, partial ends, across the year
        (d(2026, 10, 31), d(2026, 12, 1)),  # one day either side of a whole month
        (d(2026, 11, 1), d(2026, 12, 15)),  # starts on a boundary, partial end
        (d(2026, 10, 10), d(2026, 11, 30)),  # partial start, ends on a boundary
        (d(2026, 12, 31), d(2026, 12, 31)),  # one day
        (d(2025, 1, 1), d(2027, 12, 31)),  # every row
        (d(2020, 1, 1), d(2020, 3, 31)),  # no row
    ]
    rng = random.Random(9)
    for _ in range(20):
        lo = START + timedelta(days=rng.randint(-5, DAYS))
        ranges.append((lo, lo + timedelta(days=rng.randint(0, 100))))
    scopes: list[list[str] | None] = [None, ["st-0"], ["st-1"], ["st-0", "st-1"], ["st-9"]]
    compared = 0
    async with repo.pool.acquire() as conn:
        for lo, hi in ranges:
            for scope in scopes:
                for limit in (100, 2):
                    got = [dict(r) for r in await repo.account_breakdown(scope, lo, hi, limit)]
                    want = [dict(r) for r in await conn.fetch(DAILY_BREAKDOWN, scope, lo, hi, limit)]
                    assert got == want, (lo, hi, scope, limit)
                    compared += len(want)
    assert compared > 500
    # the data is not trivial: NULL sums, a studio move and unnamed accounts are among the answers
    everything = await repo.account_breakdown(None, d(2025, 1, 1), d(2027, 12, 31), 100)
    by_account = {r["account_id"]: r for r in everything}
    assert by_account["acc-4"]["confirmed_sales"] is None and by_account["acc-4"]["sessions"] > 0
    assert by_account["acc-5"]["display_name"] is None
    moved = await repo.account_breakdown(["st-0"], d(2026, 11, 1), d(2026, 11, 30), 100)
    assert "acc-5" in {r["account_id"] for r in moved}
