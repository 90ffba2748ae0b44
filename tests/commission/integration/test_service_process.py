"""The service as it is deployed: the `livestudio-commission` console script with health, metrics and a graceful
SIGTERM; and the roster-import and export command lines."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from livestudio_commission.roster_import import apply_directly, parse_roster
from livestudio_commission.roster_import import main as roster_import_main
from livestudio_devinfra.ports import free_port
from tests.commission.kit import make_settings
from tests.fixtures.infra import TopicFactory

ROSTER = """studio_id,host_id,host_name,role,account_id,date,shift_id,shift_name,shift_start,shift_end,share
st9,h1,Ayu,host,acc-a,2026-03-02,morning,Morning,05:00,10:00,
st9,h2,Budi,leader,acc-a,2026-03-02,day,Day,10:00,15:00,
st9,h3,Citra,,acc-b,2026-03-02,day,,,,3
"""


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSION_")}
    env.update(extra)
    return env


async def test_console_script_serves_health_and_metrics_and_stops_on_sigterm(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    port = free_port()
    env = _env(
        {
            "COMMISSION_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "COMMISSION_DATABASE_URL": fresh_db,
            "COMMISSION_HTTP_PORT": str(port),
            "COMMISSION_SESSION_TOPIC": settings.session_topic,
            "COMMISSION_COMMANDS_TOPIC": settings.commands_topic,
            "COMMISSION_COMMISSION_TOPIC": settings.commission_topic,
            "COMMISSION_CONSUMER_GROUP": settings.consumer_group,
            "COMMISSION_TOPIC_PARTITIONS": "2",
            "COMMISSION_KAFKA_SESSION_TIMEOUT_MS": "3000",
            "COMMISSION_KAFKA_HEARTBEAT_INTERVAL_MS": "200",
        }
    )
    script = Path(sys.executable).parent / "livestudio-commission"
    proc = subprocess.Popen(  # noqa: ASYNC220 - a child we must kill in `finally`, whatever happens
        [str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            ready = None
            for _ in range(600):
                try:
                    ready = await client.get("/health/ready")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, (proc.stdout.read() if proc.stdout else b"").decode()[-3000:]
                await asyncio.sleep(0.1)
            assert ready is not None and ready.status_code == 200, ready.text if ready else "no answer"
            assert set(ready.json()["checks"]) == {"postgres", "kafka", "consumer", "statement_worker", "outbox"}
            assert (await client.get("/health/live")).json() == {"status": "ok"}
            metrics = (await client.get("/metrics")).text
            assert "livestudio_commission_commands_total" in metrics
            assert 'livestudio_service_ready{service="commission"} 1.0' in metrics
        proc.send_signal(signal.SIGTERM)
        # uvicorn finishes the graceful shutdown, then re-raises the signal it caught (exit status -SIGTERM).
        assert await asyncio.to_thread(proc.wait, 30) in (0, -signal.SIGTERM)
        output = (proc.stdout.read() if proc.stdout else b"").decode()
        stopping, stopped = output.find("service_stopping"), output.find("service_stopped")
        assert 0 <= stopping < stopped, output[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


async def test_roster_import_and_export_command_lines(fresh_db: str, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    env = _env({"COMMISSION_DATABASE_URL": fresh_db})

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=120)

    first = await asyncio.to_thread(run, "livestudio_commission.roster_import", str(roster), "--apply")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "applied 8, rejected 0, skipped 0"
    # the same file again, through the same code path in-process: same command ids, nothing applied twice
    again = await apply_directly(parse_roster(ROSTER), database_url=fresh_db, default_timezone="Asia/Jakarta")
    assert again == {"applied": 0, "rejected": 0, "skipped": 8}

    bad = tmp_path / "bad.csv"
    bad.write_text("studio_id,host_id\nst9,h1\n")
    assert await asyncio.to_thread(roster_import_main, [str(bad), "--apply"]) == 2

    exported = await asyncio.to_thread(run, "livestudio_commission.export", "--studio", "st9", "--period", "2026-03-02")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines()[0].startswith("studio_id,period_start,period_end,statement_id")

    import asyncpg

    conn = await asyncpg.connect(fresh_db)
    try:
        entries = await conn.fetch(
            "SELECT entry_id, share, local_day FROM commission.schedule_entries ORDER BY entry_id"
        )
        roles = await conn.fetch("SELECT host_id, role FROM commission.hosts ORDER BY host_id")
    finally:
        await conn.close()
    assert [(r["entry_id"], r["share"]) for r in entries] == [
        ("st9:h1:acc-a:2026-03-02:morning", 1),
        ("st9:h2:acc-a:2026-03-02:day", 1),
        ("st9:h3:acc-b:2026-03-02:day", 3),
    ]
    assert all(r["local_day"] is not None for r in entries)  # shifts arrived in the same file: resolved
    assert [(r["host_id"], r["role"]) for r in roles] == [("h1", "host"), ("h2", "leader"), ("h3", "host")]
