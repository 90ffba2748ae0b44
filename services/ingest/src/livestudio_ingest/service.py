"""Wiring of one ingest replica: Postgres, Shopee client and clock, Kafka broker and outbox, poll engine,
membership, the command consumer and the QR login worker. Started in order, stopped in reverse.

Used by `main.create_app()` (the Litestar lifespan) and by tests and benchmarks that run a replica in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import structlog
from aiokafka.admin import AIOKafkaAdminClient

from livestudio_ingest import repository as repo
from livestudio_ingest.affiliate import repository as affiliate_repo
from livestudio_ingest.affiliate.driver import AffiliateReader
from livestudio_ingest.affiliate.settings import AffiliateSettings
from livestudio_ingest.clocks import TrackingSimClock, make_clock
from livestudio_ingest.commands import AccountCommands, CookieValidator
from livestudio_ingest.credentials import CredentialVault
from livestudio_ingest.engine import AccountChangeListener, PollEngine
from livestudio_ingest.handlers import IngestCommand, decode_command, make_apply
from livestudio_ingest.membership import KafkaMembership
from livestudio_ingest.outbox import Outbox, Publisher
from livestudio_ingest.prevalidation import BatchCookieValidator
from livestudio_ingest.qr import QrLoginWorker
from livestudio_ingest.settings import MIGRATIONS, SCHEMA, IngestSettings, client_settings
from livestudio_runtime.db import create_pool, postgres_check
from livestudio_runtime.exactly_once import ExactlyOnceConsumer
from livestudio_runtime.health import Health
from livestudio_runtime.kafka import ensure_topics, kafka_check, make_broker
from livestudio_runtime.log_reset import LogResetRecovery, vanished
from livestudio_runtime.migrations import migrate
from shopee_client import Clock, ShopeeClient

log = structlog.get_logger(__name__)


async def list_topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def topics_to_create(settings: IngestSettings) -> dict[str, int]:
    """The contract topics the ingest publishes to or consumes, their DLQs, and the membership topic."""
    n = settings.topic_partitions
    topics: dict[str, int] = {}
    for name in (settings.session_topic, settings.item_topic, settings.account_topic, settings.commands_topic):
        topics[name] = n
        topics[f"{name}.dlq"] = n
    if settings.membership == "kafka":
        topics[settings.accounts_topic] = settings.accounts_partitions
    return topics


async def _retry(what: str, timeout: float, make: Any) -> Any:
    """Retry a startup step until it works or `timeout` passes (the broker may still be starting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await make()
        except Exception as exc:
            if loop.time() > deadline:
                raise
            log.warning("startup_step_retry", step=what, error=type(exc).__name__)
            await asyncio.sleep(1.0)


class IngestService:
    def __init__(
        self, settings: IngestSettings, health: Health | None = None, affiliate: AffiliateSettings | None = None
    ) -> None:
        self.settings = settings
        self.affiliate_settings = affiliate or AffiliateSettings()
        self.affiliate: AffiliateReader | None = None
        self.health = health or Health("ingest")
        self.pool: asyncpg.Pool | None = None
        self.client: ShopeeClient | None = None
        self.clock: Clock | None = None
        self.outbox = Outbox(settings.outbox_max_entries)
        self.publisher: Publisher | None = None
        self.engine: PollEngine | None = None
        self.listener: AccountChangeListener | None = None
        self.membership: KafkaMembership | None = None
        self.commands: ExactlyOnceConsumer[IngestCommand] | None = None
        self.qr: QrLoginWorker | None = None
        self._broker: Any = None
        self._topics_ready = False
        self.recovery = LogResetRecovery(
            "ingest", handlers=[self._forget_published], broadcast=self._tell_other_replicas
        )
        self._background: set[asyncio.Task[None]] = set()

    async def ensure_topics(self) -> None:
        """Create missing topics. Topics that existed before and are gone mean the broker lost its log (the
        embedded broker forgets everything on restart): then every poller re-publishes its current state."""
        wanted = topics_to_create(self.settings) | {self.affiliate_settings.topic: self.settings.topic_partitions}
        existing = await list_topics(self.settings.kafka_bootstrap)
        missing = {name: n for name, n in wanted.items() if name not in existing}
        if not missing:
            self._topics_ready = True
            return
        await ensure_topics(self.settings.kafka_bootstrap, missing, replication=self.settings.topic_replication)
        if self._topics_ready and vanished(wanted, existing):
            log.warning("broker_lost_topics", topics=sorted(missing))
            self.recovery.report("topics_vanished")
        self._topics_ready = True

    def _forget_published(self) -> None:
        """This replica's reaction to a broker log reset (`log_reset` contract, producer side): offsets from
        before mean nothing, and every poller publishes its current state again."""
        if self.publisher is not None:
            self.publisher.forget_offsets()
        if self.engine is not None:
            self.engine.on_broker_reset()
        if self.affiliate is not None:
            self.affiliate.forget()

    async def _tell_other_replicas(self) -> None:
        """Nothing counts as published any more, in Postgres, and every replica hears it (NOTIFY)."""
        if self.pool is None:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.forget_published(conn, by=self.settings.instance_id)
            await affiliate_repo.forget_all(conn)

    async def _watch_topics(self) -> None:
        """Notice a broker that lost its topics even when nothing failed to publish (it may accept writes to
        topics it does not know)."""
        while True:
            await asyncio.sleep(self.settings.topic_check_interval_s)
            try:
                await asyncio.wait_for(self.ensure_topics(), self.settings.topic_check_interval_s * 2 + 5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("topic_check_failed", error=type(exc).__name__)

    async def start(self) -> None:
        s = self.settings
        vault = CredentialVault.from_setting(s.credentials_keys)
        await migrate(s.database_url, schema=SCHEMA, directory=MIGRATIONS)
        self.pool = await create_pool(
            s.database_url,
            schema=SCHEMA,
            application_name=f"ingest-{s.instance_id}",
            min_size=s.db_pool_min,
            max_size=s.db_pool_max,
        )
        self.health.add("postgres", postgres_check(self.pool))
        self.client = ShopeeClient(client_settings(s))
        self.clock = await make_clock(s.shopee_mode, self.client, s.shopee_base_url, s.sim_clock_refresh_s)
        if s.create_topics:
            await _retry("ensure_topics", s.startup_timeout_s, self.ensure_topics)
        self._broker = make_broker(
            s.kafka_bootstrap, client_id=f"ingest-{s.instance_id}", max_batch_size=s.producer_batch_bytes
        )
        self.publisher = Publisher(
            self._broker,
            self.outbox,
            {
                "session": s.session_topic,
                "item": s.item_topic,
                "account": s.account_topic,
                "affiliate": self.affiliate_settings.topic,
            },
            batch=s.publish_batch,
            timeout_s=s.publish_timeout_s,
            repair_topics=self.ensure_topics if s.create_topics else None,
            on_log_reset=lambda: self.recovery.report("produced_offsets"),
        )
        await _retry("broker_start", s.startup_timeout_s, self._broker.start)
        self.publisher.start()
        self.health.add("kafka", kafka_check(s.kafka_bootstrap))
        self.health.add("publisher", self.publisher.check)

        validator = BatchCookieValidator(CookieValidator(self.client), concurrency=s.command_validation_concurrency)
        commands = AccountCommands(vault, validator)
        self.engine = PollEngine(
            s, self.pool, self.client, self.clock, self.outbox, vault, recent_reset=self.recovery.recent
        )
        self.engine.start()
        self.health.add("poll_engine", self.engine.check)
        if self.affiliate_settings.enabled:
            engine = self.engine
            self.affiliate = AffiliateReader(
                self.affiliate_settings,
                self.pool,
                self.client,
                self.clock,
                self.outbox,
                lambda: engine.pollers.values(),
            )
            self.affiliate.start()
            self.health.add("affiliate", self.affiliate.check)
        self.listener = AccountChangeListener(
            s.database_url,
            self.engine,
            instance_id=s.instance_id,
            on_reset=lambda: self.recovery.report("another_replica", broadcast=False),
        )
        self.listener.start()
        if s.membership == "kafka":
            self.membership = KafkaMembership(
                bootstrap=s.kafka_bootstrap,
                topic=s.accounts_topic,
                group=s.membership_group,
                client_id=f"ingest-{s.instance_id}",
                on_assigned=self.engine.assign,
                on_revoked=self.engine.revoke,
                ensure_topic=self.ensure_topics,
                session_timeout_ms=s.kafka_session_timeout_ms,
                heartbeat_interval_ms=s.kafka_heartbeat_interval_ms,
            )
            await _retry("membership_start", s.startup_timeout_s, self.membership.start)
            self.health.add("membership", self.membership.check)
        else:
            await self.engine.assign_all()
        if s.consume_commands:
            self.commands = ExactlyOnceConsumer(
                name=s.commands_group,
                bootstrap=s.kafka_bootstrap,
                topics=[s.commands_topic],
                pool=self.pool,
                decode=decode_command,
                apply=make_apply(commands, validator),
                max_records=200,
                fetch_max_wait_ms=s.kafka_fetch_max_wait_ms,
                session_timeout_ms=s.kafka_session_timeout_ms,
                heartbeat_interval_ms=s.kafka_heartbeat_interval_ms,
            )
            await _retry("commands_start", s.startup_timeout_s, self.commands.start)
            self.health.add("commands", self.commands.check)
        self.qr = QrLoginWorker(s, self.pool, self.client, commands)
        self.qr.start()
        if s.create_topics:
            watch = asyncio.create_task(self._watch_topics(), name="ingest-topic-watch")
            self._background.add(watch)
        log.info(
            "ingest_started",
            instance=s.instance_id,
            mode=s.shopee_mode,
            membership=s.membership,
            clock=repr(self.clock),
        )

    async def stop(self) -> None:
        """Leave the group first (others take over), stop polling, publish what is pending, close."""
        steps: list[Any] = []
        for task in list(self._background):
            task.cancel()
        if self.membership is not None:
            steps.append(self.membership.stop)
        if self.affiliate is not None:
            steps.append(self.affiliate.stop)
        if self.engine is not None:
            steps.append(self.engine.stop)
        if self.qr is not None:
            steps.append(self.qr.stop)
        if self.commands is not None:
            steps.append(self.commands.stop)
        if self.listener is not None:
            steps.append(self.listener.stop)
        steps.append(self.recovery.stop)
        if self.publisher is not None:
            steps.append(self.publisher.stop)
        if self._broker is not None:
            steps.append(self._broker.stop)
        if isinstance(self.clock, TrackingSimClock):
            steps.append(self.clock.stop)
        if self.client is not None:
            steps.append(self.client.aclose)
        if self.pool is not None:
            steps.append(self.pool.close)
        for step in steps:
            try:
                await asyncio.wait_for(step(), 30)
            except Exception as exc:
                log.warning(
                    "shutdown_step_failed", step=getattr(step, "__qualname__", str(step)), error=type(exc).__name__
                )
        log.info("ingest_stopped")

    @contextlib.asynccontextmanager
    async def running(self) -> Any:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()
