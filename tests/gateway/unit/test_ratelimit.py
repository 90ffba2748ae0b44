"""Token buckets: bursts, refill, independence of clients, bounded memory."""

from __future__ import annotations

from livestudio_gateway.ratelimit import TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = buckets.take("a")
    assert 0.9 <= wait <= 1.0
    assert buckets.take("b") == 0.0  # clients are independent
    clock.now += 1.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    clock.now += 3600
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]  # refills up to the burst only
    assert buckets.take("a") > 0


def test_memory_is_bounded() -> None:
    buckets = TokenBuckets(per_minute=60, burst=1, max_clients=10, clock=Clock())
    for i in range(100):
        buckets.take(f"ip:{i}")
    assert len(buckets) == 10
