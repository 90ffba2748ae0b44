"""Helpers for alerts integration tests: contract records, a running service with local fake channels."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from livestudio_alerts.service import AlertsService
from livestudio_alerts.settings import AlertsSettings
from livestudio_devinfra.alert_sinks import AlertSinks
from livestudio_devinfra.ports import free_port
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.account import ACCOUNT_STATUS, AccountStatus
from livestudio_schemas.commands import COMMAND, Command
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id
from tests.fixtures.infra import TopicFactory

Record = tuple[str, bytes]
KEY = CookieCipher.generate_key()
CIPHER = CookieCipher([KEY])
WEBHOOK_SECRET = "whsec-test"
BOT_TOKEN = "123:bot-token"


def command(body: dict[str, Any], *, command_id: str | None = None, scope: dict[str, str] | None = None) -> Record:
    """A command record; `scope` is the caller's as the gateway sets it (None: an operator's, without one)."""
    cmd = Command.model_validate(
        {
            "command_id": command_id or f"cmd-{uuid.uuid4().hex[:12]}",
            "actor": "tester",
            "issued_at": datetime.now(UTC),
            "command": body,
            "scope": scope,
        }
    )
    event = CloudEvent[Command].wrap(
        cmd,
        type_=COMMAND,
        source="/livestudio/gateway",
        time=cmd.issued_at,
        subject=body["studio_id"],
        id_=cmd.command_id,
    )
    return body["studio_id"], event.to_json_bytes()


def account_event(
    account_id: str,
    state: str,
    observed_at: datetime,
    *,
    studio_id: str = "st1",
    last_poll: datetime | None = None,
    reason: str | None = None,
) -> Record:
    payload = AccountStatus(
        account_id=account_id,
        studio_id=studio_id,
        display_name=f"Toko {account_id}",
        state=state,  # type: ignore[arg-type]
        reason=reason,
        observed_at=observed_at,
        last_successful_poll_at=last_poll,
    )
    event = CloudEvent[AccountStatus].wrap(
        payload,
        type_=ACCOUNT_STATUS,
        source="/livestudio/ingest",
        time=observed_at,
        subject=account_id,
        id_=deterministic_event_id(ACCOUNT_STATUS, account_id, observed_at.isoformat()),
    )
    return account_id, event.to_json_bytes()


def channels(sinks: AlertSinks, studio_id: str = "st1", prefix: str = "") -> list[Record]:
    """A webhook, a Telegram and an email channel of `studio_id`, pointing at the local fakes."""
    return [
        command(
            {
                "kind": "alert.channel.upsert",
                "channel_id": f"{prefix}hook",
                "studio_id": studio_id,
                "name": "hook",
                "channel_kind": "webhook",
                "url": f"{sinks.url}/webhook",
                "encrypted_secret": CIPHER.encrypt(WEBHOOK_SECRET),
            }
        ),
        command(
            {
                "kind": "alert.channel.upsert",
                "channel_id": f"{prefix}tg",
                "studio_id": studio_id,
                "name": "tg",
                "channel_kind": "telegram",
                "chat_id": "-100200",
                "encrypted_secret": CIPHER.encrypt(BOT_TOKEN),
            }
        ),
        command(
            {
                "kind": "alert.channel.upsert",
                "channel_id": f"{prefix}mail",
                "studio_id": studio_id,
                "name": "mail",
                "channel_kind": "email",
                "smtp_host": sinks.host,
                "smtp_port": sinks.smtp_port,
                "email_from": "alerts@studio.test",
                "email_to": ["owner@studio.test"],
            }
        ),
    ]


def rule(rule_id: str, kind: str, studio_id: str = "st1", **extra: Any) -> Record:
    return command(
        {"kind": "alert.rule.upsert", "rule_id": rule_id, "studio_id": studio_id, "rule_kind": kind, **extra}
    )


async def produce(bootstrap: str, topic: str, records: Sequence[Record]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, enable_idempotence=False)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key.encode()) for key, value in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


@asynccontextmanager
async def sinks_running() -> AsyncIterator[AlertSinks]:
    sinks = AlertSinks(http_port=free_port(), smtp_port=free_port(), webhook_secret=WEBHOOK_SECRET)
    await sinks.start()
    try:
        yield sinks
    finally:
        await sinks.stop()


async def make_settings(
    kafka_bootstrap: str, database_url: str, topic_factory: TopicFactory, sinks: AlertSinks, **overrides: Any
) -> AlertsSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap": kafka_bootstrap,
        "database_url": database_url,
        "account_topic": await topic_factory("a-account", partitions=2),
        "session_topic": await topic_factory("a-session", partitions=2),
        "commands_topic": await topic_factory("a-commands", partitions=1),
        "consumer_group": f"alerts-test-{uuid.uuid4().hex[:8]}",
        "topic_partitions": 1,
        "kafka_fetch_max_wait_ms": 20,
        "kafka_session_timeout_ms": 3000,
        "kafka_heartbeat_interval_ms": 200,
        "credentials_keys": KEY,
        "telegram_api_url": sinks.url,
        "egress_allow_networks": f"{sinks.host}/32",  # the local fakes only
        "evaluate_interval_s": 3600.0,  # tests call evaluate_once themselves
        "dispatch_interval_s": 0.05,
        "retry_base_s": 0.05,
        "retry_max_s": 0.2,
        "max_attempts": 3,
        "send_timeout_s": 3.0,
        "db_pool_max": 4,
    }
    values.update(overrides)
    return AlertsSettings(**values)


@asynccontextmanager
async def running(settings: AlertsSettings, **kwargs: Any) -> AsyncIterator[AlertsService]:
    service = AlertsService(settings, **kwargs)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not reached after {timeout}s")


async def applied(pool: asyncpg.Pool, group: str, topic: str, count: int) -> bool:
    n = await pool.fetchval(
        "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE consumer = $1 AND topic = $2", group, topic
    )
    return int(n) >= count
