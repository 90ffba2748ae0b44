"""The analytics service: app factory and console entry point (`livestudio-analytics [serve|rebuild]`).

Startup, in order: migrations and the Postgres pool; the contract topics (so it can start before the ingest);
the shared "consumer running" lock (the rebuild command waits for it to be free); the exactly-once consumer of
the session, item and command topics; the sessions-on-air gauge; the rollup refresher (`rollups.py`). Shutdown
runs in reverse: readiness goes red, the batch in flight commits, the consumer leaves its group, connections close.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import structlog
from litestar import Litestar

from livestudio_analytics import metrics, repository, rollups
from livestudio_analytics.events import Event
from livestudio_analytics.handlers import Decoder, Topics, apply_prepared, prepare_batch
from livestudio_analytics.settings import SCHEMA, SERVICE, AnalyticsSettings
from livestudio_runtime.app import create_service_app, serve
from livestudio_runtime.db import create_pool, postgres_check
from livestudio_runtime.exactly_once import ExactlyOnceConsumer
from livestudio_runtime.health import Health
from livestudio_runtime.kafka import ensure_topics, kafka_check, public_topics
from livestudio_runtime.logging import configure_logging
from livestudio_runtime.migrations import migrate
from livestudio_runtime.tasks import cancel_and_wait

MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def topics_to_create(settings: AnalyticsSettings) -> dict[str, int]:
    """Every contract topic and DLQ, plus the configured topics (and their DLQs) when they differ."""
    wanted = public_topics(settings.topic_partitions)
    for topic in settings.topics:
        wanted.setdefault(topic, settings.topic_partitions)
        wanted.setdefault(f"{topic}.dlq", settings.topic_partitions)
    return wanted


def make_consumer(settings: AnalyticsSettings, pool: asyncpg.Pool) -> ExactlyOnceConsumer[Event]:
    return ExactlyOnceConsumer(
        name=settings.consumer_group,
        bootstrap=settings.kafka_bootstrap,
        topics=settings.topics,
        pool=pool,
        decode=Decoder(Topics(settings.session_topic, settings.item_topic, settings.commands_topic)),
        prepare=prepare_batch,
        apply=apply_prepared,
        max_records=settings.batch_size,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_partition_fetch_bytes=settings.max_partition_fetch_bytes,
    )


class RunningLock:
    """A dedicated connection holding the shared advisory lock that tells `rebuild` a consumer is running."""

    def __init__(self, settings: AnalyticsSettings) -> None:
        self.settings = settings
        self.conn: asyncpg.Connection | None = None

    async def acquire(self) -> None:
        conn = await asyncpg.connect(
            self.settings.database_url,
            server_settings={"search_path": f"{SCHEMA},public", "application_name": f"{SERVICE}-running-lock"},
        )
        try:
            await repository.hold_running_lock(conn, self.settings.consumer_group)
        except BaseException:
            await conn.close()
            raise
        self.conn = conn

    async def check(self) -> None:
        """Readiness; re-takes the lock when Postgres dropped the connection."""
        if self.conn is None or self.conn.is_closed():
            await self.acquire()
        else:
            await self.conn.fetchval("SELECT 1")

    async def release(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None


async def _refresh_gauges(pool: asyncpg.Pool, period_s: float) -> None:
    while True:
        try:
            async with pool.acquire() as conn:
                metrics.SESSIONS_ON_AIR.set(await repository.count_sessions_on_air(conn))
        except Exception as exc:
            log.warning("gauge_refresh_failed", error=str(exc))
        await asyncio.sleep(period_s)


def create_app(settings: AnalyticsSettings | None = None) -> Litestar:
    settings = settings or AnalyticsSettings()
    health = Health(SERVICE)

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        await migrate(settings.database_url, schema=SCHEMA, directory=MIGRATIONS)
        pool = await create_pool(
            settings.database_url,
            schema=SCHEMA,
            application_name=SERVICE,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
        )
        app.state.pool = pool
        health.add("postgres", postgres_check(pool))
        try:
            yield
        finally:
            await pool.close()

    @asynccontextmanager
    async def topics(app: Litestar) -> AsyncIterator[None]:
        if settings.create_topics:
            await ensure_topics(
                settings.kafka_bootstrap, topics_to_create(settings), replication=settings.topic_replication
            )
        health.add("kafka", kafka_check(settings.kafka_bootstrap))
        yield

    @asynccontextmanager
    async def running_lock(app: Litestar) -> AsyncIterator[None]:
        lock = RunningLock(settings)
        await lock.acquire()
        health.add("running_lock", lock.check)
        try:
            yield
        finally:
            await lock.release()

    @asynccontextmanager
    async def consumer(app: Litestar) -> AsyncIterator[None]:
        eo = make_consumer(settings, app.state.pool)
        app.state.consumer = eo
        await eo.start()
        health.add("consumer", eo.check)
        try:
            yield
        finally:
            await eo.stop()

    @asynccontextmanager
    async def gauges(app: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(_refresh_gauges(app.state.pool, settings.gauge_refresh_s), name="gauges")
        try:
            yield
        finally:
            await cancel_and_wait(task)

    @asynccontextmanager
    async def refresher(app: Litestar) -> AsyncIterator[None]:
        eo: ExactlyOnceConsumer[Event] = app.state.consumer

        def catching_up() -> bool:
            return eo.total_lag() >= settings.batch_size

        task = asyncio.create_task(
            rollups.run_refresher(
                app.state.pool,
                settings.rollup_refresh_ms / 1000,
                settings.rollup_refresh_limit,
                busy=catching_up,
                max_defer_s=settings.rollup_max_defer_ms / 1000,
            ),
            name="rollup-refresher",
        )
        try:
            yield
        finally:
            await cancel_and_wait(task)

    return create_service_app(
        service=SERVICE,
        health=health,
        lifespans=[database, topics, running_lock, consumer, gauges, refresher],
        gc_interval_s=settings.gc_interval_s,
        state={"settings": settings},
        logging_config=None,  # keep the structlog JSON set up by configure_logging (Litestar's default replaces it)
    )


def run(argv: Sequence[str] | None = None) -> None:
    """`livestudio-analytics` (or `… serve`) runs the service; `livestudio-analytics rebuild` rebuilds."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "rebuild":
        from livestudio_analytics.rebuild import main as rebuild_main

        raise SystemExit(rebuild_main(args[1:]))
    if args and args[0] not in ("serve",):
        raise SystemExit(f"usage: livestudio-analytics [serve|rebuild [--wait SECONDS]] (got {args[0]!r})")
    settings = AnalyticsSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    serve(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        shutdown_timeout_s=settings.shutdown_timeout_s,
    )


if __name__ == "__main__":
    run()
