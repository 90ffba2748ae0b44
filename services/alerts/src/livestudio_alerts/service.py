"""One alerts process: migrations, the Postgres pool, the exactly-once consumer, the evaluator of the time-based
rules and summaries, and the outbox dispatcher, started and stopped in order. `main.create_app` runs it inside
the Litestar app; tests run it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg

from livestudio_alerts import repository as repo
from livestudio_alerts.channels import Sender
from livestudio_alerts.evaluator import Evaluator, utc_now
from livestudio_alerts.handlers import Handlers, Message
from livestudio_alerts.outbox import Dispatcher
from livestudio_alerts.settings import AlertsSettings
from livestudio_runtime.db import create_pool
from livestudio_runtime.exactly_once import ExactlyOnceConsumer
from livestudio_runtime.kafka import ensure_topics, public_topics
from livestudio_runtime.migrations import migrate
from livestudio_runtime.secrets import CookieCipher

MIGRATIONS = Path(__file__).parent / "migrations"


def topics_to_create(settings: AlertsSettings) -> dict[str, int]:
    """The contract topics, plus the configured ones (and their DLQs) when they differ from the contract."""
    topics = public_topics(settings.topic_partitions)
    for name in (settings.account_topic, settings.session_topic, settings.commands_topic):
        topics.setdefault(name, settings.topic_partitions)
        topics.setdefault(f"{name}.dlq", settings.topic_partitions)
    return topics


class AlertsService:
    def __init__(self, settings: AlertsSettings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        keys = settings.keys()
        self.cipher = CookieCipher(keys) if keys else None
        self.pool: asyncpg.Pool | None = None
        self.consumer: ExactlyOnceConsumer[Message] | None = None
        self.evaluator: Evaluator | None = None
        self.dispatcher: Dispatcher | None = None
        self.sender: Sender | None = None

    async def start(self) -> None:
        s = self.settings
        await migrate(s.database_url, schema=repo.SCHEMA, directory=MIGRATIONS)
        self.pool = await create_pool(
            s.database_url,
            schema=repo.SCHEMA,
            application_name="livestudio-alerts",
            min_size=s.db_pool_min,
            max_size=s.db_pool_max,
        )
        await ensure_topics(s.kafka_bootstrap, topics_to_create(s), replication=s.topic_replication)
        self.sender = Sender(telegram_api_url=s.telegram_api_url, timeout_s=s.send_timeout_s, egress=s.egress())
        self.dispatcher = Dispatcher(
            self.pool,
            self.sender,
            self.cipher,
            interval_s=s.dispatch_interval_s,
            batch=s.dispatch_batch,
            retry_base_s=s.retry_base_s,
            retry_max_s=s.retry_max_s,
            max_attempts=s.max_attempts,
        )
        handlers = Handlers(
            s.account_topic,
            s.session_topic,
            s.commands_topic,
            s.default_timezone,
            self.cipher,
            egress=s.egress(),
            notify_max_age=timedelta(seconds=s.notify_max_age_s),
            clock=self.clock,
        )
        self.consumer = ExactlyOnceConsumer(
            name=s.consumer_group,
            bootstrap=s.kafka_bootstrap,
            topics=[s.account_topic, s.session_topic, s.commands_topic],
            pool=self.pool,
            decode=handlers.decode,
            apply=handlers.apply,
            max_records=s.consumer_max_records,
            fetch_max_wait_ms=s.kafka_fetch_max_wait_ms,
            session_timeout_ms=s.kafka_session_timeout_ms,
            heartbeat_interval_ms=s.kafka_heartbeat_interval_ms,
        )
        self.evaluator = Evaluator(
            self.pool,
            interval_s=s.evaluate_interval_s,
            default_timezone=s.default_timezone,
            clock=self.clock,
            on_queued=self.dispatcher.wake,
        )
        self.dispatcher.start()
        await self.consumer.start()
        self.evaluator.start()

    async def stop(self) -> None:
        """Finish the batch in flight, the evaluation round and the attempts in flight; then close."""
        if self.consumer is not None:
            await self.consumer.stop()
        if self.evaluator is not None:
            await self.evaluator.stop()
        if self.dispatcher is not None:
            await self.dispatcher.stop()
        if self.sender is not None:
            await self.sender.close()
        if self.pool is not None:
            await self.pool.close()
