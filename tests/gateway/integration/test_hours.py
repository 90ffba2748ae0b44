"""GET /api/v1/analytics/hours: hour of day, weekday x hour and shift buckets from the hourly rollups, scoped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_gateway.main import create_app
from tests.gateway import kit
from tests.gateway.conftest import TokenFactory, bearer, gateway_settings

Client = AsyncTestClient[Litestar]
MONDAY, TUESDAY = date(2026, 11, 2), date(2026, 11, 3)
# (account, local_date, hour, sessions, viewers, peak, placed_orders, confirmed_orders, placed_sales, confirmed_sales)
HOURS = [
    ("acc-a1", MONDAY, 9, 1, 100, 40, 3, 2, Decimal("30000.50"), Decimal("20000.25")),
    ("acc-a1", MONDAY, 10, 1, 50, 35, 1, None, Decimal("10000"), None),
    ("acc-a1", TUESDAY, 9, 1, None, None, None, None, None, None),
    ("acc-a2", TUESDAY, 20, 2, 10, 9, 1, 1, Decimal("5000"), Decimal("5000")),
    ("acc-a1", date(2026, 12, 1), 9, 1, 1, 1, 1, 1, Decimal("1"), Decimal("1")),  # outside the range
]
# commission's host rollup: (host, account, local_date, hour, sessions, on_air_ms, placed_orders, placed_sales,
# confirmed_orders, confirmed_sales); host None = the unassigned bucket
HOST_HOURS = [
    ("host-a1", "acc-a1", MONDAY, 9, 1, 2_700_000, 2, Decimal("20000.50"), 1, Decimal("10000.25")),
    ("host-a2", "acc-a1", MONDAY, 9, 1, 900_000, 1, Decimal("10000"), 1, Decimal("10000")),
    ("host-a1", "acc-a1", MONDAY, 10, 1, 1_800_000, 1, Decimal("10000"), None, None),
    (None, "acc-a1", MONDAY, 10, 1, 1_800_000, 0, Decimal("0"), None, None),
    ("host-a1", "acc-a1", TUESDAY, 9, 1, 3_600_000, None, None, None, None),
    ("host-a1", "acc-a2", TUESDAY, 20, 1, 1_000_000, 1, Decimal("2000"), 0, Decimal("0")),
    ("host-a2", "acc-a2", TUESDAY, 20, 2, 3_000_000, 0, Decimal("3000"), 1, Decimal("5000")),
    ("host-a1", "acc-a1", date(2026, 12, 1), 9, 1, 1, 1, Decimal("1"), 1, Decimal("1")),  # outside the range
]
SHIFT_TIMES = {"pagi": ("Pagi", time(8), time(12)), "malam": ("Malam", time(19), time(2))}


@pytest.fixture(scope="module")
async def hours_client(pg_dsn: str, kafka_bootstrap: str) -> AsyncIterator[Client]:
    async with kit.seeded_database(pg_dsn, "gwhours") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.executemany(
                "INSERT INTO analytics.hourly_account VALUES ($1, $2, $3, 'studio-a', 'IDR', $4, $5, $6, $7, $8, "
                "$9, $10, now())",
                HOURS,
            )
            await conn.execute(
                """
                INSERT INTO analytics.hourly_studio
                SELECT studio_id, local_date, hour, max(currency), count(*), sum(sessions), sum(viewers),
                       max(peak_viewers), sum(placed_orders), sum(confirmed_orders), sum(placed_sales),
                       sum(confirmed_sales), max(observed_at)
                FROM analytics.hourly_account GROUP BY studio_id, local_date, hour
                """
            )
            await conn.executemany(
                "INSERT INTO commission.host_hours (studio_id, host_id, account_id, local_date, hour, sessions, "
                "on_air_ms, placed_orders, placed_sales, confirmed_orders, confirmed_sales) "
                "VALUES ('studio-a', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                HOST_HOURS,
            )
            await conn.execute(
                """
                UPDATE commission.host_hours h SET account_on_air_ms = t.on_air_ms
                FROM (SELECT account_id, local_date, hour, sum(on_air_ms) AS on_air_ms FROM commission.host_hours
                      GROUP BY 1, 2, 3) t
                WHERE (h.account_id, h.local_date, h.hour) = (t.account_id, t.local_date, t.hour)
                """
            )
            for shift_id, (name, start, end) in SHIFT_TIMES.items():
                await conn.execute(
                    "UPDATE commission.shifts SET name = $2, start_local = $3, end_local = $4 WHERE shift_id = $1",
                    shift_id,
                    name,
                    start,
                    end,
                )
        finally:
            await conn.close()
        async with AsyncTestClient(create_app(gateway_settings(dsn, kafka_bootstrap))) as client:
            yield client


async def _hours(client: Client, token: str, **params: Any) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/analytics/hours",
        headers=bearer(token),
        params={"date_from": "2026-11-01", "date_to": "2026-11-30"} | params,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_hours_of_an_account_by_hour_and_weekday(hours_client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    by_hour = await _hours(hours_client, manager, account_id="acc-a1")
    assert [(b["hour"], b["figures"]["hours"], b["figures"]["session_hours"]) for b in by_hour["buckets"]] == [
        (9, 2, 2),
        (10, 1, 1),
    ]
    nine = by_hour["buckets"][0]["figures"]
    assert nine["placed_sales"] == "30000.50" and nine["confirmed_sales"] == "20000.25"
    assert nine["viewers"] == 100 and nine["peak_viewers"] == 40
    assert nine["gmv_per_hour"] == "10000.12"  # 20000.25 / 2, half-even
    ten = by_hour["buckets"][1]["figures"]
    assert ten["confirmed_orders"] is None and ten["confirmed_sales"] is None and ten["gmv_per_hour"] is None

    weekly = await _hours(hours_client, manager, account_id="acc-a1", group="weekday_hour")
    assert [(b["weekday"], b["hour"]) for b in weekly["buckets"]] == [(1, 9), (1, 10), (2, 9)]
    assert weekly["buckets"][2]["figures"]["placed_sales"] is None  # unknown stays null


async def test_studio_hours_and_shift_scoreboard(hours_client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    studio = await _hours(hours_client, manager, studio_id="studio-a")
    assert [(b["hour"], b["figures"]["placed_sales"]) for b in studio["buckets"]] == [
        (9, "30000.50"),
        (10, "10000"),
        (20, "5000"),
    ]
    shifts = await _hours(hours_client, manager, studio_id="studio-a", group="shift")
    got = {
        b["shift_id"]: (b["shift_name"], b["figures"]["hours"], b["figures"]["placed_sales"]) for b in shifts["buckets"]
    }
    # pagi 08-12 holds 9 and 10 o'clock; malam 19-02 wraps midnight and holds 20 o'clock
    assert got == {"pagi": ("Pagi", 3, "40000.50"), "malam": ("Malam", 1, "5000")}


async def test_hours_are_scoped(hours_client: Client, token: TokenFactory) -> None:
    other = token("manager", studios=["studio-b"])
    response = await hours_client.get(
        "/api/v1/analytics/hours",
        headers=bearer(other),
        params={"date_from": "2026-11-01", "date_to": "2026-11-30", "account_id": "acc-a1"},
    )
    assert response.status_code == 404
    b_studio = await _hours(hours_client, other, studio_id="studio-b")
    assert b_studio["buckets"] == []
    host = await hours_client.get(
        "/api/v1/analytics/hours",
        headers=bearer(token("host", studios=["studio-a"], host_id="host-a1")),
        params={"date_from": "2026-11-01", "date_to": "2026-11-30"},
    )
    assert host.status_code == 403
    bad = await hours_client.get(
        "/api/v1/analytics/hours",
        headers=bearer(token("manager", studios=["studio-a"])),
        params={"date_from": "2026-11-01", "date_to": "2026-11-30", "group": "minute"},
    )
    assert bad.status_code == 400


async def test_hours_of_a_host_with_apportioned_viewers(hours_client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    one = await _hours(hours_client, manager, host_id="host-a1")
    assert one["host_id"] == "host-a1"
    got = {
        b["hour"]: (
            b["figures"]["hours"],
            b["figures"]["session_hours"],
            b["figures"]["viewers"],
            b["figures"]["peak_viewers"],
            b["figures"]["placed_orders"],
            b["figures"]["placed_sales"],
            b["figures"]["confirmed_sales"],
        )
        for b in one["buckets"]
    }
    # 9 o'clock: Monday 100 viewers x 2.7 of 3.6 on-air hours = 75; Tuesday's viewers unknown (not 0)
    # 10 o'clock: 50 viewers, half the on-air time with the unassigned bucket = 25
    # 20 o'clock: 10 viewers x 1 of 4 = 2.5, half to even = 2 (host-a2 gets 7.5 -> 8)
    assert got == {
        9: (2, 2, 75, 40, 2, "20000.50", "10000.25"),
        10: (1, 1, 25, 35, 1, "10000", None),
        20: (1, 1, 2, 9, 1, "2000", "0"),
    }
    two = await _hours(hours_client, manager, host_id="host-a2", group="weekday_hour")
    assert [(b["weekday"], b["hour"], b["figures"]["viewers"]) for b in two["buckets"]] == [(1, 9, 25), (2, 20, 8)]
    only_a2 = await _hours(hours_client, manager, host_id="host-a1", account_id="acc-a2")
    assert [(b["hour"], b["figures"]["placed_sales"]) for b in only_a2["buckets"]] == [(20, "2000")]
    shifts = await _hours(hours_client, manager, host_id="host-a1", group="shift")
    assert {b["shift_id"]: b["figures"]["placed_sales"] for b in shifts["buckets"]} == {
        "pagi": "30000.50",
        "malam": "2000",
    }
    unknown = await _hours(hours_client, manager, host_id="host-a1", date_from="2026-11-03", date_to="2026-11-03")
    nine = next(b for b in unknown["buckets"] if b["hour"] == 9)["figures"]
    assert nine["viewers"] is None and nine["peak_viewers"] is None and nine["placed_sales"] is None

    # a host reads their own hours, and nobody else's
    host = token("host", studios=["studio-a"], host_id="host-a1")
    assert (await _hours(hours_client, host, host_id="host-a1"))["buckets"] == one["buckets"]
    refused = await hours_client.get(
        "/api/v1/analytics/hours",
        headers=bearer(host),
        params={"date_from": "2026-11-01", "date_to": "2026-11-30", "host_id": "host-a2"},
    )
    assert refused.status_code == 403
    # a manager of another studio does not learn the host exists
    elsewhere = await hours_client.get(
        "/api/v1/analytics/hours",
        headers=bearer(token("manager", studios=["studio-b"])),
        params={"date_from": "2026-11-01", "date_to": "2026-11-30", "host_id": "host-a1"},
    )
    assert elsewhere.status_code == 404
