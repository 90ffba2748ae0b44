"""Crash test: the service is SIGKILLed at random moments while >= 200k events stream in; the final tables equal a
clean run exactly.

The killed consumer is the real entry point (`python -m livestudio_analytics.main`) configured by environment.
A second service process in its own consumer group and database runs the same topics without interruption: the
clean run. Both finish on the same offsets and every read model (digest of all columns) must be identical.
Runs on its own embedded broker (the 200 MB of records are freed with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from livestudio_analytics.settings import AnalyticsSettings
from livestudio_devinfra.kafka import EmbeddedKafka
from livestudio_runtime.kafka import ensure_topics
from tests.analytics import kit
from tests.analytics.db import digest
from tests.analytics.integration.conftest import (
    FAST_KAFKA,
    Offsets,
    applied_offsets,
    die_with_parent,
    produce,
    settings_env,
    wait_applied,
    wait_rollups,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # ~2-3 min on an idle 2-core machine

KILLS = 20


@pytest.fixture(scope="module")
def own_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    broker = EmbeddedKafka(log_file=tmp_path_factory.mktemp("crash") / "broker.log")
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
async def clean_db(pg_dsn: str) -> AsyncIterator[str]:
    name = f"t_clean_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    base, _, _ = pg_dsn.partition("?")[0].rpartition("/")
    query = pg_dsn.partition("?")[2]
    yield f"{base}/{name}" + (f"?{query}" if query else "")
    conn = await asyncpg.connect(pg_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


class Service:
    """The analytics entry point (`python -m livestudio_analytics.main`) as a subprocess in its own process group."""

    def __init__(self, settings: AnalyticsSettings, log: Path) -> None:
        self.env = settings_env(settings)
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "livestudio_analytics.main"],
                env=self.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


# A parent that has imported the service once and forks a fresh process running the entry point `run()` on
# request: each of the 20+ restarts then costs the service's startup, not the interpreter's imports (seconds on
# a loaded machine). The child is its own process group (SIGKILL takes its dbmate children too).
_FORK_SERVER = """
import ctypes, os, signal, sys
from livestudio_analytics.main import run
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
log = sys.argv[1]
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the fork server
        os.setsid()
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            run(["serve"])
        finally:
            os._exit(0)
    print(pid, flush=True)
"""


class ForkedService:
    """The same entry point, forked from a pre-imported parent (see _FORK_SERVER)."""

    def __init__(self, settings: AnalyticsSettings, log: Path) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-c", _FORK_SERVER, str(log)],
            env=settings_env(settings),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.pid: int | None = None

    def start(self) -> None:
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(b"fork\n")
        self.server.stdin.flush()
        self.pid = int(self.server.stdout.readline())

    def kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(self.pid):
                time.sleep(0.02)
            self.pid = None

    def close(self) -> None:
        self.kill()
        self.server.kill()
        self.server.wait(10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def progress(dsn: str, group: str) -> int:
    try:
        conn = await asyncpg.connect(dsn)
    except OSError:
        return 0
    try:
        return sum((await applied_offsets(conn, group)).values())
    finally:
        await conn.close()


async def test_sigkill_at_random_moments_leaves_tables_equal_to_a_clean_run(
    own_kafka: str, fresh_db: str, clean_db: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    records = kit.realistic_stream(kit.StreamSpec(seed=11, accounts=140))
    assert len(records) >= 200_000

    suffix = uuid.uuid4().hex[:8]
    topics = {"session": f"crash.session.{suffix}", "item": f"crash.item.{suffix}", "commands": f"crash.cmd.{suffix}"}
    await ensure_topics(
        own_kafka,
        {topics["session"]: 6, topics["item"]: 4, topics["commands"]: 2} | {f"{t}.dlq": 1 for t in topics.values()},
    )
    common: dict[str, object] = {
        "kafka_bootstrap": own_kafka,
        "session_topic": topics["session"],
        "item_topic": topics["item"],
        "commands_topic": topics["commands"],
        "create_topics": False,
        "http_port": 0,
        **FAST_KAFKA,
    }
    # Small batches for the victim: many commits to crash between.
    # The clean run uses the default (large) batches: the tables must not depend on batching either.
    crashing = AnalyticsSettings(
        database_url=fresh_db,
        consumer_group="crashing",
        batch_size=500,
        **common,  # type: ignore[arg-type]
    )
    clean = AnalyticsSettings(database_url=clean_db, consumer_group="clean", **common)  # type: ignore[arg-type]
    victim = ForkedService(crashing, tmp_path / "crashing.log")
    survivor = Service(crashing, tmp_path / "crashing.log")
    reference_run = Service(clean, tmp_path / "clean.log")

    ends: Offsets = {}

    async def produce_chunk(chunk: list[kit.Record]) -> None:
        for tp, end in (await produce(own_kafka, crashing, chunk)).items():
            ends[tp] = max(ends.get(tp, 0), end)

    # One chunk of the stream is produced before each start, so every victim has work whatever the machine's speed
    # (a consumer that keeps up would otherwise drain a stream produced up front within a few runs).
    size = len(records) // (KILLS + 1) + 1
    chunks = [records[i : i + size] for i in range(0, len(records), size)]
    rng = random.Random(5)
    reference_run.start()
    kills: list[tuple[float, int]] = []
    try:
        for n in range(KILLS):
            await produce_chunk(chunks[n])
            before = await progress(fresh_db, "crashing")
            backlog = sum(ends.values()) - before
            await asyncio.to_thread(victim.start)
            launched = time.monotonic()
            if n % 4 == 3:
                # anywhere from startup (migrations, joining the group) on
                await asyncio.sleep(rng.uniform(0.5, 4.0))
            else:
                # while it works through its backlog: once a random share of it is applied, plus up to 0.3 s
                target = before + max(1, int(backlog * rng.uniform(0.05, 0.9)))
                while time.monotonic() - launched < 60 and await progress(fresh_db, "crashing") < target:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                await asyncio.sleep(rng.uniform(0.0, 0.3))
            await asyncio.to_thread(victim.kill)
            kills.append((round(time.monotonic() - launched, 1), await progress(fresh_db, "crashing") - before))
        for chunk in chunks[KILLS:]:
            await produce_chunk(chunk)

        survivor.start()  # the last run: a plain `python -m livestudio_analytics.main`
        await wait_applied(fresh_db, "crashing", ends, timeout=240)
        await wait_applied(clean_db, "clean", ends, timeout=240)
        await wait_rollups(fresh_db)
        await wait_rollups(clean_db)
    finally:
        victim.close()
        survivor.kill(signal.SIGTERM)
        reference_run.kill(signal.SIGTERM)

    assert sum(1 for _, applied in kills if applied > 0) >= KILLS // 2, kills  # most kills hit a working consumer
    crashed_conn = await asyncpg.connect(fresh_db)
    clean_conn = await asyncpg.connect(clean_db)
    try:
        crashed, reference = await digest(crashed_conn), await digest(clean_conn)
        assert crashed == reference
        sessions = {(r.key, r.topic) for r in records if r.topic == "session" and not r.poison}
        assert crashed["sessions"][0] == len(sessions)
        assert crashed["daily_account"][0] > 0
        assert crashed["ad_spend"][0] > 0
    finally:
        await crashed_conn.close()
        await clean_conn.close()
    print(
        f"crash test: {len(records)} events, kills (s alive, offsets applied) {kills}, "
        f"{time.monotonic() - started:.0f}s"
    )
