"""Top products over 365 days: server time of the raw scan against the product rollups, on the same data.

Seeds `bench/gateway_latency.py`'s data set (`--sessions`, default 100,000; the product rollups derived from the
raw rows), then times, one query at a time with EXPLAIN (ANALYZE), the read the gateway made before the product
rollups (sessions joined with their products, a studio's range) and the one it makes now
(`Repository.top_products`: `daily_studio_items`, or `daily_items` for one account), for every studio and for one
account of each, over the latest 365-day range. Prints the medians and p90s of PostgreSQL's execution time and
checks both answer the same. Without HTTP and concurrency, the figures depend little on other load than latency
benchmarks do; `bench/gateway_latency.py --endpoints "top products"` measures the route itself.

Starts its own embedded PostgreSQL unless LIVESTUDIO_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).parent))
import gateway_latency as gl  # type: ignore[import-not-found]  # a sibling script, not a package

from livestudio_devinfra.postgres import EmbeddedPostgres
from livestudio_gateway.repository import Repository, create_pool

RAW = """
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
ORDER BY sum(i.confirmed_sales) DESC NULLS LAST, i.item_id
LIMIT $5
"""
ROLLUP_STUDIOS = """
SELECT i.item_id, max(i.title) AS title, sum(i.sessions)::bigint AS sessions
FROM analytics.daily_studio_items i
WHERE ($1::text[] IS NULL OR i.studio_id = ANY($1::text[])) AND i.day BETWEEN $2 AND $3
GROUP BY i.item_id ORDER BY sum(i.confirmed_sales) DESC NULLS LAST, i.item_id LIMIT $4
"""
ROLLUP_ACCOUNT = """
SELECT i.item_id, max(i.title) AS title, sum(i.sessions)::bigint AS sessions
FROM analytics.daily_items i
WHERE i.account_id = $5 AND ($1::text[] IS NULL OR i.studio_id = ANY($1::text[])) AND i.day BETWEEN $2 AND $3
GROUP BY i.item_id ORDER BY sum(i.confirmed_sales) DESC NULLS LAST, i.item_id LIMIT $4
"""


async def execution_ms(conn: asyncpg.Connection, sql: str, *args: object) -> float:
    plan = await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *args)
    return float(json.loads(plan)[0]["Execution Time"])


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {statistics.median(ordered):7.2f} ms, p90 {ordered[int(0.9 * (len(ordered) - 1))]:7.2f} ms"


async def measure(dsn: str, shape: gl.Shape) -> None:
    end = gl.FIRST_DAY + timedelta(days=shape.days - 1)
    start = end - timedelta(days=gl.RANGE_DAYS - 1)
    conn = await asyncpg.connect(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=2, statement_timeout_ms=60_000)
    repo = Repository(pool)
    times: dict[str, list[float]] = {"studio raw": [], "studio rollup": [], "account raw": [], "account rollup": []}
    try:
        for _ in range(2):  # the first pass warms the cache; the second is reported
            for key in times:
                times[key].clear()
            for s in range(gl.STUDIOS):
                studio = [f"studio-{s:02d}"]
                account = gl.account_id(s * gl.ACCOUNTS_PER_STUDIO)
                times["studio raw"].append(await execution_ms(conn, RAW, studio, None, start, end, 20))
                times["studio rollup"].append(await execution_ms(conn, ROLLUP_STUDIOS, studio, start, end, 20))
                times["account raw"].append(await execution_ms(conn, RAW, studio, account, start, end, 20))
                times["account rollup"].append(
                    await execution_ms(conn, ROLLUP_ACCOUNT, studio, start, end, 20, account)
                )
                for acc in (None, account):
                    raw = [dict(r) for r in await conn.fetch(RAW, studio, acc, start, end, 20)]
                    now = [dict(r) for r in await repo.top_products(studio, acc, start, end, "confirmed_sales", 20)]
                    assert raw == now, (studio, acc)
    finally:
        await pool.close()
        await conn.close()
    print(f"top products {start}..{end}, PostgreSQL execution time per query (EXPLAIN ANALYZE), {gl.STUDIOS} each:")
    for key, values in times.items():
        print(f"  {key:<15} {summary(values)}")
    print(f"answers equal for all {2 * gl.STUDIOS} queries; load average {os.getloadavg()[0]:.1f}")


async def main_async(args: argparse.Namespace) -> None:
    shape = gl.Shape(sessions=args.sessions, timeline_per_session=args.timeline_per_session)
    external = os.environ.get("LIVESTUDIO_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="products-bench-") as tmp:
        server: EmbeddedPostgres | None = None
        database = f"products_bench_{uuid.uuid4().hex[:8]}"
        if external:
            admin = external
        else:
            server = EmbeddedPostgres(Path(tmp) / "pg")
            server.start()
            admin = server.dsn
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{database}"')
        await conn.close()
        dsn = admin.rsplit("/", 1)[0] + f"/{database}"
        try:
            seconds = await gl.seed(dsn, shape)
            print(f"seeded {shape.sessions:,} sessions over {shape.days} days in {seconds:.1f} s")
            await measure(dsn, shape)
        finally:
            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await conn.close()
            if server is not None:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--timeline-per-session", type=int, default=1, help="timeline rows (not read here)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
