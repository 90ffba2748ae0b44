"""Attendance in the API (#20): records per host and period with corrections applied, host scoping, pagination,
the statement's attendance summary, studio settings, and the correction command."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_gateway.main import create_app
from livestudio_runtime.kafka import ensure_topics
from livestudio_schemas.commands import Command
from livestudio_schemas.envelope import CloudEvent
from tests.gateway.conftest import TokenFactory, bearer, gateway_settings
from tests.gateway.integration.test_commands import _read_command

Client = AsyncTestClient[Litestar]
RANGE = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


async def _get(client: Client, path: str, token: str, **params: Any) -> Any:
    response = await client.get(path, headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_attendance_per_host_and_period(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    page = await _get(client, "/api/v1/attendance", manager, **RANGE)
    assert [(r["entry_id"], r["status"], r["late_minutes"]) for r in page["items"]] == [
        ("w1", "late", 7),
        ("w2", "on_time", None),  # computed absent, corrected to on time
    ]
    w2 = page["items"][1]
    assert (w2["computed_status"], w2["correction"]["status"], w2["correction"]["reason"]) == (
        "absent",
        "on_time",
        "checked in on paper",
    )
    assert w2["correction"]["corrected_by"] == "manager-1" and page["items"][0]["correction"] is None
    assert page["items"][0]["local_day"] == "2026-11-16" and page["items"][0]["grace_minutes"] == 5
    # filters: host, status (corrections applied), account
    only_a1 = await _get(client, "/api/v1/attendance", manager, host_id="host-a1", **RANGE)
    assert [r["entry_id"] for r in only_a1["items"]] == ["w1"]
    on_time = await _get(client, "/api/v1/attendance", manager, status="on_time", **RANGE)
    assert [r["entry_id"] for r in on_time["items"]] == ["w2"]
    assert (await _get(client, "/api/v1/attendance", manager, date_from="2026-12-01", date_to="2026-12-31"))[
        "items"
    ] == []
    # keyset pagination
    first = await _get(client, "/api/v1/attendance", manager, limit=1, **RANGE)
    second = await _get(client, "/api/v1/attendance", manager, limit=1, cursor=first["next_cursor"], **RANGE)
    assert [first["items"][0]["entry_id"], second["items"][0]["entry_id"]] == ["w1", "w2"]
    assert second["next_cursor"] is None
    too_long = await client.get(
        "/api/v1/attendance", headers=bearer(manager), params={"date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    assert too_long.status_code == 400


async def test_hosts_see_only_their_own_attendance(client: Client, token: TokenFactory) -> None:
    host = token("host", studios=["studio-a"], host_id="host-a1")
    page = await _get(client, "/api/v1/attendance", host, **RANGE)
    assert {r["host_id"] for r in page["items"]} == {"host-a1"}
    other = await client.get("/api/v1/attendance", headers=bearer(host), params={**RANGE, "host_id": "host-a2"})
    assert other.status_code == 403
    correction = await client.post(
        "/api/v1/studios/studio-a/attendance/w1/correction",
        headers=bearer(host),
        json={"status": "on_time", "reason": "I was there"},
    )
    assert correction.status_code == 403


async def test_statement_carries_the_attendance_of_its_period(client: Client, token: TokenFactory) -> None:
    owner = token("owner")
    detail = await _get(client, "/api/v1/commission/statements/st-a2-nov", owner)
    assert detail["attendance"] == {
        "on_time": 1,
        "late": 0,
        "left_early": 0,
        "absent": 0,
        "pending": 0,
        "late_minutes": 0,
        "corrected": 1,
    }
    october = await _get(client, "/api/v1/commission/statements/st-a1-oct", owner)
    assert october["attendance"]["late"] == 0 and october["attendance"]["on_time"] == 0
    studio = await _get(client, "/api/v1/studios/studio-a", owner)
    assert (studio["attendance_grace_minutes"], studio["attribution_policy"]) == (5, "schedule")


@pytest.fixture(scope="module")
async def cmd_client(seeded_db: str, kafka_bootstrap: str) -> AsyncIterator[tuple[Client, str]]:
    topic = f"gw-commands.{uuid.uuid4().hex[:10]}"
    await ensure_topics(kafka_bootstrap, {topic: 2})
    app = create_app(gateway_settings(seeded_db, kafka_bootstrap, commands_topic=topic))
    async with AsyncTestClient(app) as client:
        yield client, topic


async def test_correction_and_settings_are_commands(
    cmd_client: tuple[Client, str], kafka_bootstrap: str, token: TokenFactory
) -> None:
    client, topic = cmd_client
    manager = bearer(token("manager", studios=["studio-a"]))
    body = {"status": "late", "late_minutes": 12, "reason": "traffic"}
    response = await client.post("/api/v1/studios/studio-a/attendance/w1/correction", headers=manager, json=body)
    assert response.status_code == 202, response.text
    key, value = await _read_command(kafka_bootstrap, topic, response.json()["command_id"])
    command = CloudEvent[Command].model_validate_json(value).data
    assert key == b"studio-a" and command.scope is not None and command.scope.studio_id == "studio-a"
    assert command.command.model_dump(exclude={"kind"}) == {
        "entry_id": "w1",
        "studio_id": "studio-a",
        "status": "late",
        "late_minutes": 12,
        "left_early_minutes": None,
        "reason": "traffic",
    }
    for bad in (
        {"status": "late", "reason": "no minutes"},
        {"status": "absent", "late_minutes": 3, "reason": "x"},
        {"status": "on_time", "reason": ""},
        {"status": "on_time"},
    ):
        refused = await client.post("/api/v1/studios/studio-a/attendance/w1/correction", headers=manager, json=bad)
        assert refused.status_code == 400, (bad, refused.text)
    missing = await client.post("/api/v1/studios/studio-a/attendance/nope/correction", headers=manager, json=body)
    assert missing.status_code == 404
    settings = {"name": "A", "attendance_grace_minutes": 10, "attribution_policy": "check_in_required"}
    upsert = await client.put("/api/v1/studios/studio-a", headers=manager, json=settings)
    assert upsert.status_code == 202, upsert.text
    _, value = await _read_command(kafka_bootstrap, topic, upsert.json()["command_id"])
    studio = CloudEvent[Command].model_validate_json(value).data.command
    assert studio.model_dump(include={"attendance_grace_minutes", "attribution_policy"}) == {
        "attendance_grace_minutes": 10,
        "attribution_policy": "check_in_required",
    }
    bad_grace = await client.put(
        "/api/v1/studios/studio-a", headers=manager, json={"name": "A", "attendance_grace_minutes": -1}
    )
    assert bad_grace.status_code == 400
