"""The conflating outbox and its publisher: newest per slot, bounded, acknowledged before it is forgotten."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

from faststream.kafka import KafkaBroker

from livestudio_ingest.outbox import Outbox, Outgoing, Publisher


def _item(body: bytes, acks: list[bytes] | None = None, drops: list[bytes] | None = None) -> Outgoing:
    return Outgoing(
        topic="s",
        key="acct:1",
        body=body,
        event_type="livestudio.session.snapshot.v1",
        on_published=(lambda: acks.append(body)) if acks is not None else None,
        on_dropped=(lambda: drops.append(body)) if drops is not None else None,
    )


def test_a_newer_event_replaces_the_unpublished_one_of_its_slot() -> None:
    box = Outbox(10)
    box.put(("snapshot", "a", 1), _item(b"v1"))
    box.put(("items", "a", 1), _item(b"i1"))
    box.put(("snapshot", "a", 1), _item(b"v2"))
    assert [i.body for _, i in box.peek(10)] == [b"v2", b"i1"]


def test_the_outbox_is_bounded_but_never_drops_essential_events() -> None:
    drops: list[bytes] = []
    box = Outbox(2)
    assert box.put(("snapshot", "a", 1), _item(b"1"))
    assert box.put(("snapshot", "a", 2), _item(b"2"))
    assert not box.put(("snapshot", "a", 3), _item(b"3", drops=drops))
    assert drops == [b"3"]
    assert box.put(("ended", "a", 3), _item(b"e3"), essential=True)
    assert len(box) == 3


def test_an_acknowledged_event_does_not_free_a_slot_taken_by_a_newer_one() -> None:
    acks: list[bytes] = []
    box = Outbox(10)
    first = _item(b"v1", acks)
    box.put(("snapshot", "a", 1), first)
    box.put(("snapshot", "a", 1), _item(b"v2", acks))
    box.done(("snapshot", "a", 1), first)
    assert acks == [b"v1"]
    assert [i.body for _, i in box.peek(10)] == [b"v2"]


class _Meta:
    def __init__(self, offset: int) -> None:
        self.topic = "s"
        self.partition = 0
        self.offset = offset


class _FakePublisher:
    def __init__(self, owner: _FakeBroker) -> None:
        self.owner = owner

    async def publish(self, body: bytes, **_: Any) -> asyncio.Future[_Meta]:
        future: asyncio.Future[_Meta] = asyncio.get_running_loop().create_future()
        if self.owner.down:
            future.set_exception(ConnectionError("broker down"))
        else:
            self.owner.sent.append(body)
            future.set_result(_Meta(self.owner.next_offset))
            self.owner.next_offset += 1
        return future


class _FakeBroker:
    def __init__(self) -> None:
        self.down = True
        self.sent: list[bytes] = []
        self.next_offset = 0

    def publisher(self, _topic: str, **_: Any) -> _FakePublisher:
        return _FakePublisher(self)


async def test_publisher_keeps_the_newest_through_an_outage_and_repairs_topics() -> None:
    broker = _FakeBroker()
    box = Outbox(100)
    repaired: list[int] = []

    async def repair() -> None:
        repaired.append(1)

    publisher = Publisher(cast(KafkaBroker, broker), box, {"session": "s"}, batch=10, timeout_s=1, repair_topics=repair)
    publisher.start()
    try:
        for v in range(5):
            box.put(("snapshot", "a", 1), _item(f"v{v}".encode()))
            await asyncio.sleep(0.05)
        box.put(("ended", "a", 1), _item(b"end"), essential=True)
        await asyncio.sleep(0.3)
        assert publisher.failing
        assert repaired
        assert len(box) == 2
        broker.down = False
        for _ in range(100):
            if not len(box):
                break
            await asyncio.sleep(0.05)
        assert broker.sent == [b"v4", b"end"]  # the newest observation, never an older one, then the end
    finally:
        await publisher.stop(drain_timeout=0.1)


async def test_a_broker_that_lost_its_log_is_noticed_from_the_offsets() -> None:
    broker = _FakeBroker()
    broker.down = False
    box = Outbox(100)
    resets: list[int] = []
    publisher = Publisher(
        cast(KafkaBroker, broker), box, {"session": "s"}, batch=10, timeout_s=1, on_log_reset=lambda: resets.append(1)
    )
    publisher.start()
    try:
        for v in range(3):
            box.put(("snapshot", "a", v), _item(f"v{v}".encode()))
        await asyncio.sleep(0.3)
        assert resets == []
        broker.next_offset = 0  # the broker came back empty: offsets start again
        box.put(("snapshot", "a", 9), _item(b"after"))
        await asyncio.sleep(0.3)
        assert resets == [1]
        box.put(("snapshot", "a", 10), _item(b"next"))
        await asyncio.sleep(0.3)
        assert resets == [1]  # offsets grow again from the new start
    finally:
        await publisher.stop(drain_timeout=0.1)


class _HeldBroker:
    """A broker whose acknowledgements the test gives (or refuses) by hand, in any order."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, asyncio.Future[_Meta]]] = []

    def publisher(self, _topic: str, **_: Any) -> _HeldPublisher:
        return _HeldPublisher(self)

    def bodies(self) -> list[bytes]:
        return [body for body, _ in self.sent]

    def ack(self, body: bytes, offset: int) -> None:
        next(f for b, f in self.sent if b == body and not f.done()).set_result(_Meta(offset))

    def fail(self, body: bytes) -> None:
        next(f for b, f in self.sent if b == body and not f.done()).set_exception(ConnectionError("lost"))


class _HeldPublisher:
    def __init__(self, owner: _HeldBroker) -> None:
        self.owner = owner

    async def publish(self, body: bytes, **_: Any) -> asyncio.Future[_Meta]:
        future: asyncio.Future[_Meta] = asyncio.get_running_loop().create_future()
        self.owner.sent.append((body, future))
        return future


def _keyed(body: bytes, key: str, acks: list[bytes] | None = None) -> Outgoing:
    item = _item(body, acks)
    item.key = key
    return item


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


async def _until_sent(broker: _HeldBroker, count: int, timeout_s: float = 2.0) -> None:
    """Until `count` sends reached the broker (or `timeout_s`; the caller's assertion then says what was sent)."""
    for _ in range(int(timeout_s / 0.02)):
        if len(broker.sent) >= count:
            return
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def _running_on_held_broker() -> AsyncIterator[tuple[_HeldBroker, Outbox, Publisher]]:
    """A started publisher (10 in flight) draining a fresh outbox into a `_HeldBroker`; stopped afterwards."""
    broker = _HeldBroker()
    box = Outbox(100)
    publisher = Publisher(cast(KafkaBroker, broker), box, {"session": "s"}, batch=10, timeout_s=5)
    publisher.start()
    try:
        yield broker, box, publisher
    finally:
        await publisher.stop(drain_timeout=0.1)


async def test_the_publisher_keeps_sending_while_earlier_events_await_their_acknowledgement() -> None:
    acks: list[bytes] = []
    async with _running_on_held_broker() as (broker, box, _):
        box.put(("snapshot", "a", 1), _keyed(b"a1", "a:1", acks))
        await _settle()
        box.put(("snapshot", "b", 2), _keyed(b"b2", "b:2", acks))
        await _settle()
        assert broker.bodies() == [b"a1", b"b2"]  # b2 went out before a1 was acknowledged
        broker.ack(b"b2", 1)  # acknowledged out of order: settled in send order, after a1
        await _settle()
        assert acks == [] and len(box) == 2
        broker.ack(b"a1", 0)
        await _settle()
        assert acks == [b"a1", b"b2"] and len(box) == 0


async def test_an_event_waits_while_its_slot_or_key_has_one_in_flight() -> None:
    async with _running_on_held_broker() as (broker, box, _):
        box.put(("snapshot", "a", 1), _keyed(b"v1", "a:1"))
        await _settle()
        box.put(("snapshot", "a", 1), _keyed(b"v2", "a:1"))  # same slot
        box.put(("snapshot", "a", 1), _keyed(b"v3", "a:1"))  # conflates v2
        box.put(("ended", "a", 1), _keyed(b"end", "a:1"), essential=True)  # same key, another slot
        await _settle()
        assert broker.bodies() == [b"v1"]
        broker.ack(b"v1", 0)
        await _settle()
        assert broker.bodies() == [b"v1", b"v3"]
        broker.ack(b"v3", 1)
        await _settle()
        assert broker.bodies() == [b"v1", b"v3", b"end"]
        broker.ack(b"end", 2)
        await _settle()
        assert len(box) == 0 and box.in_flight == 0


async def test_a_failed_event_is_sent_again_before_later_events_of_its_key() -> None:
    async with _running_on_held_broker() as (broker, box, publisher):
        box.put(("snapshot", "a", 1), _keyed(b"snap", "a:1"))
        box.put(("snapshot", "b", 2), _keyed(b"other", "b:2"))
        await _settle()
        box.put(("ended", "a", 1), _keyed(b"end", "a:1"), essential=True)
        broker.fail(b"snap")
        broker.ack(b"other", 0)
        await _settle()
        assert publisher.failing
        assert broker.bodies() == [b"snap", b"other"]
        await _until_sent(broker, 3)  # after the backoff and a topic check, one trial batch: the failed event first
        assert broker.bodies() == [b"snap", b"other", b"snap"]
        broker.ack(b"snap", 1)
        await _until_sent(broker, 4)
        assert broker.bodies() == [b"snap", b"other", b"snap", b"end"]
        broker.ack(b"end", 2)
        await _settle()
        assert not publisher.failing and len(box) == 0
