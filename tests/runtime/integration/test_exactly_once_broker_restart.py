"""After the broker loses its log (embedded broker restart), the consumer re-reads from the earliest offset."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from livestudio_devinfra.kafka import EmbeddedKafka
from livestudio_runtime.db import create_pool
from livestudio_runtime.exactly_once import ExactlyOnceConsumer
from livestudio_runtime.kafka import ensure_topics
from livestudio_runtime.migrations import migrate
from tests.runtime.integration.test_exactly_once import _log_resets, _produce, _wait_total, widget_consumer

SAMPLE = Path(__file__).parent / "migrations_sample"


async def test_offsets_beyond_a_lost_log_restart_from_earliest(fresh_db: str) -> None:
    broker = EmbeddedKafka()
    broker.start()
    topic = "reset.topic"
    await migrate(fresh_db, schema="sample", directory=SAMPLE)
    pool = await create_pool(fresh_db, schema="sample", application_name="reset-test")
    consumer = None
    try:
        await ensure_topics(broker.bootstrap, {topic: 2, f"{topic}.dlq": 2})
        consumer = widget_consumer("reset-test", broker.bootstrap, topic, pool)
        await consumer.start()
        await _produce(broker.bootstrap, topic, [json.dumps({"id": 1, "n": 1}).encode() for _ in range(100)])
        await _wait_total(pool, 100)
        resets_before = _log_resets("reset-test", topic)

        port = broker.port
        broker.stop()
        await asyncio.sleep(1)
        broker = EmbeddedKafka(port=port)
        broker.start()
        await ensure_topics(broker.bootstrap, {topic: 2, f"{topic}.dlq": 2})
        await _produce(broker.bootstrap, topic, [json.dumps({"id": 2, "n": 1}).encode() for _ in range(50)])

        await _wait_total(pool, 150)
        assert await pool.fetchval("SELECT total FROM widgets WHERE id = 2") == 50
        assert _log_resets("reset-test", topic) > resets_before
    finally:
        if consumer is not None:
            await consumer.stop()
        await pool.close()
        broker.stop()


async def test_a_new_log_grown_past_the_stored_offset_is_recognised_and_read_from_the_start(fresh_db: str) -> None:
    broker = EmbeddedKafka()
    broker.start()
    topic = "replaced.topic"
    await migrate(fresh_db, schema="sample", directory=SAMPLE)
    pool = await create_pool(fresh_db, schema="sample", application_name="replaced-test")

    def make(bootstrap: str) -> ExactlyOnceConsumer[tuple[int, int]]:
        return widget_consumer("replaced-test", bootstrap, topic, pool)

    try:
        await ensure_topics(broker.bootstrap, {topic: 2, f"{topic}.dlq": 2})
        await _produce(broker.bootstrap, topic, [json.dumps({"id": 1, "n": 1}).encode() for _ in range(40)])
        consumer = make(broker.bootstrap)
        await consumer.start()
        await _wait_total(pool, 40)
        await consumer.stop()

        port = broker.port
        broker.stop()
        broker = EmbeddedKafka(port=port)
        broker.start()
        await ensure_topics(broker.bootstrap, {topic: 2, f"{topic}.dlq": 2})
        # the new log grows well past the old stored offsets before anyone consumes it
        await _produce(broker.bootstrap, topic, [json.dumps({"id": 2, "n": 1}).encode() for _ in range(150)])
        consumer = make(broker.bootstrap)
        await consumer.start()
        try:
            await _wait_total(pool, 190)
            assert await pool.fetchval("SELECT total FROM widgets WHERE id = 2") == 150
        finally:
            await consumer.stop()
    finally:
        await pool.close()
        broker.stop()
