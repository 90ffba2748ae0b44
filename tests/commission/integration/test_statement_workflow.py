"""Statement workflow through the broker: approve -> pay, late corrections after approval become adjustment lines
in the next open period (never a changed approved statement), void re-issues, command outcomes and the DLQ."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from tests.commission.kit import (
    Record,
    command,
    local,
    make_settings,
    produce,
    read_topic,
    running,
    session_event,
    wait_settled,
)
from tests.fixtures.infra import TopicFactory

DAY = date(2026, 3, 10)
START = local(DAY, 10)
MARCH, APRIL, MAY = "w1:2026-03-01:1", "w1:2026-04-01:1", "w1:2026-05-01:1"


def roster() -> list[Record]:
    return [
        command({"kind": "studio.upsert", "studio_id": "st2", "name": "Two"}),
        command({"kind": "host.upsert", "host_id": "w1", "studio_id": "st2", "name": "W One"}),
        command(
            {
                "kind": "shift.upsert",
                "shift_id": "day",
                "studio_id": "st2",
                "name": "Day",
                "start": "10:00",
                "end": "15:00",
            }
        ),
        command(
            {
                "kind": "schedule.upsert",
                "entry_id": "w1-day",
                "studio_id": "st2",
                "host_id": "w1",
                "account_id": "acc-w",
                "shift_id": "day",
                "shift_date": DAY.isoformat(),
            }
        ),
        command(
            {
                "kind": "rule.upsert",
                "rule_id": "ten",
                "rule_kind": "gmv_percent",
                "percent": "10",
                "effective_from": "2026-01-01",
            }
        ),
    ]


def correction(confirmed: int, day: date) -> Record:
    return session_event(
        "corrected",
        "acc-w",
        5001,
        START,
        local(day, 9),
        placed=1_000_000,
        confirmed=confirmed,
        ended_at=local(DAY, 12),
        studio_id="st2",
    )


async def statement(pool: asyncpg.Pool, statement_id: str) -> asyncpg.Record:
    row = await pool.fetchrow("SELECT * FROM statements WHERE statement_id = $1", statement_id)
    assert row is not None, statement_id
    return row


async def lines(pool: asyncpg.Pool, statement_id: str) -> list[tuple[str, str, Decimal]]:
    rows = await pool.fetch(
        "SELECT line_kind, source_period_start, amount FROM statement_lines WHERE statement_id = $1 ORDER BY line_id",
        statement_id,
    )
    return [(r["line_kind"], r["source_period_start"].isoformat(), r["amount"]) for r in rows]


async def outcome(pool: asyncpg.Pool, command_id: str) -> tuple[str, str | None] | None:
    row = await pool.fetchrow("SELECT status, error FROM command_results WHERE command_id = $1", command_id)
    return None if row is None else (row["status"], row["error"])


async def test_approved_statement_never_changes_late_data_becomes_adjustments(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    produced = {settings.commands_topic: 0, settings.session_topic: 0}

    async def send(topic: str, records: list[Record]) -> None:
        await produce(kafka_bootstrap, topic, records)
        produced[topic] += len(records)

    async def settle() -> asyncpg.Pool:
        return await wait_settled(service, produced)

    def cmd(body: dict[str, object], command_id: str, actor: str = "owner-1") -> Record:
        return command(body, command_id=command_id, actor=actor, issued_at=datetime(2026, 4, 1, 3, tzinfo=UTC))

    async with running(settings) as service:
        await send(settings.commands_topic, roster())
        await send(
            settings.session_topic,
            [
                session_event(
                    "snapshot",
                    "acc-w",
                    5001,
                    START,
                    local(DAY, 11),
                    placed=1_000_000,
                    confirmed=500_000,
                    studio_id="st2",
                ),
                session_event(
                    "ended",
                    "acc-w",
                    5001,
                    START,
                    local(DAY, 12),
                    placed=1_000_000,
                    confirmed=800_000,
                    ended_at=local(DAY, 12),
                    studio_id="st2",
                ),
                (b"acc-w:5001".decode(), b"{not json"),  # poison: to the DLQ, the partition moves on
            ],
        )
        pool = await settle()
        march = await statement(pool, MARCH)
        assert (march["status"], march["total"], march["revision"]) == ("calculated", 80_000, 1)

        await send(
            settings.commands_topic, [cmd({"kind": "statement.approve", "statement_id": MARCH}, "approve-march")]
        )
        await settle()
        march = await statement(pool, MARCH)
        assert (march["status"], march["approved_by"], march["revision"]) == ("approved", "owner-1", 2)
        assert march["approved_at"] == datetime(2026, 4, 1, 3, tzinfo=UTC)

        # Confirmed sales settle after approval: March stays as approved, April gets the difference.
        await send(settings.session_topic, [correction(900_000, date(2026, 4, 2))])
        await settle()
        assert (await statement(pool, MARCH))["total"] == 80_000
        assert await lines(pool, MARCH) == [("earning", "2026-03-01", Decimal(80_000))]
        april = await statement(pool, APRIL)
        assert (april["status"], april["total"]) == ("calculated", 10_000)
        assert await lines(pool, APRIL) == [("adjustment", "2026-03-01", Decimal(10_000))]

        await send(
            settings.commands_topic, [cmd({"kind": "statement.pay", "statement_id": MARCH}, "pay-march", "finance")]
        )
        # A further correction while April is still open: April's adjustment is recalculated, not stacked.
        await send(settings.session_topic, [correction(850_000, date(2026, 4, 3))])
        await settle()
        march = await statement(pool, MARCH)
        assert (march["status"], march["paid_by"], march["total"]) == ("paid", "finance", 80_000)
        assert await lines(pool, APRIL) == [("adjustment", "2026-03-01", Decimal(5_000))]

        # April approved too: the next difference goes to May.
        await send(
            settings.commands_topic, [cmd({"kind": "statement.approve", "statement_id": APRIL}, "approve-april")]
        )
        await settle()  # the two topics are not ordered with each other: approve first, then the correction
        await send(settings.session_topic, [correction(870_000, date(2026, 4, 4))])
        await settle()
        assert (await statement(pool, APRIL))["total"] == 5_000
        assert await lines(pool, MAY) == [("adjustment", "2026-03-01", Decimal(2_000))]

        # Void re-issues May from current data; invalid transitions and unknown statements are rejected.
        await send(
            settings.commands_topic,
            [
                cmd({"kind": "statement.void", "statement_id": MAY, "reason": "typo"}, "void-may"),
                cmd({"kind": "statement.pay", "statement_id": APRIL}, "pay-april", "finance"),
                cmd({"kind": "statement.approve", "statement_id": "w1:2026-04-01:1"}, "approve-april-again"),
                cmd({"kind": "statement.approve", "statement_id": "nope"}, "approve-unknown"),
                cmd({"kind": "statement.approve", "statement_id": MARCH}, "approve-march"),  # a redelivery: ignored
                cmd({"kind": "account.pause", "account_id": "acc-w"}, "not-ours"),
            ],
        )
        # Our command with an invalid body is rejected with the reason (the gateway can show it).
        invalid = command(
            {"kind": "rule.upsert", "rule_id": "bad", "rule_kind": "per_order", "effective_from": "2026-01-01"},
            command_id="bad-rule",
        )
        broken = json.loads(invalid[1])
        broken["data"]["command"]["surprise"] = 1
        await send(settings.commands_topic, [(invalid[0], json.dumps(broken).encode())])
        pool = await settle()

        may = await statement(pool, MAY)
        assert (may["status"], may["voided_by"], may["void_reason"]) == ("void", "owner-1", "typo")
        reissued = await statement(pool, "w1:2026-05-01:2")
        assert (reissued["status"], reissued["total"]) == ("calculated", 2_000)
        assert (await statement(pool, APRIL))["status"] == "paid"
        assert await outcome(pool, "void-may") == ("applied", None)
        assert await outcome(pool, "pay-april") == ("applied", None)
        rejected = await outcome(pool, "approve-april-again")
        assert rejected is not None and rejected[0] == "rejected" and "paid" in str(rejected[1])
        assert await outcome(pool, "approve-unknown") == ("rejected", "statement 'nope' not found")
        assert await outcome(pool, "not-ours") is None
        bad = await outcome(pool, "bad-rule")
        assert bad is not None and bad[0] == "rejected" and "invalid command" in str(bad[1])
        assert (await statement(pool, MARCH))["revision"] == 3  # calculated, approved, paid: nothing else

        # The ledger as seen by payroll: every status change is an event, with the actor.
        expected_events = await pool.fetchval("SELECT count(*) FROM outbox")
        events = [
            json.loads(r.value) for r in await read_topic(kafka_bootstrap, settings.commission_topic, expected_events)
        ]
        march_events = [
            (e["type"].split(".")[-2], e["data"]["revision"], e["data"]["actor"])
            for e in events
            if e["data"]["statement_id"] == MARCH
        ]
        assert march_events == [("calculated", 1, None), ("approved", 2, "owner-1"), ("paid", 3, "finance")]
        assert len({e["id"] for e in events}) == len(events)
        may_lines = next(e for e in events if e["data"]["statement_id"] == "w1:2026-05-01:2")["data"]["lines"]
        assert [(ln["line_kind"], ln["source_period_start"], ln["amount"]) for ln in may_lines] == [
            ("adjustment", "2026-03-01", "2000")
        ]

    dlq = await read_topic(kafka_bootstrap, f"{settings.session_topic}.dlq", 1)
    assert dlq[0].value == b"{not json"
