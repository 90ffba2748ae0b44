"""Hourly rollups (hourly_account, hourly_studio): what each studio-local hour added, kept by the refresher."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from livestudio_analytics.main import MIGRATIONS
from livestudio_runtime.db import DbConnection, create_pool
from livestudio_runtime.migrations import migrate
from tests.analytics import kit
from tests.analytics.db import apply_in_transaction, refresh
from tests.analytics.strategies import Message, decode_message

# 16:00 UTC = 23:00 in Jakarta (UTC+7): the stream crosses the studio's midnight.
STARTED = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


def snap(account: str, session_id: int, minutes: int, metrics: dict[str, Any]) -> Message:
    raw = kit.session_event(
        "snapshot",
        account_id=account,
        studio_id="st-1",
        session_id=session_id,
        started_at=STARTED,
        observed_at=STARTED + timedelta(minutes=minutes),
        metrics=metrics,
        on_air=True,
    )
    return Message("session", raw)


def stream() -> list[Message]:
    return [
        snap("acc-1", 1, 10, {"placed_sales": "100.50", "placed_orders": 2, "current_viewers": 40, "viewers": 50}),
        snap("acc-1", 1, 50, {"placed_sales": "300.50", "placed_orders": 5, "current_viewers": 90, "viewers": 80}),
        snap("acc-1", 1, 70, {"placed_sales": "450.00", "placed_orders": 7, "current_viewers": 60, "viewers": 95}),
        snap("acc-1", 1, 130, {"placed_sales": "450.00", "current_viewers": 10}),  # orders not reported
        snap("acc-2", 2, 65, {"placed_sales": "20", "placed_orders": 1}),
    ]


async def hours(conn: DbConnection, table: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    key = "account_id" if table == "hourly_account" else "studio_id"
    rows = await conn.fetch(
        f"SELECT {key}, local_date, hour, sessions, viewers, peak_viewers, placed_orders, confirmed_orders, "
        f"placed_sales FROM analytics.{table}"
    )
    return {(r[0], r[1], r[2]): tuple(r)[3:] for r in rows}


async def test_hours_are_increments_per_local_hour_whatever_the_order(fresh_db: str) -> None:
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema="analytics", application_name="hours", min_size=1)
    try:
        messages = stream()
        # one message per batch, in a shuffled order: late points in an earlier hour must still be right
        order = list(range(len(messages)))
        random.Random(7).shuffle(order)
        for i in order:
            await apply_in_transaction(pool, [decode_message(messages[i])])
            await refresh(pool)
        async with pool.acquire() as conn:
            shuffled = await hours(conn, "hourly_account")
            studio = await hours(conn, "hourly_studio")
            await conn.execute("TRUNCATE analytics.hourly_account, analytics.hourly_studio")
        await apply_in_transaction(pool, [decode_message(m) for m in messages])
        await refresh(pool)
        async with pool.acquire() as conn:
            together = await hours(conn, "hourly_account")
    finally:
        await pool.close()

    d1, d2 = date(2026, 11, 2), date(2026, 11, 3)
    # (sessions, viewers, peak_viewers, placed_orders, confirmed_orders, placed_sales)
    expected = {
        ("acc-1", d1, 23): (1, 80, 90, 5, None, Decimal("300.50")),
        ("acc-1", d2, 0): (1, 15, 60, 2, None, Decimal("149.50")),
        ("acc-1", d2, 1): (1, None, 10, None, None, Decimal("0.00")),
        ("acc-2", d2, 0): (1, None, None, 1, None, Decimal("20")),
    }
    assert shuffled == expected
    assert together == expected
    assert studio == {
        ("st-1", d1, 23): (1, 80, 90, 5, None, Decimal("300.50")),
        ("st-1", d2, 0): (2, 15, 60, 3, None, Decimal("169.50")),
        ("st-1", d2, 1): (1, None, 10, None, None, Decimal("0.00")),
    }


async def test_migration_backfills_hours_from_the_stored_timeline(fresh_db: str) -> None:
    """Rows stored before the migration get their hours from the backfill, equal to what the consumer writes."""
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema="analytics", application_name="hours", min_size=1)
    try:
        await apply_in_transaction(pool, [decode_message(m) for m in stream()])
        await refresh(pool)
        async with pool.acquire() as conn:
            maintained = await hours(conn, "hourly_account")
            maintained_studio = await hours(conn, "hourly_studio")
            up = (MIGRATIONS / "20261207170000_hourly_rollups.sql").read_text().split("-- migrate:down")[0]
            async with conn.transaction():
                await conn.execute("DROP TABLE analytics.hourly_account, analytics.hourly_studio")
                await conn.execute(up)
            assert await hours(conn, "hourly_account") == maintained
            assert await hours(conn, "hourly_studio") == maintained_studio
    finally:
        await pool.close()


async def test_a_session_first_seen_after_it_ended_counts_in_the_hour_it_ended(fresh_db: str) -> None:
    """When an account connects, the session list shows the ended sessions of the last days: read off air days
    later, their totals count in the local hour the stream ended (start + Shopee's duration), not the hour they
    were read; a settling re-read later still adds to that same hour."""
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema="analytics", application_name="hours-late", min_size=1)

    def read_later(days: int, orders: int, sales: str) -> Message:
        raw = kit.session_event(
            "snapshot", account_id="acc-9", studio_id="st-1", session_id=9, started_at=STARTED,
            observed_at=STARTED + timedelta(days=days, hours=5), duration_ms=100 * 60_000,  # ends 00:40 local
            metrics={"placed_orders": orders, "placed_sales": sales, "viewers": 300}, on_air=False,
        )  # fmt: skip
        return Message("session", raw)

    try:
        await apply_in_transaction(pool, [decode_message(read_later(2, 8, "800"))])
        await refresh(pool)
        async with pool.acquire() as conn:
            first = await hours(conn, "hourly_account")
        await apply_in_transaction(pool, [decode_message(read_later(3, 9, "950"))])  # settled a day later
        await refresh(pool)
        async with pool.acquire() as conn:
            settled = await hours(conn, "hourly_account")
    finally:
        await pool.close()
    end_hour = ("acc-9", date(2026, 11, 3), 0)  # 16:00 UTC + 100 min = 17:40 UTC = 00:40 in Jakarta
    assert first == {end_hour: (1, 300, None, 8, None, Decimal("800"))}
    assert settled == {end_hour: (1, 300, None, 9, None, Decimal("950"))}
