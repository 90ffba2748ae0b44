"""Produce and consume through the real broker with a consumer group and manual offset commits."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.fixtures.infra import TopicFactory


async def _consume(bootstrap: str, topic: str, group: str, want: int) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
        session_timeout_ms=3000,
        heartbeat_interval_ms=200,
    )
    await consumer.start()
    got: list[tuple[bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(got) < want:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    got.extend((r.key or b"", r.value or b"") for r in records)
        await consumer.commit()
    finally:
        await consumer.stop()
    return got


async def test_keyed_produce_consume_with_group_and_manual_commit(
    kafka_bootstrap: str, topic_factory: TopicFactory
) -> None:
    topic = await topic_factory("roundtrip", partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(30):
            await producer.send_and_wait(topic, f"v{i}".encode(), key=f"k{i % 5}".encode())
    finally:
        await producer.stop()

    first = await _consume(kafka_bootstrap, topic, "g1", 30)
    assert sorted(v for _, v in first) == sorted(f"v{i}".encode() for i in range(30))
    # per-key order is kept
    for k in range(5):
        values = [int(v[1:]) for key, v in first if key == f"k{k}".encode()]
        assert values == sorted(values)

    # committed offsets are honoured: the same group sees nothing new, a new group sees everything
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id="g1",
        enable_auto_commit=False,
        session_timeout_ms=3000,
        heartbeat_interval_ms=200,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(20):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=100)
        committed = {tp.partition: await consumer.committed(tp) for tp in consumer.assignment()}
        assert sum(v or 0 for v in committed.values()) == 30
    finally:
        await consumer.stop()
