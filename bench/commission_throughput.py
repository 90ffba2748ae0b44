"""Commission throughput: attributed session snapshot events/s on one process (Kafka -> attribution in Postgres).

A studio day: 20 accounts with a roster of 40 hosts over 4 shifts (co-hosted on half the accounts), pay rules,
and N snapshot events of 8-hour sessions interleaved as live polling would produce them (every event raises the
cumulative figures, so every event is an increment to attribute). The events are produced to a fresh topic
first; then one `CommissionService` (the service's consumer, statement worker and outbox publisher) is started
with its own database and consumer group, and the rate is measured from its first applied batch to the last
offset (startup excluded). The time until every statement is recalculated is reported too, and the same events
are run through the pure attribution functions in memory as the baseline. Prints medians over the runs and
the ratio end-to-end / in-memory per CPU-second of this process (wall rates on a shared machine mostly
measure the neighbours; the CPU-second figures do not).

With `--history N` each run first stores N past sessions (the days before, `--history-polls` snapshots each,
applied through `sessions.apply_observations`) and alternates two kinds of run: "hours current" (nothing to
backfill) and "hours backfill" (the history's hours deleted and queued as after the upgrade past
`20261208010000_host_hours_backfill`, so the service's hours backfill runs beside the consumer): how much the
backfill slows live consumption, and how fast it goes.

Starts an embedded broker and PostgreSQL (livestudio_devinfra) unless LIVESTUDIO_TEST_KAFKA /
LIVESTUDIO_TEST_DATABASE_URL are set.

    uv run python bench/commission_throughput.py [--events 10000] [--runs 3] [--partitions 4]
        [--history 0] [--history-polls 40]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, MutableMapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from livestudio_commission import commands as command_path
from livestudio_commission import sessions as session_path
from livestudio_commission.attribution import Bucket, Figures, Observation, SessionState, allocate_increment
from livestudio_commission.attribution import merge_into as merge
from livestudio_commission.attribution import observe as observe_one
from livestudio_commission.roster import ScheduleEntry, effective_windows, shift_window
from livestudio_commission.service import CommissionService, prepare_database
from livestudio_commission.settings import CommissionSettings
from livestudio_devinfra.kafka import EmbeddedKafka
from livestudio_devinfra.postgres import EmbeddedPostgres
from livestudio_runtime.kafka import ensure_topics
from livestudio_schemas.commands import Command
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id
from livestudio_schemas.session import SESSION_SNAPSHOT, SessionMetrics, SessionSnapshot

JKT = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 2)
ACCOUNTS = 20
SHIFTS = {
    "morning": ("05:00", "10:00"),
    "day": ("10:00", "15:00"),
    "evening": ("15:00", "20:00"),
    "night": ("20:00", "00:00"),
}


def _cmd(body: dict[str, Any], n: int) -> Command:
    return Command.model_validate(
        {"command_id": f"bench-{n}", "actor": "bench", "issued_at": datetime(2026, 3, 1, tzinfo=UTC), "command": body}
    )


def roster() -> list[Command]:
    bodies: list[dict[str, Any]] = [{"kind": "studio.upsert", "studio_id": "bench", "name": "Bench"}]
    for shift, (start, end) in SHIFTS.items():
        bodies.append(
            {"kind": "shift.upsert", "shift_id": shift, "studio_id": "bench", "name": shift, "start": start, "end": end}
        )
    for h in range(40):
        bodies.append(
            {
                "kind": "host.upsert",
                "host_id": f"h{h}",
                "studio_id": "bench",
                "name": f"Host {h}",
                "role": "leader" if h % 10 == 0 else "host",
            }
        )
    for a in range(ACCOUNTS):
        for s, shift in enumerate(SHIFTS):
            hosts = [f"h{(a * 2 + s) % 40}"] + ([f"h{(a * 2 + s + 1) % 40}"] if a % 2 == 0 else [])
            for host in hosts:
                bodies.append(
                    {
                        "kind": "schedule.upsert",
                        "entry_id": f"acc{a}-{shift}-{host}",
                        "studio_id": "bench",
                        "host_id": host,
                        "account_id": f"acc{a}",
                        "shift_id": shift,
                        "shift_date": DAY.isoformat(),
                    }
                )
    bodies += [
        {
            "kind": "rule.upsert",
            "rule_id": "pct",
            "studio_id": "bench",
            "rule_kind": "gmv_percent",
            "effective_from": "2026-01-01",
            "tiers": [{"up_to": "10000000", "percent": "2"}, {"up_to": None, "percent": "3"}],
        },
        {
            "kind": "rule.upsert",
            "rule_id": "night",
            "studio_id": "bench",
            "rule_kind": "per_order",
            "amount": "1000",
            "shift_id": "night",
            "effective_from": "2026-01-01",
        },
        {
            "kind": "rule.upsert",
            "rule_id": "hourly",
            "rule_kind": "per_hour",
            "amount": "20000",
            "effective_from": "2026-01-01",
        },
    ]
    return [_cmd(b, i) for i, b in enumerate(bodies)]


def snapshots(count: int) -> Iterator[tuple[bytes, bytes, SessionSnapshot]]:
    """Sessions 08:00-16:00 local (across three shifts), one snapshot per session per step, interleaved."""
    sessions = max(1, count // 400)  # ~400 polls per 8-hour session (every 72 s)
    started = datetime(2026, 3, 2, 8, tzinfo=JKT)
    step = timedelta(hours=8) / max(1, count // sessions)
    produced = 0
    i = 0
    while produced < count:
        i += 1
        for s in range(sessions):
            if produced >= count:
                break
            account = f"acc{s % ACCOUNTS}"
            observed = started + step * i + timedelta(milliseconds=s)
            payload = SessionSnapshot(
                account_id=account,
                studio_id="bench",
                session_id=100_000 + s,
                started_at=started,
                observed_at=observed,
                source="live_detail",
                on_air=True,
                metrics=SessionMetrics(
                    placed_orders=3 * i,
                    placed_sales=Decimal(150_000 * i + 7 * s),
                    confirmed_orders=2 * i,
                    confirmed_sales=Decimal(100_000 * i + 3 * s),
                    viewers=50 * i,
                ),
            )
            event = CloudEvent[SessionSnapshot].wrap(
                payload,
                type_=SESSION_SNAPSHOT,
                source="/livestudio/ingest",
                time=observed,
                subject=f"{account}:{payload.session_id}",
                id_=deterministic_event_id(account, payload.session_id, observed.isoformat()),
            )
            produced += 1
            yield f"{account}:{payload.session_id}".encode(), event.to_json_bytes(), payload


def history(count: int, polls: int) -> list[Observation]:
    """`count` past sessions 08:00-16:00 local on the days before DAY (one per account and day), `polls` snapshots
    each, then the end; interleaved per day as polling delivers them."""
    out: list[Observation] = []
    for k in range(count):
        day = DAY - timedelta(days=1 + k // ACCOUNTS)
        started = datetime(day.year, day.month, day.day, 8, tzinfo=JKT)
        step = timedelta(hours=8) / polls
        for i in range(1, polls + 1):
            observed = started + step * i
            out.append(
                Observation(
                    kind="snapshot" if i < polls else "ended",
                    account_id=f"acc{k % ACCOUNTS}",
                    session_id=1_000 + k,
                    studio_id="bench",
                    started_at=started.astimezone(UTC),
                    observed_at=observed.astimezone(UTC),
                    values={
                        "placed_orders": 3 * i,
                        "placed_sales": Decimal(150_000 * i + 7 * k),
                        "confirmed_orders": 2 * i,
                        "confirmed_sales": Decimal(100_000 * i + 3 * k),
                    },
                    ended_at=(started + timedelta(hours=8)).astimezone(UTC) if i == polls else None,
                    on_air=i < polls,
                )
            )
    return sorted(out, key=lambda o: (o.observed_at, o.account_id))


async def _store_history(pool: asyncpg.Pool, observations: list[Observation], backfill: bool) -> None:
    for i in range(0, len(observations), 500):
        async with pool.acquire() as conn, conn.transaction():
            await session_path.apply_observations(conn, observations[i : i + 500])
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM statement_dirty")
        if backfill:  # as before the hours existed, queued as by the migration
            await conn.execute("DELETE FROM attribution_hours")
            await conn.execute("DELETE FROM host_hours")
            await conn.execute("DELETE FROM account_hours")
            await conn.execute(
                "INSERT INTO hours_backfill SELECT DISTINCT account_id, session_id FROM attribution_parts"
            )


def in_memory_rate(events: list[SessionSnapshot]) -> float:
    """The same attribution with no broker and no database, per CPU-second: the pure functions' ceiling."""
    entries = []
    for a in range(ACCOUNTS):
        for s, (shift, (start, end)) in enumerate(SHIFTS.items()):
            hosts = [f"h{(a * 2 + s) % 40}"] + ([f"h{(a * 2 + s + 1) % 40}"] if a % 2 == 0 else [])
            begin, finish = shift_window(
                DAY, datetime.strptime(start, "%H:%M").time(), datetime.strptime(end, "%H:%M").time(), JKT
            )
            entries += [
                ScheduleEntry(f"acc{a}-{shift}-{h}", h, f"acc{a}", begin, finish, Decimal(1), shift, DAY) for h in hosts
            ]
    windows = {
        f"acc{a}": effective_windows([e for e in entries if e.account_id == f"acc{a}"], [], JKT)
        for a in range(ACCOUNTS)
    }
    states: dict[tuple[str, int], SessionState] = {}
    parts: dict[tuple[str, int], dict[Bucket, Figures]] = {}
    started = time.process_time()
    for ev in events:
        key = (ev.account_id, ev.session_id)
        m = ev.metrics
        obs = Observation(
            "snapshot",
            ev.account_id,
            ev.session_id,
            ev.studio_id,
            ev.started_at.astimezone(UTC),
            ev.observed_at.astimezone(UTC),
            {
                "placed_orders": m.placed_orders,
                "placed_sales": m.placed_sales,
                "confirmed_orders": m.confirmed_orders,
                "confirmed_sales": m.confirmed_sales,
            },
            on_air=True,
        )
        states[key], inc = observe_one(states.get(key), obs)
        if inc is not None:
            mine = parts.setdefault(key, {})
            placed = {b: f.values["placed_sales"] for b, f in mine.items()} if inc.kind == "settle" else {}
            merge(mine, allocate_increment(inc, windows[ev.account_id], JKT, placed, Decimal(1)))
    return len(events) / (time.process_time() - started)


async def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, enable_idempotence=False
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _database(server_dsn: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = server_dsn.partition("?")[0].rpartition("/")
    return f"{base}/{name}"


async def _drop(server_dsn: str, dsn: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def one_run(
    bootstrap: str,
    server_dsn: str,
    records: list[tuple[bytes, bytes]],
    partitions: int,
    past: list[Observation] | None = None,
    backfill: bool = False,
) -> tuple[float, float, float, str]:
    topic = f"bench.session.{uuid.uuid4().hex[:8]}"
    commands_topic = f"bench.commands.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, {topic: partitions, commands_topic: 1})
    dsn = await _database(server_dsn)
    settings = CommissionSettings(
        kafka_bootstrap=bootstrap,
        database_url=dsn,
        session_topic=topic,
        commands_topic=commands_topic,
        commission_topic=f"bench.commission.{uuid.uuid4().hex[:8]}",
        consumer_group=f"bench-{uuid.uuid4().hex[:8]}",
        topic_partitions=partitions,
        kafka_fetch_max_wait_ms=20,
        kafka_session_timeout_ms=3000,
        kafka_heartbeat_interval_ms=200,
        statement_interval_s=0.05,
        log_level="WARNING",
    )
    pool = await prepare_database(settings)
    try:
        for cmd in roster():  # the roster through the service's own command path
            async with pool.acquire() as conn, conn.transaction():
                await command_path.apply_command(conn, cmd, default_timezone="Asia/Jakarta")
        await pool.execute("DELETE FROM statement_dirty")
        if past:
            await _store_history(pool, past, backfill)
        queued = int(await pool.fetchval("SELECT count(*) FROM hours_backfill"))
    finally:
        await pool.close()
    await _produce(bootstrap, topic, records)

    service = CommissionService(settings)
    await service.start()
    started = time.perf_counter()  # the hours backfill starts with the service
    try:
        assert service.pool is not None
        first: float | None = None
        applied = first_count = 0
        first_cpu = 0.0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            applied = int(
                await service.pool.fetchval(
                    "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE consumer = $1 AND topic = $2",
                    settings.consumer_group,
                    topic,
                )
            )
            now = time.perf_counter()
            if applied and first is None:
                first, first_count, first_cpu = now, applied, time.process_time()
            if applied >= len(records):
                break
            await asyncio.sleep(0.02)
        done, done_cpu = time.perf_counter(), time.process_time()
        assert first is not None and applied >= len(records), f"applied {applied} of {len(records)}"
        waiting = int(await service.pool.fetchval("SELECT count(*) FROM hours_backfill"))
        while True:
            if not await service.pool.fetchval("SELECT count(*) FROM statement_dirty"):
                break
            await asyncio.sleep(0.02)
        settled = time.perf_counter() - done
        note = ""
        if queued:
            while True:
                if not await service.pool.fetchval("SELECT count(*) FROM hours_backfill"):
                    break
                await asyncio.sleep(0.05)
            drained = time.perf_counter() - started
            note = (
                f"; hours backfill: {queued - waiting:,} of {queued:,} sessions done while the events were consumed, "
                f"all in {drained:.1f} s ({queued / drained:,.0f} sessions/s)"
            )
        rate = (applied - first_count) / (done - first) if done > first else float("nan")
        cpu_rate = (applied - first_count) / (done_cpu - first_cpu) if done_cpu > first_cpu else float("nan")
        total = await service.pool.fetchval("SELECT sum(placed_sales) FROM attributions")
        expected = await service.pool.fetchval("SELECT sum(placed_sales) FROM sessions")
        assert total == expected, (total, expected)  # money conserved at scale too
        hours = await service.pool.fetchval("SELECT sum(placed_sales) FROM attribution_hours")
        if queued:  # the backfilled hours add up to the attribution too
            assert hours == await service.pool.fetchval("SELECT sum(placed_sales) FROM attribution_parts"), hours
    finally:
        await service.stop()
        await _drop(server_dsn, dsn)
    return rate, cpu_rate, settled, note


def _one_line_errors(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Warnings and errors stay visible, as one line each (no multi-page tracebacks in the figures)."""
    if event.pop("exc_info", None):
        event["error"] = repr(sys.exc_info()[1])
    return event


@contextlib.contextmanager
def infrastructure() -> Iterator[tuple[str, str]]:
    kafka = os.environ.get("LIVESTUDIO_TEST_KAFKA")
    database = os.environ.get("LIVESTUDIO_TEST_DATABASE_URL")
    with contextlib.ExitStack() as stack:
        if not kafka:
            broker = stack.enter_context(EmbeddedKafka())
            kafka = broker.bootstrap
        if not database:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="commission-bench-"))
            server = stack.enter_context(EmbeddedPostgres(Path(tmp) / "data"))
            database = server.dsn
        yield kafka, database


async def main(events: int, runs: int, partitions: int, past_sessions: int, polls: int) -> None:
    generated = list(snapshots(events))
    records = [(k, v) for k, v, _ in generated]
    memory = [in_memory_rate([p for _, _, p in generated[:4000]]) for _ in range(runs)]
    past = history(past_sessions, polls) if past_sessions else None
    rates: list[float] = []
    cpu_rates: list[float] = []
    settles: list[float] = []
    with_backfill: list[float] = []
    with infrastructure() as (bootstrap, dsn):
        for run in range(runs):
            for backfill in (False, True) if past else (False,):
                rate, cpu_rate, settled, note = await one_run(bootstrap, dsn, records, partitions, past, backfill)
                (with_backfill if backfill else rates).append(rate)
                if not backfill:
                    cpu_rates.append(cpu_rate)
                    settles.append(settled)
                kind = (" (hours backfill)" if backfill else " (hours current)") if past else ""
                print(
                    f"run {run + 1}{kind}: {rate:,.0f} attributed snapshot events/s ({cpu_rate:,.0f} per CPU-second "
                    f"of this process); statements settled {settled:.2f} s later{note}"
                )
    if with_backfill:
        print(
            f"median events/s with {past_sessions:,} past sessions: hours current {statistics.median(rates):,.0f}, "
            f"hours backfill running {statistics.median(with_backfill):,.0f} "
            f"(ratio {statistics.median(with_backfill) / statistics.median(rates):.2f})"
        )
    end_to_end = statistics.median(rates)
    in_memory = statistics.median(memory)
    print(
        f"events per run: {events:,} over {max(1, events // 400)} sessions on {ACCOUNTS} accounts, "
        f"{partitions} partitions"
    )
    print(f"median attributed snapshot events/s (Kafka -> Postgres, one process): {end_to_end:,.0f}")
    print(f"median per CPU-second of the service process (load-independent): {statistics.median(cpu_rates):,.0f}")
    print(f"median in-memory attribution events per CPU-second (pure functions): {in_memory:,.0f}")
    print(f"ratio end-to-end / in-memory, both per CPU-second: {statistics.median(cpu_rates) / in_memory:.2f}")
    print(f"median statement settle time after the last event: {statistics.median(settles):.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--history", type=int, default=0, help="past sessions stored before each run")
    parser.add_argument("--history-polls", type=int, default=40, help="snapshots per past session")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(
        processors=[structlog.processors.add_log_level, _one_line_errors, structlog.dev.ConsoleRenderer(colors=False)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )
    asyncio.run(main(args.events, args.runs, args.partitions, args.history, args.history_polls))
