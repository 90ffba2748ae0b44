"""Analytics consumer throughput: snapshot events/s applied by one consumer process, vs a bare COPY baseline.

Produces N session snapshots (many accounts, interleaved like live polling) to a fresh topic, then runs the real
service entry point (`python -m livestudio_analytics.main`) as one process with its own consumer group and
database, and measures applied events/s from its first committed batch to the last (startup excluded). In the
same run it COPYs the same rows (one flattened snapshot per event) into a plain table: the physical baseline.
Prints the median of the repetitions and the ratio, and how long after the last batch the rollup refresher had
handled every dirty mark (the hourly, product and monthly rollups caught up; not part of the rate).

Starts an embedded broker and PostgreSQL (livestudio_devinfra) unless LIVESTUDIO_TEST_KAFKA /
LIVESTUDIO_TEST_DATABASE_URL are set. Options: --events, --runs, --batch-size, --partitions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from aiokafka import AIOKafkaProducer

from livestudio_devinfra.cpu import tree_cpu_seconds
from livestudio_devinfra.kafka import EmbeddedKafka
from livestudio_devinfra.postgres import EmbeddedPostgres
from livestudio_runtime.kafka import ensure_topics

SNAPSHOT = "livestudio.session.snapshot.v1"
METRICS = (
    "views",
    "viewers",
    "peak_viewers",
    "current_viewers",
    "comments",
    "likes",
    "add_to_cart",
    "product_clicks",
    "buyers",
    "placed_orders",
    "placed_items_sold",
    "confirmed_orders",
    "placed_sales",
    "confirmed_sales",
)


def _iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def generate(n: int, accounts: int, seed: int = 1) -> tuple[list[tuple[bytes, bytes]], list[tuple[Any, ...]]]:
    """(key, CloudEvent JSON) per snapshot, and the same snapshot flattened as a row for the COPY baseline."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    records: list[tuple[bytes, bytes]] = []
    rows: list[tuple[Any, ...]] = []
    # each account streams one session after another; every poll cycle observes every account once
    state: dict[int, dict[str, Any]] = {}
    cycle = 0
    while len(records) < n:
        observed = start + timedelta(seconds=30 * cycle)
        for a in range(accounts):
            if len(records) >= n:
                break
            s = state.get(a)
            if s is None or s["left"] == 0:
                sid = 1_000_000 * (a + 1) + (0 if s is None else s["sid"] % 1_000_000 + 1)
                s = {"sid": sid, "left": rng.randint(60, 240), "started": observed, **dict.fromkeys(METRICS, 0)}
                s["placed_sales"] = s["confirmed_sales"] = Decimal(0)
                state[a] = s
            s["left"] -= 1
            for m in ("views", "viewers", "comments", "likes", "add_to_cart", "product_clicks"):
                s[m] += rng.randint(0, 20)
            s["current_viewers"] = rng.randint(10, 500)
            s["peak_viewers"] = max(s["peak_viewers"], s["current_viewers"])
            orders = rng.choice((0, 0, 1, 2))
            s["placed_orders"] += orders
            s["buyers"] += orders
            s["placed_items_sold"] += orders * 2
            s["confirmed_orders"] = max(0, s["placed_orders"] - 1)
            s["placed_sales"] += Decimal(orders * rng.randint(10, 300) * 1000)
            s["confirmed_sales"] = s["placed_sales"] * Decimal("0.9")
            account_id = f"acc-{a:05d}"
            studio_id = f"st-{a % 40}"
            metrics = {m: (format(s[m], "f") if isinstance(s[m], Decimal) else s[m]) for m in METRICS}
            data = {
                "account_id": account_id,
                "studio_id": studio_id,
                "session_id": s["sid"],
                "title": f"Live {a}",
                "started_at": _iso(s["started"]),
                "duration_ms": None,
                "observed_at": _iso(observed),
                "currency": "IDR",
                "timezone": "Asia/Jakarta",
                "source": "overview",
                "metrics": metrics,
                "on_air": True,
            }
            subject = f"{account_id}:{s['sid']}"
            event = {
                "specversion": "1.0",
                "id": f"{subject}:{_iso(observed)}",
                "source": "/livestudio/ingest",
                "type": SNAPSHOT,
                "time": _iso(observed),
                "subject": subject,
                "datacontenttype": "application/json",
                "dataschema": f"https://schemas.livestudio.dev/{SNAPSHOT}.json",
                "data": data,
            }
            records.append((subject.encode(), json.dumps(event, separators=(",", ":")).encode()))
            rows.append(
                (
                    account_id,
                    s["sid"],
                    studio_id,
                    f"Live {a}",
                    True,
                    s["started"],
                    s["started"].date(),
                    "Asia/Jakarta",
                    "IDR",
                    observed,
                    *(s[m] for m in METRICS),
                )
            )
        cycle += 1
    return records, rows


BASELINE_TABLE = """
CREATE TABLE IF NOT EXISTS bench_copy (
    account_id text, session_id bigint, studio_id text, title text, on_air boolean, started_at timestamptz,
    local_day date, timezone text, currency text, observed_at timestamptz,
    views bigint, viewers bigint, peak_viewers bigint, current_viewers bigint, comments bigint, likes bigint,
    add_to_cart bigint, product_clicks bigint, buyers bigint, placed_orders bigint, placed_items_sold bigint,
    confirmed_orders bigint, placed_sales numeric(22,2), confirmed_sales numeric(22,2)
)
"""


async def copy_rate(dsn: str, rows: list[tuple[Any, ...]], chunk: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(BASELINE_TABLE)
        await conn.execute("TRUNCATE bench_copy")
        started = time.perf_counter()
        for i in range(0, len(rows), chunk):
            await conn.copy_records_to_table("bench_copy", records=rows[i : i + chunk])
        return len(rows) / (time.perf_counter() - started)
    finally:
        await conn.close()


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks=1, enable_idempotence=False
    )
    await producer.start()
    try:
        for i in range(0, len(records), 5000):
            futures = [await producer.send(topic, value, key=key) for key, value in records[i : i + 5000]]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def create_database(server_dsn: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = server_dsn.partition("?")[0].rpartition("/")
    query = server_dsn.partition("?")[2]
    return f"{base}/{name}" + (f"?{query}" if query else "")


async def drop_database(server_dsn: str, dsn: str) -> None:
    name = dsn.partition("?")[0].rpartition("/")[2]
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: never outlive the benchmark


def launch(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The service's real entry point, configured by environment, in its own process group."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "livestudio_analytics.main"],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process."""
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return t.user + t.system


@dataclass(frozen=True)
class ConsumerRun:
    rate: float
    """events/s from the first commit to the last"""
    startup: float
    consumer_cpu_us: float
    """consumer process CPU per event over the same interval (independent of what else the machine runs)"""
    postgres_cpu_us: float
    rollups_s: float | None = None
    """after the last batch, until the rollup refresher had handled every dirty mark (None: no refresher)"""
    rollups_pg_cpu_s: float = 0.0
    """PostgreSQL CPU spent meanwhile"""


async def consumer_rate(
    bootstrap: str, dsn: str, topics: tuple[str, str, str], total: int, batch_size: int, log: Path, pg_pid: int | None
) -> ConsumerRun:
    """Run the service as one process and time it from its first committed batch to the last."""
    env = {
        **os.environ,
        "ANALYTICS_KAFKA_BOOTSTRAP": bootstrap,
        "ANALYTICS_DATABASE_URL": dsn,
        "ANALYTICS_HTTP_PORT": "0",
        "ANALYTICS_CONSUMER_GROUP": f"bench-{uuid.uuid4().hex[:8]}",
        "ANALYTICS_SESSION_TOPIC": topics[0],
        "ANALYTICS_ITEM_TOPIC": topics[1],
        "ANALYTICS_COMMANDS_TOPIC": topics[2],
        "ANALYTICS_BATCH_SIZE": str(batch_size),
        "ANALYTICS_CREATE_TOPICS": "false",
        "ANALYTICS_LOG_LEVEL": "WARNING",
        "ANALYTICS_KAFKA_SESSION_TIMEOUT_MS": "3000",
        "ANALYTICS_KAFKA_HEARTBEAT_INTERVAL_MS": "300",
        "ANALYTICS_KAFKA_FETCH_MAX_WAIT_MS": "20",
    }
    launched = time.perf_counter()
    proc = launch(env, log)
    try:
        conn = None
        deadline = time.monotonic() + 600
        while conn is None:
            with contextlib.suppress(Exception):
                conn = await asyncpg.connect(dsn)
            await asyncio.sleep(0.2)
        try:
            first: tuple[float, int] | None = None
            cpu0 = pg0 = 0.0
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"consumer exited with {proc.returncode}; see {log}")
                done = 0
                with contextlib.suppress(asyncpg.UndefinedTableError):
                    done = int(
                        await conn.fetchval(
                            "SELECT coalesce(sum(next_offset), 0) FROM analytics.consumer_offsets WHERE topic = $1",
                            topics[0],
                        )
                    )
                now = time.perf_counter()
                if done and first is None:
                    first = (now, done)
                    cpu0 = _cpu_seconds(proc.pid)
                    pg0 = tree_cpu_seconds(pg_pid) if pg_pid else 0.0
                if done >= total and first is not None:
                    n = max(total - first[1], 1)
                    cpu = _cpu_seconds(proc.pid) - cpu0
                    pg = (tree_cpu_seconds(pg_pid) - pg0) if pg_pid else 0.0
                    rate = (total - first[1]) / max(now - first[0], 1e-9)
                    pg_done = tree_cpu_seconds(pg_pid) if pg_pid else 0.0
                    caught_up = await _rollups_caught_up(conn, deadline)
                    pg_after = (tree_cpu_seconds(pg_pid) - pg_done) if pg_pid else 0.0
                    return ConsumerRun(
                        rate,
                        first[0] - launched,
                        1e6 * cpu / n,
                        1e6 * pg / n,
                        None if caught_up is None else caught_up - now,
                        pg_after,
                    )
                await asyncio.sleep(0.05)
            raise TimeoutError("consumer did not finish")
        finally:
            await conn.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


async def _rollups_caught_up(conn: asyncpg.Connection, deadline: float) -> float | None:
    """perf_counter when no dirty rollup mark is left (None when the service has no rollup refresher)."""
    while time.monotonic() < deadline:
        try:
            waiting = await conn.fetchval(
                "SELECT (SELECT count(*) FROM analytics.rollup_dirty_days)"
                " + (SELECT count(*) FROM analytics.rollup_dirty_sessions)"
                " + (SELECT count(*) FROM analytics.rollup_dirty_months)"
            )
        except asyncpg.UndefinedTableError:
            return None
        if not waiting:
            return time.perf_counter()
        await asyncio.sleep(0.05)
    raise TimeoutError("the rollup refresher did not catch up")


@contextlib.contextmanager
def infrastructure() -> Iterator[tuple[str, str, int | None]]:
    kafka_env = os.environ.get("LIVESTUDIO_TEST_KAFKA")
    pg_env = os.environ.get("LIVESTUDIO_TEST_DATABASE_URL")
    with contextlib.ExitStack() as stack:
        if kafka_env:
            bootstrap = kafka_env
        else:
            broker = EmbeddedKafka()
            broker.start()
            stack.callback(broker.stop)
            bootstrap = broker.bootstrap
        pg_pid: int | None = None
        if pg_env:
            dsn = pg_env
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pg-")))
            server = EmbeddedPostgres(tmp / "data")
            server.start()
            stack.callback(server.stop)
            dsn = server.dsn
            pg_pid = server.pid
        yield bootstrap, dsn, pg_pid


async def main(args: argparse.Namespace) -> None:
    records, rows = generate(args.events, args.accounts)
    sessions = len({r[1] for r in rows})
    print(f"generated {len(records)} snapshot events ({sessions} sessions, {args.accounts} accounts)")
    log = Path(tempfile.gettempdir()) / f"analytics-bench-{os.getpid()}.log"
    with infrastructure() as (bootstrap, server_dsn, pg_pid):
        suffix = uuid.uuid4().hex[:8]
        topics = (f"bench.session.{suffix}", f"bench.item.{suffix}", f"bench.commands.{suffix}")
        await ensure_topics(
            bootstrap,
            {t: args.partitions for t in topics} | {f"{t}.dlq": args.partitions for t in topics},
        )
        started = time.perf_counter()
        await produce(bootstrap, topics[0], records)
        print(f"produced in {time.perf_counter() - started:.1f}s")

        consumer_rates: list[float] = []
        copy_rates: list[float] = []
        cpu_per_event: list[float] = []
        pg_per_event: list[float] = []
        for run in range(args.runs):
            dsn = await create_database(server_dsn)
            try:
                r = await consumer_rate(bootstrap, dsn, topics, len(records), args.batch_size, log, pg_pid)
                consumer_rates.append(r.rate)
                cpu_per_event.append(r.consumer_cpu_us)
                pg_per_event.append(r.postgres_cpu_us)
                copy_rates.append(await copy_rate(dsn, rows, args.batch_size))
                print(
                    f"run {run + 1}: consumer {r.rate:,.0f} events/s (startup {r.startup:.1f}s; CPU per event: "
                    f"consumer {r.consumer_cpu_us:.0f} us, postgres {r.postgres_cpu_us:.0f} us), "
                    f"bare COPY {copy_rates[-1]:,.0f} rows/s"
                    + (
                        ""
                        if r.rollups_s is None
                        else f"; rollups caught up {r.rollups_s:.1f}s after the last batch "
                        f"(postgres CPU meanwhile {r.rollups_pg_cpu_s:.1f}s)"
                    )
                )
            finally:
                await drop_database(server_dsn, dsn)
        consumer = statistics.median(consumer_rates)
        baseline = statistics.median(copy_rates)
        print(
            f"median: consumer {consumer:,.0f} events/s | bare COPY {baseline:,.0f} rows/s | "
            f"ratio {consumer / baseline:.3f} (goals: >= 20,000 events/s, ratio >= 0.25)"
        )
        cpu, pg = statistics.median(cpu_per_event), statistics.median(pg_per_event)
        print(
            f"median CPU per event: consumer {cpu:.0f} us (at most {1e6 / cpu:,.0f} events per consumer CPU-second), "
            f"postgres {pg:.0f} us; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=20_000, help="the service default")
    parser.add_argument("--partitions", type=int, default=6)
    asyncio.run(main(parser.parse_args()))
