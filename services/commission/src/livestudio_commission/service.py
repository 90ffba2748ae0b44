"""One commission process: migrations, the Postgres pool, the exactly-once consumer, the statement worker (which
also computes attendance records, `attendance_records.drain`), the outbox publisher and, while sessions wait for
their hours of the day after an upgrade, the hours backfill (`hours_backfill.run`), started and stopped in
order. `main.create_app` runs it inside the Litestar app; tests and the benchmark run it directly.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
import structlog

from livestudio_commission import attendance_records, hours_backfill, metrics, statements
from livestudio_commission import repository as repo
from livestudio_commission.handlers import Handlers, Message
from livestudio_commission.outbox import OutboxPublisher
from livestudio_commission.settings import CommissionSettings
from livestudio_runtime.db import create_pool
from livestudio_runtime.exactly_once import ExactlyOnceConsumer
from livestudio_runtime.kafka import ensure_topics, public_topics
from livestudio_runtime.migrations import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def topics_to_create(settings: CommissionSettings) -> dict[str, int]:
    """The contract topics, plus the configured ones (and their DLQs) when they differ from the contract."""
    topics = public_topics(settings.topic_partitions)
    for name in (settings.session_topic, settings.commands_topic, settings.affiliate_topic):
        topics.setdefault(name, settings.topic_partitions)
        topics.setdefault(f"{name}.dlq", settings.topic_partitions)
    topics.setdefault(settings.commission_topic, settings.topic_partitions)
    return topics


async def prepare_database(settings: CommissionSettings) -> asyncpg.Pool:
    await migrate(settings.database_url, schema=repo.SCHEMA, directory=MIGRATIONS)
    return await create_pool(
        settings.database_url,
        schema=repo.SCHEMA,
        application_name="livestudio-commission",
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
    )


class CommissionService:
    def __init__(self, settings: CommissionSettings) -> None:
        self.settings = settings
        self.pool: asyncpg.Pool | None = None
        self.consumer: ExactlyOnceConsumer[Message] | None = None
        self.publisher: OutboxPublisher | None = None
        self._worker: asyncio.Task[None] | None = None
        self._backfill: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        s = self.settings
        self.pool = await prepare_database(s)
        await ensure_topics(s.kafka_bootstrap, topics_to_create(s), replication=s.topic_replication)
        handlers = Handlers(s.session_topic, s.commands_topic, s.default_timezone, s.affiliate_topic)
        self.consumer = ExactlyOnceConsumer(
            name=s.consumer_group,
            bootstrap=s.kafka_bootstrap,
            topics=[s.session_topic, s.commands_topic, s.affiliate_topic],
            pool=self.pool,
            decode=handlers.decode,
            apply=handlers.apply,
            max_records=s.consumer_max_records,
            fetch_max_wait_ms=s.kafka_fetch_max_wait_ms,
            session_timeout_ms=s.kafka_session_timeout_ms,
            heartbeat_interval_ms=s.kafka_heartbeat_interval_ms,
        )
        self.publisher = OutboxPublisher(
            pool=self.pool,
            bootstrap=s.kafka_bootstrap,
            topic=s.commission_topic,
            interval_s=s.outbox_interval_s,
            batch=s.outbox_batch,
            keep_days=s.outbox_keep_days,
        )
        await self.publisher.start()
        await self.consumer.start()
        self._worker = asyncio.create_task(self._statement_loop(), name="commission-statements")
        self._backfill = asyncio.create_task(self._hours_backfill(), name="commission-hours-backfill")

    async def stop(self) -> None:
        """Finish the batch in flight, the statement round and backfill batch in flight and a last outbox flush; then
        close."""
        self._stopping.set()
        if self.consumer is not None:
            await self.consumer.stop()
        for task in (self._worker, self._backfill):
            if task is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(task), 15)
                except TimeoutError:
                    task.cancel()
        if self.publisher is not None:
            await self.publisher.stop()
        if self.pool is not None:
            await self.pool.close()

    async def _statement_loop(self) -> None:
        assert self.pool is not None
        while not self._stopping.is_set():
            try:
                done = await statements.drain(self.pool, max_hosts=200)
                attended = await attendance_records.drain(self.pool)
                if done and self.publisher is not None:
                    self.publisher.wake()
                if done or attended:
                    continue
                async with self.pool.acquire() as conn:
                    metrics.DIRTY_BACKLOG.set(await repo.dirty_count(conn))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("statement_worker_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.statement_interval_s)

    async def _hours_backfill(self) -> None:
        """Drain the queue of sessions without their hours of the day (at start-up after an upgrade), then look at
        it again every `hours_backfill.IDLE_S` (an SRE may queue sessions again, see the runbook)."""
        assert self.pool is not None
        s = self.settings
        while not self._stopping.is_set():
            wait = hours_backfill.IDLE_S
            try:
                await hours_backfill.run(
                    self.pool,
                    self._stopping,
                    batch=s.hours_backfill_batch,
                    pause_s=s.hours_backfill_pause_s,
                    lock_timeout_ms=s.hours_backfill_lock_timeout_ms,
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hours_backfill_failed")
                wait = hours_backfill.RETRY_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)

    async def check_worker(self) -> None:
        if self._worker is None or self._worker.done():
            raise RuntimeError("statement worker is not running")
