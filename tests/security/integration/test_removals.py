"""Removals (#20) against the running gateway and the real commission consumer: a host, shift or pay rule goes
only where no history depends on it, only in its own studio, and the consumer judges a command that bypassed the
gateway the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures.infra import TopicFactory
from tests.security.kit import EVIL, Stack, auth, stack

NOW = datetime.now(UTC).replace(microsecond=0)
MANAGER_A = auth("manager", ["studio-a"])
SCOPE_A = {"studio_id": "studio-a", "role": "manager"}
MONTH_START = NOW.date().replace(day=1).isoformat()
SHIFT = {"name": "Pagi", "start": "05:00:00", "end": "10:00:00"}


@pytest.fixture
async def studio(kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory) -> AsyncIterator[Stack]:
    """Studio A: host-a1 on shift `pagi` tomorrow, host-a2 without history, shifts `pagi` and `sore` (unused),
    rules r-paid (it paid a statement line) and r-new; studio B with host-b1."""
    async with stack(kafka_bootstrap, fresh_db, topic_factory) as s:
        for sid in ("studio-a", "studio-b"):
            await s.applied("PUT", f"/studios/{sid}", {"name": sid})
        for host, sid in (("host-a1", "studio-a"), ("host-a2", "studio-a"), ("host-b1", "studio-b")):
            await s.applied("PUT", f"/studios/{sid}/hosts/{host}", {"name": host})
        for shift in ("pagi", "sore"):
            await s.applied("PUT", f"/studios/studio-a/shifts/{shift}", SHIFT)
        tomorrow = (NOW + timedelta(days=1)).date().isoformat()
        await s.applied(
            "PUT",
            "/studios/studio-a/schedule/e-a1",
            {"host_id": "host-a1", "account_id": "acc-a1", "shift_id": "pagi", "shift_date": tomorrow},
        )
        for rule in ("r-paid", "r-new"):
            body = {"studio_id": "studio-a", "rule_kind": "per_order", "amount": "700", "effective_from": MONTH_START}
            await s.applied("PUT", f"/rules/{rule}", body)
        # a statement line paid by r-paid (as the statement job writes it)
        await s.pool.execute(
            "INSERT INTO statements (statement_id, studio_id, host_id, period_start, period_end, status)"
            " VALUES ('st-1', 'studio-a', 'host-a1', $1, $1, 'paid')",
            NOW.date(),
        )
        await s.pool.execute(
            "INSERT INTO statement_lines (line_id, statement_id, line_kind, rule_id, rule_version, description,"
            " amount, source_period_start) VALUES ('l-1', 'st-1', 'earning', 'r-paid', $1, 'per order', 700, $1)",
            NOW.date().replace(day=1),
        )
        yield s


async def _ids(s: Stack) -> set[str]:
    rows = await s.pool.fetch(
        "SELECT 'host:' || host_id AS k FROM hosts UNION ALL SELECT 'shift:' || shift_id FROM shifts"
        " UNION ALL SELECT DISTINCT 'rule:' || rule_id FROM pay_rules"
    )
    return {r["k"] for r in rows}


async def test_what_history_depends_on_is_refused_at_the_gateway_and_by_the_consumer(studio: Stack) -> None:
    before = await _ids(studio)
    cases = (
        ("/studios/studio-a/hosts/host-a1", {"kind": "host.remove", "host_id": "host-a1", "studio_id": "studio-a"}),
        ("/studios/studio-a/shifts/pagi", {"kind": "shift.remove", "shift_id": "pagi", "studio_id": "studio-a"}),
        ("/rules/r-paid", {"kind": "rule.remove", "rule_id": "r-paid"}),
    )
    reasons = (
        "host 'host-a1' has history (schedule entries: 1, statements: 1); set it inactive instead",
        "shift 'pagi' has history (schedule entries: 1); remove or move what names it first",
        "pay rule 'r-paid' has history (statement lines: 1); end it with effective_to instead",
    )
    for (path, command), reason in zip(cases, reasons, strict=True):
        response = await studio.client.delete(f"/api/v1{path}", headers=MANAGER_A)
        assert response.status_code == 409, response.text
        assert response.json()["detail"] == reason
        # the read model may lag: the consumer judges again with the same words
        status, error = await studio.outcome(await studio.inject(command, scope=SCOPE_A))
        assert (status, error) == ("rejected", reason)
    assert await _ids(studio) == before


async def test_another_studios_entities_cannot_be_removed(studio: Stack) -> None:
    before = await _ids(studio)
    for path in ("/studios/studio-b/hosts/host-a2", "/studios/studio-b/shifts/sore", "/rules/r-new"):
        response = await studio.client.delete(f"/api/v1{path}", headers=EVIL)
        assert response.status_code == 404, (path, response.text)
    evil_scope = {"studio_id": "studio-b", "role": "manager"}
    # without a scope (an operator's command) the entity is judged against the studio the command names; a rule
    # removal names none, so only its scoped form is an attack
    for command, scopes in (
        ({"kind": "host.remove", "host_id": "host-a2", "studio_id": "studio-b"}, (evil_scope, None)),
        ({"kind": "shift.remove", "shift_id": "sore", "studio_id": "studio-b"}, (evil_scope, None)),
        ({"kind": "rule.remove", "rule_id": "r-new"}, (evil_scope,)),
    ):
        for scope in scopes:
            status, error = await studio.outcome(await studio.inject(command, scope=scope))
            assert status == "rejected" and error is not None and "not found" in error, (command, scope, error)
    # a host may not remove anyone, themselves included
    host = {"studio_id": "studio-a", "role": "host", "host_id": "host-a2"}
    remove_self = {"kind": "host.remove", "host_id": "host-a2", "studio_id": "studio-a"}
    assert (await studio.outcome(await studio.inject(remove_self, scope=host)))[0] == "rejected"
    response = await studio.client.delete(
        "/api/v1/studios/studio-a/hosts/host-a2", headers=auth("host", ["studio-a"], "host-a2")
    )
    assert response.status_code == 403
    assert await _ids(studio) == before


async def test_what_nothing_depends_on_is_removed(studio: Stack) -> None:
    for path in ("/studios/studio-a/hosts/host-a2", "/studios/studio-a/shifts/sore", "/rules/r-new"):
        await studio.applied("DELETE", path, headers=MANAGER_A)
    left = await _ids(studio)
    assert not {"host:host-a2", "shift:sore", "rule:r-new"} & left
    assert {"host:host-a1", "shift:pagi", "rule:r-paid", "host:host-b1"} <= left
    # removing again: the gateway answers as for any missing entity
    response = await studio.client.delete("/api/v1/studios/studio-a/shifts/sore", headers=MANAGER_A)
    assert response.status_code == 404
