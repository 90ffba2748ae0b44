"""Fixtures for analytics integration tests: per-test topics and settings, producing, waiting for the consumer."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from livestudio_analytics.settings import AnalyticsSettings
from livestudio_runtime.kafka import ensure_topics
from tests.analytics.kit import Record
from tests.fixtures.infra import TopicFactory

Offsets = dict[tuple[str, int], int]
"""(topic, partition) -> next offset"""

FAST_KAFKA = {
    "kafka_fetch_max_wait_ms": 20,
    "kafka_session_timeout_ms": 2000,
    "kafka_heartbeat_interval_ms": 200,
}


async def make_settings(
    topic_factory: TopicFactory, bootstrap: str, dsn: str, *, partitions: int = 3, **extra: object
) -> AnalyticsSettings:
    session = await topic_factory("an.session", partitions=partitions)
    item = await topic_factory("an.item", partitions=partitions)
    commands = await topic_factory("an.commands", partitions=2)
    await ensure_topics(bootstrap, {f"{t}.dlq": 1 for t in (session, item, commands)})
    values: dict[str, object] = {
        "kafka_bootstrap": bootstrap,
        "database_url": dsn,
        "http_port": 0,
        "session_topic": session,
        "item_topic": item,
        "commands_topic": commands,
        "create_topics": False,
        "batch_size": 500,
        "gauge_refresh_s": 0.5,
        **FAST_KAFKA,
        **extra,
    }
    return AnalyticsSettings(**values)  # type: ignore[arg-type]


def die_with_parent() -> None:
    """`preexec_fn` for service subprocesses: the kernel SIGKILLs the child when the test process dies, even if
    the test runner is killed hard (the children run in their own session, so nothing else would reach them)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1


def settings_env(settings: AnalyticsSettings) -> dict[str, str]:
    """The settings as ANALYTICS_* environment variables, for a service subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYTICS_")}
    for name, value in settings.model_dump().items():
        env[f"ANALYTICS_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    env["ANALYTICS_LOG_LEVEL"] = "WARNING"
    return env


def topic_of(settings: AnalyticsSettings, kind: str) -> str:
    return {"session": settings.session_topic, "item": settings.item_topic, "commands": settings.commands_topic}[kind]


async def produce(bootstrap: str, settings: AnalyticsSettings, records: Iterable[Record]) -> Offsets:
    """Send in order (fast: batched, not awaited one by one); returns the next offset of every partition."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=10, max_batch_size=256 * 1024, acks=1, enable_idempotence=False
    )
    await producer.start()
    ends: Offsets = {}
    try:
        pending = []
        for record in records:
            pending.append(await producer.send(topic_of(settings, record.topic), record.value, key=record.key))
            if len(pending) >= 5000:
                _note(ends, await asyncio.gather(*pending))
                pending = []
        _note(ends, await asyncio.gather(*pending))
    finally:
        await producer.stop()
    return ends


def _note(ends: Offsets, metadata: Iterable[object]) -> None:
    for md in metadata:
        key = (md.topic, md.partition)  # type: ignore[attr-defined]
        ends[key] = max(ends.get(key, 0), md.offset + 1)  # type: ignore[attr-defined]


async def applied_offsets(conn: asyncpg.Connection, group: str) -> Offsets:
    try:
        rows = await conn.fetch(
            "SELECT topic, partition, next_offset FROM analytics.consumer_offsets WHERE consumer = $1", group
        )
    except asyncpg.UndefinedTableError:
        return {}
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def wait_applied(dsn: str, group: str, ends: Mapping[tuple[str, int], int], timeout: float = 120) -> None:
    """Until the group's offsets stored in Postgres reach `ends`."""
    deadline = time.monotonic() + timeout
    got: Offsets = {}
    while time.monotonic() < deadline:
        try:
            conn = await asyncpg.connect(dsn)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        try:
            got = await applied_offsets(conn, group)
        finally:
            await conn.close()
        if all(got.get(tp, 0) >= end for tp, end in ends.items()):
            return
        await asyncio.sleep(0.2)
    lagging = {tp: (got.get(tp), end) for tp, end in ends.items() if got.get(tp, 0) < end}
    raise AssertionError(f"consumer did not catch up: {lagging}")


async def wait_rollups(dsn: str, timeout: float = 60) -> None:
    """Until the running service's refresher has handled every dirty rollup mark."""
    deadline = time.monotonic() + timeout
    waiting = -1
    while time.monotonic() < deadline:
        conn = await asyncpg.connect(dsn)
        try:
            waiting = int(
                await conn.fetchval(
                    "SELECT (SELECT count(*) FROM analytics.rollup_dirty_days)"
                    " + (SELECT count(*) FROM analytics.rollup_dirty_sessions)"
                    " + (SELECT count(*) FROM analytics.rollup_dirty_months)"
                )
            )
        finally:
            await conn.close()
        if waiting == 0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the rollup refresher did not catch up: {waiting} marks left")


@pytest.fixture
def service_log(tmp_path: Path) -> Path:
    return tmp_path / "analytics.log"
