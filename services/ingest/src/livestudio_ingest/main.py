"""Entry points of the ingest service: `create_app(settings)` (the Litestar factory) and `run()` (console script
`livestudio-ingest`, also `python -m livestudio_ingest`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvloop
from litestar import Litestar

from livestudio_ingest.service import IngestService
from livestudio_ingest.settings import SERVICE, IngestSettings
from livestudio_runtime.app import create_service_app, serve
from livestudio_runtime.health import Health
from livestudio_runtime.logging import configure_logging


def create_app(settings: IngestSettings | None = None) -> Litestar:
    settings = settings or IngestSettings()
    health = Health(SERVICE)
    service = IngestService(settings, health)

    @asynccontextmanager
    async def ingest_lifespan(_: Litestar) -> AsyncIterator[None]:
        async with service.running():
            yield

    return create_service_app(
        service=SERVICE,
        health=health,
        lifespans=[ingest_lifespan],
        gc_interval_s=settings.gc_interval_s,
        state={"ingest": service, "settings": settings},
        logging_config=None,  # keep the redacting structlog JSON handler (Litestar's default would replace it)
    )


def run() -> None:
    """Serve on uvloop: the replica is one event loop handling thousands of Shopee calls and events a second, and
    uvloop's socket and timer handling costs a fraction of asyncio's (less queueing before each answer is read)."""
    settings = IngestSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    serve(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        shutdown_timeout_s=settings.shutdown_timeout_s,
        runner=uvloop.run,
    )
