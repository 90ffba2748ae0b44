"""The one private attribute of a dependency the ingest reads: aiokafka's group generation (membership.py).

If an aiokafka upgrade moves or renames it, `group_generation()` returns None and every rebalance starts the
pollers cold: correct, but slower. This test makes that loud instead. It also checks the public admin call that
replaced the consumer's private metadata refresh."""

from __future__ import annotations

import asyncio
import uuid

from livestudio_ingest.membership import KafkaMembership, described_partitions
from tests.fixtures.infra import TopicFactory


async def test_the_group_generation_and_the_partition_count_are_readable(
    kafka_bootstrap: str, topic_factory: TopicFactory
) -> None:
    topic = await topic_factory("membership", partitions=3)
    assigned = asyncio.Event()
    seen: list[tuple[set[int], int | None, bool]] = []

    async def on_assigned(parts: set[int], total: int | None, continuous: bool) -> None:
        seen.append((parts, total, continuous))
        assigned.set()

    async def on_revoked(_parts: set[int]) -> None:
        return None

    async def ensure_topic() -> None:
        return None

    membership = KafkaMembership(
        bootstrap=kafka_bootstrap,
        topic=topic,
        group=f"g-{uuid.uuid4().hex[:8]}",
        client_id="generation-test",
        on_assigned=on_assigned,
        on_revoked=on_revoked,
        ensure_topic=ensure_topic,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    await membership.start()
    try:
        await asyncio.wait_for(assigned.wait(), 30)
        generation = membership.group_generation()
        assert isinstance(generation, int) and generation >= 0, "aiokafka no longer exposes the group generation"
        assert seen[0][:2] == ({0, 1, 2}, 3)
    finally:
        await membership.stop()
    assert await described_partitions(kafka_bootstrap, topic) == 3
