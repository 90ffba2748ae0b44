"""Clocks: the one notion of "now" shared by the client, the simulator and the ingest service.

`SystemClock` is real UTC time. `SimulatedClock` maps real time onto a simulated timeline that starts at
`sim_anchor` when the real clock reads `real_anchor` and runs `speed` times faster (speed 0 freezes it).
A consumer builds a clock matching a running simulator with `ShopeeClient.fetch_sim_clock()` (which reads
`GET /__sim/clock`) or `SimulatedClock.from_payload()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

__all__ = ["Clock", "SimulatedClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """Real wall-clock time (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


class SimulatedClock:
    """Simulated time: `sim_anchor + (real_now - real_anchor) * speed`.

    Thread-safe; `set()` and `set_speed()` re-anchor the timeline (the simulator's admin API uses them) without
    a jump in the other direction. `real_time` is injectable for tests.
    """

    def __init__(
        self,
        sim_anchor: datetime,
        real_anchor: datetime | None = None,
        speed: float = 1.0,
        *,
        real_time: Callable[[], float] = time.time,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._real_time = real_time
        self._lock = threading.Lock()
        self._sim_anchor = _aware(sim_anchor, "sim_anchor")
        self._real_anchor = _aware(real_anchor, "real_anchor").timestamp() if real_anchor is not None else real_time()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        with self._lock:
            elapsed = self._real_time() - self._real_anchor
            return self._sim_anchor + timedelta(seconds=elapsed * self._speed)

    def now_ms(self) -> int:
        """Simulated now in epoch milliseconds."""
        return int(self.now().timestamp() * 1000)

    def set(self, sim_now: datetime) -> None:
        """Jump the simulated time to `sim_now` (keeps the speed)."""
        with self._lock:
            self._sim_anchor = _aware(sim_now, "sim_now")
            self._real_anchor = self._real_time()

    def advance(self, delta: timedelta) -> None:
        """Move simulated time forward (or back) by `delta`."""
        self.set(self.now() + delta)

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on (0 freezes the clock)."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        current = self.now()
        with self._lock:
            self._sim_anchor = current
            self._real_anchor = self._real_time()
            self._speed = float(speed)

    def to_payload(self) -> dict[str, Any]:
        """The JSON shape served by `GET /__sim/clock`."""
        with self._lock:
            real_now = self._real_time()
            sim_now = self._sim_anchor + timedelta(seconds=(real_now - self._real_anchor) * self._speed)
            speed = self._speed
        return {
            "sim_now": sim_now.isoformat(),
            "real_now": datetime.fromtimestamp(real_now, UTC).isoformat(),
            "speed": speed,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SimulatedClock:
        """Build a clock matching a simulator from its `GET /__sim/clock` payload."""
        return cls(
            sim_anchor=datetime.fromisoformat(str(payload["sim_now"])),
            real_anchor=datetime.fromisoformat(str(payload["real_now"])),
            speed=float(payload["speed"]),
        )

    def __repr__(self) -> str:
        return f"SimulatedClock(now={self.now().isoformat()}, speed={self._speed})"
