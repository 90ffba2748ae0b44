"""The skeleton every service app shares: a Litestar app with ops routes, lifespan hooks and graceful shutdown.

A service passes its own lifespan context managers (start pool, broker, consumers, pollers …); they run in
order on startup and in reverse on shutdown, inside the services' one garbage-collector policy
(`livestudio_runtime.gc_policy`). `serve()` freezes what startup built out of the collector, runs the app with
uvicorn and turns SIGTERM/SIGINT into a graceful stop: readiness goes red first, then in-flight work finishes,
then connections close.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import structlog
import uvicorn
from litestar import Litestar
from litestar.types import ControllerRouterHandler

from livestudio_runtime.gc_policy import GC_INTERVAL_S, freeze_startup_objects, timed_collection
from livestudio_runtime.health import Health, ops_router
from livestudio_runtime.metrics import BUILD_INFO

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]
log = structlog.get_logger(__name__)


def create_service_app(
    *,
    service: str,
    health: Health,
    lifespans: Sequence[Lifespan] = (),
    route_handlers: Sequence[ControllerRouterHandler] = (),
    state: dict[str, Any] | None = None,
    gc_interval_s: float = GC_INTERVAL_S,
    **litestar_kwargs: Any,
) -> Litestar:
    """The service's app; `gc_interval_s` is the period of its full garbage collection (`ServiceSettings`)."""
    BUILD_INFO.info({"service": service, "version": "0.1.0"})

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(timed_collection(gc_interval_s))
            for hook in lifespans:
                await stack.enter_async_context(hook(app))
            log.info("service_started", service=service)
            try:
                yield
            finally:
                health.stopping = True
                log.info("service_stopping", service=service)
        log.info("service_stopped", service=service)

    app_state = {"health": health, **(state or {})}
    litestar_kwargs.setdefault("logging_config", None)  # keep configure_logging's redacting JSON output
    from litestar.datastructures import State

    return Litestar(
        route_handlers=[ops_router(), *route_handlers],
        lifespan=[lifespan],
        state=State(app_state),
        **litestar_kwargs,
    )


def serve(
    app: Litestar,
    *,
    host: str,
    port: int,
    shutdown_timeout_s: float = 20.0,
    runner: Callable[[Coroutine[Any, Any, None]], None] = asyncio.run,
) -> None:
    """Run with uvicorn (one process; scale with replicas). SIGTERM and SIGINT stop it gracefully.

    `runner` runs the server's coroutine to completion: `asyncio.run` by default, `uvloop.run` for a service
    whose event loop is its bottleneck."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(shutdown_timeout_s),
        server_header=False,
        proxy_headers=False,  # the services sit behind no proxy: X-Forwarded-For is never believed
    )
    # uvicorn re-raises the signal it stopped on once it has shut down; answer it with a clean exit status.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    freeze_startup_objects()
    runner(uvicorn.Server(config).serve())
