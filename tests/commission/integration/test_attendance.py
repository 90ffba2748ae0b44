"""Attendance through the real broker and PostgreSQL (issue #20): records computed from check-ins and the
account's on-air time once windows close, recomputed when a check-in lands later, a manager's correction kept
beside them, and the `check_in_required` policy sending an unchecked window's sales to the unassigned bucket."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from livestudio_commission import repository as repo
from tests.commission.kit import Record, command, local, make_settings, produce, running, session_event, wait_settled
from tests.fixtures.infra import TopicFactory

DAY = date(2026, 3, 12)
STUDIO = "st-att"


async def records(pool: asyncpg.Pool, want: int, *, where: str = "true", timeout: float = 30.0) -> dict[str, Any]:
    """The attendance rows once `want` of them match `where` and nothing due is left."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await pool.fetch(f"SELECT * FROM attendance WHERE {where} ORDER BY entry_id")
        async with pool.acquire() as conn:
            due = await repo.attendance_due(conn, local(DAY, 23))
        if len(rows) >= want and due == 0:
            return {r["entry_id"]: dict(r) for r in rows}
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"attendance not computed: {rows}, due {due}")
        await asyncio.sleep(0.1)


def entry(entry_id: str, host: str, start: int, end: int) -> Record:
    return command(
        {
            "kind": "schedule.upsert",
            "entry_id": entry_id,
            "studio_id": STUDIO,
            "host_id": host,
            "account_id": "acc-t",
            "starts_at": local(DAY, start).isoformat(),
            "ends_at": local(DAY, end).isoformat(),
        }
    )


def check(kind: str, host: str, hour: int, minute: int = 0) -> Record:
    at = local(DAY, hour, minute).isoformat()
    return command({"kind": f"host.check_{kind}", "host_id": host, "account_id": "acc-t", "at": at})


async def test_attendance_is_computed_corrected_and_the_policy_applies(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    produced = {settings.commands_topic: 0, settings.session_topic: 0}

    async def send(topic: str, batch: list[Record]) -> asyncpg.Pool:
        await produce(kafka_bootstrap, topic, batch)
        produced[topic] += len(batch)
        return await wait_settled(service, produced)

    studio = {"kind": "studio.upsert", "studio_id": STUDIO, "name": "Att", "attendance_grace_minutes": 10}
    async with running(settings) as service:
        # the policy changes before the day: it governs every window of the day
        await send(
            settings.commands_topic,
            [
                command(
                    {**studio, "attribution_policy": "check_in_required"},
                    issued_at=local(DAY, 0) - timedelta(days=1),
                ),
            ],
        )
        await send(
            settings.commands_topic,
            [
                entry("e-on", "h1", 10, 12),
                entry("e-late", "h2", 12, 14),
                entry("e-absent", "h3", 14, 16),
                check("in", "h1", 9, 55),
                check("out", "h1", 12, 0),
                check("in", "h2", 12, 20),
            ],
        )
        pool = await send(
            settings.session_topic,
            [
                session_event(
                    "snapshot", "acc-t", 8001, local(DAY, 9, 50), local(DAY, 13), placed=130_000, studio_id=STUDIO
                ),
                session_event(
                    "ended",
                    "acc-t",
                    8001,
                    local(DAY, 9, 50),
                    local(DAY, 15),
                    placed=200_000,
                    ended_at=local(DAY, 15),
                    studio_id=STUDIO,
                ),
            ],
        )
        got = await records(pool, 3)
        assert {k: (v["status"], v["late_minutes"], v["left_early_minutes"]) for k, v in got.items()} == {
            "e-on": ("on_time", 0, 0),
            "e-late": ("late", 20, 0),  # no check-out: left when the account went off air (after the window)
            "e-absent": ("absent", None, None),
        }
        assert got["e-on"]["grace_minutes"] == 10 and got["e-on"]["on_air_known"]

        # check_in_required: h3 never checked in, so 14:00-15:00 went to the unassigned bucket, not to h3
        by_host = {
            r["host_id"]: r["placed_sales"]
            for r in await pool.fetch("SELECT host_id, placed_sales FROM attributions WHERE session_id = 8001")
        }
        assert "h3" not in by_host and by_host[None] > 0
        assert sum(by_host.values()) == Decimal(200_000)

        # a manager corrects h3's absence; a late check-in then recomputes the record but not the correction
        correction = {
            "kind": "schedule.attendance.correct",
            "entry_id": "e-absent",
            "studio_id": STUDIO,
            "status": "on_time",
            "reason": "was in the studio, the tablet was down",
        }
        await send(settings.commands_topic, [command(correction, actor="manager-1")])
        await send(settings.commands_topic, [check("in", "h3", 14, 30)])
        got = await records(pool, 1, where="entry_id = 'e-absent' AND status = 'late'")
        row = got["e-absent"]
        assert (row["status"], row["late_minutes"]) == ("late", 30)
        assert (row["corrected_status"], row["corrected_by"]) == ("on_time", "manager-1")
        assert row["correction_reason"] == "was in the studio, the tablet was down"

        # a longer grace period recomputes the open pay period's records: 20 minutes late is on time within 25
        await send(
            settings.commands_topic, [command({**studio, "attendance_grace_minutes": 25}, issued_at=local(DAY, 23))]
        )
        got = await records(pool, 1, where="entry_id = 'e-late' AND status = 'on_time'")
        assert (got["e-late"]["late_minutes"], got["e-late"]["grace_minutes"]) == (0, 25)

        # a correction naming an entry of nowhere is rejected, with the reason recorded
        await send(
            settings.commands_topic,
            [command({**correction, "entry_id": "e-none"}, command_id="cmd-bad-correction")],
        )
        result = await pool.fetchrow(
            "SELECT status, error FROM command_results WHERE command_id = 'cmd-bad-correction'"
        )
        assert result is not None and result["status"] == "rejected" and "e-none" in result["error"]
