"""Stopping background tasks: cancel them and wait until they have ended."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

log = structlog.get_logger(__name__)


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel `tasks` (None and finished ones are fine) and wait until every one has ended.

    A task that had already failed is logged, not raised: the caller is stopping it either way. The caller's own
    cancellation is not swallowed (unlike `with suppress(CancelledError): await task`)."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    if not running:
        return
    await asyncio.wait(running)
    for task in running:
        if not task.cancelled() and (exc := task.exception()) is not None:
            name = task.get_name() if isinstance(task, asyncio.Task) else repr(task)
            log.warning("background_task_failed", task=name, error=f"{type(exc).__name__}: {exc}")
