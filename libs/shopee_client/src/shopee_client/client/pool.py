"""A sharded connection pool behind the one `httpx.AsyncClient`.

httpcore's pool scans every connection (with a `poll()` syscall each) on every request it queues and
releases, so its cost per request grows with the pool size: at 16-20 requests in flight one pool spends more
CPU than the rest of the client. `ShardedTransport` keeps several small httpcore pools and sends each request
to the least busy one, which keeps that scan short. It is still one client (one set of settings, headers,
timeouts) per process.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable

import httpx

__all__ = ["ShardedTransport"]


class _ReleasingStream(httpx.AsyncByteStream):
    """Wraps a response stream; calls `on_close` once when the response is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, on_close: Callable[[], None]) -> None:
        self._inner = inner
        self._on_close: Callable[[], None] | None = on_close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._on_close is not None:
                self._on_close()
                self._on_close = None


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, shards: int, limits: httpx.Limits) -> None:
        self._n = max(1, shards)
        per_shard = httpx.Limits(
            max_connections=math.ceil((limits.max_connections or 100) / self._n),
            max_keepalive_connections=math.ceil((limits.max_keepalive_connections or 20) / self._n),
            keepalive_expiry=limits.keepalive_expiry,
        )
        ssl_context = httpx.create_ssl_context()  # loading the CA bundle is slow: once, shared by the shards
        self._pools = [httpx.AsyncHTTPTransport(limits=per_shard, verify=ssl_context) for _ in range(self._n)]
        self._busy = [0] * self._n

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        busy = self._busy
        index = min(range(self._n), key=busy.__getitem__)
        busy[index] += 1

        def release() -> None:
            busy[index] -= 1

        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(response.stream, release),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()
