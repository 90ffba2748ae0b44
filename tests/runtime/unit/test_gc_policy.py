"""The consumers' GC policy: no allocation-driven collections while open, a full one on a timer, restored after."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from livestudio_runtime.gc_policy import timed_collection


@pytest.fixture(autouse=True)
def collector_on() -> Any:
    """Each test starts with the collector on and leaves it as it was: services run in-process by other tests of
    the same worker (inside their own policy) may have it off meanwhile."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


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


async def test_every_service_app_runs_inside_the_policy() -> None:
    from litestar.testing import AsyncTestClient

    from livestudio_runtime.app import create_service_app
    from livestudio_runtime.health import Health

    app = create_service_app(service="gc-test", health=Health("gc-test"), gc_interval_s=0.2)
    assert gc.isenabled()
    async with AsyncTestClient(app):
        assert not gc.isenabled()
    assert gc.isenabled()


def test_no_service_has_a_gc_policy_of_its_own() -> None:
    """One policy, in the runtime: no service (or the gateway's server) tunes the collector itself."""
    import re
    from pathlib import Path

    services = Path(__file__).resolve().parents[3] / "services"
    tuning = re.compile(r"\bgc\.(set_threshold|disable|enable|freeze|collect)\b|^import gc$", re.M)
    offenders = [str(p) for p in services.glob("*/src/**/*.py") if tuning.search(p.read_text())]
    assert not offenders
