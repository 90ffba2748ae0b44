"""The simulated day (see tests/commission/day.py) through the real broker and PostgreSQL: attribution, pay,
conservation of money, the statement events, order independence and replay."""

from __future__ import annotations

import json
from decimal import Decimal

import asyncpg

from livestudio_commission.export import export_period_csv
from livestudio_schemas.envelope import deterministic_event_id
from tests.commission.day import (
    DAY,
    EXPECTED_ATTRIBUTION,
    EXPECTED_PAY,
    SESSION_TOTALS,
    roster_commands,
    session_records,
)
from tests.commission.kit import make_settings, produce, read_topic, running, wait_settled
from tests.fixtures.infra import TopicFactory


async def assert_day(pool: asyncpg.Pool) -> None:
    results = await pool.fetch("SELECT kind, status, error FROM command_results")
    assert {(r["status"], r["error"]) for r in results} == {("applied", None)}

    rows = await pool.fetch("SELECT * FROM attributions ORDER BY session_id, host_id")
    got = {
        (r["host_id"], r["session_id"]): (
            r["placed_sales"],
            r["placed_orders"],
            r["confirmed_sales"],
            r["confirmed_orders"],
            r["on_air_ms"],
        )
        for r in rows
    }
    assert got == EXPECTED_ATTRIBUTION
    assert {r["local_day"] for r in rows} == {DAY}
    assert {r["studio_id"] for r in rows} == {"st1"}
    # attributed + unassigned == the session's figures, exactly
    for session_id, expected in SESSION_TOTALS.items():
        mine = [r for r in rows if r["session_id"] == session_id]
        sums = tuple(
            sum(r[c] for r in mine) for c in ("placed_sales", "placed_orders", "confirmed_sales", "confirmed_orders")
        )
        assert sums == expected, session_id
        stored = await pool.fetchrow(
            "SELECT placed_sales, placed_orders, confirmed_sales, confirmed_orders FROM sessions WHERE session_id = $1",
            session_id,
        )
        assert stored is not None and tuple(stored.values()) == expected

    statements = await pool.fetch("SELECT * FROM statements ORDER BY host_id")
    assert {s["host_id"]: s["total"] for s in statements} == {h: Decimal(t) for h, (t, _) in EXPECTED_PAY.items()}
    for s in statements:
        assert s["status"] == "calculated"
        assert (s["period_start"].isoformat(), s["period_end"].isoformat()) == ("2026-03-01", "2026-03-31")
        assert s["statement_id"] == f"{s['host_id']}:2026-03-01:1"
        lines = await pool.fetch("SELECT * FROM statement_lines WHERE statement_id = $1", s["statement_id"])
        by_rule = {ln["rule_id"]: (ln["base"], ln["amount"]) for ln in lines}
        want = {rule: (base, Decimal(amount)) for rule, (base, amount) in EXPECTED_PAY[s["host_id"]][1].items()}
        assert by_rule == want, s["host_id"]
        assert {ln["line_kind"] for ln in lines} == {"earning"}
        assert sum(ln["amount"] for ln in lines) == s["total"]


async def test_simulated_day(kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    roster, sessions = roster_commands(), session_records()
    async with running(settings) as service:
        await produce(kafka_bootstrap, settings.commands_topic, roster)
        await produce(kafka_bootstrap, settings.session_topic, sessions)
        pool = await wait_settled(
            service, {settings.commands_topic: len(roster), settings.session_topic: len(sessions)}
        )
        await assert_day(pool)

        # One StatementChanged per host on livestudio.commission.v1 (key = host), ids = f(statement, revision).
        statements = {r["statement_id"]: r for r in await pool.fetch("SELECT * FROM statements")}
        events = await read_topic(
            kafka_bootstrap, settings.commission_topic, sum(s["revision"] for s in statements.values())
        )
        latest: dict[str, dict[str, object]] = {}
        for record in events:
            body = json.loads(record.value)
            assert record.key.decode() == body["data"]["host_id"]
            assert body["type"] == "livestudio.commission.statement.calculated.v1"
            assert body["id"] == deterministic_event_id(body["data"]["statement_id"], body["data"]["revision"])
            latest[body["data"]["statement_id"]] = body["data"]
        assert {sid: Decimal(d["total"]) for sid, d in latest.items()} == {  # type: ignore[arg-type]
            sid: s["total"] for sid, s in statements.items()
        }

        async with pool.acquire() as conn:
            csv_text = await export_period_csv(conn, "st1", DAY)
        lines = csv_text.splitlines()
        assert lines[0].startswith("studio_id,period_start,period_end,statement_id,host_id")
        assert len(lines) == 1 + sum(len(rules) for _, rules in EXPECTED_PAY.values())
        assert any(",h6," in ln and ",R4," in ln and ln.endswith(",50,50000") for ln in lines)


async def test_roster_after_sessions_and_a_full_replay_give_the_same_day(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    roster, sessions = roster_commands(), session_records()
    produced = {settings.commands_topic: len(roster), settings.session_topic: len(sessions)}
    async with running(settings) as service:
        await produce(kafka_bootstrap, settings.session_topic, sessions)
        pool = await wait_settled(service, {settings.session_topic: len(sessions)})
        # Nobody is rostered yet: everything is visibly unassigned, nothing is dropped.
        unassigned = await pool.fetch("SELECT host_id, confirmed_sales FROM attributions")
        assert {r["host_id"] for r in unassigned} == {None}
        assert sum(r["confirmed_sales"] for r in unassigned) == sum(t[2] for t in SESSION_TOTALS.values())

        await produce(kafka_bootstrap, settings.commands_topic, roster)
        await wait_settled(service, produced)
        await assert_day(pool)
        before = {r["statement_id"]: r["revision"] for r in await pool.fetch("SELECT * FROM statements")}
        await pool.execute("DELETE FROM consumer_offsets")  # forget everything applied: the next start re-reads

    async with running(settings) as service:
        pool = await wait_settled(service, produced)
        await assert_day(pool)
        after = {r["statement_id"]: r["revision"] for r in await pool.fetch("SELECT * FROM statements")}
        assert after == before  # nothing was counted twice, so nothing was recalculated
        assert await pool.fetchval("SELECT count(*) FROM session_increments") == len(sessions)
