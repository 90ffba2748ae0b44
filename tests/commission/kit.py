"""Helpers for commission integration tests: contract events and commands, a running service, waiting for it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from livestudio_commission import repository as repo
from livestudio_commission.service import CommissionService
from livestudio_commission.settings import CommissionSettings
from livestudio_schemas.commands import COMMAND, Command
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id
from livestudio_schemas.session import (
    SESSION_CORRECTED,
    SESSION_ENDED,
    SESSION_SNAPSHOT,
    SessionCorrected,
    SessionEnded,
    SessionMetrics,
    SessionSnapshot,
)
from livestudio_schemas.topics import session_key
from tests.fixtures.infra import TopicFactory

JKT = ZoneInfo("Asia/Jakarta")
Record = tuple[str, bytes]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=JKT) + timedelta(hours=hour, minutes=minute)


def _metrics(
    placed: int | None, placed_orders: int | None, confirmed: int | None, confirmed_orders: int | None
) -> SessionMetrics:
    return SessionMetrics(
        placed_sales=None if placed is None else Decimal(placed),
        placed_orders=placed_orders,
        confirmed_sales=None if confirmed is None else Decimal(confirmed),
        confirmed_orders=confirmed_orders,
    )


def session_event(
    kind: str,
    account_id: str,
    session_id: int,
    started: datetime,
    observed: datetime,
    *,
    placed: int | None = None,
    placed_orders: int | None = None,
    confirmed: int | None = None,
    confirmed_orders: int | None = None,
    ended_at: datetime | None = None,
    on_air: bool = True,
    studio_id: str = "st1",
) -> Record:
    """A `shopee.live.session.v1` record (key, CloudEvent JSON) of the given kind: snapshot, ended, corrected."""
    common: dict[str, Any] = {
        "account_id": account_id,
        "studio_id": studio_id,
        "session_id": session_id,
        "started_at": started,
        "observed_at": observed,
        "source": "live_detail",
        "metrics": _metrics(placed, placed_orders, confirmed, confirmed_orders),
    }
    payload: SessionSnapshot | SessionEnded | SessionCorrected
    if kind == "snapshot":
        payload, type_ = SessionSnapshot(**common, on_air=on_air), SESSION_SNAPSHOT
    elif kind == "ended":
        assert ended_at is not None
        payload, type_ = SessionEnded(**common, ended_at=ended_at), SESSION_ENDED
    else:
        payload, type_ = SessionCorrected(**common, ended_at=ended_at), SESSION_CORRECTED
    event = CloudEvent[type(payload)].wrap(  # type: ignore[misc]
        payload,
        type_=type_,
        source="/livestudio/ingest",
        time=observed,
        subject=f"{account_id}:{session_id}",
        id_=deterministic_event_id(type_, account_id, session_id, observed.isoformat()),
    )
    return session_key(account_id, session_id), event.to_json_bytes()


def command(
    body: dict[str, Any],
    *,
    command_id: str | None = None,
    actor: str = "tester",
    issued_at: datetime | None = None,
    scope: dict[str, Any] | None = None,
) -> Record:
    """A `livestudio.commands.v1` record for a command body (`{"kind": ..., ...}`), with the caller's `scope`
    (`{"studio_id": ..., "role": ...}`) as the gateway sets it, or none (an operator's command)."""
    cmd = Command.model_validate(
        {
            "command_id": command_id or f"cmd-{uuid.uuid4().hex[:12]}",
            "actor": actor,
            "issued_at": issued_at or datetime.now(UTC),
            "command": body,
            "scope": scope,
        }
    )
    event = CloudEvent[Command].wrap(
        cmd,
        type_=COMMAND,
        source="/livestudio/gateway",
        time=cmd.issued_at,
        subject=body["kind"],
        id_=deterministic_event_id("command", cmd.command_id),
    )
    target = next(
        (
            str(body[k])
            for k in ("entry_id", "host_id", "shift_id", "rule_id", "studio_id", "statement_id")
            if k in body
        ),
        "x",
    )
    return target, event.to_json_bytes()


async def produce(bootstrap: str, topic: str, records: Sequence[Record]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, enable_idempotence=False)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key.encode()) for key, value in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def make_settings(kafka_bootstrap: str, database_url: str, topic_factory: TopicFactory) -> CommissionSettings:
    sessions = await topic_factory("c-session", partitions=3)
    commands = await topic_factory("c-commands", partitions=2)
    commission = await topic_factory("c-commission", partitions=2)
    return CommissionSettings(
        kafka_bootstrap=kafka_bootstrap,
        database_url=database_url,
        session_topic=sessions,
        commands_topic=commands,
        commission_topic=commission,
        consumer_group=f"commission-test-{uuid.uuid4().hex[:8]}",
        topic_partitions=2,
        kafka_fetch_max_wait_ms=20,
        kafka_session_timeout_ms=3000,
        kafka_heartbeat_interval_ms=200,
        statement_interval_s=0.1,
        outbox_interval_s=0.1,
        db_pool_max=5,
    )


@asynccontextmanager
async def running(settings: CommissionSettings) -> AsyncIterator[CommissionService]:
    service = CommissionService(settings)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def wait_settled(service: CommissionService, produced: dict[str, int], *, timeout: float = 90.0) -> asyncpg.Pool:
    """Wait until every produced record is applied and no statement recomputation is pending."""
    pool = service.pool
    assert pool is not None
    deadline = asyncio.get_running_loop().time() + timeout
    applied: dict[str, int] = {}
    while asyncio.get_running_loop().time() < deadline:
        rows = await pool.fetch(
            "SELECT topic, sum(next_offset) AS n FROM consumer_offsets WHERE consumer = $1 GROUP BY topic",
            service.settings.consumer_group,
        )
        applied = {r["topic"]: int(r["n"]) for r in rows}
        if all(applied.get(t, 0) >= n for t, n in produced.items()):
            async with pool.acquire() as conn:
                pending = await repo.dirty_count(conn)
            if pending == 0:
                return pool
        await asyncio.sleep(0.1)
    raise AssertionError(f"not settled after {timeout}s: applied {applied}, wanted {produced}")


async def read_topic(bootstrap: str, topic: str, want: int, *, timeout: float = 30.0) -> list[Any]:
    """At least `want` records of a topic, from the start."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None, fetch_max_wait_ms=20
    )
    await consumer.start()
    got: list[Any] = []
    try:
        async with asyncio.timeout(timeout):
            while len(got) < want:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    got.extend(records)
    finally:
        await consumer.stop()
    return got
