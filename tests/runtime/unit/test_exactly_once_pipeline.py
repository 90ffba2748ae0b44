"""The pipelined consumer: the next batch is fetched and decoded while one is applied, and what it fetched for a
partition that was repositioned before the batch ran is dropped."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import asyncpg
import pytest
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
    seeks = {tp: consumer.seeks[tp] for tp in fetched}
    batch = _Batch(fetched, seeks, good, [(_record(moved, 7), "poison")], prepared=good)

    assert consumer._drop_repositioned(batch) is batch  # nothing moved since the fetch

    consumer.seeks[moved] += 1  # e.g. revoked, or re-sought from Postgres, while the batch waited
    left = consumer._drop_repositioned(batch)
    assert list(left.fetched) == [kept]
    assert {(d.partition, d.offset) for d in left.good} == {(0, 5), (0, 6)}
    assert left.poison == []
    assert left.prepared == left.good  # prepared again from what is left


async def test_a_batch_arriving_while_one_is_applied_is_decoded_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiokafka fetches more only once its buffer is drained, so the next batch usually lands mid-apply."""
    trace: list[str] = []

    def decode(rec: ConsumerRecord[bytes, bytes]) -> int:
        trace.append(f"decode {rec.offset}")
        return int(rec.offset)

    consumer: ExactlyOnceConsumer[int] = ExactlyOnceConsumer(
        name="pipeline", bootstrap="127.0.0.1:1", topics=["t"], pool=cast(asyncpg.Pool, None),
        decode=decode, apply=_noop,
    )  # fmt: skip
    tp = TopicPartition("t", 0)
    answered = asyncio.Event()  # the broker's answer to the second fetch
    calls = 0

    async def getmany(timeout_ms: int, max_records: int) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {tp: [_record(tp, 1)]}
        if calls == 2:
            try:
                await asyncio.wait_for(answered.wait(), timeout_ms / 1000)
            except TimeoutError:
                return {}
            return {tp: [_record(tp, 2)]}
        await asyncio.sleep(timeout_ms / 1000)
        return {}

    async def process(batch: _Batch[int]) -> None:
        offset = batch.good[0].value
        trace.append(f"apply {offset} start")
        answered.set()
        await asyncio.sleep(0.05)  # the transaction waits on Postgres
        trace.append(f"apply {offset} end")
        if offset == 2:
            consumer._stopping.set()

    monkeypatch.setattr(consumer.consumer, "getmany", getmany)
    monkeypatch.setattr(consumer.consumer, "assignment", set)
    monkeypatch.setattr(consumer, "_process", process)
    await asyncio.wait_for(consumer._run(), 5)
    assert trace == ["decode 1", "apply 1 start", "decode 2", "apply 1 end", "apply 2 start", "apply 2 end"]
