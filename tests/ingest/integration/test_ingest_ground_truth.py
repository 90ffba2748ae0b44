"""Simulator (several accounts, 600x clock) -> ingest (its own process) -> real broker: the published session and
item events, replayed as a consumer would, reproduce the simulator's ground truth for every session that ended,
and no cookie appears in the logs, the events or /metrics."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from livestudio_schemas.commands import AccountConnect
from shopee_client.simulator import SimulatorConfig, run_simulator_process
from tests.ingest.kit import (
    EventCollector,
    IngestTopics,
    base_env,
    command_event,
    compare,
    ground_truth,
    ingest_process,
    leaks,
    new_keys,
    replay,
    send_commands,
    set_sim_speed,
    wait_command_results,
)

JKT = ZoneInfo("Asia/Jakarta")
ACCOUNTS = 12


async def test_replayed_events_reproduce_the_ground_truth_without_leaking_cookies(
    kafka_bootstrap: str, fresh_db: str, tmp_path: Path
) -> None:
    cfg = SimulatorConfig(
        seed=21,
        accounts=ACCOUNTS,
        speed=0,  # frozen until the accounts are connected, so that the run covers the same simulated hours
        start=datetime(2025, 6, 2, 9, 30, tzinfo=JKT),
        settle_delay=timedelta(minutes=20),
        status_lie_fraction=0.3,
        history_null_fraction=0.3,
    )
    with run_simulator_process(cfg) as sim:
        accounts = await asyncio.to_thread(sim.admin, "GET", "/__sim/accounts")
        cookies = [a["cookie"] for a in accounts]
        key, cipher = new_keys()
        topics = IngestTopics.unique()
        env = base_env(kafka=kafka_bootstrap, dsn=fresh_db, keys=key, sim_url=sim.base_url, topics=topics)
        log_path = tmp_path / "ingest.log"
        with ingest_process(env, log_path) as ingest:
            await ingest.wait_ready()
            collector = EventCollector(kafka_bootstrap, topics.events)
            collector.start()
            try:
                commands = [
                    command_event(
                        AccountConnect(
                            account_id=f"acct-{i}",
                            studio_id="studio-1",
                            display_name=f"Account {i}",
                            encrypted_cookie=cipher.encrypt(cookies[i]),
                        )
                    )
                    for i in range(ACCOUNTS)
                ]
                await send_commands(kafka_bootstrap, topics.commands, commands)
                results = await wait_command_results(fresh_db, [c for c, _ in commands])
                assert {r["status"] for r in results.values()} == {"applied"}
                clock = await set_sim_speed(sim, 600)
                connected_at = datetime.fromisoformat(clock["sim_now"])

                await asyncio.sleep(27)  # about 4.5 simulated hours: sessions start, settle and end
                await set_sim_speed(sim, 0)
                await asyncio.sleep(4)  # let every session be read once more at the frozen instant
                metrics_text = await ingest.metrics()
                await collector.caught_up()
                truth = await asyncio.to_thread(ground_truth, sim, range(ACCOUNTS))
            finally:
                await collector.stop()
            ingest.terminate()

        replayed = replay(collector.records, topics.session, topics.item)
        problems, checked = compare(
            truth,
            replayed,
            account_ids={i: f"acct-{i}" for i in range(ACCOUNTS)},
            # ended sessions the ingest could still read in detail (overview, products) when it saw them
            detailed_after=connected_at - timedelta(hours=23),
        )
        if problems:  # keep what was collected for a post-mortem
            (tmp_path / "records.jsonl").write_bytes(
                b"\n".join(r.topic.encode() + b" " + r.value for r in collector.records)
            )
        assert not problems, "\n".join(problems[:40])
        ended_during_run = [s for s in checked if s.end is not None and s.end > connected_at]
        assert len(ended_during_run) >= 3, f"only {len(ended_during_run)} sessions ended during the run"
        assert any(s.reports_status_ended_while_live for s in ended_during_run)
        for s in ended_during_run:
            assert len(replayed[s.session_id].ended_ids) == 1, (
                f"session {s.session_id} ended {replayed[s.session_id].ended_ids}"
            )
        assert all(r.key.startswith("acct-") for r in collector.records)
        session_keys = {r.key for r in collector.records if r.topic == topics.session}
        assert all(k.count(":") == 1 for k in session_keys)

        statuses = [e["data"]["state"] for e in collector.events(topics.account)]
        assert "active" in statuses
        assert "livestudio_ingest_polls_total" in metrics_text
        assert "livestudio_ingest_scheduling_lag_seconds_bucket" in metrics_text

        # the cookies (and every secret part of them) appear nowhere
        haystacks: dict[str, bytes | str] = {
            "logs": log_path.read_bytes(),
            "metrics": metrics_text,
            "events": b"\n".join(r.value for r in collector.records),
        }
        assert not leaks(haystacks, cookies)
        assert log_path.stat().st_size > 0
