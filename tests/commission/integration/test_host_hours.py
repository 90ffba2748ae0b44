"""Hours of the day of host attribution: `attribution_hours` always adds up to `attribution_parts` per part, and
the rollup `host_hours` to `attribution_hours` per (account, hour, host) and to `host_days` per host, through sales,
redelivery and re-attribution after a schedule change.

The data is `test_host_days`'s: two studios (IDR, MYR with cents), co-hosting, unassigned stretches, a session
crossing local midnight, unknown confirmed figures, corrections after the end.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import asyncpg

from livestudio_commission import sessions
from tests.commission.integration.test_host_days import (
    D0,
    DAYS,
    all_sessions,
    apply_commands,
    apply_in_batches,
    at,
    db,
    entry,
    exact,
    roster,
    session,
)

__all__ = ["db"]  # the fixture, imported for this module's tests

_SUMS = """sum(on_air_ms)::bigint AS on_air_ms, sum(placed_orders)::bigint AS placed_orders,
  sum(placed_sales) AS placed_sales, sum(confirmed_orders)::bigint AS confirmed_orders,
  sum(confirmed_sales) AS confirmed_sales"""
HOURS_PER_PART = f"""
SELECT account_id, session_id, host_key, window_key, local_day, {_SUMS}
FROM attribution_hours GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
"""
PARTS = f"""
SELECT account_id, session_id, host_key, window_key, local_day, {_SUMS}
FROM attribution_parts GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
"""
FROM_HOURS = f"""
SELECT studio_id, host_id, account_id, local_date, hour, count(DISTINCT session_id) AS sessions, {_SUMS}
FROM attribution_hours GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2 NULLS FIRST, 3, 4, 5
"""
ROLLUP = """
SELECT studio_id, host_id, account_id, local_date, hour, sessions, on_air_ms, placed_orders, placed_sales,
       confirmed_orders, confirmed_sales
FROM host_hours ORDER BY 1, 2 NULLS FIRST, 3, 4, 5
"""
ACCOUNT_ON_AIR = """
SELECT h.account_id, h.local_date, h.hour, h.host_id, h.account_on_air_ms, a.on_air_ms AS anchor,
       sum(h.on_air_ms) OVER (PARTITION BY h.account_id, h.local_date, h.hour) AS total
FROM host_hours h LEFT JOIN account_hours a USING (account_id, local_date, hour)
"""
PER_HOST_HOURS = f"SELECT studio_id, host_id, {_SUMS} FROM host_hours GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST"
PER_HOST_DAYS = f"SELECT studio_id, host_id, {_SUMS} FROM host_days GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST"


def values(rows: list[asyncpg.Record]) -> list[tuple[object, ...]]:
    return [tuple(r.values()) for r in rows]


async def assert_hours_exact(conn: asyncpg.Connection) -> list[tuple[str, ...]]:
    # every part's hours add up to the part, digit for digit (the same scale too)
    assert exact(await conn.fetch(HOURS_PER_PART)) == exact(await conn.fetch(PARTS))
    rollup = exact(await conn.fetch(ROLLUP))
    assert rollup == exact(await conn.fetch(FROM_HOURS))
    # every row carries its account-hour's on-air time of all hosts and the unassigned bucket
    for r in await conn.fetch(ACCOUNT_ON_AIR):
        assert r["account_on_air_ms"] == r["total"] == r["anchor"], dict(r)
    # and per host, the hours of the rollup are the days of `host_days` (pay's figures)
    assert values(await conn.fetch(PER_HOST_HOURS)) == values(await conn.fetch(PER_HOST_DAYS))
    return rollup


async def test_hours_add_up_to_the_attribution_through_sales_redelivery_and_replay(db: asyncpg.Connection) -> None:
    conn = db
    assert set(await apply_commands(conn, roster(), 0)) == {"applied"}
    observations = all_sessions()
    await apply_in_batches(conn, observations, 7)
    rollup = await assert_hours_exact(conn)

    # h1 on air 10-14 on acc-1 every day: four whole hours of on-air time, one session each
    h1 = await conn.fetch(
        "SELECT hour, sessions, on_air_ms FROM host_hours WHERE host_id = 'h1' AND local_date = $1 ORDER BY 1", DAYS[0]
    )
    assert [tuple(r) for r in h1] == [(10, 1, 3_600_000), (11, 1, 3_600_000), (12, 1, 3_600_000), (13, 1, 3_600_000)]
    # the night shift past midnight: pay day D1, calendar hours 22-23 on D1 and 0-1 on D2
    night = await conn.fetch(
        "SELECT DISTINCT local_day, local_date, hour FROM attribution_hours WHERE host_id = 'h3' AND session_id = 201"
        " ORDER BY 2, 3"
    )
    assert [tuple(r) for r in night] == [
        (DAYS[1], DAYS[1], 22),
        (DAYS[1], DAYS[1], 23),
        (DAYS[1], DAYS[2], 0),
        (DAYS[1], DAYS[2], 1),
    ]
    # co-hosts each take the full on-air time of an hour, the unassigned bucket keeps its own
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM host_hours WHERE account_id = 'acc-2' AND local_date = $1 AND hour = 20", DAYS[0]
        )
        == 2
    )
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM host_hours WHERE host_id IS NULL AND account_id = 'acc-1' AND hour = 9"
        )
        == 3
    )
    # unknown stays unknown: acc-9's second session never reported confirmed figures
    assert await conn.fetchval(
        "SELECT bool_and(confirmed_sales IS NULL) FROM host_hours WHERE account_id = 'acc-9' AND local_date = $1",
        DAYS[1],
    )

    # redelivery in other batches changes nothing
    await apply_in_batches(conn, observations, 11)
    assert await assert_hours_exact(conn) == rollup

    # re-attribution: D0's 10-14 on acc-1 goes to h3, acc-2's night on D1 to nobody
    changes = [
        entry("a1-h1-0", "st1", "h3", "acc-1", at(DAYS[0], 10), at(DAYS[0], 14)),
        {"kind": "schedule.remove", "entry_id": "a2-h3-1"},
    ]
    assert await apply_commands(conn, changes, 100) == ["applied", "applied"]
    after = await assert_hours_exact(conn)
    assert after != rollup
    moved = "SELECT count(*) FROM host_hours WHERE host_id = $1 AND account_id = 'acc-1' AND local_date = $2"
    assert await conn.fetchval(moved, "h1", DAYS[0]) == 0
    assert await conn.fetchval(moved, "h3", DAYS[0]) == 4
    assert await conn.fetchval("SELECT count(*) FROM host_hours WHERE host_id = 'h3' AND local_date > $1", DAYS[0]) == 0

    # a session whose hours were lost (as before the hours table existed) gets them back on its next replay
    await conn.execute("DELETE FROM attribution_hours WHERE session_id = 100")
    async with conn.transaction():
        assert await sessions.reattribute(conn, [("acc-1", 100)]) == 0  # pay unchanged
    assert await assert_hours_exact(conn) == after


async def test_two_consumers_sharing_an_account_hour_keep_both_contributions(
    db: asyncpg.Connection, fresh_db: str
) -> None:
    """Two transactions attribute two sessions of one account in the same hours with nobody rostered (the same
    unassigned `host_hours` rows and account-hour totals) at the same time: the second waits for the first's
    account-hour locks and sums after it committed. The sessions start on different days, so they share no
    `host_days` key: only the account-hour locks order them."""
    assert await apply_commands(db, roster()[:1], 0) == ["applied"]
    one = session("acc-7", 700, "st1", at(D0, -0.5), 2, Decimal(1_000))  # 23:30 the day before to 01:30
    two = session("acc-7", 701, "st1", at(D0, 0.5), 2, Decimal(3_000))  # 00:30 to 02:30
    other = await asyncpg.connect(fresh_db, server_settings={"search_path": "commission,public"})
    try:
        first = db.transaction()
        await first.start()
        await sessions.apply_observations(db, one)
        second = asyncio.ensure_future(apply_in_batches(other, two, len(two)))
        async with asyncio.timeout(10):  # until the second waits for the first (for an account-hour's lock)
            while not await db.fetchval("SELECT cardinality(pg_blocking_pids($1)) > 0", other.get_server_pid()):
                assert not second.done()
                await asyncio.sleep(0.02)
        await first.commit()
        await asyncio.wait_for(second, 10)
    finally:
        await other.close()
    await assert_hours_exact(db)
    both = "SELECT local_date, hour, sessions FROM host_hours WHERE account_id = 'acc-7' ORDER BY 1, 2"
    day_before = D0 - timedelta(days=1)
    assert [tuple(r) for r in await db.fetch(both)] == [(day_before, 23, 1), (D0, 0, 2), (D0, 1, 2), (D0, 2, 1)]
