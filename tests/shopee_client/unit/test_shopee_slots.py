"""The client's in-flight slots: a bounded semaphore that serves follow-up requests before ordinary ones."""

from __future__ import annotations

import asyncio

import pytest

from shopee_client import follow_up
from shopee_client.client.slots import Slots, is_follow_up

pytestmark = pytest.mark.unit


async def _take(slots: Slots, name: str, order: list[str], release: asyncio.Event, urgent: bool | None = None) -> None:
    await slots.acquire(urgent=urgent)
    order.append(name)
    await release.wait()
    slots.release()


async def test_follow_ups_are_served_before_ordinary_waiters_and_each_kind_in_order() -> None:
    slots = Slots(1)
    order: list[str] = []
    gate = asyncio.Event()
    holder = asyncio.create_task(_take(slots, "holder", order, gate))
    await asyncio.sleep(0)
    waiters = [
        asyncio.create_task(_take(slots, "new-1", order, gate)),
        asyncio.create_task(_take(slots, "new-2", order, gate)),
        asyncio.create_task(_take(slots, "follow-1", order, gate, urgent=True)),
        asyncio.create_task(_take(slots, "follow-2", order, gate, urgent=True)),
    ]
    await asyncio.sleep(0)
    assert slots.in_use == 1
    assert slots.waiting == 4
    gate.set()
    await asyncio.gather(holder, *waiters)
    assert order == ["holder", "follow-1", "follow-2", "new-1", "new-2"]
    assert slots.in_use == 0
    assert slots.waiting == 0


async def test_never_more_holders_than_the_limit() -> None:
    slots = Slots(3)
    active = 0
    peak = 0

    async def hold() -> None:
        nonlocal active, peak
        async with slots.hold():
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.001)
            active -= 1

    async def work(urgent: bool) -> None:
        if urgent:
            with follow_up():  # acquire() reads the flag from the context
                await hold()
        else:
            await hold()

    await asyncio.gather(*(work(i % 3 == 0) for i in range(40)))
    assert peak == 3
    assert slots.in_use == 0


async def test_a_cancelled_waiter_gives_up_its_place_and_never_leaks_a_slot() -> None:
    slots = Slots(1)
    await slots.acquire()
    cancelled = asyncio.create_task(slots.acquire(urgent=True))
    waiting = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    slots.release()
    await asyncio.wait_for(waiting, 1)
    assert slots.in_use == 1
    slots.release()
    assert slots.in_use == 0


async def test_a_waiter_cancelled_after_it_was_granted_hands_the_slot_on() -> None:
    slots = Slots(1)
    await slots.acquire()
    granted = asyncio.create_task(slots.acquire())
    nxt = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # hands the slot to `granted`, which is cancelled before it runs
    granted.cancel()
    await asyncio.gather(granted, return_exceptions=True)
    await asyncio.wait_for(nxt, 1)
    assert slots.in_use == 1


async def test_follow_up_marks_the_calls_of_this_task_and_of_the_tasks_it_starts() -> None:
    assert not is_follow_up()
    with follow_up():
        assert is_follow_up()
        assert await asyncio.create_task(_flag())
    assert not is_follow_up()
    assert not await asyncio.create_task(_flag())


async def _flag() -> bool:
    return is_follow_up()


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Slots(0)
