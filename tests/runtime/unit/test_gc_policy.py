"""The consumers' GC policy: no allocation-driven collections while open, a full one on a timer, restored after."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from livestudio_runtime.gc_policy import timed_collection


async def test_collects_on_a_timer_only_and_restores_the_collector() -> None:
    runs: list[int] = []  # generation of every collection

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop":
            runs.append(info["generation"])

    assert gc.isenabled()
    gc.callbacks.append(on_gc)
    try:
        async with timed_collection(0.2):
            assert not gc.isenabled()
            before = len(runs)
            _ = [(i, [i]) for i in range(200_000)]  # hundreds of collections with the collector on
            assert len(runs) == before
            await asyncio.sleep(0.5)
            assert 2 in runs[before:]  # the timer's full collection
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(on_gc)
