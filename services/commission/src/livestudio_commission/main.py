"""The commission service's app factory and console script (`livestudio-commission`).

`create_app(settings)` returns the Litestar app: `/health/live`, `/health/ready` (Postgres, Kafka, consumer,
statement worker, outbox publisher) and `/metrics`; its lifespan runs the `CommissionService`. `run()` serves it
with uvicorn on COMMISSION_HTTP_HOST:COMMISSION_HTTP_PORT (8103) and stops gracefully on SIGTERM.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from livestudio_commission.service import CommissionService
from livestudio_commission.settings import CommissionSettings
from livestudio_runtime.app import create_service_app, serve
from livestudio_runtime.db import postgres_check
from livestudio_runtime.health import Health
from livestudio_runtime.kafka import kafka_check
from livestudio_runtime.logging import configure_logging

SERVICE = "commission"


def create_app(settings: CommissionSettings | None = None) -> Litestar:
    settings = settings or CommissionSettings()
    health = Health(SERVICE)
    service = CommissionService(settings)

    @asynccontextmanager
    async def run_service(_: Litestar) -> AsyncIterator[None]:
        await service.start()
        assert service.pool is not None and service.consumer is not None and service.publisher is not None
        health.add("postgres", postgres_check(service.pool))
        health.add("kafka", kafka_check(settings.kafka_bootstrap))
        health.add("consumer", service.consumer.check)
        health.add("statement_worker", service.check_worker)
        health.add("outbox", service.publisher.check)
        try:
            yield
        finally:
            health.stopping = True
            await service.stop()

    return create_service_app(
        service=SERVICE,
        health=health,
        lifespans=[run_service],
        gc_interval_s=settings.gc_interval_s,
        state={"commission": service},
        logging_config=None,  # keep the structlog JSON set up by configure_logging
    )


def run() -> None:
    settings = CommissionSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    serve(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        shutdown_timeout_s=settings.shutdown_timeout_s,
    )


if __name__ == "__main__":
    run()
