"""Profit routes against real PostgreSQL: affiliate income (estimated/final, live/video, with the MCN's share),
ad spend, host pay and contribution, per range, day, account, host and session, as CSV, and scoped per studio."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.gateway.conftest import TokenFactory, bearer

Client = AsyncTestClient[Litestar]
D = Decimal
RANGE = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
PARTS = (
    # checkout, account, studio, host, session, day, source, status, estimated, with_mcn, final, final_with_mcn
    (
        "ck1",
        "acc-a1",
        "studio-a",
        "host-a1",
        1001,
        date(2026, 11, 1),
        "live",
        "completed",
        "100.5",
        "111.67",
        "100.5",
        "111.67",
    ),
    ("ck2", "acc-a1", "studio-a", "host-a1", 1001, date(2026, 11, 1), "live", "pending", "25.12345", "30", None, None),
    ("ck2", "acc-a1", "studio-a", "host-a2", 1001, date(2026, 11, 1), "live", "pending", "75.00001", "90", None, None),
    ("ck3", "acc-a1", "studio-a", None, None, date(2026, 11, 2), "video", "cancelled", "0", "0", "0", "0"),
    ("ck4", "acc-a2", "studio-a", None, None, date(2026, 11, 3), "other", "pending", "10", "10", None, None),
    ("ckb", "acc-b1", "studio-b", "host-b1", 2001, date(2026, 11, 1), "live", "pending", "999", "999", None, None),
)


@pytest.fixture(scope="module")
async def parts(seeded_db: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(seeded_db)
    await conn.executemany(
        """INSERT INTO commission.affiliate_parts (checkout_id, account_id, studio_id, host_id, session_id, local_day,
               source, status, currency, estimated, estimated_with_mcn, final, final_with_mcn, window_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'IDR', $9::numeric, $10::numeric, $11::numeric, $12::numeric,
                   coalesce($4, ''))""",
        PARTS,
    )
    try:
        yield conn
    finally:
        await conn.execute("DELETE FROM commission.affiliate_parts")
        await conn.close()


async def _get(client: Client, path: str, token: str, **params: Any) -> Any:
    response = await client.get(path, headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _host_pay(conn: asyncpg.Connection, studio: str, host: str | None = None) -> Decimal:
    """Host pay of November, independently: non-void lines dated by their session's day, else the period's start."""
    rows = await conn.fetch(
        """SELECT l.amount, s.status, s.host_id, s.period_start,
                  (SELECT min(a.local_day) FROM commission.attributions a
                    WHERE a.account_id = l.account_id AND a.session_id = l.session_id) AS day
           FROM commission.statement_lines l JOIN commission.statements s USING (statement_id)
           WHERE s.studio_id = $1""",
        studio,
    )
    total = D(0)
    for r in rows:
        day = r["day"] or r["period_start"]
        if r["status"] != "void" and date(2026, 11, 1) <= day <= date(2026, 11, 30) and host in (None, r["host_id"]):
            total += r["amount"]
    return total


async def test_summary_daily_accounts_hosts_sessions_and_csv(
    client: Client, token: TokenFactory, parts: asyncpg.Connection
) -> None:
    owner = token("owner")
    summary = (await _get(client, "/api/v1/profit/summary", owner, studio_id="studio-a", **RANGE))["profit"]
    income = summary["income"]
    assert income["estimated"] == "210.62346"
    assert D(income["estimated_with_mcn"]) == D("241.67")
    assert D(income["final"]) == D("100.5") and D(income["final_with_mcn"]) == D("111.67")
    assert D(income["live_estimated"]) == D("200.62346") and D(income["other_estimated"]) == D(10)
    assert D(income["video_estimated"]) == 0 and D(income["video_final"]) == 0
    assert (income["checkouts"], income["pending"], income["completed"], income["cancelled"]) == (4, 2, 1, 1)
    ad = await parts.fetchval(
        "SELECT sum(ad_spend) FROM analytics.daily_account WHERE studio_id = 'studio-a' AND day BETWEEN $1 AND $2",
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    pay = await _host_pay(parts, "studio-a")
    assert pay > 0
    assert (None if summary["ad_spend"] is None else D(summary["ad_spend"])) == ad
    assert D(summary["host_pay"]) == pay
    assert D(summary["contribution_estimated"]) == D("210.62346") - (ad or 0) - pay
    assert D(summary["contribution_final"]) == D("100.5") - (ad or 0) - pay

    daily = await _get(client, "/api/v1/profit/daily", owner, studio_id="studio-a", **RANGE)
    by_day = {d["day"]: d["profit"] for d in daily["days"]}
    assert D(by_day["2026-11-01"]["income"]["estimated"]) == D("200.62346")
    assert D(by_day["2026-11-03"]["income"]["other_estimated"]) == D(10)
    assert sum(D(d["profit"]["host_pay"]) for d in daily["days"]) == pay

    accounts = (await _get(client, "/api/v1/profit/accounts", owner, studio_id="studio-a", **RANGE))["items"]
    by_account = {a["account_id"]: a for a in accounts}
    assert D(by_account["acc-a1"]["profit"]["income"]["estimated"]) == D("200.62346")
    assert by_account["acc-a1"]["display_name"] and by_account["acc-a1"]["studio_id"] == "studio-a"
    assert D(by_account["acc-a2"]["profit"]["income"]["estimated"]) == D(10)
    assert sum(D(a["profit"]["contribution_estimated"]) for a in accounts) == D(summary["contribution_estimated"])

    hosts = (await _get(client, "/api/v1/profit/hosts", owner, studio_id="studio-a", **RANGE))["items"]
    by_host = {h["host_id"]: h["profit"] for h in hosts}
    assert D(by_host["host-a1"]["income"]["estimated"]) == D("125.62345")
    assert D(by_host["host-a2"]["income"]["estimated"]) == D("75.00001")
    assert D(by_host[None]["income"]["estimated"]) == D(10)  # unassigned: video/other and nobody on air
    assert by_host["host-a1"]["ad_spend"] is None
    assert D(by_host["host-a1"]["host_pay"]) == await _host_pay(parts, "studio-a", "host-a1")
    assert sum(D(h["income"]["estimated"]) for h in by_host.values()) == D(income["estimated"])  # conserved
    one = (await _get(client, "/api/v1/profit/hosts", owner, studio_id="studio-a", host_id="host-a2", **RANGE))["items"]
    assert [h["host_id"] for h in one] == ["host-a2"]

    sessions = (await _get(client, "/api/v1/profit/sessions", owner, studio_id="studio-a", **RANGE))["items"]
    by_session = {(s["account_id"], s["session_id"]): s for s in sessions}
    s1001 = by_session[("acc-a1", 1001)]
    assert D(s1001["profit"]["income"]["estimated"]) == D("200.62346") and s1001["profit"]["income"]["checkouts"] == 2
    assert s1001["local_day"] == "2026-11-01"

    response = await client.get(
        "/api/v1/profit/export.csv", headers=bearer(owner), params={"by": "host", "studio_id": "studio-a", **RANGE}
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["key"] for r in rows} >= {"host-a1", "host-a2", ""}
    assert next(r for r in rows if r["key"] == "host-a1")["estimated"] == "125.62345"


async def test_profit_is_scoped_per_studio(client: Client, token: TokenFactory, parts: asyncpg.Connection) -> None:
    manager_b = token("manager", studios=["studio-b"])
    mine = await _get(client, "/api/v1/profit/summary", manager_b, **RANGE)
    assert mine["profit"]["income"]["estimated"] == "999"
    hosts = (await _get(client, "/api/v1/profit/hosts", manager_b, **RANGE))["items"]
    assert [h["host_id"] for h in hosts] == ["host-b1"]
    other = await client.get(
        "/api/v1/profit/summary", headers=bearer(manager_b), params={"studio_id": "studio-a", **RANGE}
    )
    assert other.status_code == 403
    foreign = await client.get(
        "/api/v1/profit/summary", headers=bearer(manager_b), params={"account_id": "acc-a1", **RANGE}
    )
    assert foreign.status_code == 404
    host = token("host", studios=["studio-a"], host_id="host-a1")
    assert (await client.get("/api/v1/profit/hosts", headers=bearer(host), params=RANGE)).status_code == 403
    assert (await client.get("/api/v1/profit/summary", params=RANGE)).status_code == 401
