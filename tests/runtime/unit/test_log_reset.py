"""The broker-log-reset contract (`livestudio_runtime.log_reset`): its detectors and the once-per-incident
reaction of a producer of state."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from livestudio_runtime.log_reset import (
    LogResetRecovery,
    ProducedOffsets,
    log_replaced,
    log_shrunk,
    vanished,
)


def _resets(component: str, source: str) -> float:
    """The counter as the registry reports it (public API; no sample until it was first incremented)."""
    labels = {"component": component, "source": source}
    return REGISTRY.get_sample_value("livestudio_log_resets_total", labels) or 0.0


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=30))
def test_growing_offsets_are_no_reset_and_a_restart_from_zero_is_one(steps: list[int]) -> None:
    offsets = ProducedOffsets()
    offset = -1
    for step in steps:
        offset += step
        assert not offsets.acknowledged("t", 0, offset)
        assert not offsets.acknowledged("other", 3, 0 if offset == steps[0] - 1 else offset)
    assert offsets.acknowledged("t", 0, 0)  # the log starts again
    assert not offsets.acknowledged("t", 0, 1)  # from then on only the new log's offsets count
    offsets.forget()
    assert not offsets.acknowledged("t", 0, 0)


def test_the_consumer_side_symptoms() -> None:
    assert log_shrunk(highwater=3, position=10)
    assert not log_shrunk(highwater=10, position=10)
    assert not log_shrunk(highwater=None, position=10)
    assert not log_shrunk(highwater=3, position=None)
    assert log_replaced((41, 1_000), 41, 2_000)  # another record under the offset we applied
    assert log_replaced((41, 1_000), 0, 1_000)
    assert not log_replaced((41, 1_000), 41, 1_000)
    assert vanished({"a", "b"}, {"b", "c"}) == {"a"}


async def test_one_incident_seen_by_several_detectors_is_handled_once_and_told_to_the_others() -> None:
    now = [100.0]
    handled: list[int] = []
    told = asyncio.Event()

    async def tell() -> None:
        told.set()

    recovery = LogResetRecovery(
        "test-once",
        handlers=[lambda: handled.append(1)],
        broadcast=tell,
        debounce_s=2.0,
        recent_s=30.0,
        clock=lambda: now[0],
    )
    before = _resets("test-once", "offsets")
    assert not recovery.recent()
    assert recovery.report("offsets")
    assert not recovery.report("topics")  # the same incident, another detector
    await asyncio.wait_for(told.wait(), 1.0)
    assert handled == [1]
    assert _resets("test-once", "offsets") == before + 1
    now[0] += 10.0
    assert recovery.recent()  # pollers started now must not trust what Postgres says was published
    now[0] += 30.0
    assert not recovery.recent()
    assert recovery.report("another_replica", broadcast=False)  # a new incident, reported by another replica
    assert handled == [1, 1]
    await recovery.stop()


async def test_a_failed_broadcast_is_logged_not_raised() -> None:
    async def fail() -> None:
        raise ConnectionError("postgres down")

    recovery = LogResetRecovery("test-fail", broadcast=fail)
    assert recovery.report("offsets")
    await asyncio.sleep(0.01)
    await recovery.stop()
