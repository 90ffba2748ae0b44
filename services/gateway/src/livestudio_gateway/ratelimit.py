"""Per-client rate limiting: a token bucket per JWT subject (or client IP without a valid token).

Litestar's RateLimitMiddleware keeps every request timestamp of the window in a store and re-encodes it on each
request (cost grows with the limit); a token bucket is O(1) per request and allows short bursts. Buckets live in
the process (one per replica); the least recently used ones are dropped beyond `max_clients`.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from livestudio_gateway.auth import InvalidToken, TokenVerifier, bearer_token
from livestudio_gateway.metrics import RATE_LIMITED
from livestudio_gateway.problems import RateLimited


class TokenBuckets:
    """`take(key)` -> seconds to wait (0.0 when the request may pass)."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    def take(self, key: str) -> float:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_clients:
                self._buckets.popitem(last=False)
            bucket = [self.burst, now]
            self._buckets[key] = bucket
        else:
            self._buckets.move_to_end(key)
            bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return 0.0
        return (1.0 - bucket[0]) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)


def client_key(connection: ASGIConnection[Any, Any, Any, Any], verifier: TokenVerifier) -> str:
    token = bearer_token(connection, allow_query=True)
    if token is not None:
        try:
            return "sub:" + verifier.verify(token).sub
        except InvalidToken:
            pass
    client = connection.scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


class RateLimitMiddleware(ASGIMiddleware):
    """429 problem+json with Retry-After once a client's bucket is empty."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, buckets: TokenBuckets, verifier: TokenVerifier, exclude_prefixes: tuple[str, ...]) -> None:
        self.buckets = buckets
        self.verifier = verifier
        self.exclude_prefixes = exclude_prefixes

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not scope["path"].startswith(self.exclude_prefixes):
            key = client_key(ASGIConnection(scope), self.verifier)
            wait = self.buckets.take(key)
            if wait > 0:
                RATE_LIMITED.inc()
                raise RateLimited(
                    "too many requests; slow down",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        await next_app(scope, receive, send)
