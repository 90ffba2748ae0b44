"""The pipelined consumer drops what it fetched for a partition that was repositioned before the batch ran."""

from __future__ import annotations

from typing import Any, cast

import asyncpg
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from livestudio_runtime.exactly_once import Decoded, ExactlyOnceConsumer, _Batch


def _record(tp: TopicPartition, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, None, b"v", None, 1, -1, [])


async def _noop(*_: Any) -> None:
    return None


async def test_records_of_a_repositioned_partition_are_dropped_and_the_rest_kept() -> None:
    consumer: ExactlyOnceConsumer[int] = ExactlyOnceConsumer(
        name="pipeline", bootstrap="127.0.0.1:1", topics=["t"], pool=cast(asyncpg.Pool, None),
        decode=lambda rec: rec.offset, apply=_noop,
    )  # fmt: skip
    kept, moved = TopicPartition("t", 0), TopicPartition("t", 1)
    fetched = {tp: [_record(tp, 5), _record(tp, 6)] for tp in (kept, moved)}
    good = [Decoded(r.topic, r.partition, r.offset, 0, None, r.offset) for rs in fetched.values() for r in rs]
    batch = _Batch(fetched, {tp: consumer.seeks[tp] for tp in fetched}, good, [(_record(moved, 7), "poison")])

    assert consumer._drop_repositioned(batch) is batch  # nothing moved since the fetch

    consumer.seeks[moved] += 1  # e.g. revoked, or re-sought from Postgres, while the batch waited
    left = consumer._drop_repositioned(batch)
    assert list(left.fetched) == [kept]
    assert {(d.partition, d.offset) for d in left.good} == {(0, 5), (0, 6)}
    assert left.poison == []
