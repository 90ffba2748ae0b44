"""Fixtures of the gateway's tests: one seeded read-model database per session, apps, clients and tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_gateway.auth import Role, mint_token
from livestudio_gateway.main import create_app
from livestudio_gateway.settings import GatewaySettings
from livestudio_runtime.secrets import CookieCipher
from tests.gateway import kit as gateway_kit

JWT_SECRET = "test-secret-" + "x" * 32
CREDENTIALS_KEY = CookieCipher.generate_key()

TokenFactory = Callable[..., str]


@pytest.fixture(scope="session")
async def seeded_db(pg_dsn: str) -> AsyncIterator[str]:
    """A database holding the seeded read models, shared by every read-only test of the session."""
    async with gateway_kit.seeded_database(pg_dsn, "gw") as dsn:
        yield dsn


@pytest.fixture(scope="session")
def seed() -> gateway_kit.Seed:
    return gateway_kit.build()


def gateway_settings(database_url: str, kafka_bootstrap: str, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "jwt_secret": JWT_SECRET,
        "database_url": database_url,
        "kafka_bootstrap": kafka_bootstrap,
        "credentials_keys": CREDENTIALS_KEY,
        "live_enabled": False,
        "rate_limit_enabled": False,
        "db_pool_min": 1,
        "db_pool_max": 4,
        "publish_timeout_s": 5.0,
        "topic_partitions": 2,
        "kafka_fetch_max_wait_ms": 20,
        "instance_id": "test-" + uuid.uuid4().hex[:6],
        "commands_topic": "gw-commands." + uuid.uuid4().hex[:10],  # never the shared contract topic
        "session_topic": "gw-sessions." + uuid.uuid4().hex[:10],
        # cheap argon2id for tests (sign-in attempts from schemathesis and the identity tests)
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8192,
        "argon2_parallelism": 1,
        **overrides,
    }
    return GatewaySettings(**values)


@pytest.fixture(scope="session")
def token() -> TokenFactory:
    """`token("manager", studios=["studio-a"])` -> a valid bearer token."""

    def make(
        role: Role = "owner", *, studios: list[str] | None = None, host_id: str | None = None, sub: str = ""
    ) -> str:
        return mint_token(
            JWT_SECRET, sub=sub or f"{role}-user", role=role, studios=studios or [], host_id=host_id, ttl_s=3600
        )

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
async def read_app(seeded_db: str, kafka_bootstrap: str) -> Litestar:
    return create_app(gateway_settings(seeded_db, kafka_bootstrap))


@pytest.fixture(scope="session")
async def client(read_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an app on the seeded database (no live feed, no rate limit)."""
    async with AsyncTestClient(read_app) as c:
        yield c
