"""The ingest clock: when an observation was made. Real Shopee: `SystemClock`. Simulator: its timeline.

In simulator mode the clock tracks the simulator's `SimulatedClock` (read from `GET /__sim/clock`) and re-reads
it every `sim_clock_refresh_s`, because tests move or freeze the simulated time through the admin API. Event
times then live in the simulator's timeline, which is what its ground truth is expressed in.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog

from livestudio_runtime.tasks import cancel_and_wait
from shopee_client import Clock, ShopeeClient, SimulatedClock, SystemClock

log = structlog.get_logger(__name__)


class TrackingSimClock:
    """A `Clock` following a running simulator."""

    def __init__(self, client: ShopeeClient, base_url: str, refresh_s: float) -> None:
        self.client = client
        self.base_url = base_url
        self.refresh_s = refresh_s
        self._clock: SimulatedClock | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._clock = await self.client.fetch_sim_clock(self.base_url)
        self._task = asyncio.create_task(self._refresh(), name="ingest-sim-clock")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    def now(self) -> datetime:
        assert self._clock is not None, "TrackingSimClock.start() was not awaited"
        return self._clock.now()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                self._clock = await self.client.fetch_sim_clock(self.base_url)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sim_clock_refresh_failed", error=type(exc).__name__)

    @property
    def speed(self) -> float:
        """Simulated seconds per real second as last read (0 while the simulator's clock is frozen)."""
        assert self._clock is not None, "TrackingSimClock.start() was not awaited"
        return self._clock.speed

    def __repr__(self) -> str:
        return f"TrackingSimClock({self._clock!r})"


async def make_clock(mode: str, client: ShopeeClient, base_url: str | None, refresh_s: float) -> Clock:
    if mode == "simulator":
        if not base_url:
            raise ValueError("INGEST_SHOPEE_BASE_URL is required in simulator mode")
        clock = TrackingSimClock(client, base_url, refresh_s)
        await clock.start()
        return clock
    return SystemClock()
