"""The exactly-once-effect consumer loop shared by analytics and commission.

Kafka delivers at least once; this loop makes the *effect* in Postgres exactly once without broker
transactions or idempotent producers:

* Offsets live in Postgres (`consumer_offsets` in the service's schema) and are written in the same transaction
  as the rows a batch changes. On (re)assignment the consumer seeks to those offsets, so a crash at any instant,
  a redelivery or a rebalance resumes exactly after the last committed batch.
* Inside the transaction the offset rows are locked and records below the stored offset are dropped: if a
  rebalance lets two members briefly hold a partition, the second one skips what the first applied.
* If the broker lost its log (the embedded broker forgets everything on restart), the consumer reacts as the
  contract of `livestudio_runtime.log_reset` says for consumers: the broker answers OFFSET_OUT_OF_RANGE (auto
  reset is off, so nothing moves silently), reports a high-water mark below our position (`log_reset.log_shrunk`)
  or holds another record under our last applied offset (`log_reset.log_replaced`, checked on assignment); that
  partition is re-read from the earliest offset, and the apply functions, which are idempotent on content
  (newest observation wins), ignore what they already applied.
* Records that cannot be decoded go to `<topic>.dlq` with the reason in headers; the partition moves on.
* So do records that decode but fail to *apply* (an `OverflowError` on a far-future timestamp, a constraint
  violation, a bug): when a batch's transaction fails with an error that is not transient infrastructure
  (`is_transient`: a lost connection, a timeout, a deadlock, Postgres shutting down, all retried from the stored
  offsets as before), the batch is applied again in a new transaction, halves in savepoints, down to the records
  that fail alone (O(k log n) savepoints for k bad records in n). Those go to the DLQ with the error in their
  headers, the rest and the offsets commit together: exactly once still holds, and no record stops a partition.
  The first attempt has no savepoint, so a healthy batch costs what it did.
* Readiness (`check`) fails when the consumer makes no progress: lag above zero and no batch committed for
  `stall_after_s`, or one batch applying for longer than that (`livestudio_consumer_stalled` says the same).
* Fetching and decoding are pipelined: while a batch is applied, the next one is fetched (waiting for the broker
  if nothing is buffered yet: aiokafka asks the broker for more only once its buffer is drained, so a fetch that
  merely took what was buffered would often find nothing) and decoded (cooperatively, in chunks) as soon as it
  arrives, and what arrives until the transaction ends is added to it (up to `max_records`): the time the
  transaction waits on Postgres decodes records instead of idling, and bigger batches spread its fixed cost.
  Then the batch is prepared (`prepare`: the part of applying it that needs no database, e.g. collapsing it;
  redone in the rare case that the transaction drops records it already applied). A fetched batch remembers how
  often each of its partitions had been repositioned (seek, assignment, revocation, log reset); records of a
  partition repositioned since are dropped, not applied: the consumer reads them again from the new position.

Offsets are also committed to Kafka after each batch, only so that external lag tooling sees progress. That
commit runs in the background (one at a time, the newest offsets replacing any not sent yet): the next batch
never waits for it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter as CounterOf
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Generic, TypeVar

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError, NoOffsetForPartitionError, OffsetOutOfRangeError
from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter, Gauge, Histogram

from livestudio_runtime.db import DbConnection
from livestudio_runtime.kafka import dlq_headers
from livestudio_runtime.log_reset import log_replaced, log_shrunk

T = TypeVar("T")
log = structlog.get_logger(__name__)

EVENTS_APPLIED = Counter(
    "livestudio_consumer_events_applied_total", "Records applied to Postgres", ["consumer", "topic"]
)
EVENTS_SKIPPED = Counter(
    "livestudio_consumer_events_skipped_total",
    "Records dropped because their offset was already applied",
    ["consumer", "topic"],
)
DLQ_SENT = Counter("livestudio_consumer_dlq_total", "Records sent to a DLQ", ["consumer", "topic"])
BATCH_SIZE = Histogram(
    "livestudio_consumer_batch_size",
    "Records per applied batch",
    ["consumer"],
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000, 50000),
)
APPLY_SECONDS = Histogram(
    "livestudio_consumer_apply_seconds",
    "Time to apply one batch in Postgres",
    ["consumer"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
LAG = Gauge("livestudio_consumer_lag", "High-water mark minus applied offset", ["consumer", "topic", "partition"])
LAST_APPLIED = Gauge(
    "livestudio_consumer_last_applied_timestamp_seconds", "Kafka timestamp of the newest applied record", ["consumer"]
)
LOG_RESETS = Counter(
    "livestudio_consumer_log_resets_total",
    "Partitions re-read from the start because the broker's log was shorter than our offset",
    ["consumer", "topic"],
)
APPLY_ERRORS = Counter("livestudio_consumer_apply_errors_total", "Batches whose transaction failed", ["consumer"])
APPLY_FAILED = Counter(
    "livestudio_consumer_apply_failed_total",
    "Decoded records that failed to apply on their own (sent to the DLQ; also counted in dlq_total)",
    ["consumer", "topic"],
)
STALLED = Gauge(
    "livestudio_consumer_stalled",
    "1 while the consumer has lag but committed nothing for stall_after_s (or one batch applies that long)",
    ["consumer"],
)

_TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,  # includes ConnectionError
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.TransactionRollbackError,  # serialization failure, deadlock: retry the batch
    asyncpg.exceptions.InsufficientResourcesError,  # disk full, too many connections
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now, query cancelled
    asyncpg.exceptions.PostgresSystemError,
    asyncpg.exceptions.LockNotAvailableError,
    KafkaError,
)


def is_transient(exc: BaseException) -> bool:
    """An infrastructure failure that says nothing about the records: retry the batch, never dead-letter it."""
    return isinstance(exc, _TRANSIENT)


class PoisonMessage(Exception):
    """Raised by a decoder for a record that can never be applied (invalid JSON, schema, impossible values)."""


@dataclass(slots=True)  # one per record: slots, not frozen, for a cheap constructor
class Decoded(Generic[T]):
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: T


@dataclass
class Batch(Generic[T]):
    """A fetched batch, decoded, waiting for its transaction."""

    fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    seeks: dict[TopicPartition, int]
    """How often each partition had been repositioned when the batch was fetched."""
    good: list[Decoded[T]]
    poison: list[tuple[ConsumerRecord[bytes, bytes], str]]
    prepared: Any
    """`prepare(good)`"""


Fetched = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
_TOPIC = attrgetter("topic")
_TIMESTAMP = attrgetter("timestamp_ms")
_DECODE_CHUNK = 200
"""Records decoded between two yields to the event loop."""
_TOP_UP_POLL_MS = 2
"""How long one look for more records waits while the previous batch is still being applied."""
Decoder = Callable[[ConsumerRecord[bytes, bytes]], T]
Preparer = Callable[[Sequence[Decoded[T]]], Any]
"""What can be done with a decoded batch before its transaction (pure: no database)."""
Applier = Callable[[DbConnection, Any], Awaitable[None]]
"""Applies a prepared batch (what `Preparer` returned; by default the decoded records) in the transaction."""


def _as_is(batch: Sequence[Decoded[Any]]) -> Sequence[Decoded[Any]]:
    return batch


def without_repositioned(
    batch: Batch[T], seeks_now: Mapping[TopicPartition, int], prepare: Preparer[T]
) -> tuple[Batch[T], set[TopicPartition]]:
    """The batch without the partitions repositioned since it was fetched (revoked, or sought again from Postgres
    while it waited: its records are no longer the next ones to apply), prepared again; and those partitions."""
    moved = {tp for tp, n in batch.seeks.items() if seeks_now.get(tp, 0) != n}
    if not moved:
        return batch, moved
    good = [d for d in batch.good if TopicPartition(d.topic, d.partition) not in moved]
    kept = Batch(
        {tp: recs for tp, recs in batch.fetched.items() if tp not in moved},
        {tp: n for tp, n in batch.seeks.items() if tp not in moved},
        good,
        [(rec, err) for rec, err in batch.poison if TopicPartition(rec.topic, rec.partition) not in moved],
        prepare(good),
    )
    return kept, moved


_SELECT_OFFSETS = """
SELECT topic, partition, next_offset, last_record_ts FROM consumer_offsets
WHERE consumer = $1 AND topic = ANY($2::text[])
"""
_LOCK_OFFSETS = """
SELECT topic, partition, next_offset FROM consumer_offsets
WHERE consumer = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))
ORDER BY topic, partition FOR UPDATE
"""
_CLAIM_OFFSETS = """
INSERT INTO consumer_offsets (consumer, topic, partition, next_offset, updated_at)
SELECT $1, t, p, 0, now() FROM unnest($2::text[], $3::int[]) AS x(t, p)
ORDER BY t, p
ON CONFLICT (consumer, topic, partition) DO NOTHING
"""
_UPSERT_OFFSETS = """
INSERT INTO consumer_offsets (consumer, topic, partition, next_offset, last_record_ts, updated_at)
SELECT $1, t, p, o, ts, now() FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS x(t, p, o, ts)
ON CONFLICT (consumer, topic, partition) DO UPDATE
SET next_offset = EXCLUDED.next_offset, last_record_ts = EXCLUDED.last_record_ts, updated_at = now()
"""


class _SeekFromPostgres(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: ExactlyOnceConsumer[Any]) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # The batch in flight (if any) finishes or rolls back on its own; the row lock protects the offsets.
        for tp in revoked:
            self.owner.positions.pop(tp, None)
            self.owner.seeks[tp] += 1  # records of it fetched but not applied yet are no longer ours

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        await self.owner.seek_assigned(assigned)


class ExactlyOnceConsumer(Generic[T]):
    """Consume `topics` in batches; decode each record, then apply a batch and its offsets in one transaction."""

    def __init__(
        self,
        *,
        name: str,
        bootstrap: str,
        topics: Sequence[str],
        pool: asyncpg.Pool,
        decode: Decoder[T],
        apply: Applier,
        prepare: Preparer[T] = _as_is,
        max_records: int = 2000,
        fetch_max_wait_ms: int = 50,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 1_000,
        max_partition_fetch_bytes: int = 4 * 1024 * 1024,
        stall_after_s: float = 120.0,
    ) -> None:
        self.name = name
        self.topics = list(topics)
        self.pool = pool
        self.decode = decode
        self.apply = apply
        self.prepare = prepare
        self.max_records = max_records
        self.stall_after_s = stall_after_s
        self._last_progress = time.monotonic()
        """When a batch last committed, or the consumer was last seen with no lag."""
        self._applying_since: float | None = None
        self.positions: dict[TopicPartition, int] = {}
        self.log_resets: set[TopicPartition] = set()
        self.seeks: CounterOf[TopicPartition] = CounterOf()
        # partition -> (offset, timestamp) of the last applied record, re-read on assignment to prove the log
        # under our stored offset is still the one we applied (a restarted embedded broker starts a new one)
        self.verifying: dict[TopicPartition, tuple[int, int]] = {}
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=name,
            client_id=name,
            enable_auto_commit=False,
            auto_offset_reset="none",
            fetch_max_wait_ms=fetch_max_wait_ms,
            max_poll_records=max_records,
            max_partition_fetch_bytes=max_partition_fetch_bytes,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            rebalance_timeout_ms=max(session_timeout_ms, 10_000),
        )
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=f"{name}-dlq", acks="all", linger_ms=5)
        for topic in self.topics:  # series exist at 0 from the start, so increase() sees the first DLQ record
            DLQ_SENT.labels(name, topic)
            LOG_RESETS.labels(name, topic)
            EVENTS_APPLIED.labels(name, topic)
            APPLY_FAILED.labels(name, topic)
        STALLED.labels(name).set_function(lambda: 1.0 if self.stalled() is not None else 0.0)
        self._task: asyncio.Task[None] | None = None
        self._kafka_offsets: dict[TopicPartition, int] = {}
        """Applied offsets not yet handed to a Kafka commit."""
        self._committer: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._applied = asyncio.Event()
        """Set when no batch is being applied: the next batch stops growing."""
        self.assigned = asyncio.Event()
        self.batches_applied = 0

    # --- lifecycle --------------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.producer.start()
        self.consumer.subscribe(self.topics, listener=_SeekFromPostgres(self))
        await self.consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.name}")

    async def stop(self) -> None:
        """Finish the batch in flight, then leave the group."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 30)
            except TimeoutError:
                self._task.cancel()
        if self._committer is not None:
            await asyncio.wait([self._committer], timeout=5)
        await self.consumer.stop()
        await self.producer.stop()

    @property
    def healthy(self) -> bool:
        return self._task is not None and not self._task.done()

    def _lags(self) -> Iterator[tuple[TopicPartition, int]]:
        """Each assigned partition whose high watermark and position are known, with the records not applied."""
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            pos = self.positions.get(tp)
            if high is not None and pos is not None:
                yield tp, max(0, high - pos)

    def total_lag(self) -> int:
        """Records on the broker not applied yet, over the assigned partitions."""
        return sum(lag for _, lag in self._lags())

    def stalled(self) -> str | None:
        """Why the consumer makes no progress, or None."""
        now = time.monotonic()
        if self._applying_since is not None and now - self._applying_since > self.stall_after_s:
            return f"one batch has been applying for {now - self._applying_since:.0f}s"
        if now - self._last_progress > self.stall_after_s:
            lag = self.total_lag()
            if lag > 0:
                return f"{lag} records behind and nothing committed for {now - self._last_progress:.0f}s"
        return None

    async def check(self) -> None:
        """Readiness: the loop runs and makes progress."""
        if not self.healthy:
            raise RuntimeError(f"consumer {self.name} is not running")
        reason = self.stalled()
        if reason is not None:
            raise RuntimeError(f"consumer {self.name} makes no progress: {reason}")

    # --- assignment ---------------------------------------------------------------------------------------
    async def seek_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        if not assigned:
            return
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(_SELECT_OFFSETS, self.name, sorted({tp.topic for tp in assigned}))
        stored = {TopicPartition(r["topic"], r["partition"]): (r["next_offset"], r["last_record_ts"]) for r in rows}
        for tp in assigned:
            offset, last_ts = stored.get(tp, (None, None))
            self.verifying.pop(tp, None)
            self.seeks[tp] += 1
            if offset is None:
                await self.consumer.seek_to_beginning(tp)
            elif offset > 0 and last_ts is not None:
                self.consumer.seek(tp, offset - 1)
                self.verifying[tp] = (offset - 1, last_ts)
            else:
                self.consumer.seek(tp, offset)
            self.positions[tp] = offset or 0
        self.assigned.set()
        log.info(
            "partitions_assigned",
            consumer=self.name,
            partitions={f"{tp.topic}:{tp.partition}": self.positions[tp] for tp in assigned},
        )

    async def _restart_from_earliest(self, err: OffsetOutOfRangeError) -> None:
        out_of_range = err.args[0] if err.args and isinstance(err.args[0], dict) else {}
        for tp in out_of_range or self.consumer.assignment():
            await self._reset(tp)

    async def _reset(self, tp: TopicPartition) -> None:
        """The log under our offset is gone: re-read the partition from its start, and say so in Postgres at once
        so that a restart before the next batch does not seek to the stale offset."""
        self.seeks[tp] += 1
        if tp in self.log_resets:
            await self.consumer.seek_to_beginning(tp)
            return
        LOG_RESETS.labels(self.name, tp.topic).inc()
        log.warning(
            "log_reset_detected",
            consumer=self.name,
            topic=tp.topic,
            partition=tp.partition,
            stored_offset=self.positions.get(tp),
        )
        self.log_resets.add(tp)
        self.verifying.pop(tp, None)
        self.positions[tp] = 0
        async with self.pool.acquire() as conn:
            await conn.execute(_UPSERT_OFFSETS, self.name, [tp.topic], [tp.partition], [0], [None])
        await self.consumer.seek_to_beginning(tp)

    async def _verify(
        self, fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        for tp in [tp for tp in fetched if tp in self.verifying and fetched[tp]]:
            offset, ts = self.verifying.pop(tp)
            first = fetched[tp][0]
            if log_replaced((offset, ts), first.offset, first.timestamp):
                log.warning(
                    "log_replaced_under_offset",
                    consumer=self.name,
                    topic=tp.topic,
                    partition=tp.partition,
                    offset=offset,
                    expected_ts=ts,
                    found_offset=first.offset,
                    found_ts=first.timestamp,
                )
                del fetched[tp]
                await self._reset(tp)
        return fetched

    # --- the loop ----------------------------------------------------------------------------------------
    async def _run(self) -> None:
        ready: Batch[T] | None = None  # decoded; applied while the next batch is fetched and decoded
        while not self._stopping.is_set():
            try:
                if ready is None:
                    self._applied.set()
                else:
                    self._applied.clear()
                upcoming = asyncio.create_task(self._fetch_and_decode(timeout_ms=200))
                try:
                    if ready is not None:
                        await self._process(ready)
                finally:
                    self._applied.set()
                    ready = await upcoming
                await self._check_log_shrunk()
                self._report_lag()
            except asyncio.CancelledError:
                raise
            except Exception:
                ready = None  # fetched before the rewind: read again from the offsets in Postgres
                APPLY_ERRORS.labels(self.name).inc()
                log.exception("batch_failed", consumer=self.name)
                await self._rewind()
                await asyncio.sleep(1.0)

    async def _fetch_and_decode(self, timeout_ms: int) -> Batch[T] | None:
        """The next batch, decoded and prepared; it grows with what arrives while the previous one is applied."""
        fetched, seeks = await self._fetch(timeout_ms, self.max_records)
        if not fetched:
            return None
        good: list[Decoded[T]] = []
        poison: list[tuple[ConsumerRecord[bytes, bytes], str]] = []
        await self._decode_into(fetched, good, poison)
        count = sum(map(len, fetched.values()))
        while count < self.max_records and not self._applied.is_set():
            more, more_seeks = await self._fetch(_TOP_UP_POLL_MS, self.max_records - count)
            for tp, records in more.items():  # a partition repositioned in between is dropped when applied
                fetched.setdefault(tp, []).extend(records)
                seeks.setdefault(tp, more_seeks[tp])
                count += len(records)
            await self._decode_into(more, good, poison)
        return Batch(fetched, seeks, good, poison, self.prepare(good))

    async def _fetch(self, timeout_ms: int, max_records: int) -> tuple[Fetched, dict[TopicPartition, int]]:
        try:
            fetched = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        except OffsetOutOfRangeError as err:
            await self._restart_from_earliest(err)
            return {}, {}
        except NoOffsetForPartitionError as err:
            # a fetch raced the seek of a fresh assignment: position it from Postgres (or the beginning)
            raced = [a for a in err.args if isinstance(a, TopicPartition)] or list(self.consumer.assignment())
            await self.seek_assigned(raced)
            return {}, {}
        # taken before any await: aiokafka only returns records at the partition's current position
        seeks = {tp: self.seeks[tp] for tp in fetched}
        if fetched and self.verifying:
            fetched = await self._verify(fetched)
        return fetched, seeks

    async def _rewind(self) -> None:
        """After a failed batch, go back to what Postgres says was applied."""
        assignment = list(self.consumer.assignment())
        try:
            await self.seek_assigned(assignment)
        except Exception:
            log.exception("rewind_failed", consumer=self.name)

    async def _decode_into(
        self, fetched: Fetched, good: list[Decoded[T]], poison: list[tuple[ConsumerRecord[bytes, bytes], str]]
    ) -> None:
        """Decode fetched records, yielding to the event loop every few records (the batch in flight awaits
        Postgres)."""
        decode = self.decode
        for records in fetched.values():
            for i, rec in enumerate(records):
                if i % _DECODE_CHUNK == _DECODE_CHUNK - 1:
                    await asyncio.sleep(0)
                try:
                    value = decode(rec)
                except Exception as exc:
                    poison.append((rec, f"{type(exc).__name__}: {exc}"))
                    continue
                good.append(Decoded(rec.topic, rec.partition, rec.offset, rec.timestamp, rec.key, value))

    def _drop_repositioned(self, batch: Batch[T]) -> Batch[T]:
        kept, moved = without_repositioned(batch, self.seeks, self.prepare)
        if moved:
            log.info(
                "fetched_records_dropped",
                consumer=self.name,
                reason="partition repositioned after the fetch",
                partitions=sorted(f"{tp.topic}:{tp.partition}" for tp in moved),
            )
        return kept

    async def _process(self, batch: Batch[T]) -> None:
        batch = self._drop_repositioned(batch)
        fetched = batch.fetched
        if not any(fetched.values()):
            return
        started = time.perf_counter()
        resets = self.log_resets & {tp for tp, records in fetched.items() if records}
        if batch.poison:
            await self._send_to_dlq(batch.poison)

        next_offsets = {tp: recs[-1].offset + 1 for tp, recs in fetched.items() if recs}
        last_ts = {tp: recs[-1].timestamp for tp, recs in fetched.items() if recs}
        self._applying_since = time.monotonic()
        try:
            try:
                fresh, skipped, failed = await self._transaction(batch, resets, next_offsets, last_ts, isolate=False)
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning(
                    "batch_apply_failed_isolating", consumer=self.name, error=f"{type(exc).__name__}: {exc}"[:300]
                )
                fresh, skipped, failed = await self._transaction(batch, resets, next_offsets, last_ts, isolate=True)
        finally:
            self._applying_since = None
        self._last_progress = time.monotonic()
        for d, _ in failed:
            APPLY_FAILED.labels(self.name, d.topic).inc()

        self.log_resets -= resets
        self.positions.update(next_offsets)
        self.batches_applied += 1
        for topic, n in skipped.items():
            EVENTS_SKIPPED.labels(self.name, topic).inc(n)
        if failed:
            dropped = {id(d) for d, _ in failed}
            fresh = [d for d in fresh if id(d) not in dropped]
        for topic, n in CounterOf(map(_TOPIC, fresh)).items():
            EVENTS_APPLIED.labels(self.name, topic).inc(n)
        if fresh:
            LAST_APPLIED.labels(self.name).set(max(map(_TIMESTAMP, fresh)) / 1000)
        BATCH_SIZE.labels(self.name).observe(len(fresh))
        APPLY_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        self._commit_to_kafka(next_offsets)

    async def _transaction(
        self,
        batch: Batch[T],
        resets: set[TopicPartition],
        next_offsets: dict[TopicPartition, int],
        last_ts: dict[TopicPartition, int],
        *,
        isolate: bool,
    ) -> tuple[list[Decoded[T]], CounterOf[str], list[tuple[Decoded[T], str]]]:
        """Apply the batch's fresh records and store the offsets in one transaction: (fresh, skipped per topic,
        records dead-lettered). With `isolate`, records that fail to apply on their own go to the DLQ instead."""
        fetched = batch.fetched
        tps = sorted(next_offsets, key=lambda tp: (tp.topic, tp.partition))
        failed: list[tuple[Decoded[T], str]] = []
        async with self.pool.acquire() as conn, conn.transaction():
            keys = (self.name, [tp.topic for tp in tps], [tp.partition for tp in tps])
            locked = await conn.fetch(_LOCK_OFFSETS, *keys)
            if len(locked) < len(tps):
                # A partition's first batch has no row to lock, and a member that just lost the partition may be
                # applying its own first batch of it: claim the rows (an insert of a key another transaction
                # inserted waits for that one to end), then lock them, so the later of the two skips what the
                # earlier applied.
                await conn.execute(_CLAIM_OFFSETS, *keys)
                locked = await conn.fetch(_LOCK_OFFSETS, *keys)
            # (topic, partition) -> first offset not applied yet; a reset partition is read again from the start
            applied = {(r["topic"], r["partition"]): r["next_offset"] for r in locked}
            for tp in resets:
                applied.pop(tp, None)
            fresh: list[Decoded[T]] = batch.good
            skipped: CounterOf[str] = CounterOf()
            if any(recs and recs[0].offset < applied.get(tp, 0) for tp, recs in fetched.items()):
                fresh = []
                for d in batch.good:
                    if d.offset < applied.get((d.topic, d.partition), 0):
                        skipped[d.topic] += 1
                    else:
                        fresh.append(d)
            if fresh and not isolate:
                await self.apply(conn, batch.prepared if fresh is batch.good else self.prepare(fresh))
            elif fresh:
                failed = await self._isolate(conn, fresh)
                if failed:
                    raw = {(r.topic, r.partition, r.offset): r for recs in fetched.values() for r in recs}
                    await self._send_to_dlq([(raw[(d.topic, d.partition, d.offset)], err) for d, err in failed])
            await conn.execute(
                _UPSERT_OFFSETS,
                self.name,
                [tp.topic for tp in tps],
                [tp.partition for tp in tps],
                [next_offsets[tp] for tp in tps],
                [last_ts[tp] for tp in tps],
            )
        return fresh, skipped, failed

    async def _isolate(self, conn: DbConnection, records: list[Decoded[T]]) -> list[tuple[Decoded[T], str]]:
        """Apply `records` in a savepoint; if that fails for a reason that is not transient, apply each half the
        same way, down to single records: the ones that fail alone, with their error."""
        try:
            async with conn.transaction():
                await self.apply(conn, self.prepare(records))
            return []
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(records) == 1:
                d = records[0]
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "record_apply_failed",
                    consumer=self.name,
                    topic=d.topic,
                    partition=d.partition,
                    offset=d.offset,
                    error=error[:300],
                )
                return [(d, error)]
        mid = len(records) // 2
        return await self._isolate(conn, records[:mid]) + await self._isolate(conn, records[mid:])

    def _commit_to_kafka(self, offsets: dict[TopicPartition, int]) -> None:
        """Let external lag tooling see `offsets` (Postgres holds the real ones): committed in the background."""
        self._kafka_offsets.update(offsets)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_pending(), name=f"kafka-commit:{self.name}")

    async def _commit_pending(self) -> None:
        while self._kafka_offsets:
            offsets, self._kafka_offsets = self._kafka_offsets, {}
            try:
                await self.consumer.commit(offsets)
            except Exception as exc:  # e.g. a partition revoked meanwhile: its new owner commits its own
                log.debug("kafka_commit_skipped", consumer=self.name, error=str(exc))

    async def _send_to_dlq(self, poison: list[tuple[ConsumerRecord[bytes, bytes], str]]) -> None:
        futures = []
        for rec, error in poison:
            DLQ_SENT.labels(self.name, rec.topic).inc()
            log.warning(
                "message_to_dlq",
                consumer=self.name,
                topic=rec.topic,
                partition=rec.partition,
                offset=rec.offset,
                error=error[:300],
            )
            futures.append(
                await self.producer.send(
                    f"{rec.topic}.dlq",
                    value=rec.value,
                    key=rec.key,
                    headers=dlq_headers(error, rec.topic, rec.partition, rec.offset, self.name),
                )
            )
        await asyncio.gather(*futures)

    async def _check_log_shrunk(self) -> None:
        """A high-water mark below our position means the broker lost the log (it may not say out-of-range)."""
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            pos = self.positions.get(tp)
            if log_shrunk(high, pos) and tp not in self.log_resets:
                await self._reset(tp)

    def _report_lag(self) -> None:
        total = 0
        for tp, lag in self._lags():
            LAG.labels(self.name, tp.topic, str(tp.partition)).set(lag)
            total += lag
        if total == 0:
            self._last_progress = time.monotonic()
