"""What one running gateway holds (pool, verifier, command ids, cipher, publisher, live hub and feed, identity) and
its lifespan.

At start-up the gateway brings its own schema `identity` up to date (`migrations/`, dbmate through
`livestudio_runtime.migrations`) and opens a small read-write pool for it; the read pool stays read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from litestar import Litestar

from livestudio_gateway.auth import TokenVerifier
from livestudio_gateway.command_ids import CommandIds
from livestudio_gateway.identity.audit import AuditedPublisher
from livestudio_gateway.identity.repository import SCHEMA as IDENTITY_SCHEMA
from livestudio_gateway.identity.repository import IdentityRepository
from livestudio_gateway.identity.repository import create_pool as create_identity_pool
from livestudio_gateway.identity.service import Identity
from livestudio_gateway.live import LiveHub, SessionFeed
from livestudio_gateway.problems import Unavailable
from livestudio_gateway.publisher import CommandPublisher
from livestudio_gateway.repository import Repository, create_pool
from livestudio_gateway.settings import GatewaySettings
from livestudio_runtime.migrations import migrate
from livestudio_runtime.secrets import CookieCipher

MIGRATIONS = Path(__file__).parent / "migrations"

log = structlog.get_logger(__name__)


@dataclass
class Gateway:
    settings: GatewaySettings
    verifier: TokenVerifier
    cipher: CookieCipher | None
    hub: LiveHub
    publisher: CommandPublisher
    feed: SessionFeed | None
    command_ids: CommandIds
    identity: Identity | None = None
    _repo: Repository | None = None

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Gateway:
        keys = settings.credential_keys()
        jwt_keys = settings.jwt_keys()
        hub = LiveHub(
            queue_size=settings.sse_queue_size,
            max_clients=settings.sse_max_clients,
            max_per_caller=settings.sse_max_per_caller,
        )
        client_id = f"livestudio-gateway-{settings.instance_id}"
        feed = (
            SessionFeed(
                hub,
                bootstrap=settings.kafka_bootstrap,
                topic=settings.session_topic,
                client_id=client_id,
                fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
            )
            if settings.live_enabled
            else None
        )
        gateway = cls(
            settings=settings,
            verifier=TokenVerifier(jwt_keys, leeway_s=settings.jwt_leeway_s),
            cipher=CookieCipher(keys) if keys else None,
            hub=hub,
            publisher=AuditedPublisher(  # identity (issue #18): a CommandPublisher that also writes the audit trail
                bootstrap=settings.kafka_bootstrap,
                topic=settings.commands_topic,
                client_id=client_id,
                timeout_s=settings.publish_timeout_s,
                partitions=settings.topic_partitions,
                replication=settings.topic_replication,
            ),
            feed=feed,
            command_ids=CommandIds(jwt_keys),
        )
        if settings.identity_enabled:  # identity (issue #18)
            gateway.identity = Identity(settings, gateway.verifier)
            if isinstance(gateway.publisher, AuditedPublisher):
                gateway.publisher.identity = gateway.identity
        return gateway

    @property
    def repo(self) -> Repository:
        if self._repo is None:
            raise Unavailable("the gateway is not started")
        return self._repo

    async def db_check(self) -> None:
        await self.repo.ping()

    @asynccontextmanager
    async def lifespan(self, _: Litestar) -> AsyncIterator[None]:
        s = self.settings
        if self.identity is not None:
            await migrate(s.database_url, schema=IDENTITY_SCHEMA, directory=MIGRATIONS)
        pool = await create_pool(
            s.database_url,
            min_size=s.db_pool_min,
            max_size=s.db_pool_max,
            statement_timeout_ms=s.statement_timeout_ms,
        )
        self._repo = Repository(pool)
        identity_pool = None
        if self.identity is not None:  # identity (issue #18)
            identity_pool = await create_identity_pool(s.database_url, max_size=s.identity_db_pool_max)
            self.identity.start(IdentityRepository(identity_pool))
            self.identity.reads = self._repo
            if isinstance(self.publisher, AuditedPublisher):
                self.publisher.reads = self._repo
        await self.publisher.start()
        if self.feed is not None:
            self.feed.start()
        try:
            yield
        finally:
            self.hub.close()
            if self.feed is not None:
                await self.feed.stop()
            await self.publisher.stop()
            self._repo = None
            if self.identity is not None and identity_pool is not None:
                await self.identity.mailer.drain()
                self.identity.stop()
                await identity_pool.close()
            await pool.close()
            log.info("gateway_resources_closed")
