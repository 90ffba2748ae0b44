"""Live updates: one session-topic consumer per gateway replica, fanned out to every connected browser over SSE.

The feed reads `shopee.live.session.v1` with no consumer group and no commits, from the end of the log (a browser
wants what happens now; the read models hold the past). Each record is decoded once, turned into one SSE frame
(bytes) and queued to the subscribers whose studio scope includes the session's studio. A browser that does not
keep up loses its oldest frames (counted) instead of slowing the others. Shopee is never asked anything here:
the cost of a dashboard is the same with one browser or a thousand.

A stream ends when the token that opened it expires (the browser reconnects with a fresh one, or gets a 401). Each
replica caps its streams twice: per caller (token subject; over it a 429 for that caller only) and in total (503).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import structlog
from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from livestudio_gateway.metrics import (
    SSE_CLIENTS,
    SSE_EVENTS_DROPPED,
    SSE_EVENTS_INVALID,
    SSE_EVENTS_RECEIVED,
    SSE_EVENTS_SENT,
    SSE_FEED_RESTARTS,
)
from livestudio_gateway.models import LiveSession, PlainDecimal, plain_text
from livestudio_gateway.problems import RateLimited, Unavailable
from livestudio_runtime.kafka import decode_envelope
from livestudio_runtime.tasks import cancel_and_wait
from livestudio_schemas.session import SESSION_ENDED, SESSION_SNAPSHOT, SessionEnded, SessionSnapshot

log = structlog.get_logger(__name__)


def _enc_hook(value: Any) -> Any:
    if isinstance(value, PlainDecimal):
        return plain_text(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)
KEEPALIVE = b": keep-alive\n\n"
EXPIRED = b"event: expired\ndata: {}\n\n"


# --- frames (plain functions) -----------------------------------------------------------------------------
def sse_frame(event: str, data: bytes, event_id: str | None = None) -> bytes:
    """One SSE message; `data` is single-line JSON."""
    head = f"id: {event_id}\nevent: {event}\n" if event_id else f"event: {event}\n"
    return head.encode() + b"data: " + data + b"\n\n"


def live_session_from_event(raw: bytes) -> tuple[str, LiveSession] | None:
    """(event id, change) for a snapshot or ended event; None for other types (corrections are not live)."""
    envelope = decode_envelope(raw)
    if envelope.type == SESSION_SNAPSHOT:
        snap = SessionSnapshot.model_validate(envelope.data)
        return envelope.id, _live(snap, kind="snapshot", on_air=snap.on_air, ended_at=None)
    if envelope.type == SESSION_ENDED:
        ended = SessionEnded.model_validate(envelope.data)
        return envelope.id, _live(ended, kind="ended", on_air=False, ended_at=ended.ended_at)
    return None


def _live(obs: SessionSnapshot | SessionEnded, *, kind: Any, on_air: bool, ended_at: Any) -> LiveSession:
    m = obs.metrics
    return LiveSession(
        kind=kind,
        account_id=obs.account_id,
        session_id=obs.session_id,
        studio_id=obs.studio_id,
        title=obs.title,
        on_air=on_air,
        started_at=obs.started_at,
        ended_at=ended_at,
        observed_at=obs.observed_at,
        currency=obs.currency,
        viewers=m.viewers,
        current_viewers=m.current_viewers,
        peak_viewers=m.peak_viewers,
        placed_orders=m.placed_orders,
        placed_sales=m.placed_sales,
        confirmed_orders=m.confirmed_orders,
        confirmed_sales=m.confirmed_sales,
    )


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


# --- fan-out ------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Subscriber:
    """One connected browser: its scope and its bounded queue of frames."""

    studios: frozenset[str] | None
    account_id: str | None
    capacity: int
    caller: str | None = None
    expires_at: float | None = None
    """Epoch seconds at which the token that opened the stream expires; the stream ends then."""
    still_admitted: Callable[[], Awaitable[bool]] | None = None
    """Asked at each keep-alive: False (e.g. the person was removed, the session signed out) ends the stream."""
    frames: deque[bytes] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: int = 0
    closed: bool = False

    def wants(self, studio_id: str, account_id: str) -> bool:
        return (self.studios is None or studio_id in self.studios) and (
            self.account_id is None or self.account_id == account_id
        )

    def push(self, frame: bytes) -> None:
        if len(self.frames) >= self.capacity:
            self.frames.popleft()
            self.dropped += 1
            SSE_EVENTS_DROPPED.inc()
        self.frames.append(frame)
        self.wakeup.set()

    async def next_frames(self, timeout: float) -> list[bytes]:
        """Frames queued so far; waits up to `timeout` for the first one (empty list on timeout)."""
        if not self.frames and not self.closed:
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout)
            except TimeoutError:
                return []
        out = list(self.frames)
        self.frames.clear()
        return out


class LiveHub:
    """Subscribers indexed by studio, so a record reaches only the browsers that may see it."""

    def __init__(self, *, queue_size: int, max_clients: int, max_per_caller: int | None = None) -> None:
        self.queue_size = queue_size
        self.max_clients = max_clients
        self.max_per_caller = max_per_caller if max_per_caller is not None else max_clients
        self._by_studio: dict[str, set[Subscriber]] = {}
        self._everywhere: set[Subscriber] = set()
        self._per_caller: dict[str, int] = {}
        self._count = 0
        self.closed = False

    @property
    def clients(self) -> int:
        return self._count

    def streams_of(self, caller: str) -> int:
        return self._per_caller.get(caller, 0)

    def subscribe(
        self,
        studios: Iterable[str] | None,
        account_id: str | None = None,
        *,
        caller: str | None = None,
        expires_at: float | None = None,
        still_admitted: Callable[[], Awaitable[bool]] | None = None,
    ) -> Subscriber:
        """A new stream; `caller` (the token subject) is held to `max_per_caller` streams (429 over it), and the
        replica to `max_clients` (503)."""
        if self.closed:
            raise Unavailable("the gateway is shutting down")
        if caller is not None and self._per_caller.get(caller, 0) >= self.max_per_caller:
            raise RateLimited(
                f"at most {self.max_per_caller} live streams per caller; close one first",
                headers={"Retry-After": "10"},
            )
        if self._count >= self.max_clients:
            raise Unavailable("too many live connections on this replica; retry later")
        sub = Subscriber(
            None if studios is None else frozenset(studios),
            account_id,
            self.queue_size,
            caller=caller,
            expires_at=expires_at,
            still_admitted=still_admitted,
        )
        if caller is not None:
            self._per_caller[caller] = self._per_caller.get(caller, 0) + 1
        if sub.studios is None:
            self._everywhere.add(sub)
        else:
            for studio in sub.studios:
                self._by_studio.setdefault(studio, set()).add(sub)
        self._count += 1
        SSE_CLIENTS.set(self._count)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub.studios is None:
            if sub not in self._everywhere:
                return
            self._everywhere.discard(sub)
        else:
            found = False
            for studio in sub.studios:
                members = self._by_studio.get(studio)
                if members is not None and sub in members:
                    found = True
                    members.discard(sub)
                    if not members:
                        del self._by_studio[studio]
            if not found:
                return
        if sub.caller is not None:
            left = self._per_caller.get(sub.caller, 1) - 1
            if left > 0:
                self._per_caller[sub.caller] = left
            else:
                self._per_caller.pop(sub.caller, None)
        self._count -= 1
        SSE_CLIENTS.set(self._count)

    def publish(self, studio_id: str, account_id: str, frame: bytes) -> int:
        delivered = 0
        for group in (self._by_studio.get(studio_id, ()), self._everywhere):
            for sub in group:
                if sub.wants(studio_id, account_id):
                    sub.push(frame)
                    delivered += 1
        if delivered:
            SSE_EVENTS_SENT.inc(delivered)
        return delivered

    def close(self) -> None:
        """End every stream (graceful shutdown): browsers reconnect to another replica."""
        self.closed = True
        for sub in [*self._everywhere, *(s for group in self._by_studio.values() for s in group)]:
            sub.closed = True
            sub.wakeup.set()


async def stream(
    sub: Subscriber,
    hub: LiveHub,
    initial: bytes,
    keepalive_s: float,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[bytes]:
    """The body of one SSE response: the current state, then changes, with keep-alive comments; when the token
    expires, an `event: expired` and the end of the stream."""
    try:
        yield b"retry: 3000\n\n" + initial
        while not sub.closed:
            wait = keepalive_s
            if sub.expires_at is not None:
                left = sub.expires_at - clock()
                if left <= 0:
                    yield EXPIRED
                    return
                wait = min(wait, left)
            frames = await sub.next_frames(wait)
            if frames:
                yield b"".join(frames)
            elif sub.expires_at is None or clock() < sub.expires_at:
                if sub.still_admitted is not None and not await sub.still_admitted():
                    yield EXPIRED
                    return
                yield KEEPALIVE
    finally:
        hub.unsubscribe(sub)


# --- the feed -----------------------------------------------------------------------------------------------
class SessionFeed:
    """Consumes the session topic (no group, no commits, from the end) and publishes frames to the hub."""

    def __init__(
        self,
        hub: LiveHub,
        *,
        bootstrap: str,
        topic: str,
        client_id: str,
        fetch_max_wait_ms: int = 50,
        retry_s: float = 2.0,
    ) -> None:
        self.hub = hub
        self.bootstrap = bootstrap
        self.topic = topic
        self.client_id = client_id
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.retry_s = retry_s
        self._task: asyncio.Task[None] | None = None
        self.consuming = asyncio.Event()
        self.records = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-session-feed")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    def handle(self, value: bytes | None) -> None:
        if value is None:
            return
        try:
            decoded = live_session_from_event(value)
        except (ValidationError, ValueError) as exc:
            SSE_EVENTS_INVALID.inc()
            log.debug("live_event_invalid", error=str(exc)[:300])
            return
        if decoded is None:
            SSE_EVENTS_RECEIVED.labels("other").inc()
            return
        event_id, change = decoded
        SSE_EVENTS_RECEIVED.labels(change.kind).inc()
        frame = sse_frame("session", encode(change), event_id)
        self.hub.publish(change.studio_id, change.account_id, frame)

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                self.topic,
                bootstrap_servers=self.bootstrap,
                client_id=self.client_id,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                fetch_max_wait_ms=self.fetch_max_wait_ms,
                metadata_max_age_ms=30_000,  # notice the topic soon if it is created after us
            )
            try:
                await consumer.start()
                log.info("live_feed_started", topic=self.topic)
                while True:
                    batch = await consumer.getmany(timeout_ms=500, max_records=1000)
                    self.consuming.set()
                    for records in batch.values():
                        for record in records:
                            self.records += 1
                            self.handle(record.value)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                SSE_FEED_RESTARTS.inc()
                self.consuming.clear()
                log.warning("live_feed_failed", error=f"{type(exc).__name__}: {exc}")
            finally:
                try:
                    await asyncio.wait_for(consumer.stop(), 5)
                except Exception as exc:
                    log.debug("live_feed_stop_failed", error=str(exc))
            await asyncio.sleep(self.retry_s)
