"""Chaos: injected Shopee faults (429, 5xx, timeouts, garbage), one account's cookie expiring, the broker stopped
for 30 s and restarted empty, and the ingest killed with SIGKILL and restarted. The replayed events still
reproduce the ground truth of every other account, and the expired account is reported."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from livestudio_devinfra.kafka import EmbeddedKafka
from livestudio_schemas.commands import AccountConnect
from shopee_client.simulator import FaultConfig, SimulatorConfig, run_simulator_process
from tests.ingest.kit import (
    EventCollector,
    IngestProcess,
    IngestTopics,
    base_env,
    command_event,
    compare,
    ground_truth,
    new_keys,
    replay,
    send_commands,
    set_sim_speed,
    wait_command_results,
)

JKT = ZoneInfo("Asia/Jakarta")
ACCOUNTS = 8
EXPIRED = 7
FAULTS = FaultConfig(
    rate_429=0.02,
    rate_5xx=0.03,
    rate_timeout=0.01,
    hang_seconds=1.0,
    rate_truncated=0.02,
    rate_invalid_json=0.02,
    rate_wrong_type=0.02,
    rate_not_owned=0.02,
)


@pytest.mark.slow
async def test_faults_outage_and_sigkill_still_reproduce_ground_truth(fresh_db: str, tmp_path: Path) -> None:
    kafka = EmbeddedKafka()  # our own broker: this test stops and restarts it
    kafka.start()
    processes: list[IngestProcess] = []
    collector: EventCollector | None = None
    try:
        cfg = SimulatorConfig(
            seed=33,
            accounts=ACCOUNTS,
            speed=0,
            start=datetime(2025, 6, 2, 9, 30, tzinfo=JKT),
            settle_delay=timedelta(minutes=20),
            status_lie_fraction=0.2,
        )
        with run_simulator_process(cfg) as sim:
            accounts = await asyncio.to_thread(sim.admin, "GET", "/__sim/accounts")
            key, cipher = new_keys()
            topics = IngestTopics.unique()
            env = base_env(
                kafka=kafka.bootstrap,
                dsn=fresh_db,
                keys=key,
                sim_url=sim.base_url,
                topics=topics,
                INGEST_SHOPEE_READ_TIMEOUT_S="0.8",
                INGEST_SHOPEE_MAX_ATTEMPTS="2",
            )
            first = IngestProcess(env, tmp_path / "ingest-1.log")
            processes.append(first)
            first.start()
            await first.wait_ready()
            collector = EventCollector(kafka.bootstrap, topics.events)
            collector.start()
            commands = [
                command_event(
                    AccountConnect(
                        account_id=f"acct-{i}",
                        studio_id="studio-1",
                        display_name=f"Account {i}",
                        encrypted_cookie=cipher.encrypt(accounts[i]["cookie"]),
                    )
                )
                for i in range(ACCOUNTS)
            ]
            await send_commands(kafka.bootstrap, topics.commands, commands)
            results = await wait_command_results(fresh_db, [c for c, _ in commands])
            assert {r["status"] for r in results.values()} == {"applied"}

            await asyncio.to_thread(sim.admin, "POST", "/__sim/faults", json=FAULTS.model_dump(mode="json"))
            clock = await set_sim_speed(sim, 600)
            connected_at = datetime.fromisoformat(clock["sim_now"])
            await asyncio.sleep(6)
            await asyncio.to_thread(sim.admin, "POST", "/__sim/faults", json={"expired_accounts": [EXPIRED]})
            await asyncio.sleep(4)

            # broker outage: 30 s down, then back with nothing (topics, records, groups all gone)
            await collector.caught_up()
            kafka.stop()
            await asyncio.sleep(30)
            kafka.start()
            collector.broker_restarted()
            await asyncio.sleep(10)

            # the ingest dies without any shutdown, and a new process takes over from Postgres
            first.kill()
            second = IngestProcess(env, tmp_path / "ingest-2.log")
            processes.append(second)
            second.start()
            await second.wait_ready()
            await asyncio.sleep(8)

            await set_sim_speed(sim, 0)
            await asyncio.sleep(6)
            await collector.caught_up()
            truth = await asyncio.to_thread(ground_truth, sim, range(ACCOUNTS))

        replayed = replay(collector.records, topics.session, topics.item)
        healthy = {i: f"acct-{i}" for i in range(ACCOUNTS) if i != EXPIRED}
        problems, checked = compare(
            truth, replayed, account_ids=healthy, detailed_after=connected_at - timedelta(hours=23)
        )
        if problems:  # keep what was collected for a post-mortem
            (tmp_path / "records.jsonl").write_bytes(
                b"\n".join(r.topic.encode() + b" " + r.value for r in collector.records)
            )
        assert not problems, "\n".join(problems[:40])
        assert len([s for s in checked if s.end is not None and s.end > connected_at]) >= 3
        for s in checked:
            if s.end is not None and s.end > connected_at + timedelta(hours=1):
                assert len(replayed[s.session_id].ended_ids) == 1

        expired = [e["data"] for e in collector.events(topics.account) if e["data"]["account_id"] == f"acct-{EXPIRED}"]
        assert any(d["state"] == "credentials_expired" and "cookie" in (d["reason"] or "") for d in expired)
        conn = await asyncpg.connect(fresh_db)
        try:
            row = await conn.fetchrow(
                "SELECT state, last_error FROM ingest.accounts WHERE account_id = $1", f"acct-{EXPIRED}"
            )
            others = await conn.fetch("SELECT state FROM ingest.accounts WHERE account_id <> $1", f"acct-{EXPIRED}")
        finally:
            await conn.close()
        assert row is not None
        assert row["state"] == "credentials_expired"
        assert row["last_error"]
        assert {r["state"] for r in others} <= {"active", "degraded"}
        restarted_log = (tmp_path / "ingest-1.log").read_text()
        assert "broker_lost_topics" in restarted_log or "republishing_after_broker_reset" in restarted_log
    finally:
        if collector is not None:
            await collector.stop()
        for proc in processes:
            proc.kill()
        kafka.stop()
    assert time.monotonic()
