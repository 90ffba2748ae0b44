"""Group membership -> engine: every assignment reaches the engine, even one made before this member's
metadata knows the topic (after a broker restart the topic is recreated while the group re-forms)."""

from __future__ import annotations

from aiokafka import TopicPartition

from livestudio_ingest.membership import KafkaMembership, _Listener

TOPIC = "t.ingest.accounts"


class _Consumer:
    def __init__(self, known: set[int] | None, described: set[int] | None) -> None:
        self.known = known
        self.described = described
        self.describes = 0

    async def describe(self) -> int | None:
        """The cluster's answer (admin API) when the member's metadata does not know the topic yet."""
        self.describes += 1
        return len(self.described) if self.described else None

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.known if topic == TOPIC else None


async def _membership(consumer: _Consumer) -> tuple[KafkaMembership, list[tuple[set[int], int | None]]]:
    calls: list[tuple[set[int], int | None]] = []

    async def on_assigned(parts: set[int], total: int | None) -> None:
        calls.append((parts, total))

    async def on_revoked(_parts: set[int]) -> None:
        return None

    async def ensure_topic() -> None:
        return None

    membership = KafkaMembership(
        bootstrap="127.0.0.1:1",
        topic=TOPIC,
        group="g",
        client_id="c",
        on_assigned=on_assigned,
        on_revoked=on_revoked,
        ensure_topic=ensure_topic,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        describe_partitions=consumer.describe,
    )
    membership.consumer = consumer  # type: ignore[assignment]
    return membership, calls


async def test_an_assignment_is_passed_on_with_the_topic_partition_count() -> None:
    membership, calls = await _membership(_Consumer(set(range(8)), set(range(8))))
    await _Listener(membership).on_partitions_assigned([TopicPartition(TOPIC, 1), TopicPartition(TOPIC, 5)])
    assert calls == [({1, 5}, 8)]
    assert membership.assigned == {1, 5}


async def test_metadata_that_lags_behind_the_group_is_asked_of_the_cluster_not_ignored() -> None:
    consumer = _Consumer(None, set(range(8)))
    membership, calls = await _membership(consumer)
    await _Listener(membership).on_partitions_assigned([TopicPartition(TOPIC, p) for p in range(4)])
    assert consumer.describes == 1
    assert calls == [({0, 1, 2, 3}, 8)]


async def test_an_assignment_is_never_dropped_when_the_count_stays_unknown() -> None:
    membership, calls = await _membership(_Consumer(None, None))
    await _Listener(membership).on_partitions_assigned([TopicPartition(TOPIC, 2), TopicPartition("other", 0)])
    assert calls == [({2}, None)]  # the engine keeps the partition count it has


async def test_every_assignment_after_a_revoke_is_passed_on_even_an_empty_one() -> None:
    consumer = _Consumer(set(range(8)), set(range(8)))
    membership, calls = await _membership(consumer)
    listener = _Listener(membership)
    for parts in [[0, 1], [0, 1, 2], []]:
        await listener.on_partitions_revoked([TopicPartition(TOPIC, p) for p in membership.assigned])
        await listener.on_partitions_assigned([TopicPartition(TOPIC, p) for p in parts])
    # the empty one too: the engine drops the pollers it paused
    assert calls == [({0, 1}, 8), ({0, 1, 2}, 8), (set(), 8)]
    assert membership.assigned == set()
