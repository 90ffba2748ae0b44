"""Per-client rate limiting: a token bucket per client key (`caller.CallerMiddleware` keys by JWT subject, or by
client IP without a valid token).

Litestar's RateLimitMiddleware keeps every request timestamp of the window in a store and re-encodes it on each
request (cost grows with the limit); a token bucket is O(1) per request and allows short bursts. Buckets live in
the process (one per replica); the least recently used ones are dropped beyond `max_clients`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


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

    def keys(self) -> list[str]:
        """The clients that have a bucket now, least recently seen first."""
        return list(self._buckets)
