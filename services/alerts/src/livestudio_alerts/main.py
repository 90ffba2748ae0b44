"""The alerts service's app factory and console script (`livestudio-alerts`).

`create_app(settings)` returns the Litestar app: `/health/live`, `/health/ready` (Postgres, Kafka, consumer,
evaluator, outbox dispatcher) and `/metrics`; its lifespan runs the `AlertsService`. `run()` serves it with uvicorn
on ALERTS_HTTP_HOST:ALERTS_HTTP_PORT (8104) and stops gracefully on SIGTERM.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from livestudio_alerts.service import AlertsService
from livestudio_alerts.settings import AlertsSettings
from livestudio_runtime.app import create_service_app, serve
from livestudio_runtime.db import postgres_check
from livestudio_runtime.health import Health
from livestudio_runtime.kafka import kafka_check
from livestudio_runtime.logging import configure_logging

SERVICE = "alerts"


def create_app(settings: AlertsSettings | None = None) -> Litestar:
    settings = settings or AlertsSettings()
    health = Health(SERVICE)
    service = AlertsService(settings)

    @asynccontextmanager
    async def run_service(_: Litestar) -> AsyncIterator[None]:
        await service.start()
        assert service.pool is not None and service.consumer is not None
        assert service.evaluator is not None and service.dispatcher is not None
        health.add("postgres", postgres_check(service.pool))
        health.add("kafka", kafka_check(settings.kafka_bootstrap))
        health.add("consumer", service.consumer.check)
        health.add("evaluator", service.evaluator.check)
        health.add("outbox", service.dispatcher.check)
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
        state={"alerts": service},
        logging_config=None,  # keep the structlog JSON set up by configure_logging
    )


def run() -> None:
    settings = AlertsSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    serve(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        shutdown_timeout_s=settings.shutdown_timeout_s,
    )


if __name__ == "__main__":
    run()
