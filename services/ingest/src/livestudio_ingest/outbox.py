"""The conflating outbox between the pollers and Kafka: bounded memory, newest observation per slot.

A slot names what an event is about: the snapshot, item list, end, correction of one session, or the status of
one account. Putting an event into a slot that already holds an unpublished one replaces it (the intermediate
observation is skipped, never the newest). While the broker is down the outbox holds at most one event per
slot, so memory is bounded by the number of sessions and accounts, and by `max_entries` on top.

`Publisher` drains it through FastStream publishers, continuously: up to `batch` events are in flight at once and
a new one is sent as soon as it is queued, without waiting for the acknowledgements of earlier ones. An event
leaves its slot only once the broker acknowledged it (and only if no newer event replaced it meanwhile); then its
`on_published` callback records what was published (the poll state persists that).

Order: an event is never sent while another event of its slot, or of its topic and key, is in flight; a newer
event waits in its slot (conflating) until the one in flight is acknowledged or has failed. So the events of one
key reach the broker one after another, in the order of their slots in line, even when a send fails and is
retried (a failed event keeps its place in line, ahead of later events of its key).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from faststream.kafka import KafkaBroker

from livestudio_ingest.core.emit import Slot, SlotKind
from livestudio_ingest.metrics import (
    BACKLOG,
    EVENTS_CONFLATED,
    EVENTS_DROPPED,
    EVENTS_ENQUEUED,
    EVENTS_PUBLISHED,
    PUBLISH_DELAY,
    PUBLISH_FAILURES,
)
from livestudio_runtime.log_reset import ProducedOffsets
from livestudio_runtime.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

__all__ = ["Outbox", "Outgoing", "Publisher", "Slot", "SlotKind"]

CONTENT_TYPE = {"content-type": "application/cloudevents+json"}


@dataclass(eq=False, slots=True)
class Outgoing:
    topic: str
    key: str
    body: bytes
    event_type: str
    on_published: Callable[[], None] | None = None
    on_dropped: Callable[[], None] | None = None
    attempts: int = field(default=0)
    queued_at: float = field(default=0.0)  # time.monotonic() when it entered the outbox


class Outbox:
    """Unpublished events by slot (insertion order = publish order), including those in flight."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._pending: OrderedDict[Slot, Outgoing] = OrderedDict()
        self._ready = asyncio.Event()
        self._flying: dict[Slot, Outgoing] = {}
        """Slot -> the event of it handed out by `take` and not yet `done` or `release`d."""
        self._busy_keys: set[tuple[str, str]] = set()
        """(topic, key) of the events in flight."""

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def in_flight(self) -> int:
        return len(self._flying)

    def put(self, slot: Slot, item: Outgoing, *, essential: bool = False) -> bool:
        """Queue `item`; returns False if it was dropped because the outbox is full (never for essentials)."""
        EVENTS_ENQUEUED.labels(item.event_type).inc()
        item.queued_at = time.monotonic()
        previous = self._pending.get(slot)
        if previous is not None:
            EVENTS_CONFLATED.labels(previous.event_type).inc()
            self._pending[slot] = item  # keeps its place in line; the newer observation replaces the older
        elif len(self._pending) >= self.max_entries and not essential:
            EVENTS_DROPPED.labels(item.event_type).inc()
            if item.on_dropped is not None:
                item.on_dropped()
            return False
        else:
            self._pending[slot] = item
        BACKLOG.set(len(self._pending))
        self._ready.set()
        return True

    def peek(self, limit: int) -> list[tuple[Slot, Outgoing]]:
        """The first `limit` events in line, in flight or not (for tests and inspection)."""
        out: list[tuple[Slot, Outgoing]] = []
        for slot, item in self._pending.items():
            out.append((slot, item))
            if len(out) >= limit:
                break
        return out

    def take(self, limit: int) -> list[tuple[Slot, Outgoing]]:
        """Hand out up to `limit` events to send, in line order, and mark them in flight. Skipped: events whose
        slot or (topic, key) already has an event in flight (they wait their turn, keeping their place)."""
        out: list[tuple[Slot, Outgoing]] = []
        if limit <= 0:
            return out
        flying, busy = self._flying, self._busy_keys
        for slot, item in self._pending.items():
            if slot in flying:
                continue
            key = (item.topic, item.key)
            if key in busy:
                continue
            flying[slot] = item
            busy.add(key)
            out.append((slot, item))
            if len(out) >= limit:
                break
        return out

    def _land(self, slot: Slot, item: Outgoing) -> None:
        if self._flying.get(slot) is item:
            del self._flying[slot]
            self._busy_keys.discard((item.topic, item.key))
        self._ready.set()  # its slot and key may let a waiting event go

    def done(self, slot: Slot, item: Outgoing) -> None:
        """`item` was acknowledged: free its slot unless a newer event took it meanwhile."""
        if self._pending.get(slot) is item:
            del self._pending[slot]
        self._land(slot, item)
        EVENTS_PUBLISHED.labels(item.event_type).inc()
        PUBLISH_DELAY.observe(time.monotonic() - item.queued_at)
        if item.on_published is not None:
            item.on_published()
        BACKLOG.set(len(self._pending))

    def release(self, slot: Slot, item: Outgoing) -> None:
        """Sending `item` failed: it (or a newer event of its slot) stays in line, at its place, to be sent again."""
        self._land(slot, item)

    async def wait(self, timeout: float) -> None:
        """Until something was queued or an event in flight landed since the last call (or `timeout`)."""
        if self._ready.is_set():
            self._ready.clear()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        self._ready.clear()


TopicRepair = Callable[[], Awaitable[None]]


class TopicPublisher(Protocol):
    """What `KafkaBroker.publisher(topic)` returns, as far as the outbox uses it (FastStream's public API:
    `publish(..., no_confirm=True)` returns a future of the broker's acknowledgement)."""

    async def publish(
        self, message: bytes, *, key: bytes, headers: dict[str, str], no_confirm: bool
    ) -> Awaitable[Any]: ...


@dataclass(eq=False, slots=True)
class _Flight:
    """One event handed to the producer: its slot, the event, and the task awaiting its acknowledgement."""

    slot: Slot
    item: Outgoing
    task: asyncio.Future[Any]


class Publisher:
    """Drains the outbox into Kafka continuously; keeps retrying (with backoff) through broker outages.

    Normally up to `batch` events are in flight and each queued event is sent at once. Acknowledgements are
    settled in the order the events were sent (the broker's offsets per partition grow in that order, which is
    how a broker that lost its log is noticed). After a failure nothing new is sent until the topics are known to
    exist; then the publisher sends one batch at a time, waiting for all of it, until a batch goes through."""

    def __init__(
        self,
        broker: KafkaBroker,
        outbox: Outbox,
        topics: Mapping[str, str],
        *,
        batch: int,
        timeout_s: float,
        repair_topics: TopicRepair | None = None,
        on_log_reset: Callable[[], object] | None = None,
    ) -> None:
        self.outbox = outbox
        self.batch = batch
        self.timeout_s = timeout_s
        self.repair_topics = repair_topics
        self.on_log_reset = on_log_reset
        self.offsets = ProducedOffsets()
        self._publishers: dict[str, TopicPublisher] = {
            topic: broker.publisher(topic, title=f"ingest:{name}") for name, topic in topics.items()
        }
        self._flights: deque[_Flight] = deque()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.failing = False
        self._recovering = False  # a trial batch after a failure is being sent
        self.published = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingest-publisher")

    async def stop(self, drain_timeout: float = 5.0) -> None:
        """Try to publish what is pending for up to `drain_timeout` seconds, then stop."""
        for _ in range(max(1, int(drain_timeout / 0.05))):
            if not len(self.outbox) or self.failing:
                break
            await asyncio.sleep(0.05)
        self._stopping.set()
        await cancel_and_wait(self._task)

    async def check(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("publisher is not running")

    async def _run(self) -> None:
        try:
            await self._loop()
        finally:
            for flight in self._flights:
                flight.task.cancel()
            await asyncio.gather(*(f.task for f in self._flights), return_exceptions=True)
            self._settle()

    async def _loop(self) -> None:
        delay = 0.2
        while not self._stopping.is_set():
            if not self.failing:
                await self.outbox.wait(timeout=1.0)
                if not self.failing:  # an acknowledgement settled meanwhile may have been a failure
                    self._launch(self.outbox.take(self.batch - len(self._flights)))
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            # After a failure, never send before the topics are known to exist: a broker that restarted empty may
            # accept writes to topics it does not know and lose them. Then one batch at a time until one succeeds.
            if not await self._repair():
                continue
            await self._drain()
            self.failing, self._recovering = False, True
            self._launch(self.outbox.take(self.batch))
            await self._drain()
            self._recovering = False
            if not self.failing:
                delay = 0.2
                log.info("publishing_recovered", backlog=len(self.outbox))

    def _launch(self, batch: list[tuple[Slot, Outgoing]]) -> None:
        for slot, item in batch:
            task = asyncio.ensure_future(self._send_one(item))
            self._flights.append(_Flight(slot, item, task))
            task.add_done_callback(self._on_landed)

    async def _send_one(self, item: Outgoing) -> Any:
        async def send() -> Any:
            future = await self._publishers[item.topic].publish(
                item.body, key=item.key.encode(), headers=CONTENT_TYPE, no_confirm=True
            )
            return await future

        return await asyncio.wait_for(send(), self.timeout_s)

    async def _drain(self) -> None:
        """Until every event in flight landed (acknowledged or failed) and was settled."""
        while self._flights:
            await asyncio.gather(*(f.task for f in self._flights), return_exceptions=True)
            self._settle()

    def _on_landed(self, _task: asyncio.Future[Any]) -> None:
        self._settle()

    def _settle(self) -> None:
        """Settle the events that landed, in the order they were sent, up to the first one still in flight."""
        flights = self._flights
        while flights and flights[0].task.done():
            flight = flights.popleft()
            task, slot, item = flight.task, flight.slot, flight.item
            if not task.cancelled() and task.exception() is None:
                if self._track_offset(task.result()):
                    log.warning("broker_log_reset_detected")
                    if self.on_log_reset is not None:
                        self.on_log_reset()
                self.outbox.done(slot, item)
                self.published += 1
                continue
            item.attempts += 1
            if not task.cancelled() and item.attempts == 1:
                log.debug("publish_error", error=type(task.exception()).__name__)
            if not self.failing and not self._stopping.is_set():
                PUBLISH_FAILURES.inc()
                if not self._recovering:
                    log.warning("publishing_failed", backlog=len(self.outbox))
            self.failing = True
            self.outbox.release(slot, item)

    async def _repair(self) -> bool:
        if self.repair_topics is None:
            return True
        try:
            await asyncio.wait_for(self.repair_topics(), self.timeout_s)
        except Exception as exc:
            log.debug("topic_repair_failed", error=type(exc).__name__)
            return False
        return True

    def forget_offsets(self) -> None:
        """The broker's logs start again (a reset was handled): offsets from before mean nothing now."""
        self.offsets.forget()

    def _track_offset(self, meta: Any) -> bool:
        """True if the broker's acknowledgement says its log was reset (`log_reset.ProducedOffsets`: the
        embedded broker forgets everything on restart; a topic was re-created)."""
        offset = getattr(meta, "offset", None)
        if not isinstance(offset, int):
            return False
        return self.offsets.acknowledged(str(getattr(meta, "topic", "")), int(getattr(meta, "partition", -1)), offset)
