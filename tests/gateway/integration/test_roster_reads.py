"""Read-back of the roster (#20): shifts, schedule by week / host / account, check-ins, pay rules, ad spend,
studio holidays and the rule version of a statement line, with scoping, host scoping and pagination."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.gateway.conftest import TokenFactory, bearer

Client = AsyncTestClient[Litestar]
RANGE = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


async def _get(client: Client, path: str, token: str, **params: Any) -> Any:
    response = await client.get(path, headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _pages(client: Client, path: str, token: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        page = await _get(client, path, token, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


async def test_shifts_of_the_studios_in_scope(client: Client, token: TokenFactory) -> None:
    page = await _get(client, "/api/v1/shifts", token("manager", studios=["studio-a"]))
    assert [(s["shift_id"], s["start"], s["end"]) for s in page["items"]] == [
        ("pagi", "08:00:00", "12:00:00"),
        ("malam", "20:00:00", "02:00:00"),
    ]
    everyone = await _get(client, "/api/v1/shifts", token("owner"))
    assert {s["studio_id"] for s in everyone["items"]} == {"studio-a", "studio-b"}


async def test_schedule_by_week_host_and_account(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    # any day of the week names the week (Monday to Sunday, local days)
    week = await _get(client, "/api/v1/schedule", manager, week="2026-11-19")
    assert (week["date_from"], week["date_to"]) == ("2026-11-16", "2026-11-22")
    assert [e["entry_id"] for e in week["items"]] == ["w1", "w2"]
    w1 = week["items"][0]
    assert w1 == {
        "entry_id": "w1",
        "studio_id": "studio-a",
        "host_id": "host-a1",
        "account_id": "acc-a1",
        "shift_id": "pagi",
        "shift_date": "2026-11-16",
        "starts_at": "2026-11-16T01:00:00Z",
        "ends_at": "2026-11-16T05:00:00Z",
        "local_day": "2026-11-16",
        "share": "1",
        "updated_at": w1["updated_at"],
    }
    by_host = await _get(client, "/api/v1/schedule", manager, host_id="host-a1")
    assert [e["entry_id"] for e in by_host["items"]] == ["w1", "w3"]
    by_account = await _get(client, "/api/v1/schedule", manager, account_id="acc-a1")
    # an entry whose shift is not known yet has no time: it comes last
    assert [e["entry_id"] for e in by_account["items"]] == ["w1", "w-pending"]
    assert by_account["items"][1]["starts_at"] is None
    # pages of one cover everything once, in order, through the NULL starts
    everything = await _get(client, "/api/v1/schedule", manager)
    assert [e["entry_id"] for e in everything["items"]] == ["w1", "w2", "w3", "w-pending"]
    assert await _pages(client, "/api/v1/schedule", manager, limit=1) == everything["items"]


async def test_schedule_and_check_ins_of_a_host_are_their_own(client: Client, token: TokenFactory) -> None:
    host = token("host", studios=["studio-a"], host_id="host-a1")
    schedule = await _get(client, "/api/v1/schedule", host)
    assert {e["host_id"] for e in schedule["items"]} == {"host-a1"}
    checks = await _get(client, "/api/v1/check-ins", host)
    assert [c["check_id"] for c in checks["items"]] == ["ck-1", "ck-2"]
    for path in ("/api/v1/schedule", "/api/v1/check-ins"):
        response = await client.get(path, headers=bearer(host), params={"host_id": "host-a2"})
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    for path, params in (("/api/v1/pay-rules", {}), ("/api/v1/ad-spend", RANGE)):
        assert (await client.get(path, headers=bearer(host), params=params)).status_code == 403


async def test_check_ins_by_day_host_and_account(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    checks = await _get(client, "/api/v1/check-ins", manager, week="2026-11-16")
    assert [(c["check_id"], c["kind"], c["studio_id"]) for c in checks["items"]] == [
        ("ck-1", "in", "studio-a"),
        ("ck-2", "out", "studio-a"),
        ("ck-3", "in", "studio-a"),
    ]
    assert checks["items"][0]["at"] == "2026-11-16T01:07:00Z"
    day = await _get(client, "/api/v1/check-ins", manager, date_from="2026-11-17", date_to="2026-11-17")
    assert [c["check_id"] for c in day["items"]] == ["ck-3"]
    assert [c["check_id"] for c in await _pages(client, "/api/v1/check-ins", manager, limit=2)] == [
        "ck-1",
        "ck-2",
        "ck-3",
    ]
    by_account = await _get(client, "/api/v1/check-ins", manager, account_id="acc-a2")
    assert [c["check_id"] for c in by_account["items"]] == ["ck-3"]


async def test_pay_rules_versions_scope_and_precedence(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    rules = await _pages(client, "/api/v1/pay-rules", manager, limit=2)
    # the studio's own rules and the global one, every version; never studio-b's
    assert [(r["rule_id"], r["effective_from"]) for r in rules] == [
        ("global-hour", "2026-01-01"),
        ("per-order", "2026-11-01"),
        ("studio-gmv-2pct", "2026-10-01"),
        ("studio-gmv-2pct", "2026-11-01"),
    ]
    by_id = {(r["rule_id"], r["effective_from"]): r for r in rules}
    assert by_id[("global-hour", "2026-01-01")]["scope"] == "global"
    assert by_id[("global-hour", "2026-01-01")]["specificity"] == [0, 1, 0, 2]
    assert by_id[("per-order", "2026-11-01")]["scope"] == "account"
    assert by_id[("per-order", "2026-11-01")]["amount"] == "700"
    tiered = by_id[("studio-gmv-2pct", "2026-11-01")]
    assert tiered["tiers"] == [{"percent": "2", "up_to": "1000000"}, {"percent": "3.5", "up_to": None}]
    assert tiered["specificity"] == [1, 0, 0, 0]
    for day, version in (("2026-10-15", "2026-10-01"), ("2026-11-15", "2026-11-01")):
        in_force = await _get(client, "/api/v1/pay-rules", manager, rule_id="studio-gmv-2pct", on=day)
        assert [r["effective_from"] for r in in_force["items"]] == [version]
    assert (await _get(client, "/api/v1/pay-rules", manager, on="2025-12-31"))["items"] == []
    # the line names the version that paid it
    detail = await _get(client, "/api/v1/commission/statements/st-a1-nov", manager)
    assert (detail["lines"][0]["rule_id"], detail["lines"][0]["rule_version"]) == ("studio-gmv-2pct", "2026-11-01")
    assert detail["lines"][2]["rule_version"] is None


async def test_ad_spend_per_account_and_day(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    page = await _get(client, "/api/v1/ad-spend", manager, **RANGE)
    assert [(a["account_id"], a["day"], a["amount"]) for a in page["items"]] == [
        ("acc-a1", "2026-11-16", "25000.00"),
        ("acc-a2", "2026-11-16", "10000.00"),
        ("acc-a1", "2026-11-17", "0.00"),  # entered as zero: a known zero, unlike a day without an entry
    ]
    assert await _pages(client, "/api/v1/ad-spend", manager, **RANGE, limit=1) == page["items"]
    one = await _get(client, "/api/v1/ad-spend", manager, account_id="acc-a2", **RANGE)
    assert [a["amount"] for a in one["items"]] == ["10000.00"]


async def test_studio_settings_include_holidays(client: Client, token: TokenFactory) -> None:
    studio = await _get(client, "/api/v1/studios/studio-a", token("manager", studios=["studio-a"]))
    assert studio["holidays"] == ["2026-12-25"]


async def test_bad_filters_are_problems(client: Client, token: TokenFactory) -> None:
    owner = token("owner")
    for path, params in (
        ("/api/v1/schedule", {"week": "2026-11-16", "date_from": "2026-11-16"}),
        ("/api/v1/schedule", {"date_from": "2026-11-30", "date_to": "2026-11-01"}),
        ("/api/v1/schedule", {"cursor": "bm9wZQ"}),
        ("/api/v1/check-ins", {"cursor": "bm9wZQ"}),
        ("/api/v1/pay-rules", {"cursor": "bm9wZQ"}),
        ("/api/v1/ad-spend", {"date_from": "2026-11-01"}),
        ("/api/v1/schedule", {"weeks": "2026-11-16"}),
    ):
        response = await client.get(path, headers=bearer(owner), params=params)
        assert response.status_code == 400, (path, params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
