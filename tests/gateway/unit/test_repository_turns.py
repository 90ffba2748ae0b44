"""Queries take their turn in arrival order, even when a newcomer asks just as a connection comes back."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import asyncpg

from livestudio_gateway.repository import Repository


class QueuePool:
    """Hands out connections the way asyncpg's pool does: whoever calls `get()` on its queue while a connection is
    in it takes that connection, even if others were already waiting (they wait again, at the back)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: asyncio.LifoQueue[int] = asyncio.LifoQueue()
        for conn in range(size):
            self.idle.put_nowait(conn)
        self.served: list[str] = []
        self.hold: dict[str, asyncio.Event] = {}

    def get_max_size(self) -> int:
        return self.size

    async def fetch(self, _sql: str, *args: Any) -> list[Any]:
        conn = await self.idle.get()
        try:
            studio = args[1]
            self.served.append(studio)
            await self.hold.setdefault(studio, asyncio.Event()).wait()
            return []
        finally:
            self.idle.put_nowait(conn)


async def serve_in_order(repo: Repository, pool: QueuePool) -> list[str]:
    first = asyncio.create_task(repo.studios(None, "first"))
    await asyncio.sleep(0)  # `first` holds the only connection
    waiting = asyncio.create_task(repo.studios(None, "waiting"))
    await asyncio.sleep(0)  # `waiting` waits for it
    pool.hold["first"].set()  # the connection comes back ...
    newcomer = asyncio.create_task(repo.studios(None, "newcomer"))  # ... as a newcomer asks
    pool.hold["waiting"] = asyncio.Event()
    pool.hold["waiting"].set()
    pool.hold["newcomer"] = asyncio.Event()
    pool.hold["newcomer"].set()
    await asyncio.wait_for(asyncio.gather(first, waiting, newcomer), 5)
    return pool.served


async def test_a_waiting_query_is_served_before_a_newcomer() -> None:
    pool = QueuePool(size=1)
    assert await serve_in_order(Repository(cast(asyncpg.Pool, pool)), pool) == ["first", "waiting", "newcomer"]


async def test_the_pool_alone_lets_the_newcomer_jump_the_queue() -> None:
    """What the turns prevent: the same sequence straight on the pool serves the newcomer first."""
    pool = QueuePool(size=1)
    repo = Repository(cast(asyncpg.Pool, pool), fair=False)
    assert await serve_in_order(repo, pool) == ["first", "newcomer", "waiting"]
