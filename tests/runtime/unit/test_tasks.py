"""cancel_and_wait: every task ends, a failed one is logged, the caller's own cancellation goes through."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from livestudio_runtime.tasks import cancel_and_wait


async def _forever() -> None:
    await asyncio.Event().wait()


async def _fail() -> None:
    raise RuntimeError("boom")


async def test_every_task_is_cancelled_and_has_ended() -> None:
    tasks = [asyncio.create_task(_forever()) for _ in range(3)]
    await asyncio.sleep(0)
    await cancel_and_wait(*tasks, None)
    assert all(task.cancelled() for task in tasks)


async def test_a_task_that_had_failed_is_logged_not_raised() -> None:
    failed = asyncio.create_task(_fail(), name="worker")
    await asyncio.sleep(0)
    with capture_logs() as logs:
        await cancel_and_wait(failed)
    assert [(e["event"], e["task"], e["error"]) for e in logs] == [
        ("background_task_failed", "worker", "RuntimeError: boom")
    ]


async def test_the_callers_own_cancellation_is_not_swallowed() -> None:
    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0.2)  # cleaning up when cancelled

    worker = asyncio.create_task(slow_to_stop())
    await asyncio.sleep(0)
    stopper = asyncio.create_task(cancel_and_wait(worker))
    await asyncio.sleep(0.01)  # the stopper waits for the worker's clean-up
    stopper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopper
    await asyncio.wait([worker])
