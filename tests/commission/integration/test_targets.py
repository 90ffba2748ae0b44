"""Monthly GMV targets through the real broker and PostgreSQL: set, replaced, removed, applied once, and refused
for another studio's host or account, for a host's token and for a target that does not exist."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from tests.commission.kit import Record, command, make_settings, produce, running, wait_settled
from tests.fixtures.infra import TopicFactory

T0 = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)
MANAGER_T = {"studio_id": "st-t", "role": "manager"}


def target(
    scope: str, scope_id: str, amount: str | None, *, at: timedelta, command_id: str, caller: dict[str, Any] = MANAGER_T
) -> Record:
    body: dict[str, Any] = {"kind": "target.set" if amount else "target.remove", "studio_id": "st-t"}
    body |= {"month": "2026-11", "scope": scope, "scope_id": scope_id}
    if amount:
        body["amount"] = amount
    return command(body, issued_at=T0 + at, scope=caller, command_id=command_id)


async def test_targets_are_applied_once_in_issue_order_and_scoped(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    roster = [
        command({"kind": "studio.upsert", "studio_id": "st-t", "name": "T"}),
        command({"kind": "host.upsert", "host_id": "h-t", "studio_id": "st-t", "name": "Tia"}),
        command({"kind": "host.upsert", "host_id": "h-other", "studio_id": "st-o", "name": "Other"}),
    ]
    replayed = target("host", "h-t", "1000000", at=timedelta(minutes=1), command_id="tgt-host-1")
    records = [
        *roster,
        target("studio", "st-t", "90000000", at=timedelta(minutes=1), command_id="tgt-studio"),
        replayed,
        target("host", "h-t", "1500000.50", at=timedelta(minutes=2), command_id="tgt-host-2"),
        replayed,  # a redelivery is applied once
        # a command issued before the newest one, arriving after it, does not override it
        target("host", "h-t", "7", at=timedelta(minutes=1, seconds=30), command_id="tgt-host-late"),
        target("account", "acc-t", "5000000", at=timedelta(minutes=3), command_id="tgt-acc"),
        target("account", "acc-t", None, at=timedelta(minutes=4), command_id="tgt-acc-rm"),
        target("account", "acc-t", None, at=timedelta(minutes=5), command_id="tgt-acc-rm-again"),
        target("host", "h-other", "1", at=timedelta(minutes=5), command_id="tgt-poach"),
        target(
            "host",
            "h-t",
            "1",
            at=timedelta(minutes=6),
            command_id="tgt-by-host",
            caller={"studio_id": "st-t", "role": "host", "host_id": "h-t"},
        ),
    ]
    async with running(settings) as service:
        await produce(kafka_bootstrap, settings.commands_topic, records)
        pool: asyncpg.Pool = await wait_settled(service, {settings.commands_topic: len(records)})
        rows = await pool.fetch("SELECT scope, scope_id, month, amount, command_id FROM targets ORDER BY scope")
        results = {
            r["command_id"]: (r["status"], r["error"])
            for r in await pool.fetch(
                "SELECT command_id, status, error FROM command_results WHERE kind LIKE 'target.%'"
            )
        }

    assert [(r["scope"], r["scope_id"], r["month"], r["amount"], r["command_id"]) for r in rows] == [
        ("host", "h-t", date(2026, 11, 1), Decimal("1500000.50"), "tgt-host-2"),
        ("studio", "st-t", date(2026, 11, 1), Decimal("90000000"), "tgt-studio"),
    ]
    assert results["tgt-host-1"] == ("applied", None)
    assert results["tgt-host-2"] == ("applied", None)
    assert results["tgt-acc-rm"] == ("applied", None)
    assert results["tgt-acc-rm-again"] == (
        "rejected",
        "no target for account 'acc-t' in 2026-11 in studio 'st-t'",
    )
    # another studio's host is refused with the words of a missing one
    assert results["tgt-poach"] == ("rejected", "host 'h-other' not found in studio 'st-t'")
    assert results["tgt-by-host"][0] == "rejected"
    assert results["tgt-host-late"] == ("applied", None)
    assert len(results) == 9
