"""Roster changes after the sales were attributed: check-in/check-out override the schedule, removals and late
shift templates re-attribute the sessions they touch, and impossible roster commands are rejected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import asyncpg

from tests.commission.kit import Record, command, local, make_settings, produce, running, session_event, wait_settled
from tests.fixtures.infra import TopicFactory

DAY = date(2026, 3, 11)


async def placed_by_host(pool: asyncpg.Pool) -> dict[str | None, Decimal]:
    rows = await pool.fetch("SELECT host_id, placed_sales FROM attributions WHERE session_id = 7001")
    return {r["host_id"]: r["placed_sales"] for r in rows if r["placed_sales"] != 0}


async def test_roster_changes_reattribute_sessions(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    produced = {settings.commands_topic: 0, settings.session_topic: 0}

    async def send(topic: str, records: list[Record]) -> asyncpg.Pool:
        await produce(kafka_bootstrap, topic, records)
        produced[topic] += len(records)
        return await wait_settled(service, produced)

    def window(entry_id: str, host: str, start: int, end: int) -> Record:
        body = {
            "kind": "schedule.upsert",
            "entry_id": entry_id,
            "studio_id": "st3",
            "host_id": host,
            "account_id": "acc-r",
            "starts_at": local(DAY, start).isoformat(),
            "ends_at": local(DAY, end).isoformat(),
        }
        return command(body)

    async with running(settings) as service:
        await send(settings.commands_topic, [window("r1-main", "r1", 10, 12)])
        pool = await send(
            settings.session_topic,
            [
                session_event(
                    "snapshot", "acc-r", 7001, local(DAY, 10), local(DAY, 11), placed=600_000, studio_id="st3"
                ),
                session_event(
                    "ended",
                    "acc-r",
                    7001,
                    local(DAY, 10),
                    local(DAY, 12),
                    placed=1_200_000,
                    ended_at=local(DAY, 12),
                    studio_id="st3",
                ),
            ],
        )
        assert await placed_by_host(pool) == {"r1": 1_200_000}

        # r2 streamed 11-12 without being scheduled: an ad-hoc window, co-hosting with r1.
        await send(
            settings.commands_topic,
            [
                command(
                    {"kind": "host.check_in", "host_id": "r2", "account_id": "acc-r", "at": local(DAY, 11).isoformat()}
                ),
                command(
                    {"kind": "host.check_out", "host_id": "r2", "account_id": "acc-r", "at": local(DAY, 12).isoformat()}
                ),
            ],
        )
        assert await placed_by_host(pool) == {"r1": 900_000, "r2": 300_000}

        # r1 checked out at 11: the schedule said 12, the check-out wins.
        await send(
            settings.commands_topic,
            [
                command(
                    {"kind": "host.check_out", "host_id": "r1", "account_id": "acc-r", "at": local(DAY, 11).isoformat()}
                )
            ],
        )
        assert await placed_by_host(pool) == {"r1": 600_000, "r2": 600_000}

        # Removing r1's entry leaves 10-11 to nobody: visible as unassigned.
        await send(settings.commands_topic, [command({"kind": "schedule.remove", "entry_id": "r1-main"})])
        assert await placed_by_host(pool) == {None: 600_000, "r2": 600_000}

        # An entry naming a shift not known yet waits; the shift template arriving later resolves it.
        await send(
            settings.commands_topic,
            [
                command(
                    {
                        "kind": "schedule.upsert",
                        "entry_id": "r3-late",
                        "studio_id": "st3",
                        "host_id": "r3",
                        "account_id": "acc-r",
                        "shift_id": "early",
                        "shift_date": DAY.isoformat(),
                    }
                )
            ],
        )
        assert await placed_by_host(pool) == {None: 600_000, "r2": 600_000}
        await send(
            settings.commands_topic,
            [
                command(
                    {
                        "kind": "shift.upsert",
                        "shift_id": "early",
                        "studio_id": "st3",
                        "name": "Early",
                        "start": "09:00",
                        "end": "11:00",
                    }
                )
            ],
        )
        assert await placed_by_host(pool) == {"r3": 600_000, "r2": 600_000}
        totals = await pool.fetchrow(
            "SELECT sum(placed_sales) AS placed, sum(on_air_ms) AS on_air FROM attributions WHERE session_id = 7001"
        )
        assert totals is not None and totals["placed"] == 1_200_000

        # Impossible roster commands are rejected with a reason, and change nothing.
        bad = [
            command({"kind": "schedule.remove", "entry_id": "never-was"}, command_id="bad-remove"),
            command(
                {"kind": "studio.upsert", "studio_id": "st3", "name": "Three", "timezone": "Mars/Olympus"},
                command_id="bad-tz",
            ),
            command(
                {
                    "kind": "schedule.upsert",
                    "entry_id": "bad",
                    "studio_id": "st3",
                    "host_id": "r1",
                    "account_id": "acc-r",
                    "starts_at": local(DAY, 12).isoformat(),
                    "ends_at": local(DAY, 11).isoformat(),
                },
                command_id="bad-window",
            ),
        ]
        await send(settings.commands_topic, bad)
        results = {
            r["command_id"]: (r["status"], r["error"]) for r in await pool.fetch("SELECT * FROM command_results")
        }
        assert results["bad-remove"] == ("rejected", "schedule entry 'never-was' not found")
        assert results["bad-tz"] == ("rejected", "unknown timezone 'Mars/Olympus'")
        assert results["bad-window"] == ("rejected", "ends_at must be after starts_at")
        assert await pool.fetchval("SELECT count(*) FROM schedule_entries WHERE entry_id = 'bad'") == 0
        assert await pool.fetchval("SELECT count(*) FROM studios") == 0
        assert await placed_by_host(pool) == {"r3": 600_000, "r2": 600_000}
