"""Gateway latency: every dashboard read with 365-day ranges at 100 requests/s, against the same queries via asyncpg.

Seeds the read models (tests/gateway/fixtures/read_models.sql) inside PostgreSQL with generate_series (nothing
goes through the client protocol row by row): by default 1,000,000 sessions (20 studios, 500 accounts, two a day
each over 1,000 days), 10,000,000 per-minute timeline rows, 3,000,000 product rows, daily rollups, product
rollups (tests/gateway/fixtures/product_rollups.sql), the monthly account rollup
(tests/gateway/fixtures/monthly_rollups.sql), host attributions and their per-day rollup
(`commission.host_days`) derived from them, then VACUUM ANALYZE. `--sessions` / `--timeline-per-session` shrink it
for a quick run. Then runs the real gateway (`livestudio-gateway`, uvicorn, one process, rate limiting on, 100
distinct manager tokens) and drives it from this process with 100 keep-alive HTTP/1.1 connections (a minimal
client, so the load generator costs little CPU). In the same run the same repository calls the handler makes go
straight to asyncpg with 100 concurrent tasks on a pool of the same size: the direct baseline.

The endpoints are the dashboard's reads: session list and detail, daily series, summary, top products, account
breakdown, host performance, leaderboard and one host's performance, each over a random 365-day range of one
studio. The goal (issue #23) is judged on the paced shape: each client sends one request every `--interval` seconds
(default 1 s: 100 dashboards refreshing every second, 100 requests/s offered) for `--paced-seconds`; every
endpoint's gateway p99 <= 25 ms. Reported next to it: the gateway's added p99 (its p99 minus the direct p99 of the
same calls, in the same run), which should stay within 3 ms. The gateway and the direct runs alternate (gateway,
direct, gateway, ...) so that both see the same background load of a shared machine; figures are medians over
`--runs`. `--saturation` adds closed-loop runs (each client sends its next request when the answer arrives), for
information only: latency there is mostly queueing. `--endpoints` measures a subset (e.g. `--endpoints "top products"`).

For scale, the floor of the framework on the same server stack: a Litestar app with one route answering a constant
body of a summary's size, without middleware, auth, validation or database, served by the gateway's server config
and paced like the rest.

Starts its own embedded PostgreSQL (livestudio_devinfra) unless LIVESTUDIO_TEST_DATABASE_URL is set (then uses a
fresh database on that server). Figures, dated: `services/gateway/README.md` (Performance).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import uvloop

from livestudio_devinfra.ports import free_port
from livestudio_devinfra.postgres import EmbeddedPostgres
from livestudio_devinfra.stack import terminate
from livestudio_gateway.analytics import previous_range
from livestudio_gateway.auth import mint_token
from livestudio_gateway.repository import Repository, create_pool

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_SQL = ROOT / "tests" / "gateway" / "fixtures" / "read_models.sql"
PRODUCT_ROLLUPS_SQL = ROOT / "tests" / "gateway" / "fixtures" / "product_rollups.sql"
MONTHLY_ROLLUPS_SQL = ROOT / "tests" / "gateway" / "fixtures" / "monthly_rollups.sql"
SECRET = "bench-secret-" + "k" * 32
STUDIOS = 20
ACCOUNTS_PER_STUDIO = 25
SESSIONS_PER_DAY = 2
FIRST_DAY = date(2024, 3, 1)
RANGE_DAYS = 365
POOL_MAX = 10


# --- seeding -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    sessions: int
    timeline_per_session: int
    items_per_session: int = 3

    @property
    def accounts(self) -> int:
        return STUDIOS * ACCOUNTS_PER_STUDIO

    @property
    def sessions_per_account(self) -> int:
        return self.sessions // self.accounts

    @property
    def days(self) -> int:
        return max(1, self.sessions_per_account // SESSIONS_PER_DAY)


def studio_of(account: int) -> str:
    return f"studio-{account // ACCOUNTS_PER_STUDIO:02d}"


def account_id(account: int) -> str:
    return f"acc-{account:04d}"


def session_id(account: int, n: int) -> int:
    return 1_000_000 + account * 100_000 + n


SEED_SESSIONS = f"""
WITH g AS MATERIALIZED (
    SELECT a, n, $3::date + n / {SESSIONS_PER_DAY} AS day, (random() * 59)::int AS minute,
           3600000 + (random() * 3600000)::bigint AS duration_ms, 50 + (random() * 4950)::bigint AS viewers,
           (random() * 80)::bigint AS orders, random() < 0.02 AS sales_unknown,
           20000 + (random() * 70000)::bigint AS price
    FROM generate_series(0, $1::int - 1) AS a, generate_series(0, $2::int - 1) AS n
)
INSERT INTO analytics.sessions (account_id, session_id, studio_id, title, on_air, started_at, ended_at, duration_ms,
    local_day, timezone, currency, observed_at, views, viewers, peak_viewers, current_viewers, buyers,
    placed_orders, placed_sales, confirmed_orders, confirmed_sales)
SELECT 'acc-' || lpad(a::text, 4, '0'), 1000000 + a * 100000 + n,
       'studio-' || lpad((a / {ACCOUNTS_PER_STUDIO})::text, 2, '0'), 'Live #' || n, false,
       t.started, t.started + duration_ms * interval '1 millisecond', duration_ms, day, 'Asia/Jakarta', 'IDR',
       t.started + duration_ms * interval '1 millisecond', viewers * 3, viewers, viewers / 5, NULL, orders + 2,
       orders, t.sales, orders, t.sales
FROM g, LATERAL (
    SELECT (day + make_interval(hours => 2 + 10 * (n % 2), mins => minute)) AT TIME ZONE 'UTC' AS started,
           CASE WHEN sales_unknown THEN NULL ELSE (orders * price)::numeric END AS sales
) AS t
"""


async def seed(dsn: str, shape: Shape) -> float:
    """Everything is generated inside PostgreSQL (INSERT … SELECT over generate_series): ten million rows through
    the client protocol would take most of the run on a busy two-core machine."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(SCHEMA_SQL.read_text())
        await conn.executemany(
            "INSERT INTO commission.studios VALUES ($1, $2, 'Asia/Jakarta', 'IDR', 'monthly')",
            [(f"studio-{s:02d}", f"Studio {s}") for s in range(STUDIOS)],
        )
        await conn.copy_records_to_table(
            "accounts",
            schema_name="ingest",
            columns=["account_id", "studio_id", "display_name", "state", "last_successful_poll_at"],
            records=[
                (account_id(a), studio_of(a), f"Toko {a}", "active", datetime.now(UTC)) for a in range(shape.accounts)
            ],
        )
        await conn.execute("SELECT setseed(0.7)")
        await conn.execute(SEED_SESSIONS, shape.accounts, shape.sessions_per_account, FIRST_DAY)
        await conn.execute(
            """
            INSERT INTO analytics.session_timeline
            SELECT s.account_id, s.session_id, date_trunc('minute', s.started_at) + m * interval '1 minute',
                   10 * m, 5 + m, m, m, 35000 * m, 35000 * m
            FROM analytics.sessions s, generate_series(0, $1 - 1) AS m;
            """,
            shape.timeline_per_session,
        )
        await conn.execute(
            """
            INSERT INTO analytics.session_items (account_id, session_id, item_id, title, product_clicks, add_to_cart,
                   placed_orders, placed_sales, confirmed_orders, confirmed_sales, observed_at)
            SELECT s.account_id, s.session_id, 10000 + i, 'Produk ' || i, 40, 8, 3,
                   50000 * (i + 1), 2, 50000 * (i + 1), s.observed_at
            FROM analytics.sessions s, generate_series(0, $1 - 1) AS i;
            """,
            shape.items_per_session,
        )
        # rollups and attributions are derived in SQL from what was just loaded (the product rollups with the
        # refresher's sums)
        await conn.execute(PRODUCT_ROLLUPS_SQL.read_text())
        await conn.execute(
            """
            INSERT INTO analytics.daily_account
            SELECT account_id, studio_id, local_day, count(*), sum(duration_ms), sum(viewers), max(peak_viewers),
                   sum(placed_orders), sum(confirmed_orders), sum(placed_sales), sum(confirmed_sales),
                   CASE WHEN extract(dow FROM local_day) = 1 THEN 250000 END
            FROM analytics.sessions GROUP BY account_id, studio_id, local_day;
            INSERT INTO analytics.daily_studio
            SELECT studio_id, day, sum(sessions), sum(streaming_ms), sum(viewers), max(peak_viewers),
                   sum(placed_orders), sum(confirmed_orders), sum(placed_sales), sum(confirmed_sales), sum(ad_spend)
            FROM analytics.daily_account GROUP BY studio_id, day;
            INSERT INTO commission.hosts
            SELECT 'host-' || s.studio_id || '-' || h, s.studio_id, 'Host ' || h, 'host', true
            FROM commission.studios s, generate_series(0, 9) h;
            INSERT INTO commission.attributions
            SELECT studio_id, 'host-' || studio_id || '-' || (session_id % 10), account_id, session_id, local_day,
                   placed_orders, placed_sales, confirmed_orders, confirmed_sales, duration_ms
            FROM analytics.sessions;
            INSERT INTO commission.host_days (studio_id, host_id, local_day, sessions, on_air_ms, placed_orders,
                   placed_sales, confirmed_orders, confirmed_sales)
            SELECT studio_id, host_id, local_day, count(*), sum(on_air_ms), sum(placed_orders), sum(placed_sales),
                   sum(confirmed_orders), sum(confirmed_sales)
            FROM commission.attributions GROUP BY studio_id, host_id, local_day;
            """
        )
        await conn.execute(MONTHLY_ROLLUPS_SQL.read_text())
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


# --- requests ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    path: str  # with query string
    token: str
    direct: Callable[[Repository], Awaitable[Any]]


Direct = Callable[[Repository, str, date, date], Awaitable[Any]]
"""The repository calls a handler makes for one studio and range (the direct baseline)."""


async def _list(repo: Repository, studio: str, start: date, end: date) -> Any:
    return await repo.sessions(
        [studio], sort="-started_at", account_id=None, on_air=None, day_from=start, day_to=end, host_id=None,
        limit=51, after=None,
    )  # fmt: skip


async def _daily(repo: Repository, studio: str, start: date, end: date) -> Any:
    await repo.studio_currencies([studio])
    return await repo.daily_studios([studio], start, end)


async def _summary(repo: Repository, studio: str, start: date, end: date) -> Any:
    await repo.studio_currencies([studio])
    prev_from, _ = previous_range(start, end)
    return await repo.summary_studios([studio], prev_from, start, end)


async def _top_products(repo: Repository, studio: str, start: date, end: date) -> Any:
    await repo.studio_currencies([studio])
    return await repo.top_products([studio], None, start, end, "confirmed_sales", 20)


async def _accounts(repo: Repository, studio: str, start: date, end: date) -> Any:
    return await repo.account_breakdown([studio], start, end, 100)


async def _host_performance(repo: Repository, studio: str, start: date, end: date) -> Any:
    return await repo.host_performance([studio], start, end, None)


async def _leaderboard(repo: Repository, studio: str, start: date, end: date) -> Any:
    await repo.studio_currencies([studio])
    return await repo.leaderboard([studio], start, end, "confirmed_sales", 10)


async def _one_host(repo: Repository, studio: str, start: date, end: date, host: str) -> Any:
    await repo.hosts([studio], host_id=host)
    await repo.host_performance([studio], start, end, host)
    return await repo.host_days(host, start, end)


async def _detail(repo: Repository, account: str, sid: int, studio: str) -> Any:
    return await repo.session_detail(account, sid, [studio], None)


RANGE_QUERY = "studio_id={studio}&date_from={start}&date_to={end}"
RANGED: dict[str, tuple[str, Direct]] = {
    "session list": ("/api/v1/sessions?limit=50&" + RANGE_QUERY, _list),
    "daily series": ("/api/v1/analytics/daily?" + RANGE_QUERY, _daily),
    "summary": ("/api/v1/analytics/summary?" + RANGE_QUERY, _summary),
    "top products": ("/api/v1/analytics/top-products?" + RANGE_QUERY, _top_products),
    "accounts": ("/api/v1/analytics/accounts?" + RANGE_QUERY, _accounts),
    "host performance": ("/api/v1/hosts/performance?" + RANGE_QUERY, _host_performance),
    "leaderboard": ("/api/v1/hosts/leaderboard?" + RANGE_QUERY, _leaderboard),
}
ENDPOINTS = ("session list", "session detail", *list(RANGED)[1:], "one host")


def make_calls(endpoint: str, shape: Shape, tokens: list[list[str]], rng: random.Random, n: int) -> list[Call]:
    """`n` randomised calls of one endpoint (one studio, a random 365-day range), each with its direct calls."""
    calls = []
    for i in range(n):
        studio = rng.randrange(STUDIOS)
        token = tokens[studio][i % len(tokens[studio])]
        studio_id = f"studio-{studio:02d}"
        span = min(RANGE_DAYS, shape.days)
        start = FIRST_DAY + timedelta(days=rng.randrange(max(1, shape.days - span + 1)))
        end = start + timedelta(days=span - 1)
        if endpoint == "session detail":
            account = studio * ACCOUNTS_PER_STUDIO + rng.randrange(ACCOUNTS_PER_STUDIO)
            sid = session_id(account, rng.randrange(shape.sessions_per_account))
            path = f"/api/v1/sessions/{account_id(account)}/{sid}"
            calls.append(
                Call(path, token, functools.partial(_detail, account=account_id(account), sid=sid, studio=studio_id))
            )
        elif endpoint == "one host":
            host = f"host-{studio_id}-{rng.randrange(10)}"
            path = f"/api/v1/hosts/{host}/performance?date_from={start}&date_to={end}"
            direct = functools.partial(_one_host, studio=studio_id, start=start, end=end, host=host)
            calls.append(Call(path, token, direct))
        else:
            template, fn = RANGED[endpoint]
            path = template.format(studio=studio_id, start=start, end=end)
            ranged: Callable[[Repository], Awaitable[Any]] = functools.partial(
                fn,
                studio=studio_id,
                start=start,
                end=end,  # type: ignore[call-arg]
            )
            calls.append(Call(path, token, ranged))
    return calls


# --- a minimal keep-alive HTTP/1.1 client ------------------------------------------------------------------------
class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader = reader
        self.writer = writer
        self.host = host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def get(self, path: str, token: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()

    async def reopen(self) -> None:
        """uvicorn closes keep-alive connections idle for 5 s (e.g. while the direct baseline runs)."""
        self.close()
        host, port = self.host.rsplit(":", 1)
        self.reader, self.writer = await asyncio.open_connection(host, int(port))


@dataclass
class Result:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Row = dict[str, list[float]]
"""Figures of one measured path, a value per run: requests/s, p50 and p99 in ms, CPU ms per request."""


def new_row() -> Row:
    return {"rps": [], "p50": [], "p99": [], "cpu": []}


def record(row: Row, result: Result, cpu_ms: float | None) -> None:
    row["rps"].append(result.rps)
    row["p50"].append(result.pct(0.50))
    row["p99"].append(result.pct(0.99))
    if cpu_ms is not None:
        row["cpu"].append(cpu_ms)


async def drive(
    clients: int,
    seconds: float,
    interval: float | None,
    calls: list[Call],
    send: Callable[[int, Call], Awaitable[bool]],
) -> Result:
    """`clients` loops for `seconds`; each sends a call, waits for the answer, then (paced) sleeps to its slot.
    A paced client sends nothing at or after the end of the window (so requests/s is the offered rate)."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        rng = random.Random(i)
        next_at = time.perf_counter() + (rng.random() * interval if interval else 0)
        while True:
            if interval:
                if next_at >= stop_at:
                    return
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_at += interval
            if time.perf_counter() >= stop_at:
                return
            call = calls[rng.randrange(len(calls))]
            t0 = time.perf_counter()
            ok = await send(i, call)
            latencies.append((time.perf_counter() - t0) * 1000)
            if not ok:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return Result(len(latencies), time.perf_counter() - started, latencies, errors)


# --- the framework's floor: one Litestar route answering a constant ---------------------------------------------------
FLOOR_PATH = "/floor"
FLOOR_BODY = {"detail": "x" * 1480}  # about the size of a summary answer (~1.5 KB of JSON)


def serve_floor(port: int) -> None:
    """Serves the floor app the way `livestudio-gateway` serves the gateway (same server config, loop and GC)."""
    from litestar import Litestar, get

    from livestudio_gateway import server
    from livestudio_gateway.live import LiveHub
    from livestudio_gateway.settings import GatewaySettings
    from livestudio_runtime.gc_policy import timed_collection

    @get(FLOOR_PATH, sync_to_thread=False)
    def constant() -> dict[str, str]:
        return FLOOR_BODY

    app = Litestar([constant], openapi_config=None, lifespan=[lambda _: timed_collection(30.0)])
    settings = GatewaySettings(jwt_secret=SECRET, http_host="127.0.0.1", http_port=port)  # type: ignore[call-arg]
    server.serve(server.uvicorn_config(app, settings), LiveHub(queue_size=1, max_clients=1))


def start_floor(port: int, log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "wb")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(
        [sys.executable, __file__, "--serve-floor", str(port)], stdout=out, stderr=subprocess.STDOUT
    )


async def measure_floor(args: argparse.Namespace, log: Path, token: str) -> dict[str, list[float]]:
    """The floor app, paced like the endpoints; requests carry a bearer token as theirs do (the app ignores it)."""
    port = free_port()
    proc = start_floor(port, log)
    row = new_row()
    try:
        await wait_up(port, token, path=FLOOR_PATH)
        connections = [await Connection.open("127.0.0.1", port) for _ in range(args.clients)]
        call = Call(FLOOR_PATH, token, lambda _: asyncio.sleep(0))

        async def via_floor(i: int, _: Call) -> bool:
            return await connections[i].get(FLOOR_PATH, token) == 200

        await drive(args.clients, 1.0, None, [call], via_floor)
        cpu = psutil.Process(proc.pid)
        for _ in range(args.runs):
            await asyncio.gather(*(c.reopen() for c in connections))
            before = sum(cpu.cpu_times()[:2])
            result = await drive(args.clients, args.paced_seconds, args.interval, [call], via_floor)
            if result.errors:
                raise RuntimeError(f"floor: {result.errors} failed requests")
            record(row, result, (sum(cpu.cpu_times()[:2]) - before) * 1000 / result.requests)
        for c in connections:
            c.close()
    finally:
        terminate(proc)
    return row


# --- the run ---------------------------------------------------------------------------------------------------------
def start_gateway(dsn: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": dsn,
        "GATEWAY_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",  # no broker needed for reads
        "GATEWAY_JWT_SECRET": SECRET,
        "GATEWAY_HTTP_PORT": str(port),
        "GATEWAY_LIVE_ENABLED": "false",
        "GATEWAY_PUBLISH_TIMEOUT_S": "1",
        "GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000",
        "GATEWAY_RATE_LIMIT_BURST": "10000",
        "GATEWAY_DB_POOL_MAX": str(POOL_MAX),
        "GATEWAY_DB_POOL_MIN": str(POOL_MAX),
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    out = open(log, "wb")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "livestudio-gateway")], env=env, stdout=out, stderr=subprocess.STDOUT
    )


async def wait_up(port: int, token: str, timeout: float = 60, path: str = "/api/v1/studios") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = await Connection.open("127.0.0.1", port)
            try:
                if await conn.get(path, token) == 200:
                    return
            finally:
                conn.close()
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError(f"nothing answered {path} on port {port}")


async def measure(args: argparse.Namespace, dsn: str, shape: Shape, log: Path) -> dict[str, dict[str, list[float]]]:
    tokens = [
        [mint_token(SECRET, sub=f"bench-{s}-{i}", role="manager", studios=[f"studio-{s:02d}"]) for i in range(5)]
        for s in range(STUDIOS)
    ]
    port = free_port()
    proc = start_gateway(dsn, port, log)
    pool = await create_pool(dsn, min_size=POOL_MAX, max_size=POOL_MAX, statement_timeout_ms=5000)
    repo = Repository(pool)
    unfair = Repository(pool, fair=False)  # asyncpg's pool alone: a newcomer may take a waiter's connection
    figures: dict[str, dict[str, list[float]]] = {}
    try:
        await wait_up(port, tokens[0][0])
        connections = [await Connection.open("127.0.0.1", port) for _ in range(args.clients)]

        async def via_gateway(i: int, call: Call) -> bool:
            return await connections[i].get(call.path, call.token) == 200

        async def via_asyncpg(_: int, call: Call) -> bool:
            await call.direct(repo)
            return True

        async def via_asyncpg_without_turns(_: int, call: Call) -> bool:
            await call.direct(unfair)
            return True

        gateway_cpu = psutil.Process(proc.pid)

        def cpu_s() -> float:
            times = gateway_cpu.cpu_times()
            return float(times.user + times.system)

        rng = random.Random(11)
        shapes = [("paced", args.interval, args.paced_seconds)]
        if args.saturation:
            shapes.append(("saturation", None, args.seconds))
        for endpoint in args.endpoints:
            calls = make_calls(endpoint, shape, tokens, rng, 5000)
            await asyncio.gather(*(c.reopen() for c in connections))
            await drive(args.clients, 1.0, args.interval, calls, via_gateway)  # warm up both paths
            await drive(args.clients, 1.0, args.interval, calls, via_asyncpg)
            for mode, interval, seconds in shapes:
                paths = [("gateway", via_gateway), ("asyncpg", via_asyncpg)]
                if mode == "saturation":  # what the repository's turns bound under overload
                    paths.append(("no turns", via_asyncpg_without_turns))
                for _ in range(args.runs):
                    for name, send in paths:
                        if name == "gateway":
                            await asyncio.gather(*(c.reopen() for c in connections))
                        cpu_before = cpu_s()
                        result = await drive(args.clients, seconds, interval, calls, send)
                        if result.errors:
                            raise RuntimeError(f"{endpoint} via {name}: {result.errors} failed requests")
                        cpu_ms = (cpu_s() - cpu_before) * 1000 / result.requests if name == "gateway" else None
                        record(figures.setdefault(f"{endpoint}|{mode}|{name}", new_row()), result, cpu_ms)
        for c in connections:
            c.close()
    finally:
        await pool.close()
        terminate(proc)
    return figures


GOAL_P99_MS = 25.0
GOAL_ADDED_P99_MS = 3.0


def entries(figures: dict[str, dict[str, list[float]]]) -> Iterator[tuple[str, str, str, dict[str, list[float]]]]:
    """(endpoint, load shape, path, figures) of each measured row."""
    for key, row in figures.items():
        endpoint, mode, name = key.split("|")
        yield endpoint, mode, name, row


def report(figures: dict[str, dict[str, list[float]]], floor: dict[str, list[float]], args: argparse.Namespace) -> None:
    med = statistics.median
    print(
        f"\n{args.clients} clients; paced = one request per client every {args.interval * 1000:.0f} ms for "
        f"{args.paced_seconds:.0f} s"
        + (f", saturation = closed loop for {args.seconds:.0f} s" if args.saturation else "")
        + f"; median of {args.runs} run(s), gateway and direct runs alternating; ranges of {RANGE_DAYS} days"
    )
    print(f"load average before the run: {args.loadavg}  (this machine: {os.cpu_count()} cores)")
    print(f"{'endpoint':<17} {'load':<11} {'path':<8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'gw CPU ms/req':>14}")
    for endpoint, mode, name, row in entries(figures):
        cpu = f"{med(row['cpu']):>14.2f}" if row["cpu"] else f"{'':>14}"
        print(
            f"{endpoint:<17} {mode:<11} {name:<8} {med(row['rps']):>7.0f} {med(row['p50']):>8.2f} "
            f"{med(row['p99']):>8.2f}{cpu}   p99 per run: {', '.join(f'{x:.1f}' for x in row['p99'])}"
        )
    print(
        f"\ngoal of issue #23, paced: every endpoint's gateway p99 <= {GOAL_P99_MS:.0f} ms; the gateway's added p99 "
        f"(gateway p99 - direct p99 of the same calls) should stay within {GOAL_ADDED_P99_MS:.0f} ms"
    )
    for endpoint, mode, name, row in entries(figures):
        if name != "gateway" or mode != "paced":
            continue
        p99 = med(row["p99"])
        added = p99 - med(figures[f"{endpoint}|paced|asyncpg"]["p99"])
        print(
            f"  {endpoint:<17} p99 {p99:6.2f} ms: {'met' if p99 <= GOAL_P99_MS else 'NOT met'};  added p99 "
            f"{added:+6.2f} ms: {'within' if added <= GOAL_ADDED_P99_MS else 'over'} {GOAL_ADDED_P99_MS:.0f} ms"
        )
    print(
        "\nfloor of the framework, paced the same way: a Litestar app answering a constant on the gateway's server "
        "config (no middleware, auth, validation or database)"
    )
    print(
        f"  p50 {med(floor['p50']):.2f} ms, p99 {med(floor['p99']):.2f} ms, CPU {med(floor['cpu']):.2f} ms/request"
        f"   p99 per run: {', '.join(f'{x:.1f}' for x in floor['p99'])}"
    )


async def main_async(args: argparse.Namespace) -> None:
    shape = Shape(sessions=args.sessions, timeline_per_session=args.timeline_per_session)
    args.loadavg = " ".join(f"{x:.1f}" for x in os.getloadavg())
    external = os.environ.get("LIVESTUDIO_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp:
        server: EmbeddedPostgres | None = None
        database = f"gw_bench_{uuid.uuid4().hex[:8]}"
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
            seconds = await seed(dsn, shape)
            print(
                f"seeded {shape.sessions_per_account * shape.accounts:,} sessions over {shape.days:,} days, "
                f"{shape.sessions_per_account * shape.accounts * shape.timeline_per_session:,} timeline rows, "
                f"{shape.sessions_per_account * shape.accounts * shape.items_per_session:,} product rows "
                f"in {seconds:.1f} s"
            )
            figures = await measure(args, dsn, shape, Path(tmp) / "gateway.log")
            token = mint_token(SECRET, sub="bench-floor", role="manager", studios=["studio-00"])
            floor = await measure_floor(args, Path(tmp) / "floor.log", token)
            report(figures, floor, args)
        finally:
            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await conn.close()
            if server is not None:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000, help="sessions to seed (the goal's: 1,000,000)")
    parser.add_argument("--timeline-per-session", type=int, default=10, help="per-minute timeline rows per session")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--saturation", action="store_true", help="also closed-loop runs (information only)")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of a saturation measurement")
    parser.add_argument("--paced-seconds", type=float, default=10.0, help="length of a paced measurement")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a paced client's requests")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--endpoints",
        type=lambda v: [e.strip() for e in v.split(",")],
        default=list(ENDPOINTS),
        help=f"comma-separated subset of: {', '.join(ENDPOINTS)}",
    )
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)  # the floor app's process
    args = parser.parse_args()
    if unknown := set(args.endpoints) - set(ENDPOINTS):
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    if args.serve_floor is not None:
        serve_floor(args.serve_floor)
        return
    uvloop.run(main_async(args))  # the gateway runs on uvloop too (uvicorn's default)


if __name__ == "__main__":
    main()
