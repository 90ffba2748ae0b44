"""The client's in-flight slots: at most `limit` requests at once, follow-up requests served first.

A caller that has started a unit of work (say, the details of a session it has just listed) marks the rest of
that work as a follow-up with `follow_up()`. When every slot is taken, follow-ups waiting for one are served
before ordinary requests (each kind in arrival order). Under load this finishes work already started before new
work begins: the answers a caller already holds do not age while it queues behind requests that start new work.
The total amount of work, and its fairness between ordinary callers, stay the same.

`follow_up()` sets a context variable, so it covers the calls of the current task and of the tasks it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

__all__ = ["Slots", "follow_up", "is_follow_up"]

_FOLLOW_UP: ContextVar[bool] = ContextVar("shopee_client_follow_up", default=False)


@contextlib.contextmanager
def follow_up() -> Iterator[None]:
    """Calls made inside (in this task and tasks it starts) are follow-ups: served first when slots are scarce."""
    token = _FOLLOW_UP.set(True)
    try:
        yield
    finally:
        _FOLLOW_UP.reset(token)


def is_follow_up() -> bool:
    return _FOLLOW_UP.get()


class Slots:
    """A semaphore with two queues of waiters: follow-ups, then ordinary requests."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._free = limit
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @property
    def in_use(self) -> int:
        return self.limit - self._free

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._normal)

    async def acquire(self, *, urgent: bool | None = None) -> None:
        """Take a slot; `urgent` defaults to whether the caller is inside `follow_up()`."""
        if urgent is None:
            urgent = _FOLLOW_UP.get()
        if self._free > 0:  # a free slot means nobody waits: `release()` hands slots to waiters directly
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just as we were cancelled: hand the slot on
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(waiter)
            raise

    def release(self) -> None:
        """Free a slot, or hand it straight to the next waiter (follow-ups first)."""
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the slot passes to it: `_free` is unchanged
                    return
        self._free += 1

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()
