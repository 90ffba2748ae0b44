"""The garbage-collector policy of every service (one policy, applied by `livestudio_runtime.app`).

* Everything built before serving (modules, settings, the app: routes, signature models, schemas) is frozen out
  of the collector (`freeze_startup_objects`, called by `app.serve` once the app is built), so no collection walks
  it again.
* While the app runs, allocation-driven collections are off and a full collection runs every
  `ServiceSettings.gc_interval_s` (`timed_collection`, the first lifespan of `app.create_service_app`).

CPython's cyclic collector runs on allocation counts. A consumer decoding a batch keeps many young container
objects (tuples, models, dicts) alive until the batch commits and the collector walks them again and again (the
analytics README has the measured cost); a poller allocating per poll triggers it hundreds of times a second. That
data is acyclic and freed by reference counting; the timer still reclaims the few cycles (asyncio futures,
tracebacks). A gateway request leaves next to no cyclic garbage behind (CONTRIBUTING has the dated figure), so
for the gateway the timer's collections are short. Prometheus' default `python_gc_*` series show the
collections.
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
GC_INTERVAL_S = 30.0
"""Default period of the full collection (`ServiceSettings.gc_interval_s`)."""


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
