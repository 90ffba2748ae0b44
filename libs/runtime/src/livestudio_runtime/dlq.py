"""Dead-letter queues (`<topic>.dlq`): list what is in one, and replay it into its original topic after a fix.

`python -m livestudio_runtime.dlq list --bootstrap HOST:PORT --topic livestudio.commands.v1.dlq` prints one line
per record: partition, offset, the original topic/partition/offset, the consumer and the error (never the value:
commands carry encrypted cookies). `replay` copies the records (value, key) back into the topic named by their
`x-original-topic` header (or `--to`) with an `x-replayed-from` header, and commits its position in the DLQ under
a consumer group (`--group`, default `livestudio-dlq-replay`), so a second replay resends only what arrived
since. Consumers are idempotent on content and commands on their id, so a record replayed twice applies once; a
record that still fails goes to the DLQ again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from livestudio_runtime.logging import redacted_output

DEFAULT_GROUP = "livestudio-dlq-replay"


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    original_topic: str | None
    original_partition: str | None
    original_offset: str | None
    consumer: str | None
    error: str | None


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            text: str = bytes(value).decode(errors="replace")
            return text
    return None


def letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    return DeadLetter(
        partition=record.partition,
        offset=record.offset,
        original_topic=_header(record, "x-original-topic"),
        original_partition=_header(record, "x-original-partition"),
        original_offset=_header(record, "x-original-offset"),
        consumer=_header(record, "x-consumer"),
        error=_header(record, "x-error"),
    )


def target_topic(record: ConsumerRecord[bytes, bytes], dlq_topic: str, to: str | None) -> str:
    if to:
        return to
    original = _header(record, "x-original-topic")
    if original:
        return original
    if dlq_topic.endswith(".dlq"):
        return dlq_topic.removesuffix(".dlq")
    raise ValueError(f"cannot tell the original topic of {dlq_topic}:{record.partition}:{record.offset}; pass --to")


async def _drain(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record up to the end offsets taken at the start."""
    out: list[ConsumerRecord[bytes, bytes]] = []
    pending = {tp for tp, end in ends.items() if await consumer.position(tp) < end}
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=500)
        for tp, records in batch.items():
            out.extend(r for r in records if r.offset < ends[tp])
        pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    return out


async def _open(bootstrap: str, topic: str, group: str | None) -> tuple[AIOKafkaConsumer, dict[TopicPartition, int]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    partitions = consumer.partitions_for_topic(topic)
    if partitions is None:
        await consumer.stop()
        raise ValueError(f"topic {topic} does not exist")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    if group is None:
        await consumer.seek_to_beginning(*tps)
    ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
    return consumer, ends


async def list_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    consumer, ends = await _open(bootstrap, topic, None)
    try:
        return [letter(r) for r in await _drain(consumer, ends)]
    finally:
        await consumer.stop()


async def replay(
    bootstrap: str, topic: str, *, to: str | None = None, group: str = DEFAULT_GROUP, dry_run: bool = False
) -> list[tuple[DeadLetter, str]]:
    """Copy the DLQ's records not replayed yet by `group` into their original topic; (record, target) each."""
    consumer, ends = await _open(bootstrap, topic, group)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        records = await _drain(consumer, ends)
        done = [(letter(r), target_topic(r, topic, to)) for r in records]
        if dry_run or not records:
            return done
        futures = []
        for record, (_, target) in zip(records, done, strict=True):
            origin = f"{topic}:{record.partition}:{record.offset}".encode()
            futures.append(
                await producer.send(target, record.value, key=record.key, headers=[("x-replayed-from", origin)])
            )
        await asyncio.gather(*futures)
        last: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            last[tp] = max(last.get(tp, 0), r.offset + 1)
        await consumer.commit(last)
        return done
    finally:
        await producer.stop()
        await consumer.stop()


def _line(d: DeadLetter) -> str:
    origin = f"{d.original_topic}:{d.original_partition}:{d.original_offset}"
    return f"{d.partition}:{d.offset}\tfrom={origin}\tconsumer={d.consumer}\terror={d.error}"


def main(argv: Sequence[str] | None = None) -> int:
    with redacted_output():  # what it prints is redacted like the logs
        return _main(argv)


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m livestudio_runtime.dlq", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "replay"):
        p = sub.add_parser(name)
        p.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, e.g. kafka:9092")
        p.add_argument("--topic", required=True, help="the DLQ topic, e.g. livestudio.commands.v1.dlq")
        if name == "replay":
            p.add_argument("--to", default=None, help="target topic (default: the x-original-topic header)")
            p.add_argument("--group", default=DEFAULT_GROUP, help="consumer group that remembers what was replayed")
            p.add_argument("--dry-run", action="store_true", help="print what would be replayed, send nothing")
    args = parser.parse_args(argv)
    if args.command == "list":
        for d in asyncio.run(list_letters(args.bootstrap, args.topic)):
            print(_line(d))
        return 0
    done = asyncio.run(replay(args.bootstrap, args.topic, to=args.to, group=args.group, dry_run=args.dry_run))
    for d, target in done:
        print(f"{'would replay' if args.dry_run else 'replayed'} {_line(d)}\tto={target}")
    print(f"{len(done)} record(s) {'to replay' if args.dry_run else 'replayed'}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
