"""What a pipelined consumer does with a batch fetched for a partition that was repositioned before the batch ran
(`without_repositioned`): those records are dropped, the rest kept and prepared again. The pipelining itself (the
next batch fetched and decoded while one is applied) is tested against a real broker in
`tests/runtime/integration/test_exactly_once_pipelining.py`."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from livestudio_runtime.exactly_once import Batch, Decoded, without_repositioned


def _record(tp: TopicPartition, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, None, b"v", None, 1, -1, [])


def _offsets(good: Sequence[Decoded[int]]) -> list[int]:
    return [d.value for d in good]


def test_records_of_a_repositioned_partition_are_dropped_and_the_rest_kept() -> None:
    kept, moved = TopicPartition("t", 0), TopicPartition("t", 1)
    fetched = {tp: [_record(tp, 5), _record(tp, 6)] for tp in (kept, moved)}
    good = [Decoded(r.topic, r.partition, r.offset, 0, None, r.offset) for rs in fetched.values() for r in rs]
    seeks = {kept: 2, moved: 3}
    batch = Batch(fetched, seeks, good, [(_record(moved, 7), "poison")], prepared=good)

    same, none = without_repositioned(batch, {kept: 2, moved: 3}, _offsets)
    assert same is batch and none == set()  # nothing moved since the fetch

    left, gone = without_repositioned(batch, {kept: 2, moved: 4}, _offsets)  # e.g. revoked, or re-sought
    assert gone == {moved}
    assert list(left.fetched) == [kept]
    assert left.seeks == {kept: 2}
    assert {(d.partition, d.offset) for d in left.good} == {(0, 5), (0, 6)}
    assert left.poison == []
    assert left.prepared == [5, 6]  # prepared again from what is left


def test_a_partition_never_repositioned_counts_as_zero() -> None:
    tp = TopicPartition("t", 0)
    batch: Batch[int] = Batch({tp: [_record(tp, 1)]}, {tp: 0}, [], [], prepared=[])
    assert without_repositioned(batch, {}, _offsets)[1] == set()
