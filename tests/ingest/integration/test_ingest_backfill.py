"""Simulator (frozen clock) -> ingest (its own process) -> real broker: connected accounts get 90 days of ended
sessions from `liveList/v2` as backfill events that match the simulator's ground truth, the backfill's progress is
persisted, and the operator CLI (`backfill`) asks for another one and watches it to the end."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from livestudio_schemas.commands import AccountConnect
from shopee_client.simulator import GroundTruth, SimulatorConfig, run_simulator_process
from tests.ingest.kit import (
    EventCollector,
    IngestTopics,
    base_env,
    command_event,
    ingest_process,
    new_keys,
    send_commands,
    wait_command_results,
)

JKT = ZoneInfo("Asia/Jakarta")
ACCOUNTS = 2
START = datetime(2025, 6, 2, 9, 30, tzinfo=JKT)


async def _backfills(dsn: str) -> dict[str, asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT * FROM ingest.backfill_state")
    except asyncpg.UndefinedTableError:
        return {}
    finally:
        await conn.close()
    return {r["account_id"]: r for r in rows}


async def _wait_finished(dsn: str, accounts: list[str], *, applied: int = 0, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await _backfills(dsn)
        done = [a for a in accounts if a in rows and rows[a]["applied_seq"] >= applied and rows[a]["finished_at"]]
        if len(done) == len(accounts) and all(rows[a]["next_end_date"] is None for a in accounts):
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"backfill not finished: {await _backfills(dsn)}")


async def _cli(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> tuple[int, str]:
    from livestudio_ingest import cli

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()

    def call() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            return cli.main(list(args))

    code = await asyncio.to_thread(call)
    return code, out.getvalue()


async def test_connected_accounts_get_ninety_days_of_sessions_and_the_cli_backfills_again(
    kafka_bootstrap: str, fresh_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = SimulatorConfig(seed=33, accounts=ACCOUNTS, speed=0, start=START)
    with run_simulator_process(cfg) as sim:
        accounts = await asyncio.to_thread(sim.admin, "GET", "/__sim/accounts")
        key, cipher = new_keys()
        topics = IngestTopics.unique()
        env = base_env(
            kafka=kafka_bootstrap,
            dsn=fresh_db,
            keys=key,
            sim_url=sim.base_url,
            topics=topics,
            INGEST_BACKFILL_DAYS="90",
            INGEST_BACKFILL_MIN_GAP_S="0.1",
            INGEST_BACKFILL_SESSIONS_PER_S="1000",  # the pace is tested in tests/ingest/unit: here as fast as it goes
            INGEST_HISTORY_INITIAL_SPREAD_S="3600",  # the daily re-read stays out of the way: only the backfill
        )
        ids = [f"acct-{i}" for i in range(ACCOUNTS)]
        with ingest_process(env, tmp_path / "ingest.log") as ingest:
            await ingest.wait_ready()
            collector = EventCollector(kafka_bootstrap, topics.events)
            collector.start()
            try:
                commands = [
                    command_event(
                        AccountConnect(
                            account_id=ids[i],
                            studio_id="studio-1",
                            display_name=f"Account {i}",
                            encrypted_cookie=cipher.encrypt(accounts[i]["cookie"]),
                        )
                    )
                    for i in range(ACCOUNTS)
                ]
                await send_commands(kafka_bootstrap, topics.commands, commands)
                results = await wait_command_results(fresh_db, [c for c, _ in commands])
                assert {r["status"] for r in results.values()} == {"applied"}
                await _wait_finished(fresh_db, ids)
                await collector.caught_up()
                first = list(collector.events(topics.session))

                # on demand, through the operator CLI: a request the replica picks up, watched to the end
                cli_env = {k: v for k, v in env.items() if k.startswith("INGEST_")}
                code, out = await _cli(monkeypatch, cli_env, "backfill", "--account", ids[0], "--days", "20")
                assert code == 0, out
                assert "1/1 accounts done" in out and "#" in out
                code, out = await _cli(monkeypatch, cli_env, "backfill", "--status")
                assert code == 0, out
                assert f"{ids[0]:<24} done: 1/1 windows of 20 days" in out
                assert f"{ids[1]:<24} done: 3/3 windows of 90 days" in out
            finally:
                await collector.stop()
            ingest.terminate()

        today = START.date()
        truth = GroundTruth.model_validate(
            await asyncio.to_thread(
                sim.admin,
                "GET",
                f"/__sim/ground-truth?account=0,1&items=0&from={today - timedelta(days=89)}&to={today}",
            )
        )

    rows = await _backfills(fresh_db)
    assert rows[ids[1]]["sessions_found"] > 60 and rows[ids[1]]["windows_done"] == 3
    assert rows[ids[0]]["days"] == 20 and rows[ids[0]]["applied_seq"] == 1
    by_session = {e["data"]["session_id"]: e["data"] for e in first if e["type"].endswith("session.corrected.v1")}
    seen = {e["data"]["session_id"] for e in first}
    ended = [s for s in truth.sessions if s.end is not None]
    assert len(ended) > 120
    days: set[date] = set()
    for s in ended:
        assert s.session_id in seen, f"session {s.session_id} of {s.local_date} never published"
        got = by_session.get(s.session_id)
        if got is None:  # the session list (the last 3 days) published it first: no backfill needed
            assert s.local_date >= today - timedelta(days=3), f"session {s.session_id} of {s.local_date}"
            continue
        # a session the list published first and the history lists with other figures: a correction, as the
        # daily re-read makes it
        assert got["reason"] == "backfill" or s.local_date >= today - timedelta(days=3), got
        assert got["account_id"] == ids[s.account_index]
        assert got["metrics"]["confirmed_orders"] == s.confirmed_orders
        assert Decimal(got["metrics"]["confirmed_sales"]) == s.confirmed_gmv
        assert got["metrics"]["placed_orders"] == s.placed_orders
        days.add(s.local_date)
    assert min(days) <= today - timedelta(days=85)  # the whole depth, not just the recent windows
    assert set(by_session) <= {s.session_id for s in truth.sessions}
