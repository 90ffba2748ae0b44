"""SystemClock and SimulatedClock (anchors, speed, jumps, payload round trip)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopee_client.clock import Clock, SimulatedClock, SystemClock

pytestmark = pytest.mark.unit

ANCHOR = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)


class FakeTime:
    def __init__(self, start: float) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value


def test_system_clock_is_aware() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert isinstance(SystemClock(), Clock)


def test_simulated_clock_runs_at_speed() -> None:
    real = FakeTime(1_000.0)
    clock = SimulatedClock(ANCHOR, speed=60, real_time=real)
    assert clock.now() == ANCHOR
    real.value += 10
    assert clock.now() == ANCHOR + timedelta(minutes=10)
    assert clock.now_ms() == int((ANCHOR + timedelta(minutes=10)).timestamp() * 1000)


def test_simulated_clock_set_advance_speed() -> None:
    real = FakeTime(0.0)
    clock = SimulatedClock(ANCHOR, speed=2, real_time=real)
    real.value = 5
    clock.set_speed(0)
    frozen = clock.now()
    assert frozen == ANCHOR + timedelta(seconds=10)
    real.value = 100
    assert clock.now() == frozen
    clock.advance(timedelta(hours=1))
    assert clock.now() == frozen + timedelta(hours=1)
    clock.set(ANCHOR)
    assert clock.now() == ANCHOR
    with pytest.raises(ValueError, match="speed"):
        clock.set_speed(-1)


def test_payload_round_trip_tracks_the_same_timeline() -> None:
    clock = SimulatedClock(ANCHOR, speed=60)
    copy = SimulatedClock.from_payload(clock.to_payload())
    assert abs((copy.now() - clock.now()).total_seconds()) < 1.0
    assert copy.speed == 60


def test_real_anchor_in_the_past() -> None:
    real_anchor = datetime.now(UTC) - timedelta(seconds=10)
    clock = SimulatedClock(ANCHOR, real_anchor=real_anchor, speed=6)
    assert abs((clock.now() - (ANCHOR + timedelta(seconds=60))).total_seconds()) < 1.0


def test_naive_anchor_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        SimulatedClock(datetime(2025, 1, 1), speed=1)
