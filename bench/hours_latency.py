"""Hours latency: GET /api/v1/analytics/hours over a 365-day range, through the gateway and straight to asyncpg.

Seeds the gateway benchmark's data set (`gateway_latency.seed`: 20 studios, 500 accounts, 100,000 sessions, ...)
and adds a year of hourly rollups as the analytics refresher keeps them: every account streams 8 local hours a
day (09-12 and 19-22) for 365 days (1,460,000 hourly_account rows, hourly_studio summed from them) and every
studio has three shifts (one wraps midnight). Commission's per-hour host rollup (`host_hours`) gets every one of
those account-hours with a host on air: 50 hosts per studio (40 added to the data set's 10), each on one 4-hour
block a day, the roster rotating weekly over the studio's 25 accounts (~1,460 account-hours per host and year),
plus a co-host on one account-hour in five and an unassigned stretch on one day in seven (~1,770,000 rows).
Then runs the real gateway (one process) and sends, from `--clients` paced clients (one request every `--interval` s
each, for `--seconds`), requests for a random 365-day range, per studio or per account (`scope`), and separately per
host (`host`, viewers apportioned by on-air share), grouped by hour, weekday x hour or shift. The same queries go
through the gateway's repository straight to asyncpg in the same run (the baseline). Prints p50/p99 per path and
kind and the verdict on the goal of issue #20 (gateway p99 <= 25 ms).

Starts its own embedded PostgreSQL unless LIVESTUDIO_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import uvloop

sys.path.insert(0, str(Path(__file__).parent))
import gateway_latency as gl  # type: ignore[import-not-found]  # a sibling script, not a package

from livestudio_devinfra.postgres import EmbeddedPostgres
from livestudio_devinfra.stack import terminate
from livestudio_gateway.auth import mint_token
from livestudio_gateway.repository import Repository, create_pool

YEAR_START = date(2025, 12, 1)
DAYS = 365
GOAL_P99_MS = 25.0
GROUPS = ("hour", "weekday_hour", "shift")
GATEWAY_HOSTS = 10  # hosts per studio in the gateway benchmark's data set
HOSTS_PER_STUDIO = 50  # enough for one 4-hour block per host and day on the studio's 25 accounts

_SEED_HOURS = f"""
INSERT INTO analytics.hourly_account
SELECT a.account_id, DATE '{YEAR_START}' + d, h, a.studio_id, 'IDR', 1,
       100 + (hashint4(d * 24 + h) & 255), 40 + (hashint4(d + h) & 63), 1 + (d + h) % 7, (d + h) % 5,
       ((1 + (d + h) % 7) * 125000)::numeric, (((d + h) % 5) * 125000)::numeric, now()
FROM ingest.accounts a, generate_series(0, {DAYS - 1}) d, unnest(ARRAY[9, 10, 11, 12, 19, 20, 21, 22]) h;
INSERT INTO analytics.hourly_studio
SELECT studio_id, local_date, hour, max(currency), count(*), sum(sessions), sum(viewers), max(peak_viewers),
       sum(placed_orders), sum(confirmed_orders), sum(placed_sales), sum(confirmed_sales), max(observed_at)
FROM analytics.hourly_account GROUP BY studio_id, local_date, hour;
INSERT INTO commission.hosts
SELECT 'host-' || s.studio_id || '-' || h, s.studio_id, 'Host ' || h, 'host', true
FROM commission.studios s, generate_series({GATEWAY_HOSTS}, {HOSTS_PER_STUDIO - 1}) h;
INSERT INTO commission.host_hours (studio_id, host_id, account_id, local_date, hour, sessions, on_air_ms,
    placed_orders, placed_sales, confirmed_orders, confirmed_sales, account_on_air_ms)
SELECT x.studio_id, x.host_id, x.account_id, x.local_date, x.hour, 1, x.on_air_ms, x.placed_orders / x.n,
       round(x.placed_sales / x.n), x.confirmed_orders / x.n, round(x.confirmed_sales / x.n),
       sum(x.on_air_ms) OVER (PARTITION BY x.account_id, x.local_date, x.hour)
FROM (
    SELECT h.studio_id, h.account_id, h.local_date, h.hour, h.placed_orders, h.placed_sales, h.confirmed_orders,
           h.confirmed_sales, o.host_id, o.on_air_ms,
           count(*) OVER (PARTITION BY h.account_id, h.local_date, h.hour) AS n
    FROM analytics.hourly_account h
    CROSS JOIN LATERAL (
        SELECT substr(h.account_id, length(h.account_id) - 3)::int % {gl.ACCOUNTS_PER_STUDIO} AS a,
               h.local_date - DATE '{YEAR_START}' AS d, (h.hour >= 19)::int AS b
    ) k
    CROSS JOIN LATERAL (
        SELECT 'host-' || h.studio_id || '-' || ((k.a * 2 + k.b + 7 * (k.d / 7)) % {HOSTS_PER_STUDIO}) AS host_id,
               CASE WHEN k.d % 7 = 0 AND h.hour = 9 THEN 3000000 ELSE 3600000 END AS on_air_ms
        UNION ALL
        SELECT 'host-' || h.studio_id || '-' || ((k.a * 2 + k.b + 7 * (k.d / 7) + 1) % {HOSTS_PER_STUDIO}), 3600000
        WHERE (k.a + k.d + h.hour) % 5 = 0
        UNION ALL
        SELECT NULL, 600000 WHERE k.d % 7 = 0 AND h.hour = 9
    ) o
) x;
INSERT INTO commission.shifts (shift_id, studio_id, name, start_local, end_local)
SELECT s.studio_id || '-' || v.n, s.studio_id, v.n, v.a, v.b
FROM commission.studios s,
     (VALUES ('pagi', TIME '08:00', TIME '12:00'), ('siang', TIME '12:00', TIME '17:00'),
             ('malam', TIME '19:00', TIME '02:00')) v(n, a, b)
"""


async def seed_hours(dsn: str) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(_SEED_HOURS)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def paced(clients: int, seconds: float, interval: float, one: Callable[[int], Awaitable[None]]) -> list[float]:
    latencies: list[float] = []

    async def client(i: int) -> None:
        await asyncio.sleep(interval * i / clients)  # spread the clients over the interval
        deadline = time.perf_counter() + seconds
        while (start := time.perf_counter()) < deadline:
            await one(i)
            latencies.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - start)))

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies


KINDS = ("scope", "host")
"""scope: a studio or an account (half each); host: one host of the studio"""


def random_query(rng: random.Random, kind: str) -> tuple[int, str | None, str | None, str, date, date]:
    studio = rng.randrange(gl.STUDIOS)
    account = gl.account_id(studio * gl.ACCOUNTS_PER_STUDIO + rng.randrange(gl.ACCOUNTS_PER_STUDIO))
    start = YEAR_START + timedelta(days=rng.randrange(0, 30))
    end = start + timedelta(days=364)
    if kind == "host":
        host = f"host-studio-{studio:02d}-{rng.randrange(HOSTS_PER_STUDIO)}"
        return studio, None, host, rng.choice(GROUPS), start, end
    return studio, account if rng.random() < 0.5 else None, None, rng.choice(GROUPS), start, end


async def measure(args: argparse.Namespace, dsn: str, log: Path) -> dict[str, list[float]]:
    tokens = [mint_token(gl.SECRET, sub=f"hours-{s}", role="manager", studios=[f"studio-{s:02d}"]) for s in range(20)]
    port = gl.free_port()
    proc = gl.start_gateway(dsn, port, log)
    pool = await create_pool(dsn, min_size=gl.POOL_MAX, max_size=gl.POOL_MAX, statement_timeout_ms=5000)
    repo = Repository(pool)
    out: dict[str, list[float]] = {
        f"{path} {kind} {q}": [] for kind in KINDS for path in ("gateway", "asyncpg") for q in ("p50", "p99")
    }
    try:
        await gl.wait_up(port, tokens[0])
        conns = [await gl.Connection.open("127.0.0.1", port) for _ in range(args.clients)]
        rng = random.Random(20)
        errors = 0

        kind = KINDS[0]

        async def via_gateway(i: int) -> None:
            nonlocal errors
            studio, account, host, group, start, end = random_query(rng, kind)
            scope = (
                f"host_id={host}" if host else f"account_id={account}" if account else f"studio_id=studio-{studio:02d}"
            )
            path = f"/api/v1/analytics/hours?date_from={start}&date_to={end}&group={group}&{scope}"
            if await conns[i].get(path, tokens[studio]) != 200:
                errors += 1

        async def via_asyncpg(_: int) -> None:
            studio, account, host, group, start, end = random_query(rng, kind)
            if host is None:
                await repo.hours([f"studio-{studio:02d}"], account, start, end, group)
            else:  # what the route does: the host's visibility, then the read
                await repo.hosts([f"studio-{studio:02d}"], host_id=host)
                await repo.host_hours([f"studio-{studio:02d}"], host, None, start, end, group)

        for _ in range(args.runs):
            for kind in KINDS:
                for conn in conns:
                    await conn.reopen()
                for name, one in (("gateway", via_gateway), ("asyncpg", via_asyncpg)):
                    lat = await paced(args.clients, args.seconds, args.interval, one)
                    out[f"{name} {kind} p50"].append(pct(lat, 0.50))
                    out[f"{name} {kind} p99"].append(pct(lat, 0.99))
        if errors:
            raise RuntimeError(f"{errors} gateway requests failed (see {log})")
        for conn in conns:
            conn.close()
    finally:
        await pool.close()
        terminate(proc)
    return out


async def main_async(args: argparse.Namespace) -> None:
    shape = gl.Shape(sessions=args.sessions, timeline_per_session=10)
    external = os.environ.get("LIVESTUDIO_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="hours-bench-") as tmp:
        server: EmbeddedPostgres | None = None
        database = f"hours_bench_{uuid.uuid4().hex[:8]}"
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
            base = await gl.seed(dsn, shape)
            hours = await seed_hours(dsn)
            print(f"seeded the gateway benchmark's data set in {base:.1f} s and a year of hours in {hours:.1f} s")
            figures = await measure(args, dsn, Path(tmp) / "gateway.log")
            print(
                f"hours, 365-day range, {args.clients} clients x 1 request / {args.interval} s, "
                f"{args.seconds:.0f} s x {args.runs} runs (median of runs), load {os.getloadavg()[0]:.1f}"
            )
            for name, values in figures.items():
                print(f"  {name:<18} {statistics.median(values):7.2f} ms")
            for kind in KINDS:
                p99 = statistics.median(figures[f"gateway {kind} p99"])
                verdict = "met" if p99 <= GOAL_P99_MS else "NOT met"
                print(f"goal (gateway p99 <= {GOAL_P99_MS:.0f} ms), {kind}: {verdict} ({p99:.2f} ms)")
        finally:
            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await conn.close()
            if server is not None:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between a paced client's requests")
    parser.add_argument("--runs", type=int, default=3)
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
