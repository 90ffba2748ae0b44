"""Garbage-collector policy for the batch consumers (analytics, commission).

CPython's cyclic collector runs on allocation counts. A consumer decoding a batch of 10,000 events keeps about a
million young container objects (tuples, models, dicts) alive until the batch commits, and the collector walks
them again and again: measured on the analytics decode path, about 40% of its CPU. That data is acyclic and
freed by reference counting, so the allocation-driven collector is switched off while the consumer runs and a
full collection runs on a timer instead, which still reclaims the few cycles (asyncio futures, tracebacks).
Prometheus' default `python_gc_*` series show the collections.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from livestudio_runtime.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

SLOW_COLLECTION_S = 0.5


def freeze_startup_objects() -> None:
    """Move everything allocated so far (modules, settings, app) out of the collector's way for good."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def timed_collection(interval_s: float) -> AsyncIterator[None]:
    """While open: no allocation-driven collections; a full collection every `interval_s` seconds."""

    async def collect() -> None:
        while True:
            await asyncio.sleep(interval_s)
            started = time.perf_counter()
            found = gc.collect()
            took = time.perf_counter() - started
            if took > SLOW_COLLECTION_S:
                log.warning("slow_gc_collection", seconds=round(took, 3), unreachable=found)

    was_enabled = gc.isenabled()
    gc.disable()
    task = asyncio.create_task(collect(), name="timed-gc")
    try:
        yield
    finally:
        await cancel_and_wait(task)
        if was_enabled:
            gc.enable()
