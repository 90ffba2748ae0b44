"""Broker-log-reset recovery: the one contract for "the broker lost its log", used by consumers and producers.

A broker can lose what it held: the embedded broker (tests, `make up`) forgets every topic on restart, an operator
can delete and re-create a topic. Real Kafka with replication never does it, so nothing here costs anything while
the log stays. Offsets then start again from 0, under the same topic names.

The contract
------------
1. **Detecting.** Each symptom is one pure check of this module; a component that can see one calls it:

   * `ProducedOffsets.acknowledged()`: the broker acknowledged an offset at or below one it gave before on the same
     partition (a producer: the ingest's outbox).
   * `vanished()`: topics that existed before are gone (whoever lists topics: the ingest's topic watch).
   * `log_shrunk()`: a partition's high-water mark is below the position a consumer stored, and
     `log_replaced()`: the record a consumer last applied is not at its offset any more (a new log has grown past
     it). An OFFSET_OUT_OF_RANGE answer from the broker is the third consumer symptom.

   A new log that has already grown past a consumer's old offset, with a record of the same timestamp at that
   offset, cannot be told apart; real Kafka never resets.

2. **Reacting.** What is lost decides what is done, and every reaction is idempotent, so several detectors of one
   incident are harmless:

   * a **consumer** (`exactly_once.ExactlyOnceConsumer`) re-reads the partition from its earliest offset and stores
     offset 0 in Postgres at once; its `apply` is idempotent on content (newest observation wins), so what it
     applied before is not applied twice (`livestudio_consumer_log_resets_total`).
   * a **producer** whose events are state (the ingest) publishes its current state again, with the same event
     ids: a `LogResetRecovery` is told by every detector (`report()`), runs the local handlers once per incident
     (`debounce_s`), and `broadcast`s the reset to the other replicas (the ingest: Postgres NOTIFY), which
     `report(..., broadcast=False)`. Work started shortly after a reset (pollers assigned by the rebalance that
     follows a broker restart) asks `recent()` and forgets what Postgres says was published, too.
   * group membership (the ingest's accounts topic) re-creates a topic that vanished so the group can reassign.

3. **Observing.** `livestudio_log_resets_total{component, source}` counts the incidents a `LogResetRecovery`
   handled, `livestudio_consumer_log_resets_total` the partitions a consumer re-read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Iterable

import structlog
from prometheus_client import Counter

log = structlog.get_logger(__name__)

RESETS = Counter(
    "livestudio_log_resets_total",
    "Broker log resets handled (publish the current state again), by detector",
    ["component", "source"],
)


# --- 1. detecting ------------------------------------------------------------------------------------------


class ProducedOffsets:
    """The highest offset the broker acknowledged per partition, to notice it handing out lower ones again."""

    def __init__(self) -> None:
        self._high: dict[tuple[str, int], int] = {}

    def acknowledged(self, topic: str, partition: int, offset: int) -> bool:
        """Record an acknowledgement; True if its offset is at or below one acknowledged before on the same
        partition: the log was reset (from then on, only offsets of the new log count)."""
        tp = (topic, partition)
        previous = self._high.get(tp)
        if previous is not None and offset <= previous:
            self._high = {tp: offset}
            return True
        self._high[tp] = offset
        return False

    def forget(self) -> None:
        """A reset was handled: offsets from before mean nothing now."""
        self._high.clear()


def vanished(known: Collection[str], existing: Collection[str]) -> set[str]:
    """Topics that were there before (`known`) and are not any more."""
    return {t for t in known if t not in existing}


def log_shrunk(highwater: int | None, position: int | None) -> bool:
    """A consumer's stored position beyond the partition's high-water mark: the log under it is gone."""
    return highwater is not None and position is not None and highwater < position


def log_replaced(expected: tuple[int, int], found_offset: int, found_timestamp_ms: int) -> bool:
    """The record a consumer last applied (`expected`: its offset and timestamp), read again, is not the one
    found there: a new log has grown past the old position."""
    return (found_offset, found_timestamp_ms) != expected


# --- 2. reacting (producers of state) -----------------------------------------------------------------------


class LogResetRecovery:
    """Runs a component's reaction to a broker log reset once per incident, whoever detected it.

    `handlers` run synchronously in `report()` (they must not block: forget offsets, mark state unpublished, wake
    pollers). `broadcast` (optional) tells the other replicas; it runs in the background and its failure is logged,
    never raised."""

    def __init__(
        self,
        component: str,
        *,
        handlers: Iterable[Callable[[], None]] = (),
        broadcast: Callable[[], Awaitable[None]] | None = None,
        debounce_s: float = 2.0,
        recent_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.component = component
        self.handlers = list(handlers)
        self.broadcast = broadcast
        self.debounce_s = debounce_s
        self.recent_s = recent_s
        self.clock = clock
        self.last_reset: float | None = None
        self._background: set[asyncio.Task[None]] = set()

    def add_handler(self, handler: Callable[[], None]) -> None:
        self.handlers.append(handler)

    def report(self, source: str, *, broadcast: bool = True) -> bool:
        """A detector saw the log reset. Returns False if this incident was handled already (within
        `debounce_s`); else runs the handlers and, with `broadcast`, tells the other replicas."""
        now = self.clock()
        if self.last_reset is not None and now - self.last_reset < self.debounce_s:
            return False
        self.last_reset = now
        RESETS.labels(self.component, source).inc()
        log.warning("broker_log_reset", component=self.component, source=source)
        for handler in self.handlers:
            handler()
        if broadcast and self.broadcast is not None:
            task = asyncio.get_running_loop().create_task(self._broadcast(), name=f"{self.component}-log-reset")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return True

    def recent(self) -> bool:
        """Was a reset handled within `recent_s`? (Work started now must not trust what it stored as published.)"""
        return self.last_reset is not None and self.clock() - self.last_reset < self.recent_s

    async def _broadcast(self) -> None:
        assert self.broadcast is not None
        try:
            await self.broadcast()
        except Exception as exc:
            log.warning("log_reset_broadcast_failed", component=self.component, error=type(exc).__name__)

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
