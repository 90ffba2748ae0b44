"""Attacks on the write path (#17 classes 1, 3, 11) against the running gateway and the real commission consumer.

A manager of `studio-b` reaches for `studio-a`'s shift, schedule entry and pay rule by id; probes whether ids
exist elsewhere; a host of `studio-a` tries to credit themselves with a backdated check-in on an account they are
not rostered on. Each attack goes through the gateway and, bypassing it, straight onto the commands topic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.fixtures.infra import TopicFactory
from tests.security.kit import EVIL, Stack, auth, stack

NOW = datetime.now(UTC).replace(microsecond=0)
WINDOW = {"starts_at": (NOW - timedelta(hours=1)).isoformat(), "ends_at": (NOW + timedelta(hours=3)).isoformat()}
MONTH_START = NOW.date().replace(day=1).isoformat()
SHIFT = {"name": "Pagi", "start": "05:00:00", "end": "10:00:00"}
RULE_A = {"studio_id": "studio-a", "rule_kind": "per_order", "amount": "700", "effective_from": MONTH_START}


@pytest.fixture
async def victim(kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory) -> AsyncIterator[Stack]:
    """Studio A with hosts, a shift, a schedule entry (host-a1 on acc-a1 now) and a rule; studio B empty."""
    async with stack(kafka_bootstrap, fresh_db, topic_factory) as s:
        for studio in ("studio-a", "studio-b"):
            await s.applied("PUT", f"/studios/{studio}", {"name": studio})
        for host, studio in (("host-a1", "studio-a"), ("host-a2", "studio-a"), ("host-b1", "studio-b")):
            await s.applied("PUT", f"/studios/{studio}/hosts/{host}", {"name": host})
        await s.applied("PUT", "/studios/studio-a/shifts/pagi", SHIFT)
        await s.applied(
            "PUT", "/studios/studio-a/schedule/e-a1", {"host_id": "host-a1", "account_id": "acc-a1", **WINDOW}
        )
        await s.applied("PUT", "/rules/r-a1", RULE_A)
        yield s


async def _studios(pool: asyncpg.Pool) -> dict[str, str]:
    rows = await pool.fetch(
        "SELECT 'shift:' || shift_id AS k, studio_id FROM shifts"
        " UNION ALL SELECT 'entry:' || entry_id, studio_id FROM schedule_entries"
        " UNION ALL SELECT DISTINCT 'rule:' || rule_id, studio_id FROM pay_rules"
        " UNION ALL SELECT 'host:' || host_id, studio_id FROM hosts"
    )
    return {r["k"]: r["studio_id"] for r in rows}


async def test_a_manager_cannot_take_over_another_studios_entities_by_id(victim: Stack) -> None:
    before = await _studios(victim.pool)
    assert before["shift:pagi"] == before["entry:e-a1"] == before["rule:r-a1"] == "studio-a"
    attacks = (
        ("PUT", "/studios/studio-b/shifts/pagi", SHIFT),
        ("PUT", "/studios/studio-b/schedule/e-a1", {"host_id": "host-b1", "account_id": "acc-b1", **WINDOW}),
        ("PUT", "/rules/r-a1", {**RULE_A, "studio_id": "studio-b"}),
        ("PUT", "/studios/studio-b/hosts/host-a1", {"name": "poached"}),
    )
    for method, path, body in attacks:
        response = await victim.client.request(method, f"/api/v1{path}", json=body, headers=EVIL)
        assert response.status_code == 404, (path, response.text)

    # Bypassing the gateway: the consumer refuses too, with or without the caller's scope on the command.
    evil_scope = {"studio_id": "studio-b", "role": "manager"}
    injected = [
        await victim.inject(
            {"kind": "shift.upsert", "shift_id": "pagi", "studio_id": "studio-b", **SHIFT}, scope=evil_scope
        ),
        await victim.inject(
            {
                "kind": "schedule.upsert",
                "entry_id": "e-a1",
                "studio_id": "studio-b",
                "host_id": "host-b1",
                "account_id": "acc-b1",
                **WINDOW,
            }
        ),
        await victim.inject(
            {
                "kind": "rule.upsert",
                "rule_id": "r-a1",
                "studio_id": "studio-b",
                "rule_kind": "per_order",
                "amount": "1",
                "effective_from": MONTH_START,
            },
            scope=evil_scope,
        ),
        await victim.inject({"kind": "schedule.remove", "entry_id": "e-a1"}, scope=evil_scope),
    ]
    for command_id in injected:
        status, error = await victim.outcome(command_id)
        assert status == "rejected" and error is not None and "not found in studio 'studio-b'" in error, error
    assert await _studios(victim.pool) == before

    # And the database itself refuses to move an entity.
    for table, key, value in (("shifts", "shift_id", "pagi"), ("schedule_entries", "entry_id", "e-a1")):
        with pytest.raises(asyncpg.IntegrityConstraintViolationError):
            await victim.pool.execute(f"UPDATE {table} SET studio_id = 'studio-b' WHERE {key} = $1", value)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        await victim.pool.execute(
            "INSERT INTO pay_rules (rule_id, effective_from, studio_id, rule_kind, basis, day_type)"
            " VALUES ('r-a1', '2030-01-01', 'studio-b', 'per_order', 'confirmed', 'all')"
        )


def _same(a: str, a_id: str, b: str, b_id: str) -> None:
    assert a.replace(a_id, "<id>") == b.replace(b_id, "<id>"), (a, b)


async def test_no_answer_tells_an_id_of_another_studio_from_a_missing_one(victim: Stack) -> None:
    probes: tuple[tuple[str, str, Callable[[str], dict[str, Any]], str, str], ...] = (
        (
            "PUT",
            "/studios/studio-b/schedule/e-new",
            lambda i: {"host_id": i, "account_id": "acc-b1", **WINDOW},
            "host-a1",
            "host-nope",
        ),
        (
            "PUT",
            "/studios/studio-b/schedule/e-new",
            lambda i: {"host_id": "host-b1", "account_id": i, **WINDOW},
            "acc-a1",
            "acc-nope",
        ),
        ("POST", "/studios/studio-b/hosts/host-b1/check-in", lambda i: {"account_id": i}, "acc-a1", "acc-nope"),
        ("PUT", "/rules/r-b", lambda i: {**RULE_A, "studio_id": "studio-b", "shift_id": i}, "pagi", "shift-nope"),
    )
    for method, path, body, existing, missing in probes:
        there = await victim.client.request(method, f"/api/v1{path}", json=body(existing), headers=EVIL)
        nowhere = await victim.client.request(method, f"/api/v1{path}", json=body(missing), headers=EVIL)
        assert there.status_code == nowhere.status_code == 404, (there.text, nowhere.text)
        _same(there.text, existing, nowhere.text, missing)
    for existing, missing in (("e-a1", "e-nope"),):
        there = await victim.client.delete(f"/api/v1/studios/studio-b/schedule/{existing}", headers=EVIL)
        nowhere = await victim.client.delete(f"/api/v1/studios/studio-b/schedule/{missing}", headers=EVIL)
        assert there.status_code == nowhere.status_code == 404
        _same(there.text, existing, nowhere.text, missing)

    # the consumer's recorded answer is the same as well
    scope = {"studio_id": "studio-b", "role": "manager"}
    there_id = await victim.inject({"kind": "schedule.remove", "entry_id": "e-a1"}, scope=scope)
    nowhere_id = await victim.inject({"kind": "schedule.remove", "entry_id": "e-nope"}, scope=scope)
    there_outcome, nowhere_outcome = await victim.outcome(there_id), await victim.outcome(nowhere_id)
    assert there_outcome[0] == nowhere_outcome[0] == "rejected"
    _same(str(there_outcome[1]), "e-a1", str(nowhere_outcome[1]), "e-nope")


async def test_a_host_cannot_credit_themselves(victim: Stack) -> None:
    host_a2 = auth("host", ["studio-a"], host_id="host-a2")  # not rostered on acc-a1
    path = "/api/v1/studios/studio-a/hosts/host-a2/check-in"
    backdated = (NOW - timedelta(hours=5)).isoformat()
    response = await victim.client.post(path, json={"account_id": "acc-a1", "at": backdated}, headers=host_a2)
    assert response.status_code == 400, response.text

    # at the server's time, but on an account the host is not scheduled on: refused at once
    response = await victim.client.post(path, json={"account_id": "acc-a1"}, headers=host_a2)
    assert response.status_code == 403, response.text

    # bypassing the gateway with a host's scope and a backdated time: refused as well
    scope = {"studio_id": "studio-a", "role": "host", "host_id": "host-a2"}
    forged = await victim.inject(
        {"kind": "host.check_in", "host_id": "host-a2", "account_id": "acc-a1", "at": backdated}, scope=scope
    )
    assert (await victim.outcome(forged))[0] == "rejected"
    unrostered = await victim.inject(
        {"kind": "host.check_in", "host_id": "host-a2", "account_id": "acc-a1", "at": datetime.now(UTC).isoformat()},
        scope=scope,
    )
    status, error = await victim.outcome(unrostered)
    assert status == "rejected" and error is not None and "not scheduled" in error
    other = await victim.inject(
        {"kind": "host.check_in", "host_id": "host-a1", "account_id": "acc-a1", "at": datetime.now(UTC).isoformat()},
        scope=scope,
    )
    assert (await victim.outcome(other))[0] == "rejected"
    assert await victim.pool.fetchval("SELECT count(*) FROM host_checks WHERE host_id = 'host-a2'") == 0

    # the rostered host checks in at the server's time; a manager corrects with a reason
    host_a1 = auth("host", ["studio-a"], host_id="host-a1")
    await victim.applied("POST", "/studios/studio-a/hosts/host-a1/check-in", {"account_id": "acc-a1"}, headers=host_a1)
    manager_a = auth("manager", ["studio-a"])
    corrected = (NOW - timedelta(minutes=30)).isoformat()
    refused = await victim.client.post(
        "/api/v1/studios/studio-a/hosts/host-a1/check-out",
        json={"account_id": "acc-a1", "at": corrected},
        headers=manager_a,
    )
    assert refused.status_code == 400 and "reason" in refused.json()["detail"]
    await victim.applied(
        "POST",
        "/studios/studio-a/hosts/host-a1/check-out",
        {"account_id": "acc-a1", "at": corrected, "reason": "forgot to check out"},
        headers=manager_a,
    )
