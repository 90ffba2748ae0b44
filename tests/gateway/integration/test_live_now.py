"""The home page's reads: today against yesterday at the same local time, and the hosts on air (real PostgreSQL).

The seeded read models plus one day pair of studio-a (Asia/Jakarta) far from the shared seed's days, compared as of
14:00 local: sessions ended before the cutoff count whole, a session spanning yesterday's cutoff counts its last
per-minute point before it, one without such a point counts as unknown (not zero), later sessions not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_gateway.main import create_app
from tests.gateway import kit as gateway_kit
from tests.gateway.conftest import TokenFactory, bearer, gateway_settings

Client = AsyncTestClient[Litestar]
TZ = gateway_kit.JAKARTA
AT = datetime(2030, 3, 10, 14, 0, tzinfo=TZ)
TODAY = AT.date()
YESTERDAY = TODAY - timedelta(days=1)


def _local(day: Any, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def _session(
    account: str,
    sid: int,
    start: datetime,
    end: datetime | None,
    orders: int | None,
    sales: str | None,
    observed: datetime,
) -> dict[str, Any]:
    return {
        "account_id": account,
        "session_id": sid,
        "studio_id": "studio-a",
        "on_air": end is None,
        "started_at": start,
        "ended_at": end,
        "duration_ms": None if end is None else int((end - start).total_seconds() * 1000),
        "local_day": start.astimezone(TZ).date(),
        "timezone": "Asia/Jakarta",
        "currency": "IDR",
        "observed_at": observed,
        "placed_orders": orders,
        "placed_sales": None if sales is None else Decimal(sales),
    }


SESSIONS = [
    # today: ended at 10:00 (observed again later: its placed figures are final), on air since 13:00, and one
    # that starts after the cutoff
    _session("acc-a1", 9001, _local(TODAY, 9), _local(TODAY, 10), 3, "300.50", _local(TODAY, 13, 30)),
    _session("acc-a2", 9002, _local(TODAY, 13), None, 2, "200", _local(TODAY, 13, 59)),
    _session("acc-a1", 9003, _local(TODAY, 15), _local(TODAY, 16), 9, "999", _local(TODAY, 16)),
    # yesterday: ended before the cutoff; spanning it (per-minute points before and after); spanning it without
    # points (unknown); after it
    _session("acc-a1", 8001, _local(YESTERDAY, 8), _local(YESTERDAY, 9), 5, "500", _local(YESTERDAY, 9)),
    _session("acc-a1", 8002, _local(YESTERDAY, 13, 30), _local(YESTERDAY, 15, 30), 8, "800", _local(YESTERDAY, 15, 30)),
    _session("acc-a2", 8003, _local(YESTERDAY, 12), _local(YESTERDAY, 18), 6, "600", _local(YESTERDAY, 18)),
    _session("acc-a2", 8004, _local(YESTERDAY, 16), _local(YESTERDAY, 17), 1, "100", _local(YESTERDAY, 17)),
]
TIMELINE = [
    ("acc-a1", 8002, _local(YESTERDAY, 13, 40), 1, Decimal(50)),
    ("acc-a1", 8002, _local(YESTERDAY, 13, 59), 2, Decimal("120.25")),
    ("acc-a1", 8002, _local(YESTERDAY, 14, 10), 4, Decimal(400)),
]
SCHEDULE = [
    # entry, host, account, from, to (local times on TODAY)
    ("now-1", "host-a1", "acc-a2", 13, 15),
    ("now-2", "host-a2", "acc-a2", 12, 14),  # ends at the instant: not on air any more
    ("now-3", "host-a2", "acc-a1", 14, 16),  # starts at the instant: on air
    ("later", "host-a3", "acc-a1", 16, 18),
    ("b-now", "host-b1", "acc-b1", 13, 15),  # another studio
]


@pytest.fixture(scope="module")
async def client(pg_dsn: str, kafka_bootstrap: str) -> AsyncIterator[Client]:
    async with gateway_kit.seeded_database(pg_dsn, "gwnow") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            columns = list(SESSIONS[0])
            await conn.copy_records_to_table(
                "sessions", schema_name="analytics", columns=columns, records=[tuple(s.values()) for s in SESSIONS]
            )
            await conn.copy_records_to_table(
                "session_timeline",
                schema_name="analytics",
                columns=["account_id", "session_id", "minute", "placed_orders", "placed_sales"],
                records=TIMELINE,
            )
            await conn.executemany(
                "INSERT INTO commission.schedule_entries (entry_id, studio_id, host_id, account_id, starts_at, ends_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                [
                    (e, "studio-b" if h == "host-b1" else "studio-a", h, a, _local(TODAY, f), _local(TODAY, t))
                    for e, h, a, f, t in SCHEDULE
                ],
            )
        finally:
            await conn.close()
        async with AsyncTestClient(create_app(gateway_settings(dsn, kafka_bootstrap))) as c:
            yield c


async def _get(client: Client, path: str, token: str, **params: Any) -> Any:
    response = await client.get(path, headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_today_so_far_against_yesterday_up_to_the_same_local_time(client: Client, token: TokenFactory) -> None:
    body = await _get(client, "/api/v1/analytics/today", token("manager", studios=["studio-a"]), at=AT.isoformat())
    [studio] = body["items"]
    assert studio["studio_id"] == "studio-a" and studio["timezone"] == "Asia/Jakarta" and studio["currency"] == "IDR"
    assert studio["today"] == {
        "day": TODAY.isoformat(),
        "until": "2030-03-10T07:00:00Z",
        "sessions": 2,
        "placed_orders": 5,
        "placed_sales": "500.50",
    }
    # 8001 whole, 8002 at 13:59, 8003 unknown (no point before the cutoff), 8004 not started yet
    assert studio["yesterday"] == {
        "day": YESTERDAY.isoformat(),
        "until": "2030-03-09T07:00:00Z",
        "sessions": 3,
        "placed_orders": 7,
        "placed_sales": "620.25",
    }
    assert studio["changes"]["placed_sales"] == {"diff": "-119.75", "ratio": "0.806933"}
    assert studio["changes"]["placed_orders"] == {"diff": "-2", "ratio": "0.714286"}
    accounts = {a["account_id"]: a for a in studio["accounts"]}
    assert accounts["acc-a2"]["yesterday"]["sessions"] == 1
    assert accounts["acc-a2"]["yesterday"]["placed_sales"] is None  # unknown, never 0
    assert accounts["acc-a2"]["today"]["placed_sales"] == "200"
    assert accounts["acc-a1"]["today"]["placed_orders"] == 3


async def test_today_is_scoped_and_filters_by_account(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    one = await _get(client, "/api/v1/analytics/today", manager, account_id="acc-a2", at=AT.isoformat())
    assert [a["account_id"] for a in one["items"][0]["accounts"]] == ["acc-a2"]
    assert one["items"][0]["today"]["placed_orders"] == 2
    hidden = await client.get(
        "/api/v1/analytics/today", headers=bearer(manager), params={"account_id": "acc-b1", "at": AT.isoformat()}
    )
    assert hidden.status_code == 404
    other = await client.get("/api/v1/analytics/today", headers=bearer(manager), params={"studio_id": "studio-b"})
    assert other.status_code == 403
    host = token("host", studios=["studio-a"], host_id="host-a1")
    assert (await client.get("/api/v1/analytics/today", headers=bearer(host))).status_code == 403
    for at in ("0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-05:00", "yesterday"):
        for path in ("/api/v1/analytics/today", "/api/v1/hosts/on-air"):
            refused = await client.get(path, headers=bearer(manager), params={"at": at})
            assert refused.status_code == 400, (path, at, refused.text)
    owner = await _get(client, "/api/v1/analytics/today", token("owner"), at=AT.isoformat())
    assert [s["studio_id"] for s in owner["items"]] == ["studio-a", "studio-b", "studio-c"]
    assert owner["items"][1]["today"] == {**owner["items"][1]["today"], "sessions": 0, "placed_sales": None}


async def test_hosts_on_air_at_an_instant(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    body = await _get(client, "/api/v1/hosts/on-air", manager, at=AT.isoformat())
    assert [(h["account_id"], h["host_id"], h["name"]) for h in body["items"]] == [
        ("acc-a1", "host-a2", "Budi"),
        ("acc-a2", "host-a1", "Ayu"),
    ]
    one = await _get(client, "/api/v1/hosts/on-air", manager, at=AT.isoformat(), account_id="acc-a1")
    assert [h["host_id"] for h in one["items"]] == ["host-a2"]
    owner = await _get(client, "/api/v1/hosts/on-air", token("owner"), at=AT.isoformat())
    assert ("acc-b1", "host-b1") in {(h["account_id"], h["host_id"]) for h in owner["items"]}
    host = token("host", studios=["studio-a"], host_id="host-a1")
    assert (await client.get("/api/v1/hosts/on-air", headers=bearer(host))).status_code == 403


async def test_session_detail_says_whether_its_figures_still_settle(client: Client, token: TokenFactory) -> None:
    owner = token("owner")
    on_air = await _get(client, "/api/v1/sessions/acc-a2/9002", owner)
    assert on_air["settling"] == {"placed": "live", "confirmed": "live", "confirmed_final_at": None}
    ended = await _get(client, "/api/v1/sessions/acc-a1/9001", owner)  # 2030: within its settle days
    assert ended["settling"] == {
        "placed": "final",
        "confirmed": "settling",
        "confirmed_final_at": "2030-03-17T17:00:00Z",  # 00:00 Jakarta on the 8th day after
    }
    old = await _get(client, "/api/v1/sessions/acc-a1/1001", owner)
    assert old["settling"]["placed"] == "final" and old["settling"]["confirmed"] == "final"
