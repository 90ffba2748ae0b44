"""Seeded read models for the gateway's tests: three studios with accounts, sessions, rollups, hosts and pay.

Everything is deterministic, and the rollups are computed from the seeded sessions, so tests can compute the
expected answers from `Seed` instead of hard-coding numbers.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from tests.fixtures.infra import _dsn_with_database

SCHEMA_SQL = Path(__file__).parent / "fixtures" / "read_models.sql"
PRODUCT_ROLLUPS_SQL = Path(__file__).parent / "fixtures" / "product_rollups.sql"
MONTHLY_ROLLUPS_SQL = Path(__file__).parent / "fixtures" / "monthly_rollups.sql"
JAKARTA = ZoneInfo("Asia/Jakarta")
KL = ZoneInfo("Asia/Kuala_Lumpur")
NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
SECRET_COOKIE = "SPC_EC=do-not-leak; SPC_ST=.never-shown"

_T = time
SHIFTS = (
    ("pagi", "studio-a", "Pagi", _T(8), _T(12)),
    ("malam", "studio-a", "Malam", _T(20), _T(2)),
    ("pagi-b", "studio-b", "Pagi B", _T(8), _T(12)),
)
_W = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Monday 08:00 in Jakarta
SCHEDULE_ENTRIES = (
    # entry_id, studio, host, account, shift_id, shift_date, starts_at, ends_at, local_day
    ("w1", "studio-a", "host-a1", "acc-a1", "pagi", date(2026, 11, 16), _W, _W + timedelta(hours=4), _W.date()),
    (
        "w2",
        "studio-a",
        "host-a2",
        "acc-a2",
        None,
        None,
        _W + timedelta(days=1, hours=11),
        _W + timedelta(days=1, hours=15),
        date(2026, 11, 17),
    ),
    (
        "w3",
        "studio-a",
        "host-a1",
        "acc-a2",
        None,
        None,
        _W + timedelta(days=7),
        _W + timedelta(days=7, hours=3),
        date(2026, 11, 23),
    ),
    ("w-pending", "studio-a", "host-a2", "acc-a1", "sore", date(2026, 11, 18), None, None, None),
    ("w-b1", "studio-b", "host-b1", "acc-b1", None, None, _W, _W + timedelta(hours=4), _W.date()),
)
"""Schedule entries; w1 and w2 fall in the week of 2026-11-16, w3 in the next, w-pending names an unknown shift."""
CHECKS = (
    ("ck-1", "host-a1", "acc-a1", "in", _W + timedelta(minutes=7)),
    ("ck-2", "host-a1", "acc-a1", "out", _W + timedelta(hours=4)),
    ("ck-3", "host-a2", "acc-a2", "in", _W + timedelta(days=1, hours=11, minutes=2)),
    ("ck-b1", "host-b1", "acc-b1", "in", _W),
)
ATTENDANCE = (
    # entry, studio, host, account, local day, start, end, status, late, left early, correction (status, reason)
    ("w1", "studio-a", "host-a1", "acc-a1", _W.date(), _W, _W + timedelta(hours=4), "late", 7, 0, None),
    (
        "w2",
        "studio-a",
        "host-a2",
        "acc-a2",
        date(2026, 11, 17),
        _W + timedelta(days=1, hours=11),
        _W + timedelta(days=1, hours=15),
        "absent",
        None,
        None,
        ("on_time", "checked in on paper"),
    ),
    ("w-b1", "studio-b", "host-b1", "acc-b1", _W.date(), _W, _W + timedelta(hours=4), "on_time", 0, 0, None),
)
"""Attendance records (issue #20): w1 computed late, w2 computed absent and corrected to on time."""
PAY_RULES = (
    # rule_id, effective_from, effective_to, studio, account, role, kind, percent, amount, day_type
    ("studio-gmv-2pct", date(2026, 10, 1), None, "studio-a", None, None, "gmv_percent", Decimal("1.5"), None, "all"),
    ("studio-gmv-2pct", date(2026, 11, 1), None, "studio-a", None, None, "gmv_percent", Decimal("2"), None, "all"),
    ("per-order", date(2026, 11, 1), None, "studio-a", "acc-a1", None, "per_order", None, Decimal("700"), "all"),
    ("global-hour", date(2026, 1, 1), None, None, None, "host", "per_hour", None, Decimal("20000"), "holiday"),
    ("rule-b", date(2026, 11, 1), None, "studio-b", None, None, "per_order", None, Decimal("500"), "all"),
)
AD_SPEND = (
    ("acc-a1", date(2026, 11, 16), "studio-a", Decimal("25000.00"), "IDR"),
    ("acc-a2", date(2026, 11, 16), "studio-a", Decimal("10000.00"), "IDR"),
    ("acc-a1", date(2026, 11, 17), "studio-a", Decimal("0.00"), "IDR"),
    ("acc-b1", date(2026, 11, 16), "studio-b", Decimal("9000.00"), "IDR"),
)

TARGETS = (
    # studio, month, scope, scope_id, amount (the month's progress comes from the seeded rollups and attributions)
    ("studio-a", date(2026, 11, 1), "studio", "studio-a", Decimal("90000000")),
    ("studio-a", date(2026, 11, 1), "account", "acc-a1", Decimal("5000000.50")),
    ("studio-a", date(2026, 11, 1), "host", "host-a1", Decimal("2000000")),
    ("studio-a", date(2026, 11, 1), "host", "host-a3", Decimal("1000000")),  # no attributed sales: unknown
    ("studio-a", date(2026, 12, 1), "studio", "studio-a", Decimal("95000000")),
    ("studio-b", date(2026, 11, 1), "studio", "studio-b", Decimal("50000000")),
)

STUDIOS = (
    ("studio-a", "Studio A", "Asia/Jakarta", "IDR", "monthly"),
    ("studio-b", "Studio B", "Asia/Jakarta", "IDR", "monthly"),
    ("studio-c", "Studio C", "Asia/Kuala_Lumpur", "MYR", "weekly"),
)
HOSTS = (
    ("host-a1", "studio-a", "Ayu", "host", True),
    ("host-a2", "studio-a", "Budi", "host", True),
    ("host-a3", "studio-a", "Citra", "leader", False),
    ("host-b1", "studio-b", "Dewi", "host", True),
    ("host-c1", "studio-c", "Eka", "host", True),
)


@dataclass
class Seed:
    sessions: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    attributions: list[dict[str, Any]] = field(default_factory=list)
    daily_account: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    daily_studio: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)

    def sessions_of(self, **match: Any) -> list[dict[str, Any]]:
        return [s for s in self.sessions if all(s[k] == v for k, v in match.items())]


# last_successful_poll_at is an age: install() subtracts it from the real clock (freshness uses the real clock)
ACCOUNTS: tuple[dict[str, Any], ...] = (
    {
        "account_id": "acc-a1",
        "studio_id": "studio-a",
        "display_name": "Toko A1",
        "state": "active",
        "last_successful_poll_at": timedelta(seconds=20),
        "last_error": None,
        "on_air_session_id": 1030,
    },
    {
        "account_id": "acc-a2",
        "studio_id": "studio-a",
        "display_name": "Toko A2",
        "state": "paused",
        "last_successful_poll_at": timedelta(hours=5),
        "last_error": None,
        "on_air_session_id": None,
    },
    {
        "account_id": "acc-a3",
        "studio_id": "studio-a",
        "display_name": "Toko A3 (removed)",
        "state": "removed",
        "last_successful_poll_at": None,
        "last_error": None,
        "on_air_session_id": None,
    },
    {
        "account_id": "acc-b1",
        "studio_id": "studio-b",
        "display_name": "Toko B1",
        "state": "credentials_expired",
        "last_successful_poll_at": timedelta(days=1),
        "last_error": "cookie expired: SPC_ST=leaky-value rejected",
        "on_air_session_id": None,
    },
    {
        "account_id": "acc-c1",
        "studio_id": "studio-c",
        "display_name": "Kedai C1",
        "state": "active",
        "last_successful_poll_at": timedelta(seconds=5),
        "last_error": None,
        "on_air_session_id": None,
    },
)


def _session(
    account_id: str, studio_id: str, session_id: int, started: datetime, tz: ZoneInfo, currency: str, i: int
) -> dict[str, Any]:
    on_air = session_id == 1030
    duration = None if on_air else 3_600_000 + 60_000 * (i % 7)
    unknown_sales = session_id in (1005, 2003)
    viewers = 100 + 10 * i
    confirmed_orders = 3 + i % 5
    return {
        "account_id": account_id,
        "session_id": session_id,
        "studio_id": studio_id,
        "title": f"Live {account_id} #{session_id}",
        "on_air": on_air,
        "started_at": started,
        "ended_at": None if on_air else started + timedelta(milliseconds=duration or 0),
        "duration_ms": duration,
        "local_day": started.astimezone(tz).date(),
        "timezone": str(tz),
        "currency": currency,
        "observed_at": started + timedelta(hours=1),
        "views": viewers * 2,
        "viewers": viewers,
        "peak_viewers": 20 + i,
        "current_viewers": 15 if on_air else None,
        "comments": 10 + i,
        "likes": 50 + i,
        "shares": i % 3,
        "add_to_cart": 12 + i,
        "product_clicks": 30 + i,
        "buyers": confirmed_orders,
        "placed_orders": confirmed_orders + 1,
        "placed_items_sold": confirmed_orders + 2,
        "confirmed_orders": confirmed_orders,
        "confirmed_items_sold": confirmed_orders + 1,
        "paid_orders": None,
        "placed_sales": None if unknown_sales else Decimal(150_000 + 1_000 * i),
        "confirmed_sales": None if unknown_sales else Decimal(120_000 + 1_000 * i) + Decimal("0.50"),
        "paid_sales": None,
        "conversion_rate": Decimal("0.0312"),
    }


def build() -> Seed:
    seed = Seed()
    plan = (
        ("acc-a1", "studio-a", 1001, 30, JAKARTA, "IDR"),
        ("acc-a2", "studio-a", 1501, 5, JAKARTA, "IDR"),
        ("acc-b1", "studio-b", 2001, 10, JAKARTA, "IDR"),
        ("acc-c1", "studio-c", 3001, 3, KL, "MYR"),
    )
    for account_id, studio_id, first_id, count, tz, currency in plan:
        for i in range(count):
            # two sessions per local day from 2026-11-01, at 09:00 and 19:00 local time
            local = datetime(2026, 11, 1, 9, tzinfo=tz) + timedelta(days=i // 2, hours=10 * (i % 2))
            seed.sessions.append(_session(account_id, studio_id, first_id + i, local.astimezone(UTC), tz, currency, i))
    # the on-air session is the newest of acc-a1
    for s in seed.sessions:
        sid = s["session_id"]
        if s["account_id"] == "acc-a1":
            host = None if sid == 1002 else ("host-a1" if sid % 2 else "host-a2")
        elif s["account_id"] == "acc-b1":
            host = "host-b1"
        elif s["account_id"] == "acc-c1":
            host = "host-c1"
        else:
            host = "host-a2"
        seed.attributions.append(
            {
                "studio_id": s["studio_id"],
                "host_id": host,
                "account_id": s["account_id"],
                "session_id": sid,
                "local_day": s["local_day"],
                "placed_orders": s["placed_orders"],
                "placed_sales": s["placed_sales"],
                "confirmed_orders": s["confirmed_orders"],
                "confirmed_sales": s["confirmed_sales"],
                "on_air_ms": s["duration_ms"] or 1_800_000,
            }
        )
    detail = next(s for s in seed.sessions if s["session_id"] == 1001)
    for m in range(5):
        seed.timeline.append(
            {
                "account_id": "acc-a1",
                "session_id": 1001,
                "minute": detail["started_at"] + timedelta(minutes=m),
                "viewers": 10 * (m + 1),
                "current_viewers": 5 + m,
                "placed_orders": m,
                "confirmed_orders": None if m == 4 else m,
                "placed_sales": Decimal(10_000 * m),
                "confirmed_sales": None if m == 4 else Decimal(9_000 * m) + Decimal("0.25"),
            }
        )
    for item_id, sales in ((501, Decimal("50000.00")), (502, None), (503, Decimal("70000.50"))):
        seed.items.append(
            {
                "account_id": "acc-a1",
                "session_id": 1001,
                "item_id": item_id,
                "title": f"Produk {item_id}",
                "min_price": Decimal("10000"),
                "max_price": Decimal("25000"),
                "product_clicks": 40,
                "add_to_cart": 8,
                "placed_orders": 3,
                "placed_items_sold": 4,
                "confirmed_orders": None if sales is None else 2,
                "confirmed_items_sold": None if sales is None else 3,
                "placed_sales": Decimal("60000"),
                "confirmed_sales": sales,
                "observed_at": detail["observed_at"],
            }
        )
    # the same products sold in another session of acc-a1 (top products sums across sessions)
    for item_id, sales in ((501, Decimal("1000.00")), (504, Decimal("999999.00"))):
        seed.items.append({**seed.items[0], "session_id": 1003, "item_id": item_id, "confirmed_sales": sales})
    _rollups(seed)
    return seed


ROLLUP_FIGURES = (
    "streaming_ms",
    "viewers",
    "peak_viewers",
    "placed_orders",
    "confirmed_orders",
    "placed_sales",
    "confirmed_sales",
    "ad_spend",
)


def _add(total: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        return
    total[key] = value if total.get(key) is None else total[key] + value


def _rollups(seed: Seed) -> None:
    for s in seed.sessions:
        for table, key in (
            (seed.daily_account, (s["account_id"], s["local_day"])),
            (
                seed.daily_studio,
                (s["studio_id"], s["local_day"]),
            ),
        ):
            row = table.setdefault(
                key,
                {"studio_id": s["studio_id"], "sessions": 0, **dict.fromkeys(ROLLUP_FIGURES)},
            )
            row["sessions"] += 1
            _add(row, "streaming_ms", s["duration_ms"])
            _add(row, "viewers", s["viewers"])
            row["peak_viewers"] = max(row["peak_viewers"] or 0, s["peak_viewers"])
            for k in ("placed_orders", "confirmed_orders", "placed_sales", "confirmed_sales"):
                _add(row, k, s[k])
    # ad spend was entered for acc-a1 on its first 4 days
    for (account_id, day), row in seed.daily_account.items():
        if account_id == "acc-a1" and day <= date(2026, 11, 4):
            row["ad_spend"] = Decimal("25000.00")
            studio = seed.daily_studio[("studio-a", day)]
            _add(studio, "ad_spend", Decimal("25000.00"))


STATEMENTS = (
    ("st-a1-nov", "studio-a", "host-a1", date(2026, 11, 1), date(2026, 11, 30), "calculated", Decimal("150000.00")),
    ("st-a1-oct", "studio-a", "host-a1", date(2026, 10, 1), date(2026, 10, 31), "approved", Decimal("98000.00")),
    ("st-a2-nov", "studio-a", "host-a2", date(2026, 11, 1), date(2026, 11, 30), "paid", Decimal("70000.00")),
    ("st-a2-oct", "studio-a", "host-a2", date(2026, 10, 1), date(2026, 10, 31), "void", Decimal("0.00")),
    ("st-b1-nov", "studio-b", "host-b1", date(2026, 11, 1), date(2026, 11, 30), "calculated", Decimal("50000.00")),
)
LINES = (
    (
        "l-001",
        "st-a1-nov",
        "earning",
        "studio-gmv-2pct",
        "acc-a1",
        1001,
        "2% of GMV",
        Decimal("1000000"),
        Decimal("20000.00"),
    ),
    ("l-002", "st-a1-nov", "earning", "per-order", "acc-a1", 1003, "per order", Decimal("10"), Decimal("7000.00")),
    ("l-003", "st-a1-nov", "adjustment", None, None, None, '=HYPERLINK("http://x")', None, Decimal("-500.00")),
    (
        "l-004",
        "st-b1-nov",
        "earning",
        "studio-gmv-2pct",
        "acc-b1",
        2001,
        "2% of GMV",
        Decimal("500000"),
        Decimal("10000.00"),
    ),
)


# commission's per-day host rollup, derived from the attributions as its migration backfills it
HOST_DAYS_FROM_ATTRIBUTIONS = """
INSERT INTO commission.host_days (studio_id, host_id, local_day, sessions, on_air_ms, placed_orders, placed_sales,
    confirmed_orders, confirmed_sales)
SELECT studio_id, host_id, local_day, count(*), sum(on_air_ms), sum(placed_orders), sum(placed_sales),
       sum(confirmed_orders), sum(confirmed_sales)
FROM commission.attributions
GROUP BY studio_id, host_id, local_day
"""


async def _copy(conn: asyncpg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    schema, name = table.split(".")
    columns = list(rows[0])
    await conn.copy_records_to_table(
        name, schema_name=schema, columns=columns, records=[tuple(r[c] for c in columns) for r in rows]
    )


async def install(dsn: str) -> Seed:
    """Create the read models in the database at `dsn` and fill them."""
    seed = build()
    polled_at = datetime.now(UTC)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(SCHEMA_SQL.read_text())
        await conn.executemany("INSERT INTO commission.studios VALUES ($1, $2, $3, $4, $5)", STUDIOS)
        await conn.executemany("INSERT INTO commission.hosts VALUES ($1, $2, $3, $4, $5)", HOSTS)
        await conn.execute("UPDATE commission.studios SET holidays = '{2026-12-25}' WHERE studio_id = 'studio-a'")
        await conn.executemany(
            """INSERT INTO commission.schedule_entries (entry_id, studio_id, host_id, account_id, shift_id, shift_date,
                   starts_at, ends_at, local_day) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            SCHEDULE_ENTRIES,
        )
        await conn.executemany(
            "INSERT INTO commission.shifts (shift_id, studio_id, name, start_local, end_local) "
            "VALUES ($1, $2, $3, $4, $5)",
            SHIFTS,
        )
        await conn.executemany("INSERT INTO commission.host_checks VALUES ($1, $2, $3, $4, $5)", CHECKS)
        await conn.executemany(
            """INSERT INTO commission.attendance (entry_id, studio_id, host_id, account_id, local_day, starts_at,
                   ends_at, status, late_minutes, left_early_minutes, on_air_known, grace_minutes, computed_at,
                   corrected_status, correction_reason, corrected_by, corrected_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, true, 5, $11, $12, $13, $14, $15)""",
            [
                (*a[:10], NOW, *(a[10] or (None, None)), "manager-1" if a[10] else None, NOW if a[10] else None)
                for a in ATTENDANCE
            ],
        )
        await conn.executemany(
            """INSERT INTO commission.pay_rules (rule_id, effective_from, effective_to, studio_id, account_id, role,
                   rule_kind, percent, amount, day_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
            PAY_RULES,
        )
        await conn.execute(
            """UPDATE commission.pay_rules SET tiers = '[{"up_to": "1000000", "percent": "2"}, {"up_to": null,
                   "percent": "3.5"}]' WHERE rule_id = 'studio-gmv-2pct' AND effective_from = '2026-11-01'"""
        )
        await conn.executemany(
            "INSERT INTO analytics.ad_spend VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [(*row, f"cmd-ad-{i}", NOW) for i, row in enumerate(AD_SPEND)],
        )
        await _copy(
            conn,
            "ingest.accounts",
            [
                {
                    **a,
                    "last_successful_poll_at": None if age is None else polled_at - age,
                    "region": "co.id",
                    "shopee_user_id": 9_000_000 + i,
                    "updated_at": NOW,
                }
                for i, a in enumerate(ACCOUNTS)
                for age in [a["last_successful_poll_at"]]
            ],
        )
        await conn.execute(
            "INSERT INTO ingest.credentials (account_id, encrypted_cookie) VALUES ('acc-a1', $1)", SECRET_COOKIE
        )
        await conn.executemany(  # acc-a1 half way through its backfill, acc-b1 done
            "INSERT INTO ingest.backfill_state (account_id, days, target_date, next_end_date, windows_done, "
            "windows_total, sessions_found, started_at, finished_at) VALUES ($1, 90, $2, $3, $4, 3, $5, $6, $7)",
            [
                ("acc-a1", date(2026, 9, 1), date(2026, 10, 30), 1, 41, NOW, None),
                ("acc-b1", date(2026, 9, 1), None, 3, 120, NOW, NOW),
            ],
        )
        await conn.executemany(
            "INSERT INTO ingest.qr_logins VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                ("qr-a", "acc-new-a", "studio-a", "waiting_scan", "iVBORw0KGgo=", None, NOW),
                ("qr-b", "acc-new-b", "studio-b", "failed", None, "QR expired", NOW),
            ],
        )
        await _copy(conn, "analytics.sessions", seed.sessions)
        await _copy(conn, "analytics.session_timeline", seed.timeline)
        await _copy(conn, "analytics.session_items", seed.items)
        await conn.execute(PRODUCT_ROLLUPS_SQL.read_text())
        await _copy(
            conn,
            "analytics.daily_account",
            [{"account_id": a, "day": d, **row} for (a, d), row in seed.daily_account.items()],
        )
        await conn.execute(MONTHLY_ROLLUPS_SQL.read_text())
        await _copy(
            conn,
            "analytics.daily_studio",
            [{"day": d, **row} for (_, d), row in seed.daily_studio.items()],
        )
        await _copy(conn, "commission.attributions", seed.attributions)
        await conn.execute(HOST_DAYS_FROM_ATTRIBUTIONS)
        await conn.executemany(
            """INSERT INTO commission.statements (statement_id, studio_id, host_id, period_start, period_end, status,
                   total, revision, approved_by, approved_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, 2, $8, $9)""",
            [
                (*st, "owner-1" if st[5] in ("approved", "paid") else None, NOW if st[5] != "calculated" else None)
                for st in STATEMENTS
            ],
        )
        await conn.executemany(
            "INSERT INTO commission.statement_lines VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", LINES
        )
        await conn.execute("UPDATE commission.statement_lines SET rule_version = '2026-11-01' WHERE line_id = 'l-001'")
        await conn.execute(
            "INSERT INTO ingest.command_results VALUES ('cmd-applied', 'account.pause', 'applied', NULL, $1)", NOW
        )
        await conn.execute(
            "INSERT INTO commission.command_results VALUES "
            "('cmd-rejected', 'statement.pay', 'rejected', 'statement is void', $1)",
            NOW,
        )
        await conn.executemany(
            "INSERT INTO commission.targets (studio_id, month, scope, scope_id, amount, set_at, set_by, command_id) "
            "VALUES ($1, $2, $3, $4, $5, $6, 'owner-1', $7)",
            [(*t, NOW, f"cmd-target-{i}") for i, t in enumerate(TARGETS)],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return seed


@contextlib.asynccontextmanager
async def seeded_database(pg_dsn: str, prefix: str) -> AsyncIterator[str]:
    """A new database on the server of `pg_dsn` holding the seeded read models (`install`), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    dsn = _dsn_with_database(pg_dsn, name)
    await install(dsn)
    try:
        yield dsn
    finally:
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
