"""A running write path for attack tests: the real gateway app and the real commission consumer on one database
and one commands topic, two studios (`studio-a` the victim, `studio-b` the attacker) with accounts in ingest."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import BaseModel

from livestudio_commission.service import CommissionService
from livestudio_gateway.auth import Role, mint_token
from livestudio_gateway.main import create_app
from livestudio_ingest.settings import MIGRATIONS as INGEST_MIGRATIONS
from livestudio_ingest.settings import SCHEMA as INGEST_SCHEMA
from livestudio_runtime.migrations import migrate
from livestudio_schemas.commands import COMMAND
from livestudio_schemas.envelope import CloudEvent
from tests.commission.kit import Record, make_settings, produce, running
from tests.fixtures.infra import TopicFactory
from tests.gateway.conftest import JWT_SECRET, bearer, gateway_settings

Client = AsyncTestClient[Litestar]
ACCOUNTS = (("acc-a1", "studio-a"), ("acc-a2", "studio-a"), ("acc-b1", "studio-b"))


def auth(role: Role, studios: list[str] | None = None, host_id: str | None = None) -> dict[str, str]:
    token = mint_token(JWT_SECRET, sub=f"{role}-{host_id or 'x'}", role=role, studios=studios or [], host_id=host_id)
    return bearer(token)


OWNER = auth("owner")
EVIL = auth("manager", ["studio-b"])
"""A manager of studio-b: the attacker."""


@dataclass
class Stack:
    client: Client
    commission: CommissionService
    pool: asyncpg.Pool
    bootstrap: str
    commands_topic: str
    session_topic: str

    async def accepted(self, method: str, path: str, body: Any = None, headers: dict[str, str] = OWNER) -> str:
        """Send a write that must be accepted; its command id."""
        response = await self.client.request(method, f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code == 202, response.text
        command_id: str = response.json()["command_id"]
        return command_id

    async def applied(self, method: str, path: str, body: Any = None, headers: dict[str, str] = OWNER) -> None:
        command_id = await self.accepted(method, path, body, headers)
        assert await self.outcome(command_id) == ("applied", None)

    async def outcome(self, command_id: str, timeout: float = 30.0) -> tuple[str, str | None]:
        """The consumer's recorded outcome of a command (waits for it)."""
        async with asyncio.timeout(timeout):
            while True:
                row = await self.pool.fetchrow(
                    "SELECT status, error FROM command_results WHERE command_id = $1", command_id
                )
                if row is not None:
                    return row["status"], row["error"]
                await asyncio.sleep(0.05)

    async def inject(self, command: dict[str, Any], *, scope: dict[str, Any] | None = None, **raw: Any) -> str:
        """Put a command on the topic as JSON, bypassing the gateway (and, with `raw` fields, the models)."""
        command_id = f"cmd-{uuid.uuid4().hex[:12]}"
        data: dict[str, Any] = {
            "command_id": command_id,
            "actor": "attacker",
            "issued_at": datetime.now(UTC).isoformat(),
            "command": command,
            **raw,
        }
        if scope is not None:
            data["scope"] = scope
        await self.produce_raw(self.commands_topic, command_id, command_event(command_id, data))
        return command_id

    async def produce_raw(self, topic: str, key: str, value: bytes) -> None:
        records: list[Record] = [(key, value)]
        await produce(self.bootstrap, topic, records)


class _Empty(BaseModel):
    """A placeholder payload: the envelope is built, then its data replaced by raw JSON."""


def command_event(command_id: str, data: dict[str, Any]) -> bytes:
    """A CloudEvent of type command around `data`, serialised without validating `data`."""
    envelope = CloudEvent[_Empty].wrap(
        _Empty(), type_=COMMAND, source="/attacker", time=datetime.now(UTC), subject=command_id, id_=command_id
    )
    body = json.loads(envelope.to_json_bytes())
    body["data"] = data
    return json.dumps(body).encode()


async def seed_accounts(dsn: str) -> None:
    await migrate(dsn, schema=INGEST_SCHEMA, directory=INGEST_MIGRATIONS)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO ingest.accounts (account_id, studio_id, display_name, state) VALUES ($1, $2, $1, 'active')",
            ACCOUNTS,
        )
    finally:
        await conn.close()


@asynccontextmanager
async def stack(kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory) -> AsyncIterator[Stack]:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    await seed_accounts(fresh_db)
    async with running(settings) as service:
        assert service.pool is not None
        app = create_app(
            gateway_settings(
                fresh_db,
                kafka_bootstrap,
                commands_topic=settings.commands_topic,
                session_topic=settings.session_topic,
            )
        )
        async with AsyncTestClient(app) as client:
            yield Stack(
                client,
                service,
                service.pool,
                kafka_bootstrap,
                settings.commands_topic,
                settings.session_topic,
            )
