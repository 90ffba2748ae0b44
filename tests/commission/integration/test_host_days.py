"""The per-day host rollup `host_days`: always `attributions` summed per (studio, host, local day), through sales,
redelivery, re-attribution and two consumers sharing a key; and the gateway's host reads over it (performance,
leaderboard, one host's days) answer exactly what their former raw scans of `attributions` answered.

The data: two studios (IDR and MYR, so sums carry cents), four hosts, three days, co-hosting, stretches nobody is
rostered for (the unassigned bucket), a session crossing local midnight (its parts fall on two days, its
attribution rows on the day it started), a session whose confirmed figures stay unknown (NULL sums), corrections
after the end, then roster changes that move a whole host-day to another host and a session to unassigned.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from livestudio_commission import commands, sessions
from livestudio_commission.attribution import Metric, Observation, ObservationKind, Value
from livestudio_commission.service import MIGRATIONS
from livestudio_gateway.repository import LEADERBOARD_ORDERS, Repository, create_pool
from livestudio_runtime.migrations import migrate
from livestudio_schemas.commands import Command

JKT = ZoneInfo("Asia/Jakarta")
KUL = ZoneInfo("Asia/Kuala_Lumpur")
D0 = date(2026, 3, 2)
DAYS = (D0, D0 + timedelta(days=1), D0 + timedelta(days=2))
HOSTS = ("h1", "h2", "h3", "h4")

# The gateway's reads before the rollup (issue #23): what the rollup reads must answer, to the digit.
_RAW_SUMS = """count(DISTINCT (a.account_id, a.session_id))::bigint AS sessions, sum(a.on_air_ms)::bigint AS on_air_ms,
  sum(a.placed_orders)::bigint AS placed_orders, sum(a.placed_sales) AS placed_sales,
  sum(a.confirmed_orders)::bigint AS confirmed_orders, sum(a.confirmed_sales) AS confirmed_sales"""
RAW_PERFORMANCE = f"""
SELECT a.host_id, h.name, a.studio_id, {_RAW_SUMS}
FROM commission.attributions a
LEFT JOIN commission.hosts h ON h.host_id = a.host_id
WHERE ($1::text[] IS NULL OR a.studio_id = ANY($1::text[]))
  AND a.local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR a.host_id = $4)
GROUP BY a.host_id, h.name, a.studio_id
ORDER BY a.studio_id, h.name NULLS LAST, a.host_id NULLS LAST
"""
RAW_LEADERBOARD = """
SELECT a.host_id, h.name, a.studio_id, {sums}
FROM commission.attributions a
LEFT JOIN commission.hosts h ON h.host_id = a.host_id
WHERE ($1::text[] IS NULL OR a.studio_id = ANY($1::text[]))
  AND a.local_day BETWEEN $2 AND $3
  AND a.host_id IS NOT NULL
GROUP BY a.host_id, h.name, a.studio_id
ORDER BY {order} DESC NULLS LAST, a.host_id
LIMIT $4
"""
RAW_HOST_DAYS = f"""
SELECT a.local_day AS day, {_RAW_SUMS}
FROM commission.attributions a
WHERE a.host_id = $1 AND a.local_day BETWEEN $2 AND $3
GROUP BY a.local_day
ORDER BY a.local_day
"""
FROM_ATTRIBUTIONS = """
SELECT studio_id, host_id, local_day, count(*) AS sessions, sum(on_air_ms)::bigint AS on_air_ms,
       sum(placed_orders)::bigint AS placed_orders, sum(placed_sales) AS placed_sales,
       sum(confirmed_orders)::bigint AS confirmed_orders, sum(confirmed_sales) AS confirmed_sales
FROM attributions GROUP BY studio_id, host_id, local_day
ORDER BY studio_id, local_day, host_id NULLS FIRST
"""
ROLLUP = """
SELECT studio_id, host_id, local_day, sessions, on_air_ms, placed_orders, placed_sales, confirmed_orders,
       confirmed_sales
FROM host_days ORDER BY studio_id, local_day, host_id NULLS FIRST
"""


def at(day: date, hour: float, zone: ZoneInfo = JKT) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(hours=hour)


def exact(rows: Sequence[asyncpg.Record]) -> list[tuple[str, ...]]:
    """Rows with every value's repr: Decimal('5.00') and Decimal('5') differ here, as they do in the JSON."""
    return [tuple(repr(v) for v in r.values()) for r in rows]


def cmd(body: dict[str, Any], n: int) -> Command:
    return Command.model_validate(
        {"command_id": f"hd-{n}", "actor": "test", "issued_at": datetime(2026, 3, 1, tzinfo=UTC), "command": body}
    )


def entry(entry_id: str, studio: str, host: str, account: str, start: datetime, end: datetime, share: int = 1) -> Any:
    return {
        "kind": "schedule.upsert",
        "entry_id": entry_id,
        "studio_id": studio,
        "host_id": host,
        "account_id": account,
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "share": share,
    }


def roster() -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = [
        {"kind": "studio.upsert", "studio_id": "st1", "name": "One"},
        {
            "kind": "studio.upsert",
            "studio_id": "st2",
            "name": "Two",
            "timezone": "Asia/Kuala_Lumpur",
            "currency": "MYR",
        },
        {"kind": "host.upsert", "host_id": "h1", "studio_id": "st1", "name": "Ayu"},
        {"kind": "host.upsert", "host_id": "h2", "studio_id": "st1", "name": "Budi"},
        {"kind": "host.upsert", "host_id": "h3", "studio_id": "st1", "name": "Citra"},
        {"kind": "host.upsert", "host_id": "h4", "studio_id": "st2", "name": "Dewi"},
    ]
    for i, day in enumerate(DAYS):
        bodies.append(entry(f"a1-h1-{i}", "st1", "h1", "acc-1", at(day, 10), at(day, 14)))
        if i < 2:
            bodies.append(entry(f"a1-h2-{i}", "st1", "h2", "acc-1", at(day, 14), at(day, 18)))
            bodies.append(entry(f"a9-h4-{i}", "st2", "h4", "acc-9", at(day, 9, KUL), at(day, 12, KUL)))
    bodies.append(entry("a2-h2-0", "st1", "h2", "acc-2", at(DAYS[0], 19), at(DAYS[0], 23), share=2))
    bodies.append(entry("a2-h3-0", "st1", "h3", "acc-2", at(DAYS[0], 19), at(DAYS[0], 23)))
    bodies.append(entry("a2-h3-1", "st1", "h3", "acc-2", at(DAYS[1], 22), at(DAYS[1], 26)))  # to 02:00 next day
    return bodies


def session(
    account: str, sid: int, studio: str, start: datetime, hours: int, unit: Decimal, *, zone: str = "Asia/Jakarta",
    currency: str = "IDR", confirmed_known: bool = True,
) -> list[Observation]:  # fmt: skip
    """Hourly snapshots with rising cumulative figures, the end, and a correction of the confirmed figures."""

    def obs(kind: ObservationKind, k: int, observed: datetime, bump: int = 0, end: datetime | None = None) -> Any:
        values: dict[Metric, Value | None] = {
            "placed_orders": 3 * k,
            "placed_sales": unit * 3 * k * 7 + unit * k,
            "confirmed_orders": 2 * k + bump if confirmed_known else None,
            "confirmed_sales": unit * (2 * k + bump) * 7 if confirmed_known else None,
        }
        return Observation(
            kind=kind,
            account_id=account,
            session_id=sid,
            studio_id=studio,
            started_at=start.astimezone(UTC),
            observed_at=observed.astimezone(UTC),
            values=values,
            ended_at=end,
            on_air=kind == "snapshot" or None,
            timezone=zone,
            currency=currency,
        )

    end = start + timedelta(hours=hours)
    out = [obs("snapshot", k, start + timedelta(hours=k)) for k in range(1, hours)]
    out.append(obs("ended", hours, end, end=end.astimezone(UTC)))
    out.append(obs("corrected", hours, end + timedelta(hours=20), bump=1, end=end.astimezone(UTC)))
    return out


def all_sessions() -> list[Observation]:
    out: list[Observation] = []
    for i, day in enumerate(DAYS):
        out += session("acc-1", 100 + i, "st1", at(day, 9), 6, Decimal(1_000 + 17 * i))  # unassigned 9-10
    out += session("acc-2", 200, "st1", at(DAYS[0], 19.5), 4, Decimal(2_311))  # co-hosted, unassigned 23-23:30
    out += session("acc-2", 201, "st1", at(DAYS[1], 21), 6, Decimal(977))  # crosses midnight; unassigned 21-22, 2-3
    out += session("acc-9", 900, "st2", at(DAYS[0], 8.5, KUL), 4, Decimal("12.35"), zone="Asia/Kuala_Lumpur",
                   currency="MYR")  # fmt: skip
    out += session("acc-9", 901, "st2", at(DAYS[1], 8.5, KUL), 4, Decimal("7.05"), zone="Asia/Kuala_Lumpur",
                   currency="MYR", confirmed_known=False)  # fmt: skip
    # interleaved the way polling delivers them
    return sorted(out, key=lambda o: (o.observed_at, o.account_id))


@pytest.fixture
async def db(fresh_db: str) -> AsyncIterator[asyncpg.Connection]:
    await migrate(fresh_db, schema="commission", directory=MIGRATIONS)
    conn = await asyncpg.connect(fresh_db, server_settings={"search_path": "commission,public"})
    try:
        yield conn
    finally:
        await conn.close()


async def apply_commands(conn: asyncpg.Connection, bodies: list[dict[str, Any]], first: int) -> list[str | None]:
    """Each command in its own transaction, ids numbered from `first`: the statuses (None = already applied)."""
    statuses = []
    for n, body in enumerate(bodies, start=first):
        async with conn.transaction():
            statuses.append(await commands.apply_command(conn, cmd(body, n), default_timezone="Asia/Jakarta"))
    return statuses


async def apply_in_batches(conn: asyncpg.Connection, observations: list[Observation], size: int) -> None:
    for i in range(0, len(observations), size):
        async with conn.transaction():
            await sessions.apply_observations(conn, observations[i : i + size])


async def assert_rollup_exact(conn: asyncpg.Connection) -> list[tuple[str, ...]]:
    rollup = exact(await conn.fetch(ROLLUP))
    assert rollup == exact(await conn.fetch(FROM_ATTRIBUTIONS))
    return rollup


async def assert_reads_identical(repo: Repository, conn: asyncpg.Connection) -> None:
    ranges = [(DAYS[0], DAYS[2]), (DAYS[0], DAYS[0]), (DAYS[1], DAYS[1]), (DAYS[1], DAYS[2])]
    ranges.append((DAYS[0] - timedelta(days=364), DAYS[2] + timedelta(days=30)))
    scopes: list[list[str] | None] = [None, ["st1"], ["st2"], ["st1", "st2"], ["elsewhere"]]
    for lo, hi in ranges:
        for scope in scopes:
            for host in (None, *HOSTS):
                got = await repo.host_performance(scope, lo, hi, host)
                assert exact(got) == exact(await conn.fetch(RAW_PERFORMANCE, scope, lo, hi, host)), (scope, lo, host)
            for by, order in LEADERBOARD_ORDERS.items():
                raw = RAW_LEADERBOARD.format(sums=_RAW_SUMS, order=order.replace("d.", "a."))
                for limit in (2, 10):
                    got = await repo.leaderboard(scope, lo, hi, by, limit)
                    assert exact(got) == exact(await conn.fetch(raw, scope, lo, hi, limit)), (scope, lo, by, limit)
        for host in HOSTS:
            got = await repo.host_days(host, lo, hi)
            assert exact(got) == exact(await conn.fetch(RAW_HOST_DAYS, host, lo, hi)), (host, lo, hi)


async def test_rollup_follows_sales_redelivery_and_reattribution(db: asyncpg.Connection, fresh_db: str) -> None:
    conn = db
    assert set(await apply_commands(conn, roster(), 0)) == {"applied"}
    observations = all_sessions()
    await apply_in_batches(conn, observations, 7)
    rollup = await assert_rollup_exact(conn)

    # non-trivial: every host, the unassigned bucket of both studios, several days, cents, an unknown sum
    perf = await conn.fetch(
        "SELECT host_id, studio_id, count(*) AS days, sum(sessions) AS sessions FROM host_days GROUP BY 1, 2"
    )
    assert {(r["host_id"], r["studio_id"]) for r in perf} == {
        ("h1", "st1"), ("h2", "st1"), ("h3", "st1"), (None, "st1"), ("h4", "st2"), (None, "st2"),
    }  # fmt: skip
    assert {r["host_id"]: r["days"] for r in perf if r["studio_id"] == "st1"} == {"h1": 3, "h2": 2, "h3": 2, None: 3}
    # the session crossing midnight: parts on two local days, one attribution day (its start), counted once
    assert await conn.fetchval("SELECT count(DISTINCT local_day) FROM attribution_parts WHERE session_id = 201") == 2
    assert await conn.fetchval("SELECT sessions FROM host_days WHERE host_id = 'h3' AND local_day = $1", DAYS[1]) == 1
    assert await conn.fetchval("SELECT count(*) FROM host_days WHERE host_id = 'h3' AND local_day = $1", DAYS[2]) == 0
    assert (
        await conn.fetchval("SELECT confirmed_sales FROM host_days WHERE host_id = 'h4' AND local_day = $1", DAYS[1])
        is None
    )
    assert (
        await conn.fetchval("SELECT scale(placed_sales) FROM host_days WHERE host_id = 'h4' AND local_day = $1", D0)
        == 2
    )

    pool = await create_pool(fresh_db, min_size=1, max_size=2, statement_timeout_ms=10_000)
    try:
        repo = Repository(pool)
        await assert_reads_identical(repo, conn)

        # redelivery: the same events again, in other batches, change nothing
        await apply_in_batches(conn, observations, 11)
        assert await assert_rollup_exact(conn) == rollup

        # re-attribution: D0's 10-14 on acc-1 goes to h3 (h1 loses that day), acc-2's night on D1 to nobody
        changes = [
            entry("a1-h1-0", "st1", "h3", "acc-1", at(DAYS[0], 10), at(DAYS[0], 14)),
            {"kind": "schedule.remove", "entry_id": "a2-h3-1"},
        ]
        assert await apply_commands(conn, changes, 100) == ["applied", "applied"]
        after = await assert_rollup_exact(conn)
        assert after != rollup
        h1_days = "SELECT local_day FROM host_days WHERE host_id = 'h1' ORDER BY 1"
        assert [r["local_day"] for r in await conn.fetch(h1_days)] == [DAYS[1], DAYS[2]]
        h3_days = "SELECT local_day, sessions FROM host_days WHERE host_id = 'h3' ORDER BY 1"
        assert [tuple(r) for r in await conn.fetch(h3_days)] == [(DAYS[0], 2)]
        await assert_reads_identical(repo, conn)

        # the commands and the events again (redelivered): nothing changes
        assert await apply_commands(conn, changes, 100) == [None, None]
        await apply_in_batches(conn, observations, 5)
        assert await assert_rollup_exact(conn) == after
    finally:
        await pool.close()


async def test_two_consumers_sharing_a_key_keep_both_contributions(db: asyncpg.Connection, fresh_db: str) -> None:
    """Two transactions attribute sessions of the same studio and day with nobody rostered (one unassigned
    `host_days` row, already there from an earlier session) at the same time: the second waits for the first's
    key and sums after it committed."""
    assert await apply_commands(db, roster()[:1], 0) == ["applied"]
    await apply_in_batches(db, session("acc-4", 400, "st1", at(D0, 0), 1, Decimal(500)), 10)
    one = session("acc-5", 500, "st1", at(D0, 1), 2, Decimal(1_000))
    two = session("acc-6", 600, "st1", at(D0, 3), 2, Decimal(3_000))
    other = await asyncpg.connect(fresh_db, server_settings={"search_path": "commission,public"})
    try:
        first = db.transaction()
        await first.start()
        await sessions.apply_observations(db, one)
        second = asyncio.ensure_future(apply_in_batches(other, two, len(two)))
        async with asyncio.timeout(10):  # until the second waits for the first (for the key's row)
            while not await db.fetchval("SELECT cardinality(pg_blocking_pids($1)) > 0", other.get_server_pid()):
                assert not second.done()
                await asyncio.sleep(0.02)
        await first.commit()
        await asyncio.wait_for(second, 10)
    finally:
        await other.close()
    rollup = await assert_rollup_exact(db)
    assert [(host, count) for _, host, _, count, *_ in rollup] == [("None", "3")]  # every session, unassigned
