"""A real group member (membership.py) against the broker: its assignment reaches the engine with the topic's
partition count, and the public admin call that tells the count when the member's metadata does not know it."""

from __future__ import annotations

import asyncio
import uuid

from livestudio_ingest.membership import KafkaMembership, described_partitions
from tests.fixtures.infra import TopicFactory


async def test_an_assignment_reaches_the_engine_with_the_partition_count(
    kafka_bootstrap: str, topic_factory: TopicFactory
) -> None:
    topic = await topic_factory("membership", partitions=3)
    assigned = asyncio.Event()
    seen: list[tuple[set[int], int | None]] = []

    async def on_assigned(parts: set[int], total: int | None) -> None:
        seen.append((parts, total))
        assigned.set()

    async def on_revoked(_parts: set[int]) -> None:
        return None

    async def ensure_topic() -> None:
        return None

    membership = KafkaMembership(
        bootstrap=kafka_bootstrap,
        topic=topic,
        group=f"g-{uuid.uuid4().hex[:8]}",
        client_id="membership-test",
        on_assigned=on_assigned,
        on_revoked=on_revoked,
        ensure_topic=ensure_topic,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    await membership.start()
    try:
        await asyncio.wait_for(assigned.wait(), 30)
        assert seen[0] == ({0, 1, 2}, 3)
        assert membership.assigned == {0, 1, 2}
    finally:
        await membership.stop()
    assert await described_partitions(kafka_bootstrap, topic) == 3
