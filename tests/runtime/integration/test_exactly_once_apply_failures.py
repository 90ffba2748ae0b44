"""Records that decode but fail to apply: isolated to the DLQ (exactly once for the rest), transient database
errors retried instead, and a consumer that makes no progress reported as not ready."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from livestudio_runtime.db import DbConnection, create_pool
from livestudio_runtime.exactly_once import Decoded, is_transient
from livestudio_runtime.kafka import ensure_topics
from livestudio_runtime.migrations import migrate
from tests.fixtures.infra import TopicFactory
from tests.runtime.integration.test_exactly_once import SAMPLE, _produce, _wait_total, apply, widget_consumer

POISON = 666


async def _setup(kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str) -> tuple[str, asyncpg.Pool]:
    topic = await topic_factory("eo-fail", partitions=2)
    await ensure_topics(kafka_bootstrap, {f"{topic}.dlq": 2})
    await migrate(fresh_db, schema="sample", directory=SAMPLE)
    return topic, await create_pool(fresh_db, schema="sample", application_name="eo-fail")


async def read_topic(
    bootstrap: str, topic: str, want: int, *, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """At least `want` records of a topic, from the start (TimeoutError when fewer arrive)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None, fetch_max_wait_ms=20
    )
    await consumer.start()
    got: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while len(got) < want:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    got.extend(records)
    finally:
        await consumer.stop()
    return got


def _values(n: int, poison_at: Sequence[int] = ()) -> list[bytes]:
    return [json.dumps({"id": i % 5, "n": POISON if i in poison_at else 1}).encode() for i in range(n)]


async def test_a_record_that_fails_to_apply_goes_to_the_dlq_and_the_rest_apply_once(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    topic, pool = await _setup(kafka_bootstrap, topic_factory, fresh_db)

    async def fragile(conn: DbConnection, batch: Sequence[Decoded[tuple[int, int]]]) -> None:
        await apply(conn, batch)  # the effect is written first: the savepoint must undo it
        if any(d.value[1] == POISON for d in batch):
            raise OverflowError("date value out of range")

    consumer = widget_consumer("eo-fail", kafka_bootstrap, topic, pool, apply=fragile, max_records=100)
    await _produce(kafka_bootstrap, topic, _values(300, poison_at=(7, 150)))
    await consumer.start()
    try:
        await _wait_total(pool, 298)
        dead: list[ConsumerRecord[bytes, bytes]] = await read_topic(kafka_bootstrap, f"{topic}.dlq", 2)
        assert sorted(json.loads(r.value or b"")["n"] for r in dead) == [POISON, POISON]
        assert all(dict(r.headers)["x-error"].startswith(b"OverflowError") for r in dead)
        await asyncio.sleep(0.3)
        assert await pool.fetchval("SELECT sum(total) FROM widgets") == 298  # once each, poison excluded
        await consumer.check()
    finally:
        await consumer.stop()
        await pool.close()


async def test_transient_database_errors_are_retried_not_dead_lettered(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    topic, pool = await _setup(kafka_bootstrap, topic_factory, fresh_db)
    failures = 0

    async def flaky(conn: DbConnection, batch: Sequence[Decoded[tuple[int, int]]]) -> None:
        nonlocal failures
        if failures < 2:
            failures += 1
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        await apply(conn, batch)

    consumer = widget_consumer("eo-flaky", kafka_bootstrap, topic, pool, apply=flaky)
    await _produce(kafka_bootstrap, topic, _values(50))
    await consumer.start()
    try:
        await _wait_total(pool, 50)
        assert failures == 2
        with pytest.raises(TimeoutError):
            await read_topic(kafka_bootstrap, f"{topic}.dlq", 1, timeout=1.0)
    finally:
        await consumer.stop()
        await pool.close()


async def test_a_consumer_stuck_applying_is_not_ready(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    topic, pool = await _setup(kafka_bootstrap, topic_factory, fresh_db)
    release = asyncio.Event()

    async def stuck(conn: DbConnection, batch: Sequence[Decoded[tuple[int, int]]]) -> None:
        await release.wait()
        await apply(conn, batch)

    consumer = widget_consumer("eo-stuck", kafka_bootstrap, topic, pool, apply=stuck)
    consumer.stall_after_s = 0.5
    await consumer.start()
    try:
        await consumer.check()  # nothing to do yet: ready
        await _produce(kafka_bootstrap, topic, _values(10))
        async with asyncio.timeout(20):
            while consumer.stalled() is None:  # noqa: ASYNC110 - polling a condition, no event to wait on
                await asyncio.sleep(0.1)
        with pytest.raises(RuntimeError, match="makes no progress"):
            await consumer.check()
        release.set()
        await _wait_total(pool, 10)
        await consumer.check()
    finally:
        release.set()
        await consumer.stop()
        await pool.close()


def test_transient_errors_are_infrastructure_only() -> None:
    assert is_transient(asyncpg.exceptions.ConnectionDoesNotExistError("gone"))
    assert is_transient(asyncpg.exceptions.DeadlockDetectedError("deadlock"))
    assert is_transient(OSError("connection reset"))
    assert not is_transient(OverflowError("date value out of range"))
    assert not is_transient(asyncpg.exceptions.CheckViolationError("no"))
    assert not is_transient(ValueError("bad"))
