"""Every read route against real PostgreSQL with seeded read models: answers, filters, sorting and pagination."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_gateway.analytics import divide, per_hour
from tests.gateway.conftest import TokenFactory, bearer
from tests.gateway.kit import SECRET_COOKIE, Seed

Client = AsyncTestClient[Litestar]


async def _get(client: Client, path: str, token: str, **params: Any) -> Any:
    response = await client.get(path, headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _all_pages(client: Client, path: str, token: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = await _get(client, path, token, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


# --- identity, studios, accounts, hosts ------------------------------------------------------------------------
async def test_me_reports_role_and_scope(client: Client, token: TokenFactory) -> None:
    me = await _get(client, "/api/v1/me", token("manager", studios=["studio-a"], sub="m1"))
    assert me == {"sub": "m1", "role": "manager", "studios": ["studio-a"], "host_id": None}
    assert (await _get(client, "/api/v1/me", token("owner")))["studios"] is None


async def test_studios_are_scoped(client: Client, token: TokenFactory) -> None:
    owner = await _get(client, "/api/v1/studios", token("owner"))
    assert [s["studio_id"] for s in owner["items"]] == ["studio-a", "studio-b", "studio-c"]
    manager = await _get(client, "/api/v1/studios", token("manager", studios=["studio-a"]))
    assert manager["items"] == [
        {
            "studio_id": "studio-a",
            "name": "Studio A",
            "timezone": "Asia/Jakarta",
            "currency": "IDR",
            "pay_period": "monthly",
            "holidays": ["2026-12-25"],
            "attendance_grace_minutes": 5,
            "attribution_policy": "schedule",
        }
    ]
    everything = await _get(client, "/api/v1/studios", token("service", studios=["*"]))
    assert len(everything["items"]) == 3
    assert (await _get(client, "/api/v1/studios/studio-c", token("owner")))["currency"] == "MYR"


async def test_accounts_list_states_freshness_and_secrets(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a", "studio-b"])
    response = await client.get("/api/v1/accounts", headers=bearer(manager))
    assert response.status_code == 200
    assert SECRET_COOKIE not in response.text and "do-not-leak" not in response.text
    items = {a["account_id"]: a for a in response.json()["items"]}
    assert list(items) == ["acc-a1", "acc-a2", "acc-b1"]  # removed accounts are hidden by default
    assert items["acc-a1"]["freshness"] == "fresh"
    assert 0 <= items["acc-a1"]["seconds_since_last_poll"] < 600
    assert items["acc-a1"]["on_air_session_id"] == 1030
    assert items["acc-a2"]["freshness"] == "stale"  # paused: polled five hours ago
    assert items["acc-b1"]["state"] == "credentials_expired"
    assert items["acc-b1"]["last_error"] == "cookie expired: SPC_ST=[REDACTED] rejected"
    assert "encrypted_cookie" not in items["acc-a1"] and "cookie" not in items["acc-a1"]
    running = items["acc-a1"]["backfill"]
    assert running["state"] == "running" and running["days"] == 90 and running["target_date"] == "2026-09-01"
    assert (running["windows_done"], running["windows_total"], running["sessions_found"]) == (1, 3, 41)
    assert abs(running["progress"] - 1 / 3) < 1e-9 and running["finished_at"] is None
    assert items["acc-b1"]["backfill"]["state"] == "done" and items["acc-b1"]["backfill"]["progress"] == 1.0
    assert items["acc-a2"]["backfill"] is None  # never backfilled

    removed = await _get(client, "/api/v1/accounts", manager, include_removed="true")
    assert [a["account_id"] for a in removed["items"]] == ["acc-a1", "acc-a2", "acc-a3", "acc-b1"]
    assert removed["items"][2]["freshness"] == "unknown"
    paused = await _get(client, "/api/v1/accounts", manager, state="paused")
    assert [a["account_id"] for a in paused["items"]] == ["acc-a2"]
    only_b = await _get(client, "/api/v1/accounts", manager, studio_id="studio-b")
    assert [a["account_id"] for a in only_b["items"]] == ["acc-b1"]

    paged = await _all_pages(client, "/api/v1/accounts", manager, limit=1, include_removed="true")
    assert [a["account_id"] for a in paged] == ["acc-a1", "acc-a2", "acc-a3", "acc-b1"]
    one = await _get(client, "/api/v1/accounts/acc-b1", manager)
    assert one["display_name"] == "Toko B1"


async def test_hosts_list_detail_and_active_filter(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    hosts = await _get(client, "/api/v1/hosts", manager)
    assert [h["host_id"] for h in hosts["items"]] == ["host-a1", "host-a2", "host-a3"]
    active = await _get(client, "/api/v1/hosts", manager, active="true")
    assert [h["host_id"] for h in active["items"]] == ["host-a1", "host-a2"]
    assert (await _get(client, "/api/v1/hosts/host-a3", manager))["active"] is False
    host = token("host", studios=["studio-a"], host_id="host-a2")
    assert [h["host_id"] for h in (await _get(client, "/api/v1/hosts", host))["items"]] == ["host-a2"]


# --- sessions ---------------------------------------------------------------------------------------------------
def _newest_first(sessions: list[dict[str, Any]]) -> list[tuple[str, int]]:
    ordered = sorted(sessions, key=lambda s: (s["started_at"], s["account_id"], s["session_id"]), reverse=True)
    return [(s["account_id"], s["session_id"]) for s in ordered]


async def test_session_list_pages_newest_first(client: Client, token: TokenFactory, seed: Seed) -> None:
    manager = token("manager", studios=["studio-a"])
    first = await _get(client, "/api/v1/sessions", manager, limit=10)
    assert len(first["items"]) == 10 and first["next_cursor"]
    items = await _all_pages(client, "/api/v1/sessions", manager, limit=10)
    expected = _newest_first(seed.sessions_of(studio_id="studio-a"))
    assert [(s["account_id"], s["session_id"]) for s in items] == expected
    assert len(expected) == 35
    exact = await _get(client, "/api/v1/sessions", manager, limit=35)
    assert exact["next_cursor"] is None  # a full last page has no next page
    row = next(s for s in items if s["session_id"] == 1001)
    src = seed.sessions_of(session_id=1001)[0]
    assert row["confirmed_sales"] == _money(src["confirmed_sales"]) and row["local_day"] == "2026-11-01"


async def test_session_filters(client: Client, token: TokenFactory, seed: Seed) -> None:
    manager = token("manager", studios=["studio-a", "studio-b"])

    async def ids(**params: Any) -> list[int]:
        return sorted(s["session_id"] for s in await _all_pages(client, "/api/v1/sessions", manager, **params))

    assert await ids(account_id="acc-a2") == [s["session_id"] for s in seed.sessions_of(account_id="acc-a2")]
    assert await ids(on_air="true") == [1030]
    assert 1030 not in await ids(on_air="false")
    assert await ids(studio_id="studio-b") == sorted(s["session_id"] for s in seed.sessions_of(studio_id="studio-b"))
    in_range = sorted(
        s["session_id"]
        for s in seed.sessions
        if s["studio_id"] in ("studio-a", "studio-b") and date(2026, 11, 3) <= s["local_day"] <= date(2026, 11, 4)
    )
    assert await ids(date_from="2026-11-03", date_to="2026-11-04") == in_range
    host_a1 = sorted(a["session_id"] for a in seed.attributions if a["host_id"] == "host-a1")
    assert await ids(host_id="host-a1") == host_a1
    assert await ids(account_id="acc-a1", date_from="2026-11-15") == [1029, 1030]


async def test_session_sort_by_sales_puts_unknown_last_across_pages(
    client: Client, token: TokenFactory, seed: Seed
) -> None:
    manager = token("manager", studios=["studio-a"])
    for sort in ("-confirmed_sales", "confirmed_sales"):
        items = await _all_pages(client, "/api/v1/sessions", manager, sort=sort, limit=4)
        known = [s for s in seed.sessions_of(studio_id="studio-a") if s["confirmed_sales"] is not None]
        known.sort(key=lambda s: (s["confirmed_sales"], s["account_id"], s["session_id"]), reverse=sort.startswith("-"))
        unknown = sorted(
            (s for s in seed.sessions_of(studio_id="studio-a") if s["confirmed_sales"] is None),
            key=lambda s: (s["account_id"], s["session_id"]),
            reverse=sort.startswith("-"),
        )
        assert [s["session_id"] for s in items] == [s["session_id"] for s in known + unknown]
    ascending = await _all_pages(client, "/api/v1/sessions", manager, sort="viewers", limit=7)
    viewers = [s["viewers"] for s in ascending]
    assert viewers == sorted(viewers) and len(ascending) == 35


async def test_session_list_rejects_bad_input_as_problems(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    page = await _get(client, "/api/v1/sessions", manager, limit=2)
    cases: list[dict[str, Any]] = [
        {"limit": 0},
        {"limit": 201},
        {"cursor": "not-a-cursor"},
        {"cursor": page["next_cursor"], "sort": "viewers"},
        {"date_from": "2026-11-05", "date_to": "2026-11-01"},
        {"date_from": "1999-12-31"},
        {"sort": "title"},
        {"on_air": "maybe"},
        {"studio_id": "bad id!"},
    ]
    for params in cases:
        response = await client.get("/api/v1/sessions", headers=bearer(manager), params=params)
        assert response.status_code == 400, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["status"] == 400 and problem["type"].startswith("https://livestudio.dev/problems/")
        assert problem["title"] == "Bad Request" and problem["detail"]


async def test_session_detail(client: Client, token: TokenFactory, seed: Seed) -> None:
    detail = await _get(client, "/api/v1/sessions/acc-a1/1001", token("manager", studios=["studio-a"]))
    src = seed.sessions_of(session_id=1001)[0]
    assert detail["metrics"]["viewers"] == src["viewers"]
    assert detail["metrics"]["paid_sales"] is None  # unknown stays null
    assert detail["metrics"]["confirmed_sales"] == _money(src["confirmed_sales"])
    assert detail["derived"]["conversion"] == _money(divide(src["confirmed_orders"], src["viewers"]))
    assert detail["derived"]["gmv_per_streaming_hour"] == _money(per_hour(src["confirmed_sales"], src["duration_ms"]))
    assert [p["minute"] for p in detail["timeline"]] == sorted(p["minute"] for p in detail["timeline"])
    assert len(detail["timeline"]) == 5 and detail["timeline"][4]["confirmed_sales"] is None
    assert detail["timeline"][1]["confirmed_sales"] == "9000.25"
    assert [p["item_id"] for p in detail["products"]] == [503, 501, 502]
    assert detail["products"][0]["confirmed_sales"] == "70000.50"
    assert [h["host_id"] for h in detail["hosts"]] == ["host-a1"]
    assert detail["hosts"][0]["name"] == "Ayu"
    on_air = await _get(client, "/api/v1/sessions/acc-a1/1030", token("owner"))
    assert on_air["on_air"] is True and on_air["ended_at"] is None and on_air["metrics"]["current_viewers"] == 15
    assert on_air["derived"]["gmv_per_streaming_hour"] is None  # no duration yet


async def test_host_sees_only_own_sessions(client: Client, token: TokenFactory, seed: Seed) -> None:
    host = token("host", studios=["studio-a"], host_id="host-a2")
    items = await _all_pages(client, "/api/v1/sessions", host, limit=50)
    expected = sorted(a["session_id"] for a in seed.attributions if a["host_id"] == "host-a2")
    assert sorted(s["session_id"] for s in items) == expected
    assert (await client.get("/api/v1/sessions/acc-a1/1001", headers=bearer(host))).status_code == 404
    own = await _get(client, "/api/v1/sessions/acc-a1/1004", host)
    assert [h["host_id"] for h in own["hosts"]] == ["host-a2"]
    response = await client.get("/api/v1/sessions", headers=bearer(host), params={"host_id": "host-a1"})
    assert response.status_code == 403


# --- analytics --------------------------------------------------------------------------------------------------
async def test_daily_series_for_account_and_studio(client: Client, token: TokenFactory, seed: Seed) -> None:
    manager = token("manager", studios=["studio-a"])
    series = await _get(
        client, "/api/v1/analytics/daily", manager, account_id="acc-a1", date_from="2026-11-01", date_to="2026-11-06"
    )
    assert [d["day"] for d in series["days"]] == [f"2026-11-0{i}" for i in range(1, 7)]
    first = series["days"][0]["figures"]
    src = seed.daily_account[("acc-a1", date(2026, 11, 1))]
    assert first["sessions"] == src["sessions"] == 2
    assert first["confirmed_sales"] == _money(src["confirmed_sales"])
    assert first["ad_spend"] == "25000.00"
    assert first["roas"] == _money(divide(src["confirmed_sales"], src["ad_spend"]))
    assert first["acos"] == _money(divide(src["ad_spend"], src["confirmed_sales"]))
    assert first["gmv_per_streaming_hour"] == _money(per_hour(src["confirmed_sales"], src["streaming_ms"]))
    assert series["days"][5]["figures"]["ad_spend"] is None and series["days"][5]["figures"]["roas"] is None

    studio = await _get(
        client, "/api/v1/analytics/daily", manager, studio_id="studio-a", date_from="2026-11-01", date_to="2026-11-03"
    )
    src_studio = seed.daily_studio[("studio-a", date(2026, 11, 2))]
    assert studio["days"][1]["figures"]["sessions"] == src_studio["sessions"] == 4
    assert studio["days"][1]["figures"]["viewers"] == src_studio["viewers"]
    # without a studio filter the manager's single studio is used
    implicit = await _get(client, "/api/v1/analytics/daily", manager, date_from="2026-11-01", date_to="2026-11-03")
    assert implicit["days"] == studio["days"]


async def test_sums_across_currencies_are_refused(client: Client, token: TokenFactory) -> None:
    response = await client.get(
        "/api/v1/analytics/summary",
        headers=bearer(token("owner")),
        params={"date_from": "2026-11-01", "date_to": "2026-11-07"},
    )
    assert response.status_code == 400 and "currencies" in response.json()["detail"]
    ok = await client.get(
        "/api/v1/analytics/summary",
        headers=bearer(token("manager", studios=["studio-a", "studio-b"])),
        params={"date_from": "2026-11-01", "date_to": "2026-11-07"},
    )
    assert ok.status_code == 200  # both studios are IDR


async def test_summary_compares_with_previous_range(client: Client, token: TokenFactory, seed: Seed) -> None:
    manager = token("manager", studios=["studio-a"])
    result = await _get(
        client, "/api/v1/analytics/summary", manager, account_id="acc-a1", date_from="2026-11-04", date_to="2026-11-06"
    )
    assert result["previous"]["date_from"] == "2026-11-01" and result["previous"]["date_to"] == "2026-11-03"

    def total(first: int, last: int, key: str) -> Any:
        values = [seed.daily_account[("acc-a1", date(2026, 11, d))][key] for d in range(first, last + 1)]
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    cur_sales, prev_sales = total(4, 6, "confirmed_sales"), total(1, 3, "confirmed_sales")
    assert result["current"]["figures"]["confirmed_sales"] == _money(cur_sales)
    assert result["previous"]["figures"]["confirmed_sales"] == _money(prev_sales)
    assert result["changes"]["confirmed_sales"] == {
        "diff": _money(cur_sales - prev_sales),
        "ratio": _money(divide(cur_sales, prev_sales)),
    }
    assert result["changes"]["sessions"]["diff"] == "0"
    assert result["current"]["figures"]["ad_spend"] == "25000.00"  # only the 4th has ad spend
    empty = await _get(
        client, "/api/v1/analytics/summary", manager, account_id="acc-a1", date_from="2026-12-01", date_to="2026-12-31"
    )
    assert empty["current"]["figures"]["confirmed_sales"] is None  # no data is not zero
    assert empty["changes"]["confirmed_sales"] == {"diff": None, "ratio": None}


async def test_top_products_and_account_breakdown(client: Client, token: TokenFactory, seed: Seed) -> None:
    manager = token("manager", studios=["studio-a"])
    top = await _get(
        client, "/api/v1/analytics/top-products", manager, date_from="2026-11-01", date_to="2026-11-30", limit=10
    )
    assert [(p["rank"], p["item_id"]) for p in top["items"]] == [(1, 504), (2, 503), (3, 501), (4, 502)]
    assert top["items"][2]["confirmed_sales"] == "51000.00" and top["items"][2]["sessions"] == 2
    assert top["items"][3]["confirmed_sales"] is None
    by_clicks = await _get(
        client,
        "/api/v1/analytics/top-products",
        manager,
        date_from="2026-11-01",
        date_to="2026-11-30",
        by="product_clicks",
        limit=1,
    )
    assert by_clicks["items"][0]["item_id"] == 501

    breakdown = await _get(client, "/api/v1/analytics/accounts", manager, date_from="2026-11-01", date_to="2026-11-30")
    assert [a["account_id"] for a in breakdown["items"]] == ["acc-a1", "acc-a2"]
    a1 = breakdown["items"][0]
    assert a1["display_name"] == "Toko A1" and a1["figures"]["ad_spend"] == "100000.00"
    assert a1["figures"]["roas"] == _money(divide(Decimal(a1["figures"]["confirmed_sales"]), Decimal("100000.00")))


# --- hosts ------------------------------------------------------------------------------------------------------
async def test_host_performance_leaderboard_and_detail(client: Client, token: TokenFactory, seed: Seed) -> None:
    manager = token("manager", studios=["studio-a"])
    params = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    perf = await _get(client, "/api/v1/hosts/performance", manager, **params)
    by_host = {p["host_id"]: p for p in perf["items"]}
    assert set(by_host) == {"host-a1", "host-a2", None}  # None = unassigned
    mine = [a for a in seed.attributions if a["host_id"] == "host-a1"]
    assert by_host["host-a1"]["figures"]["sessions"] == len(mine)
    assert by_host["host-a1"]["figures"]["on_air_ms"] == sum(a["on_air_ms"] for a in mine)
    sales = sum(a["confirmed_sales"] for a in mine if a["confirmed_sales"] is not None)
    assert by_host["host-a1"]["figures"]["confirmed_sales"] == _money(sales)
    assert by_host["host-a1"]["figures"]["gmv_per_on_air_hour"] == _money(
        per_hour(sales, sum(a["on_air_ms"] for a in mine))
    )

    board = await _get(client, "/api/v1/hosts/leaderboard", manager, **params)
    assert [e["rank"] for e in board["items"]] == [1, 2]
    assert {e["host_id"] for e in board["items"]} == {"host-a1", "host-a2"}
    totals = [Decimal(e["figures"]["confirmed_sales"]) for e in board["items"]]
    assert totals == sorted(totals, reverse=True)
    by_orders = await _get(client, "/api/v1/hosts/leaderboard", manager, by="gmv_per_hour", limit=1, **params)
    assert len(by_orders["items"]) == 1

    detail = await _get(client, "/api/v1/hosts/host-a1/performance", manager, **params)
    assert detail["figures"] == by_host["host-a1"]["figures"] and detail["name"] == "Ayu"
    assert sum(d["figures"]["sessions"] for d in detail["days"]) == len(mine)
    host = token("host", studios=["studio-a"], host_id="host-a1")
    own = await _get(client, "/api/v1/hosts/performance", host, **params)
    assert [p["host_id"] for p in own["items"]] == ["host-a1"]
    assert (await client.get("/api/v1/hosts/leaderboard", headers=bearer(host), params=params)).status_code == 403


# --- commission -------------------------------------------------------------------------------------------------
async def test_statements_list_filters_and_pages(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    items = await _all_pages(client, "/api/v1/commission/statements", manager, limit=1)
    assert [s["statement_id"] for s in items] == ["st-a2-nov", "st-a1-nov", "st-a2-oct", "st-a1-oct"]
    assert items[1]["total"] == "150000.00" and items[1]["revision"] == 2

    async def ids(**params: Any) -> list[str]:
        page = await _get(client, "/api/v1/commission/statements", manager, **params)
        return [s["statement_id"] for s in page["items"]]

    assert await ids(status="approved") == ["st-a1-oct"]
    assert await ids(host_id="host-a1") == ["st-a1-nov", "st-a1-oct"]
    assert await ids(period_from="2026-11-01") == ["st-a2-nov", "st-a1-nov"]
    assert await ids(period_to="2026-10-31") == ["st-a2-oct", "st-a1-oct"]
    host = token("host", studios=["studio-a"], host_id="host-a2")
    page = await _get(client, "/api/v1/commission/statements", host)
    assert [s["statement_id"] for s in page["items"]] == ["st-a2-nov", "st-a2-oct"]


async def test_statement_detail_and_csv_exports(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    detail = await _get(client, "/api/v1/commission/statements/st-a1-nov", manager)
    assert detail["statement"]["status"] == "calculated"
    assert [line["line_id"] for line in detail["lines"]] == ["l-001", "l-002", "l-003"]
    assert detail["lines"][2]["base"] is None and detail["lines"][2]["amount"] == "-500.00"

    response = await client.get("/api/v1/commission/statements/st-a1-nov/lines.csv", headers=bearer(manager))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["line_id", "line_kind", "rule_id"]
    assert rows[1][-1] == "20000.00" and rows[3][-1] == "-500.00"
    assert rows[3][5].startswith("'=")  # formula injection is neutralised

    export = await client.get("/api/v1/commission/statements.csv", headers=bearer(manager), params={"status": "paid"})
    rows = list(csv.reader(io.StringIO(export.text)))
    assert len(rows) == 2 and rows[1][0] == "st-a2-nov" and rows[1][7] == "70000.00"


# --- commands and QR logins -------------------------------------------------------------------------------------
async def test_command_status_reads_owner_results(client: Client, token: TokenFactory) -> None:
    viewer = token("service", studios=["*"])  # seeded ids carry no scope: only callers who see every studio
    applied = await _get(client, "/api/v1/commands/cmd-applied", viewer)
    assert applied["status"] == "applied" and applied["owner"] == "ingest" and applied["kind"] == "account.pause"
    rejected = await _get(client, "/api/v1/commands/cmd-rejected", viewer)
    assert rejected["status"] == "rejected" and rejected["error"] == "statement is void"
    assert rejected["owner"] == "commission"
    pending = await _get(client, "/api/v1/commands/0b7e5d2a-unknown", viewer)
    assert pending == {
        "command_id": "0b7e5d2a-unknown",
        "status": "pending",
        "kind": None,
        "owner": None,
        "error": None,
        "applied_at": None,
    }
    scoped = token("service", studios=["studio-a"])
    for command_id in ("cmd-applied", "cmd-rejected", "0b7e5d2a-unknown"):
        response = await client.get(f"/api/v1/commands/{command_id}", headers=bearer(scoped))
        assert response.status_code == 404


async def test_qr_login_progress_is_scoped(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    login = await _get(client, "/api/v1/accounts/qr-login/qr-a", manager)
    assert login["state"] == "waiting_scan" and login["qrcode_base64"] == "iVBORw0KGgo="
    assert (await client.get("/api/v1/accounts/qr-login/qr-b", headers=bearer(manager))).status_code == 404
