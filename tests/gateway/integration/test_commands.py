"""Commands end to end: validated requests become CloudEvent[Command] on the commands topic, cookies encrypted."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_gateway.main import create_app
from livestudio_runtime.kafka import decode_as, ensure_topics
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import COMMAND, Command
from tests.gateway.conftest import CREDENTIALS_KEY, TokenFactory, bearer, gateway_settings

Client = AsyncTestClient[Litestar]
CORRECTED_AT = (datetime.now(ZoneInfo("Asia/Jakarta")).replace(microsecond=0) - timedelta(minutes=2)).isoformat()
"""A manager's correction: near now, so always inside the open pay period."""
COOKIE = "SPC_EC=secret-ec-value; SPC_ST=.secret-st-value; SPC_U=123"


@pytest.fixture(scope="module")
async def commands_topic(kafka_bootstrap: str) -> str:
    topic = f"gw-commands.{uuid.uuid4().hex[:10]}"
    await ensure_topics(kafka_bootstrap, {topic: 2})
    return topic


@pytest.fixture(scope="module")
async def cmd_client(seeded_db: str, kafka_bootstrap: str, commands_topic: str) -> AsyncIterator[Client]:
    app = create_app(gateway_settings(seeded_db, kafka_bootstrap, commands_topic=commands_topic))
    async with AsyncTestClient(app) as client:
        yield client


async def _read_command(bootstrap: str, topic: str, command_id: str) -> tuple[bytes, bytes]:
    """The raw (key, value) of the command with this id (reads the topic from the start)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest", fetch_max_wait_ms=20
    )
    await consumer.start()
    try:
        async with asyncio.timeout(20):
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        if command_id.encode() in (record.value or b""):
                            return record.key or b"", record.value or b""
    finally:
        await consumer.stop()


async def _submit(client: Client, auth: str, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    response = await client.request(method, path, headers=bearer(auth), json=body)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    assert accepted["status"] == "accepted"
    assert response.headers["location"] == accepted["status_url"] == f"/api/v1/commands/{accepted['command_id']}"
    return accepted


CASES: list[tuple[str, str, dict[str, Any] | None, str, str, dict[str, Any]]] = [
    # method, path, body, kind, expected key, fields expected in the command
    (
        "PUT",
        "/api/v1/studios/studio-a",
        {"name": "Studio A+", "holidays": ["2026-12-25", "2026-12-25"]},
        "studio.upsert",
        "studio-a",
        {"name": "Studio A+", "timezone": "Asia/Jakarta", "holidays": ["2026-12-25"]},
    ),
    (
        "PATCH",
        "/api/v1/accounts/acc-a1",
        {"display_name": "Renamed"},
        "account.update",
        "acc-a1",
        {"display_name": "Renamed", "encrypted_cookie": None},
    ),
    ("POST", "/api/v1/accounts/acc-a1/pause", None, "account.pause", "acc-a1", {}),
    ("POST", "/api/v1/accounts/acc-a1/resume", None, "account.resume", "acc-a1", {}),
    ("DELETE", "/api/v1/accounts/acc-a2", None, "account.remove", "acc-a2", {}),
    (
        "PUT",
        "/api/v1/accounts/acc-a1/ad-spend/2026-11-03",
        {"amount": "125000.50"},
        "adspend.enter",
        "acc-a1",
        {"studio_id": "studio-a", "day": "2026-11-03", "amount": "125000.50", "currency": "IDR"},
    ),
    (
        "PUT",
        "/api/v1/studios/studio-a/hosts/host-a9",
        {"name": "Fajar", "role": "leader"},
        "host.upsert",
        "host-a9",
        {"studio_id": "studio-a", "role": "leader", "active": True},
    ),
    (
        "PUT",
        "/api/v1/studios/studio-a/shifts/malam",
        {"name": "Malam", "start": "20:00:00", "end": "00:00:00"},
        "shift.upsert",
        "studio-a",
        {"shift_id": "malam", "start": "20:00:00", "end": "00:00:00"},
    ),
    (
        "PUT",
        "/api/v1/studios/studio-a/schedule/acc-a1-2026-11-20-pagi",
        {"host_id": "host-a1", "account_id": "acc-a1", "shift_id": "pagi", "shift_date": "2026-11-20"},
        "schedule.upsert",
        "acc-a1",
        {"share": "1"},
    ),
    (
        "PUT",
        "/api/v1/studios/studio-a/schedule/w1",
        {
            "host_id": "host-a2",
            "account_id": "acc-a1",
            "starts_at": "2026-11-20T01:00:00Z",
            "ends_at": "2026-11-20T12:00:00+07:00",
            "share": "0.5",
        },
        "schedule.upsert",
        "acc-a1",
        {"host_id": "host-a2", "share": "0.5"},
    ),
    ("DELETE", "/api/v1/studios/studio-a/schedule/w1", None, "schedule.remove", "w1", {"entry_id": "w1"}),
    ("DELETE", "/api/v1/studios/studio-a/hosts/host-a3", None, "host.remove", "host-a3", {"studio_id": "studio-a"}),
    ("DELETE", "/api/v1/studios/studio-a/shifts/malam", None, "shift.remove", "studio-a", {"shift_id": "malam"}),
    ("DELETE", "/api/v1/rules/global-hour", None, "rule.remove", "global-hour", {"rule_id": "global-hour"}),
    (
        "PUT",
        "/api/v1/rules/tiered",
        {
            "studio_id": "studio-a",
            "rule_kind": "gmv_percent",
            "effective_from": "2026-11-01",
            "tiers": [{"up_to": "1000000", "percent": "2"}, {"percent": "3.5"}],
        },
        "rule.upsert",
        "studio-a",
        {"rule_id": "tiered", "tiers": [{"up_to": "1000000", "percent": "2"}, {"up_to": None, "percent": "3.5"}]},
    ),
    (
        "PUT",
        "/api/v1/rules/global-order",
        {"rule_kind": "per_order", "amount": "700", "effective_from": "2026-11-01"},
        "rule.upsert",
        "global-order",
        {"studio_id": None, "amount": "700"},
    ),
    (
        "POST",
        "/api/v1/studios/studio-a/hosts/host-a1/check-in",
        {"account_id": "acc-a1"},
        "host.check_in",
        "acc-a1",
        {"host_id": "host-a1"},
    ),
    (
        "POST",
        "/api/v1/studios/studio-a/hosts/host-a1/check-out",
        {"account_id": "acc-a1", "at": CORRECTED_AT, "reason": "forgot to check out"},
        "host.check_out",
        "acc-a1",
        {"at": CORRECTED_AT, "reason": "forgot to check out"},
    ),
    ("POST", "/api/v1/commission/statements/st-a1-nov/approve", None, "statement.approve", "st-a1-nov", {}),
    ("POST", "/api/v1/commission/statements/st-a1-oct/pay", None, "statement.pay", "st-a1-oct", {}),
    (
        "POST",
        "/api/v1/commission/statements/st-a1-nov/void",
        {"reason": "recalculate"},
        "statement.void",
        "st-a1-nov",
        {"reason": "recalculate"},
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "kind", "key", "fields"), CASES, ids=[c[3] + c[1] for c in CASES])
async def test_command_is_published_as_cloudevent(
    cmd_client: Client,
    token: TokenFactory,
    kafka_bootstrap: str,
    commands_topic: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    kind: str,
    key: str,
    fields: dict[str, Any],
) -> None:
    owner = token("owner", sub="owner-7")
    accepted = await _submit(cmd_client, owner, method, path, body)
    assert accepted["kind"] == kind
    raw_key, raw = await _read_command(kafka_bootstrap, commands_topic, accepted["command_id"])
    assert raw_key.decode() == key
    event = decode_as(raw, Command)
    assert event.type == COMMAND and event.id == accepted["command_id"] and event.subject == key
    assert event.source == "/livestudio/gateway"
    assert event.data.command_id == accepted["command_id"] and event.data.actor == "owner-7"
    dumped = event.data.command.model_dump(mode="json")
    for name, value in fields.items():
        assert dumped[name] == value, (name, dumped)


async def test_connect_by_cookie_encrypts_the_cookie(
    cmd_client: Client, token: TokenFactory, kafka_bootstrap: str, commands_topic: str
) -> None:
    manager = token("manager", studios=["studio-a"])
    body = {"studio_id": "studio-a", "display_name": "Toko Baru", "cookie": COOKIE, "region": "co.id"}
    accepted = await _submit(cmd_client, manager, "POST", "/api/v1/accounts", body)
    assert accepted["account_id"].startswith("acct-") and accepted["owner"] == "ingest"
    key, raw = await _read_command(kafka_bootstrap, commands_topic, accepted["command_id"])
    assert b"secret-ec-value" not in raw and b"secret-st-value" not in raw
    command = decode_as(raw, Command).data.command
    assert command.kind == "account.connect" and key.decode() == accepted["account_id"]
    assert CookieCipher([CREDENTIALS_KEY]).decrypt(command.encrypted_cookie) == COOKIE

    reconnect = await _submit(
        cmd_client, manager, "POST", "/api/v1/accounts", {**body, "account_id": "acc-a1", "cookie": COOKIE + "; x=1"}
    )
    assert reconnect["account_id"] == "acc-a1"
    patched = await _submit(cmd_client, manager, "PATCH", "/api/v1/accounts/acc-a1", {"cookie": COOKIE})
    _, raw = await _read_command(kafka_bootstrap, commands_topic, patched["command_id"])
    update = decode_as(raw, Command).data.command
    assert update.kind == "account.update" and update.display_name is None
    assert CookieCipher([CREDENTIALS_KEY]).decrypt(update.encrypted_cookie or "") == COOKIE


async def test_qr_login_start_then_status(
    cmd_client: Client, token: TokenFactory, kafka_bootstrap: str, commands_topic: str, seeded_db: str
) -> None:
    manager = token("manager", studios=["studio-a"])
    accepted = await _submit(
        cmd_client, manager, "POST", "/api/v1/accounts/qr-login", {"studio_id": "studio-a", "display_name": "QR"}
    )
    login_id = accepted["login_id"]
    _, raw = await _read_command(kafka_bootstrap, commands_topic, accepted["command_id"])
    command = decode_as(raw, Command).data.command
    assert command.kind == "account.qr_login.start" and command.login_id == login_id
    # the ingest has not seen it yet
    assert (await cmd_client.get(f"/api/v1/accounts/qr-login/{login_id}", headers=bearer(manager))).status_code == 404
    pending = (await cmd_client.get(accepted["status_url"], headers=bearer(manager))).json()
    assert pending["status"] == "pending"
    # … then it does, and records the command's outcome
    conn = await asyncpg.connect(seeded_db)
    try:
        await conn.execute(
            "INSERT INTO ingest.qr_logins VALUES ($1, $2, 'studio-a', 'waiting_scan', 'QRDATA', NULL, now())",
            login_id,
            accepted["account_id"],
        )
        await conn.execute(
            "INSERT INTO ingest.command_results VALUES ($1, 'account.qr_login.start', 'applied', NULL, now())",
            accepted["command_id"],
        )
    finally:
        await conn.close()
    login = (await cmd_client.get(f"/api/v1/accounts/qr-login/{login_id}", headers=bearer(manager))).json()
    assert login["qrcode_base64"] == "QRDATA" and login["account_id"] == accepted["account_id"]
    done = (await cmd_client.get(accepted["status_url"], headers=bearer(manager))).json()
    assert done["status"] == "applied" and done["owner"] == "ingest"


INVALID: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/v1/accounts", {"studio_id": "studio-a", "display_name": "x", "cookie": "not a cookie"}),
    ("POST", "/api/v1/accounts", {"studio_id": "studio-a", "display_name": "x", "cookie": "SPC_ST=a\nb"}),
    ("POST", "/api/v1/accounts", {"studio_id": "studio-a", "display_name": "x", "cookie": COOKIE, "extra": 1}),
    ("POST", "/api/v1/accounts", {"studio_id": "studio-a", "display_name": "x", "cookie": COOKIE, "region": "mars"}),
    ("POST", "/api/v1/accounts", {"studio_id": "studio-a", "cookie": COOKIE}),
    ("PATCH", "/api/v1/accounts/acc-a1", {}),
    ("PUT", "/api/v1/accounts/acc-a1/ad-spend/2026-11-03", {"amount": "-5"}),
    ("PUT", "/api/v1/accounts/acc-a1/ad-spend/2026-11-03", {"amount": "1.234"}),
    ("PUT", "/api/v1/accounts/acc-a1/ad-spend/2099-01-01", {"amount": "5"}),
    ("PUT", "/api/v1/studios/studio-a", {"name": "A", "timezone": "Mars/Olympus"}),
    ("PUT", "/api/v1/studios/studio-a", {"name": ""}),
    (
        "PUT",
        "/api/v1/studios/studio-a/schedule/e1",
        {
            "host_id": "host-a1",
            "account_id": "acc-a1",
            "shift_id": "pagi",
            "shift_date": "2026-11-20",
            "starts_at": "2026-11-20T01:00:00Z",
            "ends_at": "2026-11-20T02:00:00Z",
        },
    ),
    (
        "PUT",
        "/api/v1/studios/studio-a/schedule/e1",
        {
            "host_id": "host-a1",
            "account_id": "acc-a1",
            "starts_at": "2026-11-20T03:00:00Z",
            "ends_at": "2026-11-20T02:00:00Z",
        },
    ),
    (
        "PUT",
        "/api/v1/studios/studio-a/schedule/e1",
        {
            "host_id": "host-a1",
            "account_id": "acc-a1",
            "starts_at": "2026-11-20T03:00:00",
            "ends_at": "2026-11-20T05:00:00",
        },
    ),
    (
        "PUT",
        "/api/v1/studios/studio-a/schedule/e1",
        {"host_id": "host-a1", "account_id": "acc-a1", "shift_id": "pagi", "shift_date": "2026-11-20", "share": "0"},
    ),
    ("PUT", "/api/v1/rules/r1", {"studio_id": "studio-a", "rule_kind": "per_order", "effective_from": "2026-11-01"}),
    (
        "PUT",
        "/api/v1/rules/r1",
        {"studio_id": "studio-a", "rule_kind": "gmv_percent", "percent": "101", "effective_from": "2026-11-01"},
    ),
    (
        "PUT",
        "/api/v1/rules/r1",
        {
            "studio_id": "studio-a",
            "rule_kind": "gmv_percent",
            "effective_from": "2026-11-01",
            "tiers": [{"percent": "2"}, {"up_to": "10", "percent": "3"}],
        },
    ),
    (
        "PUT",
        "/api/v1/rules/r1",
        {
            "studio_id": "studio-a",
            "rule_kind": "per_hour",
            "amount": "5000",
            "effective_from": "2026-11-02",
            "effective_to": "2026-11-01",
        },
    ),
    (
        "PUT",
        "/api/v1/rules/r1",
        {"account_id": "acc-a1", "rule_kind": "per_hour", "amount": "5000", "effective_from": "2026-11-02"},
    ),
    ("PUT", "/api/v1/studios/studio-a/shifts/pagi", {"name": "Pagi", "start": "25:00:00", "end": "10:00:00"}),
]


@pytest.mark.parametrize(("method", "path", "body"), INVALID, ids=lambda v: str(v)[:70])
async def test_invalid_commands_are_400_problems(
    cmd_client: Client, token: TokenFactory, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = await cmd_client.request(method, path, headers=bearer(token("owner")), json=body)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 400 and problem["detail"]
    assert "secret-ec-value" not in response.text


async def test_terminal_statements_refuse_actions(cmd_client: Client, token: TokenFactory) -> None:
    owner = token("owner")
    for path in (
        "/api/v1/commission/statements/st-a2-nov/approve",  # paid
        "/api/v1/commission/statements/st-a2-nov/pay",
        "/api/v1/commission/statements/st-a2-oct/void",  # void
    ):
        response = await cmd_client.post(path, headers=bearer(owner))
        assert response.status_code == 409, path
        assert response.json()["type"].endswith("/conflict")
    moved = await cmd_client.put(
        "/api/v1/studios/studio-b/hosts/host-a1", headers=bearer(owner), json={"name": "moved"}
    )
    assert moved.status_code == 404 and moved.json()["detail"] == "host 'host-a1' not found in studio 'studio-b'"


async def test_broker_down_means_503_and_nothing_accepted(seeded_db: str, token: TokenFactory) -> None:
    from livestudio_devinfra.ports import free_port

    app = create_app(gateway_settings(seeded_db, f"127.0.0.1:{free_port()}", publish_timeout_s=1.0))
    async with AsyncTestClient(app) as client:
        response = await client.post("/api/v1/accounts/acc-a1/pause", headers=bearer(token("owner")))
        assert response.status_code == 503
        assert response.json()["type"].endswith("/unavailable")
        # reads keep working without the broker
        assert (await client.get("/api/v1/accounts/acc-a1", headers=bearer(token("owner")))).status_code == 200
        ready = await client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["postgres"] == "ok"


async def test_cookie_commands_need_the_credentials_key(
    seeded_db: str, kafka_bootstrap: str, token: TokenFactory
) -> None:
    app = create_app(gateway_settings(seeded_db, kafka_bootstrap, credentials_keys=None))
    async with AsyncTestClient(app) as client:
        response = await client.post(
            "/api/v1/accounts",
            headers=bearer(token("owner")),
            json={"studio_id": "studio-a", "display_name": "x", "cookie": COOKIE},
        )
        assert response.status_code == 503 and "GATEWAY_CREDENTIALS_KEYS" in response.json()["detail"]


async def test_command_outcome_scope_follows_the_commands_studio(cmd_client: Client, token: TokenFactory) -> None:
    """An account pause names no studio in its body; its id is still bound to the account's studio."""
    issuer = token("manager", studios=["studio-a"], sub="mgr-a")
    accepted = await _submit(cmd_client, issuer, "POST", "/api/v1/accounts/acc-a1/pause", None)
    for who, status in (
        (issuer, 200),
        (token("manager", studios=["studio-a"], sub="mgr-a2"), 200),  # a colleague in the same studio
        (token("service", studios=["studio-a"], sub="svc-a"), 200),
        (token("manager", studios=["studio-b"], sub="mgr-b"), 404),
        (token("host", studios=["studio-a"], host_id="host-a1", sub="host-a1"), 404),  # hosts: their own only
    ):
        response = await cmd_client.get(accepted["status_url"], headers=bearer(who))
        assert response.status_code == status, (who, response.text)
