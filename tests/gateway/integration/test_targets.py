"""Monthly GMV targets at the gateway: progress from the seeded rollups and attributions, set and remove as
commands on the topic, bounded inputs answered with problems, and a host's own targets only for a host."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_gateway.main import create_app
from livestudio_runtime.kafka import decode_as, ensure_topics
from livestudio_schemas.commands import COMMAND, Command
from tests.gateway.conftest import TokenFactory, bearer, gateway_settings
from tests.gateway.integration.test_commands import _read_command
from tests.gateway.kit import Seed

Client = AsyncTestClient[Litestar]
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


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


def _confirmed(rows: list[dict[str, Any]], **match: Any) -> Decimal | None:
    values = [
        r["confirmed_sales"]
        for r in rows
        if all(r[k] == v for k, v in match.items()) and NOVEMBER[0] <= r["local_day"] <= NOVEMBER[1]
    ]
    known = [v for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None


async def test_targets_show_progress_of_the_month(client: Client, token: TokenFactory, seed: Seed) -> None:
    response = await client.get("/api/v1/targets?month=2026-11", headers=bearer(token("manager", studios=["studio-a"])))
    assert response.status_code == 200, response.text
    body = response.json()
    by_key = {(t["scope"], t["scope_id"]): t for t in body["items"]}
    assert list(by_key) == [("studio", "studio-a"), ("account", "acc-a1"), ("host", "host-a1"), ("host", "host-a3")]
    studio = by_key[("studio", "studio-a")]
    expected_studio = _confirmed(seed.sessions, studio_id="studio-a")
    assert expected_studio is not None
    assert Decimal(studio["progress"]) == expected_studio
    # November is over (the seed's month): everything was expected, the projection is the result
    assert (studio["days_in_month"], studio["elapsed_days"], studio["expected"]) == (30, "30.0000", "90000000.00")
    assert Decimal(studio["projection"]) == expected_studio
    assert Decimal(studio["pace"]) == (expected_studio / Decimal(90000000)).quantize(Decimal("0.0001"))
    assert Decimal(studio["percent"]) == (expected_studio * 100 / Decimal(90000000)).quantize(Decimal("0.01"))
    assert (studio["name"], studio["currency"], studio["amount"]) == ("Studio A", "IDR", "90000000")
    account = by_key[("account", "acc-a1")]
    assert Decimal(account["progress"]) == _confirmed(seed.sessions, account_id="acc-a1")
    assert account["amount"] == "5000000.50"
    host = by_key[("host", "host-a1")]
    assert Decimal(host["progress"]) == _confirmed(seed.attributions, host_id="host-a1")
    assert host["name"] == "Ayu"
    unknown = by_key[("host", "host-a3")]
    assert [unknown[k] for k in ("progress", "percent", "pace", "projection")] == [None] * 4
    for t in body["items"]:
        for key in ("amount", "progress", "expected", "projection", "pace", "percent"):
            assert t[key] is None or ("E" not in t[key] and isinstance(t[key], str))


async def test_targets_are_scoped_by_studio(client: Client, token: TokenFactory) -> None:
    owner = bearer(token("owner"))
    everyone = (await client.get("/api/v1/targets?month=2026-11", headers=owner)).json()["items"]
    assert {t["studio_id"] for t in everyone} == {"studio-a", "studio-b"}
    only_b = (await client.get("/api/v1/targets?month=2026-11&studio_id=studio-b", headers=owner)).json()["items"]
    assert [t["scope_id"] for t in only_b] == ["studio-b"]
    for month in ("2026-13", "2026-1", "1999-12", ""):
        response = await client.get(f"/api/v1/targets?month={month}", headers=owner)
        assert response.status_code == 400, month
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/v1/targets", headers=owner)).status_code == 400


async def test_a_host_reads_only_their_own_targets(client: Client, token: TokenFactory, seed: Seed) -> None:
    """A host sees their own host target with its progress (what the roster attributed to them), never the studio's,
    an account's or another host's; a host without a target gets an empty list, one without figures nulls."""
    ayu = bearer(token("host", studios=["studio-a"], host_id="host-a1"))
    response = await client.get("/api/v1/targets?month=2026-11", headers=ayu)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(t["scope"], t["scope_id"]) for t in items] == [("host", "host-a1")]
    assert Decimal(items[0]["progress"]) == _confirmed(seed.attributions, host_id="host-a1")
    assert (items[0]["amount"], items[0]["name"]) == ("2000000", "Ayu")
    for other in ("90000000", "5000000.50", "1000000", "host-a3", "acc-a1"):
        assert other not in response.text
    own_studio = await client.get("/api/v1/targets?month=2026-11&studio_id=studio-a", headers=ayu)
    assert [t["scope_id"] for t in own_studio.json()["items"]] == ["host-a1"]
    assert (await client.get("/api/v1/targets?month=2026-12", headers=ayu)).json()["items"] == []
    none = bearer(token("host", studios=["studio-a"], host_id="host-a2"))
    assert (await client.get("/api/v1/targets?month=2026-11", headers=none)).json()["items"] == []
    unknown = bearer(token("host", studios=["studio-a"], host_id="host-a3"))
    (own,) = (await client.get("/api/v1/targets?month=2026-11", headers=unknown)).json()["items"]
    assert (own["scope_id"], own["progress"], own["pace"]) == ("host-a3", None, None)


async def test_set_and_remove_are_commands(
    cmd_client: Client, token: TokenFactory, kafka_bootstrap: str, commands_topic: str
) -> None:
    manager = bearer(token("manager", studios=["studio-a"]))
    body = {"month": "2026-12", "scope": "host", "scope_id": "host-a2", "amount": "2500000.50"}
    response = await cmd_client.post("/api/v1/studios/studio-a/targets", headers=manager, json=body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert (accepted["kind"], accepted["owner"]) == ("target.set", "commission")
    key, value = await _read_command(kafka_bootstrap, commands_topic, accepted["command_id"])
    event = decode_as(value, Command)
    assert event.type == COMMAND
    assert key == b"studio-a"  # every target of a studio on one partition: applied in issue order
    sent = event.data.command.model_dump(mode="json")
    assert sent == {
        "kind": "target.set",
        "studio_id": "studio-a",
        "month": "2026-12",
        "scope": "host",
        "scope_id": "host-a2",
        "amount": "2500000.50",
    }
    assert event.data.scope is not None and event.data.scope.role == "manager"
    studio_target = {"month": "2026-12", "scope": "studio", "amount": "1000"}
    response = await cmd_client.post("/api/v1/studios/studio-a/targets", headers=manager, json=studio_target)
    assert response.status_code == 202, response.text
    removed = await cmd_client.delete("/api/v1/studios/studio-a/targets/2026-11/account/acc-a1", headers=manager)
    assert removed.status_code == 202, removed.text
    assert removed.json()["kind"] == "target.remove"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"month": "2026-11", "scope": "studio", "amount": "0"}, "greater than 0"),
        ({"month": "2026-11", "scope": "studio", "amount": "0.00"}, "greater than 0"),
        ({"month": "2026-11", "scope": "studio", "amount": "1.234"}, None),
        ({"month": "2026-11", "scope": "studio", "amount": "10000000000000000"}, None),
        ({"month": "2026-11", "scope": "studio", "amount": "-5"}, None),
        ({"month": "2026-11", "scope": "studio", "amount": "5e3"}, None),
        ({"month": "2026-11", "scope": "host", "amount": "5"}, "needs scope_id"),
        ({"month": "2026-11", "scope": "studio", "scope_id": "studio-b", "amount": "5"}, "no scope_id"),
        ({"month": "2026-13", "scope": "studio", "amount": "5"}, None),
        ({"month": "2026-11", "scope": "shift", "scope_id": "pagi", "amount": "5"}, None),
        ({"month": "2026-11", "scope": "studio", "amount": "5", "currency": "USD"}, None),
    ],
)
async def test_bad_targets_are_400_problems(
    cmd_client: Client, token: TokenFactory, body: dict[str, Any], words: str | None
) -> None:
    manager = bearer(token("manager", studios=["studio-a"]))
    response = await cmd_client.post("/api/v1/studios/studio-a/targets", headers=manager, json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if words is not None:
        assert words in response.text


async def test_writes_are_for_owners_and_managers(cmd_client: Client, token: TokenFactory) -> None:
    body = {"month": "2026-11", "scope": "studio", "amount": "5"}
    host = bearer(token("host", studios=["studio-a"], host_id="host-a1"))
    service = bearer(token("service", studios=["studio-a"]))
    for caller in (host, service):
        response = await cmd_client.post("/api/v1/studios/studio-a/targets", headers=caller, json=body)
        assert response.status_code == 403, response.text
        response = await cmd_client.delete("/api/v1/studios/studio-a/targets/2026-11/studio/studio-a", headers=caller)
        assert response.status_code == 403, response.text
    manager = bearer(token("manager", studios=["studio-a"]))
    missing = await cmd_client.delete("/api/v1/studios/studio-a/targets/2026-10/studio/studio-a", headers=manager)
    assert missing.status_code == 404
    unknown_host = {"month": "2026-11", "scope": "host", "scope_id": "host-zz", "amount": "5"}
    response = await cmd_client.post("/api/v1/studios/studio-a/targets", headers=manager, json=unknown_host)
    assert response.status_code == 404, response.text
