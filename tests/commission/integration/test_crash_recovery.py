"""Exactly-once effect: the service killed (SIGKILL) in the middle of consuming, then restarted, ends with the
attribution a clean in-memory run of the same events gives, to the rupiah and the millisecond."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, date, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from livestudio_commission.attribution import (
    Bucket,
    Figures,
    Observation,
    SessionState,
    allocate_increment,
    merge_into,
    observe,
)
from livestudio_commission.roster import ScheduleEntry, effective_windows, shift_window
from livestudio_devinfra.ports import free_port
from tests.commission.kit import Record, command, local, make_settings, produce, session_event
from tests.fixtures.infra import TopicFactory

JKT = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 4)
SHIFTS = {"morning": (time(5), time(10)), "day": (time(10), time(15)), "evening": (time(15), time(20))}
ACCOUNTS = 5
POLLS = 120


def host_of(account: int, shift: str) -> list[str]:
    first = f"k{account}-{shift}"
    return [first, f"k{account}-{shift}-co"] if account == 0 else [first]


def roster() -> list[Record]:
    out = [command({"kind": "studio.upsert", "studio_id": "stk", "name": "K"})]
    for shift, (start, end) in SHIFTS.items():
        out.append(
            command(
                {
                    "kind": "shift.upsert",
                    "shift_id": shift,
                    "studio_id": "stk",
                    "name": shift,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                }
            )
        )
        for a in range(ACCOUNTS):
            for host in host_of(a, shift):
                out.append(
                    command(
                        {
                            "kind": "schedule.upsert",
                            "entry_id": f"{host}-entry",
                            "studio_id": "stk",
                            "host_id": host,
                            "account_id": f"acc{a}",
                            "shift_id": shift,
                            "shift_date": DAY.isoformat(),
                        }
                    )
                )
    return out


def events() -> list[tuple[Record, Observation]]:
    out = []
    started = local(DAY, 8)
    for i in range(1, POLLS + 1):
        for a in range(ACCOUNTS):
            observed = started + timedelta(seconds=240 * i)  # 8 hours of polling
            values = {"placed": 70_001 * i + a, "orders": 3 * i, "confirmed": 50_003 * i, "c_orders": 2 * i}
            rec = session_event(
                "snapshot",
                f"acc{a}",
                9000 + a,
                started,
                observed,
                placed=values["placed"],
                placed_orders=values["orders"],
                confirmed=values["confirmed"],
                confirmed_orders=values["c_orders"],
                studio_id="stk",
            )
            obs = Observation(
                "snapshot",
                f"acc{a}",
                9000 + a,
                "stk",
                started.astimezone(UTC),
                observed.astimezone(UTC),
                {
                    "placed_orders": values["orders"],
                    "placed_sales": Decimal(values["placed"]),
                    "confirmed_orders": values["c_orders"],
                    "confirmed_sales": Decimal(values["confirmed"]),
                },
                on_air=True,
            )
            out.append((rec, obs))
    return out


def expected(observations: list[Observation]) -> dict[tuple[str | None, int], tuple[object, ...]]:
    windows = {}
    for a in range(ACCOUNTS):
        entries = []
        for shift, (start, end) in SHIFTS.items():
            begin, finish = shift_window(DAY, start, end, JKT)
            entries += [
                ScheduleEntry(f"{h}-entry", h, f"acc{a}", begin, finish, Decimal(1), shift, DAY)
                for h in host_of(a, shift)
            ]
        windows[f"acc{a}"] = effective_windows(entries, [], JKT)
    states: dict[int, SessionState] = {}
    parts: dict[int, dict[Bucket, Figures]] = {}
    for obs in observations:
        states[obs.session_id], inc = observe(states.get(obs.session_id), obs)
        if inc is not None:
            mine = parts.setdefault(obs.session_id, {})
            placed = {b: f.values["placed_sales"] for b, f in mine.items()}
            merge_into(mine, allocate_increment(inc, windows[obs.account_id], JKT, placed, Decimal(1)))
    out: dict[tuple[str | None, int], tuple[object, ...]] = {}
    for session_id, buckets in parts.items():
        per_host: dict[str | None, Figures] = {}
        for bucket, figures in buckets.items():
            per_host.setdefault(bucket.host_id, Figures()).add(figures)
        for host, f in per_host.items():
            out[(host, session_id)] = (
                f.values["placed_sales"],
                f.values["placed_orders"],
                f.values["confirmed_sales"],
                f.values["confirmed_orders"],
                f.on_air_ms,
            )
    return out


async def _applied(dsn: str, group: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        value = await conn.fetchval(
            "SELECT coalesce(sum(next_offset), 0) FROM commission.consumer_offsets WHERE consumer = $1", group
        )
        return int(value)
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await conn.close()


@pytest.mark.slow
async def test_kill_minus_nine_mid_stream_then_restart_equals_a_clean_run(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSION_")}
    env.update(
        {
            "COMMISSION_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "COMMISSION_DATABASE_URL": fresh_db,
            "COMMISSION_SESSION_TOPIC": settings.session_topic,
            "COMMISSION_COMMANDS_TOPIC": settings.commands_topic,
            "COMMISSION_COMMISSION_TOPIC": settings.commission_topic,
            "COMMISSION_CONSUMER_GROUP": settings.consumer_group,
            "COMMISSION_CONSUMER_MAX_RECORDS": "25",  # many small transactions: the kill lands mid-stream
            "COMMISSION_KAFKA_SESSION_TIMEOUT_MS": "3000",
            "COMMISSION_KAFKA_HEARTBEAT_INTERVAL_MS": "200",
            "COMMISSION_LOG_LEVEL": "WARNING",
        }
    )
    script = str(Path(sys.executable).parent / "livestudio-commission")
    pairs = events()
    commands = roster()
    await produce(kafka_bootstrap, settings.commands_topic, commands)
    await produce(kafka_bootstrap, settings.session_topic, [r for r, _ in pairs])
    total = len(pairs) + len(commands)

    procs: list[subprocess.Popen[bytes]] = []
    try:
        for attempt in range(2):
            env["COMMISSION_HTTP_PORT"] = str(free_port())
            proc = subprocess.Popen(  # noqa: ASYNC220 - killed on purpose, and in `finally` whatever happens
                [script], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            procs.append(proc)
            target = total // 3 if attempt == 0 else total
            async with asyncio.timeout(180):
                while await _applied(fresh_db, settings.consumer_group) < target:
                    assert proc.poll() is None, "the service died on its own"
                    await asyncio.sleep(0.05)
            if attempt == 0:
                proc.send_signal(signal.SIGKILL)  # no shutdown, mid-stream
                await asyncio.to_thread(proc.wait, 10)
                assert await _applied(fresh_db, settings.consumer_group) < total
        conn = await asyncpg.connect(fresh_db)
        try:
            async with asyncio.timeout(60):
                while True:  # statements catch up after the last batch
                    if not await conn.fetchval("SELECT count(*) FROM commission.statement_dirty"):
                        break
                    await asyncio.sleep(0.1)
            rows = await conn.fetch("SELECT * FROM commission.attributions")
            increments = await conn.fetchval("SELECT count(*) FROM commission.session_increments")
        finally:
            await conn.close()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    got = {
        (r["host_id"], r["session_id"]): (
            r["placed_sales"],
            r["placed_orders"],
            r["confirmed_sales"],
            r["confirmed_orders"],
            r["on_air_ms"],
        )
        for r in rows
    }
    assert got == expected([o for _, o in pairs])
    assert increments == len(pairs)  # every observation applied exactly once
