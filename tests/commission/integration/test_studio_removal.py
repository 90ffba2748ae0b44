"""`studio.remove` (#20) through the real broker and PostgreSQL: an empty studio goes with its settings and may be
created again; one holding anything is refused with what it holds, as is another studio's."""

from __future__ import annotations

import asyncpg

from tests.commission.kit import command, make_settings, produce, running, wait_settled
from tests.fixtures.infra import TopicFactory

OWNER_E = {"studio_id": "st-empty", "role": "owner"}
OWNER_B = {"studio_id": "st-busy", "role": "owner"}


async def _results(pool: asyncpg.Pool) -> dict[str, tuple[str, str | None]]:
    rows = await pool.fetch("SELECT command_id, status, error FROM command_results WHERE kind = 'studio.remove'")
    return {r["command_id"]: (r["status"], r["error"]) for r in rows}


async def _settings_of(pool: asyncpg.Pool, studio_id: str) -> tuple[int, int, int]:
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM studios WHERE studio_id = $1) AS studios,"
        " (SELECT count(*) FROM studio_attendance WHERE studio_id = $1) AS grace,"
        " (SELECT count(*) FROM attribution_policies WHERE studio_id = $1) AS policies",
        studio_id,
    )
    assert row is not None
    return row["studios"], row["grace"], row["policies"]


async def test_an_empty_studio_is_removed_and_one_with_history_stays(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    topic = settings.commands_topic
    setup = [
        command(
            {
                "kind": "studio.upsert",
                "studio_id": "st-empty",
                "name": "Empty",
                "attendance_grace_minutes": 10,
                "attribution_policy": "check_in_required",
            }
        ),
        command({"kind": "studio.upsert", "studio_id": "st-busy", "name": "Busy"}),
        command({"kind": "host.upsert", "host_id": "h-busy", "studio_id": "st-busy", "name": "Budi"}),
        command(
            {
                "kind": "shift.upsert",
                "shift_id": "s-busy",
                "studio_id": "st-busy",
                "name": "P",
                "start": "05:00:00",
                "end": "10:00:00",
            }
        ),
    ]
    removals = [
        # the busy studio: refused with what it holds (the gateway's 409 words), nothing deleted
        command({"kind": "studio.remove", "studio_id": "st-busy"}, scope=OWNER_B, command_id="rm-busy"),
        # another studio's owner cannot remove it: the words of a missing studio
        command({"kind": "studio.remove", "studio_id": "st-empty"}, scope=OWNER_B, command_id="rm-poach"),
        command({"kind": "studio.remove", "studio_id": "st-empty"}, scope=OWNER_E, command_id="rm-empty"),
    ]
    again = [
        command({"kind": "studio.remove", "studio_id": "st-empty"}, scope=OWNER_E, command_id="rm-again"),
        command({"kind": "studio.upsert", "studio_id": "st-empty", "name": "Empty again"}, scope=OWNER_E),
    ]
    async with running(settings) as service:
        await produce(kafka_bootstrap, topic, setup)
        pool = await wait_settled(service, {topic: len(setup)})
        assert await _settings_of(pool, "st-empty") == (1, 1, 1)
        await produce(kafka_bootstrap, topic, removals)
        await wait_settled(service, {topic: len(setup) + len(removals)})
        assert await _settings_of(pool, "st-empty") == (0, 0, 0)
        assert await _settings_of(pool, "st-busy") == (1, 0, 0)
        assert await pool.fetchval("SELECT count(*) FROM hosts WHERE studio_id = 'st-busy'") == 1
        await produce(kafka_bootstrap, topic, again[:1])
        await wait_settled(service, {topic: len(setup) + len(removals) + 1})
        await produce(kafka_bootstrap, topic, again[1:])
        await wait_settled(service, {topic: len(setup) + len(removals) + 2})
        recreated = await pool.fetchrow("SELECT name FROM studios WHERE studio_id = 'st-empty'")
        results = await _results(pool)

    assert results["rm-busy"] == (
        "rejected",
        "studio 'st-busy' has history (hosts: 1, shifts: 1); remove what was only set up in it first "
        "(a studio with accounts or sessions stays)",
    )
    assert results["rm-poach"] == ("rejected", "studio 'st-empty' not found in studio 'st-busy'")
    assert results["rm-empty"] == ("applied", None)
    assert results["rm-again"] == ("rejected", "studio 'st-empty' not found in studio 'st-empty'")
    assert recreated is not None and recreated["name"] == "Empty again"
