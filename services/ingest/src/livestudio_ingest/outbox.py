"""The conflating outbox between the pollers and Kafka: bounded memory, newest observation per slot.

A slot names what an event is about: the snapshot, item list, end, correction of one session, or the status of
one account. Putting an event into a slot that already holds an unpublished one replaces it (the intermediate
observation is skipped, never the newest). While the broker is down the outbox holds at most one event per
slot, so memory is bounded by the number of sessions and accounts, and by `max_entries` on top.

`Publisher` drains it through FastStream publishers: a batch is sent concurrently, and an event leaves its slot
only once the broker acknowledged it (and only if no newer event replaced it meanwhile); then its
`on_published` callback records what was published (the poll state persists that).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.usecase import DefaultPublisher

from livestudio_ingest.metrics import (
    BACKLOG,
    EVENTS_CONFLATED,
    EVENTS_DROPPED,
    EVENTS_ENQUEUED,
    EVENTS_PUBLISHED,
    PUBLISH_DELAY,
    PUBLISH_FAILURES,
)

log = structlog.get_logger(__name__)

SlotKind = Literal["list", "snapshot", "items", "ended", "corrected", "status"]
Slot = tuple[SlotKind, str, int]
"""(kind, account id, session id or 0)."""

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
    """Unpublished events by slot (insertion order = publish order)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._pending: OrderedDict[Slot, Outgoing] = OrderedDict()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._pending)

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
        out: list[tuple[Slot, Outgoing]] = []
        for slot, item in self._pending.items():
            out.append((slot, item))
            if len(out) >= limit:
                break
        return out

    def done(self, slot: Slot, item: Outgoing) -> None:
        """`item` was acknowledged: free its slot unless a newer event took it meanwhile."""
        if self._pending.get(slot) is item:
            del self._pending[slot]
        EVENTS_PUBLISHED.labels(item.event_type).inc()
        PUBLISH_DELAY.observe(time.monotonic() - item.queued_at)
        if item.on_published is not None:
            item.on_published()
        BACKLOG.set(len(self._pending))

    async def wait(self, timeout: float) -> None:
        if self._pending:
            return
        self._ready.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)


TopicRepair = Callable[[], Awaitable[None]]


class Publisher:
    """Drains the outbox into Kafka; keeps retrying (with backoff) through broker outages."""

    def __init__(
        self,
        broker: KafkaBroker,
        outbox: Outbox,
        topics: Mapping[str, str],
        *,
        batch: int,
        timeout_s: float,
        repair_topics: TopicRepair | None = None,
        on_log_reset: Callable[[], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.batch = batch
        self.timeout_s = timeout_s
        self.repair_topics = repair_topics
        self.on_log_reset = on_log_reset
        self._high: dict[tuple[str, int], int] = {}
        self._publishers: dict[str, DefaultPublisher] = {
            topic: broker.publisher(topic, title=f"ingest:{name}") for name, topic in topics.items()
        }
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.failing = False
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
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def check(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("publisher is not running")

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping.is_set():
            await self.outbox.wait(timeout=1.0)
            batch = self.outbox.peek(self.batch)
            if not batch:
                continue
            if self.failing and not await self._repair():
                # After a failure, never send before the topics are known to exist: a broker that restarted
                # empty may accept writes to topics it does not know and lose them.
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            ok = await self._send(batch)
            if ok:
                delay = 0.2
                if self.failing:
                    log.info("publishing_recovered", backlog=len(self.outbox))
                self.failing = False
                continue
            PUBLISH_FAILURES.inc()
            if not self.failing:
                log.warning("publishing_failed", backlog=len(self.outbox))
            self.failing = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

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
        self._high.clear()

    async def _send(self, batch: list[tuple[Any, Outgoing]]) -> bool:
        """Send a batch concurrently; True if every event was acknowledged."""

        async def one(item: Outgoing) -> Any:
            future = await self._publishers[item.topic].publish(
                item.body, key=item.key.encode(), headers=CONTENT_TYPE, no_confirm=True
            )
            return await future

        tasks = [asyncio.ensure_future(one(item)) for _, item in batch]
        try:
            done, pending = await asyncio.wait(tasks, timeout=self.timeout_s)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        all_ok = not pending
        reset = False
        for (slot, item), task in zip(batch, tasks, strict=True):
            if task in done and task.exception() is None:
                reset = self._track_offset(task.result()) or reset
                self.outbox.done(slot, item)
                self.published += 1
            else:
                all_ok = False
                item.attempts += 1
                if task in done and item.attempts == 1:
                    log.debug("publish_error", error=type(task.exception()).__name__)
        if reset:
            log.warning("broker_log_reset_detected")
            self._high.clear()
            if self.on_log_reset is not None:
                self.on_log_reset()
        return all_ok

    def _track_offset(self, meta: Any) -> bool:
        """True if the broker acknowledged an offset at or below one it gave before on the same partition:
        its log was reset (the embedded broker forgets everything on restart; a topic was re-created)."""
        offset = getattr(meta, "offset", None)
        if not isinstance(offset, int):
            return False
        tp = (str(getattr(meta, "topic", "")), int(getattr(meta, "partition", -1)))
        previous = self._high.get(tp)
        if previous is not None and offset <= previous:
            self._high = {tp: offset}
            return True
        self._high[tp] = offset
        return False
