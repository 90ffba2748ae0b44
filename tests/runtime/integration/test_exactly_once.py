"""The exactly-once consumer: offsets stored with the rows, resumed on restart, poison to the DLQ."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY

from livestudio_runtime.db import DbConnection, create_pool
from livestudio_runtime.exactly_once import Decoded, ExactlyOnceConsumer, PoisonMessage
from livestudio_runtime.migrations import migrate
from tests.fixtures.infra import TopicFactory

SAMPLE = Path(__file__).parent / "migrations_sample"


def _log_resets(consumer: str, topic: str) -> float:
    """`LOG_RESETS` as the registry reports it (public API; no sample until it was first incremented)."""
    labels = {"consumer": consumer, "topic": topic}
    return REGISTRY.get_sample_value("livestudio_consumer_log_resets_total", labels) or 0.0


def decode(rec: ConsumerRecord[bytes, bytes]) -> tuple[int, int]:
    try:
        body = json.loads(rec.value or b"")
        return int(body["id"]), int(body["n"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PoisonMessage(str(exc)) from exc


async def apply(conn: DbConnection, batch: Sequence[Decoded[tuple[int, int]]]) -> None:
    await conn.executemany(
        "INSERT INTO widgets (id, total) VALUES ($1, $2) "
        "ON CONFLICT (id) DO UPDATE SET total = widgets.total + EXCLUDED.total",
        [d.value for d in batch],
    )


def widget_consumer(
    name: str, bootstrap: str, topic: str, pool: asyncpg.Pool, *, apply: Any = apply, **tuning: int
) -> ExactlyOnceConsumer[tuple[int, int]]:
    """A consumer of widget records with the fast test timings (overridable)."""
    timings: dict[str, Any] = {"fetch_max_wait_ms": 20, "session_timeout_ms": 3000, "heartbeat_interval_ms": 200}
    return ExactlyOnceConsumer(
        name=name, bootstrap=bootstrap, topics=[topic], pool=pool, decode=decode, apply=apply, **(timings | tuning)
    )


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i, v in enumerate(values):
            await producer.send(topic, v, key=str(i % 7).encode())
        await producer.flush()
    finally:
        await producer.stop()


async def _wait_total(pool: asyncpg.Pool, want: int) -> None:
    total = None
    for _ in range(600):
        total = await pool.fetchval("SELECT coalesce(sum(total), 0) FROM widgets")
        if total == want:
            return
        await asyncio.sleep(0.1)
    offsets = await pool.fetch("SELECT * FROM consumer_offsets")
    raise AssertionError(f"total {total} != {want}; offsets {[dict(r) for r in offsets]}")


async def test_applies_each_record_once_across_restarts_and_dead_letters_poison(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    topic = await topic_factory("eo", partitions=3)
    await topic_factory("unused")  # the helper names topics itself; create the DLQ explicitly below
    from livestudio_runtime.kafka import ensure_topics

    await ensure_topics(kafka_bootstrap, {f"{topic}.dlq": 3})
    await migrate(fresh_db, schema="sample", directory=SAMPLE)
    pool = await create_pool(fresh_db, schema="sample", application_name="eo-test")

    def make() -> ExactlyOnceConsumer[tuple[int, int]]:
        return widget_consumer("eo-test", kafka_bootstrap, topic, pool, max_records=50)

    first = [json.dumps({"id": i % 10, "n": 1}).encode() for i in range(500)] + [b"{not json", b'{"id": 1}']
    await _produce(kafka_bootstrap, topic, first)
    consumer = make()
    await consumer.start()
    await _wait_total(pool, 500)
    await consumer.stop()

    # more records while nobody consumes; a new member resumes from Postgres, not from scratch, and recognises
    # the log under its stored offsets as the one it applied (no reset)
    resets_before = _log_resets("eo-test", topic)
    await _produce(kafka_bootstrap, topic, [json.dumps({"id": 3, "n": 2}).encode() for _ in range(100)])
    consumer = make()
    await consumer.start()
    await _wait_total(pool, 700)
    await asyncio.sleep(0.5)
    await consumer.stop()
    assert await pool.fetchval("SELECT sum(total) FROM widgets") == 700
    assert _log_resets("eo-test", topic) == resets_before
    stored = await pool.fetchval("SELECT sum(next_offset) FROM consumer_offsets WHERE consumer = 'eo-test'")
    assert stored == 602
    # the Kafka commit (for lag tooling) runs in the background and is finished by stop()
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id="eo-test", enable_auto_commit=False)
    await reader.start()
    try:
        committed = [await reader.committed(TopicPartition(topic, p)) for p in range(3)]
    finally:
        await reader.stop()
    assert sum(offset or 0 for offset in committed) == 602

    dlq = AIOKafkaConsumer(
        f"{topic}.dlq",
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        fetch_max_wait_ms=20,
    )
    await dlq.start()
    try:
        got: list[ConsumerRecord[bytes, bytes]] = []
        async with asyncio.timeout(20):
            while len(got) < 2:
                for records in (await dlq.getmany(timeout_ms=200)).values():
                    got.extend(records)
        assert {r.value for r in got} == {b"{not json", b'{"id": 1}'}
        assert all(dict(r.headers)["x-original-topic"] == topic.encode() for r in got)
        assert all(b"PoisonMessage" in dict(r.headers)["x-error"] for r in got)
    finally:
        await dlq.stop()
        await pool.close()


async def test_members_joining_and_leaving_mid_batch_apply_every_record_exactly_once(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    """Slow transactions keep a decoded batch waiting behind the one in flight; rebalances reposition the
    partitions under it. Totals are additive, so a record applied twice (or never) shows."""
    topic = await topic_factory("eo-rebalance", partitions=4)
    await migrate(fresh_db, schema="sample", directory=SAMPLE)
    pool = await create_pool(fresh_db, schema="sample", application_name="eo-rebalance", max_size=6)

    async def slow_apply(conn: DbConnection, batch: Sequence[Decoded[tuple[int, int]]]) -> None:
        await apply(conn, batch)
        await asyncio.sleep(0.15)

    def make() -> ExactlyOnceConsumer[tuple[int, int]]:
        return widget_consumer(
            "eo-rebalance", kafka_bootstrap, topic, pool, apply=slow_apply, max_records=40, session_timeout_ms=6000
        )

    values = [json.dumps({"id": i % 13, "n": 1 + i % 3}).encode() for i in range(3000)]
    want = sum(1 + i % 3 for i in range(3000))
    try:
        producing = asyncio.create_task(_produce(kafka_bootstrap, topic, values))
        first = make()
        await first.start()
        for _ in range(3):  # a second member joins, then leaves: two rebalances per round
            await asyncio.sleep(0.7)
            second = make()
            await second.start()
            await asyncio.sleep(1.0)
            await second.stop()
        await producing
        await _wait_total(pool, want)
        await asyncio.sleep(1.0)  # nothing more arrives later
        assert await pool.fetchval("SELECT sum(total) FROM widgets") == want
        await first.stop()
    finally:
        await pool.close()
