"""Fan-out of live frames: scope filtering, slow browsers, unsubscribe and shutdown; decoding of topic events."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from livestudio_gateway.live import LiveHub, live_session_from_event, sse_frame, stream
from livestudio_gateway.problems import RateLimited, Unavailable
from livestudio_schemas.envelope import CloudEvent
from livestudio_schemas.session import (
    SESSION_CORRECTED,
    SESSION_SNAPSHOT,
    SessionCorrected,
    SessionMetrics,
    SessionSnapshot,
)

T = datetime(2026, 11, 20, 3, tzinfo=UTC)


def test_frames_reach_only_subscribers_in_scope() -> None:
    hub = LiveHub(queue_size=10, max_clients=10)
    a = hub.subscribe(["s1"])
    ab = hub.subscribe(["s1", "s2"])
    everything = hub.subscribe(None)
    one_account = hub.subscribe(["s1"], account_id="acc-2")
    assert hub.publish("s1", "acc-1", b"x") == 3
    assert hub.publish("s2", "acc-9", b"y") == 2
    assert hub.publish("s3", "acc-3", b"z") == 1
    assert list(a.frames) == [b"x"] and list(ab.frames) == [b"x", b"y"]
    assert list(everything.frames) == [b"x", b"y", b"z"] and not one_account.frames
    hub.unsubscribe(ab)
    hub.unsubscribe(ab)  # twice is harmless
    assert hub.clients == 3 and hub.publish("s2", "acc-9", b"y") == 1


def test_slow_browser_loses_oldest_frames() -> None:
    hub = LiveHub(queue_size=2, max_clients=10)
    sub = hub.subscribe(["s1"])
    for i in range(5):
        hub.publish("s1", "a", str(i).encode())
    assert list(sub.frames) == [b"3", b"4"] and sub.dropped == 3


def test_client_limit() -> None:
    hub = LiveHub(queue_size=2, max_clients=1)
    hub.subscribe(None)
    with pytest.raises(Unavailable):
        hub.subscribe(None)


async def test_stream_sends_initial_then_frames_then_keepalive_and_ends_on_close() -> None:
    hub = LiveHub(queue_size=10, max_clients=10)
    sub = hub.subscribe(["s1"])
    body = stream(sub, hub, b"event: snapshot\ndata: {}\n\n", keepalive_s=0.05)
    assert (await anext(body)).endswith(b"event: snapshot\ndata: {}\n\n")
    hub.publish("s1", "a", b"one")
    hub.publish("s1", "a", b"two")
    assert await anext(body) == b"onetwo"
    assert await anext(body) == b": keep-alive\n\n"
    hub.close()
    rest = [chunk async for chunk in body]
    assert rest in ([], [b": keep-alive\n\n"])
    assert hub.clients == 0
    with pytest.raises(Unavailable):
        hub.subscribe(None)


async def test_cancelled_stream_unsubscribes() -> None:
    hub = LiveHub(queue_size=10, max_clients=10)
    sub = hub.subscribe(None)
    body = stream(sub, hub, b"", keepalive_s=30)

    async def consume() -> None:
        async for _ in body:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert hub.clients == 0


def _event(model: type, type_: str, **extra: object) -> bytes:
    data = model(
        account_id="acc-1",
        studio_id="s1",
        session_id=77,
        started_at=T,
        observed_at=T,
        source="session_list",
        metrics=SessionMetrics(viewers=10, confirmed_sales=None),
        **extra,
    )
    return CloudEvent[model].wrap(data, type_=type_, source="/x", time=T, subject=None, id_="ev-1").to_json_bytes()  # type: ignore[valid-type]


def test_decoding_topic_events() -> None:
    decoded = live_session_from_event(_event(SessionSnapshot, SESSION_SNAPSHOT, on_air=True))
    assert decoded is not None
    event_id, change = decoded
    assert event_id == "ev-1" and change.kind == "snapshot" and change.viewers == 10 and change.confirmed_sales is None
    assert live_session_from_event(_event(SessionCorrected, SESSION_CORRECTED)) is None
    with pytest.raises(ValueError):
        live_session_from_event(b"{}")


def test_sse_frame_format() -> None:
    frame = sse_frame("session", json.dumps({"a": 1}).encode(), "id-1")
    assert frame == b'id: id-1\nevent: session\ndata: {"a": 1}\n\n'


def test_per_caller_cap_leaves_room_for_others() -> None:
    hub = LiveHub(queue_size=4, max_clients=5, max_per_caller=2)
    first = [hub.subscribe(["s1"], caller="svc") for _ in range(2)]
    with pytest.raises(RateLimited):
        hub.subscribe(["s1"], caller="svc")
    owner = hub.subscribe(None, caller="owner")  # another caller is not refused
    assert hub.streams_of("svc") == 2 and hub.streams_of("owner") == 1
    hub.unsubscribe(first[0])
    hub.unsubscribe(first[0])  # twice is harmless and does not free a second slot
    assert hub.streams_of("svc") == 1
    hub.subscribe(["s1"], caller="svc")
    hub.subscribe(["s1"], caller="a")
    hub.subscribe(["s1"], caller="b")
    with pytest.raises(Unavailable):  # the replica's total still holds
        hub.subscribe(["s1"], caller="c")
    hub.unsubscribe(owner)
    assert hub.streams_of("owner") == 0 and hub.clients == 4


async def test_stream_ends_when_the_token_expires() -> None:
    hub = LiveHub(queue_size=4, max_clients=5)
    now = [1000.0]
    sub = hub.subscribe(["s1"], caller="u", expires_at=1000.3)
    body = stream(sub, hub, b"event: snapshot\ndata: {}\n\n", keepalive_s=10, clock=lambda: now[0])
    assert (await anext(body)).startswith(b"retry:")
    hub.publish("s1", "acc", b"event: session\ndata: {}\n\n")
    assert await anext(body) == b"event: session\ndata: {}\n\n"
    now[0] = 1000.31
    assert await asyncio.wait_for(anext(body), 1) == b"event: expired\ndata: {}\n\n"
    with pytest.raises(StopAsyncIteration):
        await anext(body)
    assert hub.clients == 0 and hub.streams_of("u") == 0


async def test_stream_ends_when_its_caller_is_no_longer_admitted() -> None:
    hub = LiveHub(queue_size=4, max_clients=5)
    admitted = [True]

    async def still_admitted() -> bool:
        return admitted[0]

    sub = hub.subscribe(["s1"], caller="u", expires_at=None, still_admitted=still_admitted)
    body = stream(sub, hub, b"event: snapshot\ndata: {}\n\n", keepalive_s=0.01)
    assert (await anext(body)).startswith(b"retry:")
    assert await asyncio.wait_for(anext(body), 1) == b": keep-alive\n\n"
    admitted[0] = False  # e.g. the person was removed or signed out
    assert await asyncio.wait_for(anext(body), 1) == b"event: expired\ndata: {}\n\n"
    with pytest.raises(StopAsyncIteration):
        await anext(body)
    assert hub.clients == 0 and hub.streams_of("u") == 0
