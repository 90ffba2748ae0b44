"""The ground-truth comparison finds every kind of difference, and none where the gateway agrees."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from shopee_client.simulator import SimulatorConfig
from shopee_client.simulator.core import Simulator
from shopee_client.simulator.ground_truth import AccountDayTruth, SessionTruth
from tests.system.compare import (
    compare_day,
    compare_hosts,
    compare_session,
    compare_statements,
    normalise,
    summarise,
)
from tests.system.scenario import Scenario, Totals


def ended_session() -> tuple[SessionTruth, AccountDayTruth]:
    scenario = Scenario()
    sim = Simulator(SimulatorConfig(seed=scenario.seed, accounts=3, speed=0, start=scenario.sim_start))
    truth = sim.ground_truth(scenario.sim_end, from_date=scenario.day, to_date=scenario.day)
    session = next(s for s in truth.sessions if s.end is not None and s.placed_orders > 0)
    day = next(d for d in truth.account_days if d.account_index == session.account_index)
    return session, day


def gateway_detail(s: SessionTruth, host: str | None) -> dict[str, Any]:
    """What a correct gateway answers for `s` (money as strings, times as ISO 8601)."""
    money = {"placed_sales": str(s.placed_gmv), "confirmed_sales": f"{s.confirmed_gmv}.00"}
    return {
        "account_id": "sim-0000",
        "session_id": s.session_id,
        "title": s.title,
        "on_air": False,
        "started_at": s.start.isoformat().replace("+00:00", "Z"),
        "ended_at": s.end.isoformat() if s.end else None,
        "duration_ms": s.duration_ms,
        "local_day": s.local_date.isoformat(),
        "metrics": {
            "views": s.views,
            "viewers": s.viewers,
            "peak_viewers": s.peak_ccu,
            "comments": s.comments,
            "likes": s.likes,
            "shares": s.shares,
            "add_to_cart": s.atc,
            "product_clicks": s.product_clicks,
            "buyers": s.buyers,
            "placed_orders": s.placed_orders,
            "placed_items_sold": s.placed_items_sold,
            "confirmed_orders": s.confirmed_orders,
            "confirmed_items_sold": s.confirmed_items_sold,
            **money,
        },
        "products": [
            {
                "item_id": i.item_id,
                "title": i.title,
                "min_price": f"{i.price}",
                "product_clicks": i.product_clicks,
                "add_to_cart": i.atc,
                "placed_orders": i.placed_orders,
                "placed_items_sold": i.placed_items_sold,
                "placed_sales": str(i.placed_gmv),
                "confirmed_orders": i.confirmed_orders,
                "confirmed_items_sold": i.confirmed_items_sold,
                "confirmed_sales": str(i.confirmed_gmv),
            }
            for i in s.items
        ],
        "hosts": [
            {
                "host_id": host,
                "placed_orders": s.placed_orders,
                "placed_sales": str(s.placed_gmv),
                "confirmed_orders": s.confirmed_orders,
                "confirmed_sales": str(s.confirmed_gmv),
            }
        ],
    }


def test_a_faithful_gateway_has_no_differences() -> None:
    s, _ = ended_session()
    assert compare_session(s, gateway_detail(s, "host-ayu"), account_id="sim-0000", host="host-ayu") == []


def test_every_wrong_figure_is_reported() -> None:
    s, _ = ended_session()
    detail = gateway_detail(s, None)
    detail["metrics"]["placed_sales"] = str(s.placed_gmv + 1)
    detail["metrics"]["buyers"] = None  # unknown is not the truth either
    detail["products"][0]["placed_items_sold"] += 1
    del detail["products"][1]
    detail["ended_at"] = None
    found = {(d.what, d.field) for d in compare_session(s, detail, account_id="sim-0000", host=None)}
    assert ("session", "placed_sales") in found
    assert ("session", "buyers") in found
    assert ("session", "ended_at") in found
    assert ("item", "placed_items_sold") in found
    assert ("item", "present") in found


def test_backfilled_sessions_accept_unknown_but_not_wrong_figures() -> None:
    s, _ = ended_session()
    detail = gateway_detail(s, None)
    detail["metrics"]["shares"] = None
    detail["products"] = []
    assert compare_session(s, detail, account_id="sim-0000", known_only=True) == []
    detail["metrics"]["views"] = s.views - 1
    assert [d.field for d in compare_session(s, detail, account_id="sim-0000", known_only=True)] == ["views"]


def test_attribution_must_add_up_and_sit_with_the_planned_host() -> None:
    s, _ = ended_session()
    detail = gateway_detail(s, "host-ayu")
    split = {"host_id": None, "placed_orders": 1, "placed_sales": "0", "confirmed_orders": 0, "confirmed_sales": "0"}
    detail["hosts"][0]["placed_orders"] = s.placed_orders - 1
    detail["hosts"].append(split)
    diffs = compare_session(s, detail, account_id="sim-0000", host="host-ayu")
    assert [(d.what, d.field) for d in diffs] == [("attribution", "hosts")]
    detail["hosts"][0]["confirmed_sales"] = "0"
    fields = {d.field for d in compare_session(s, detail, account_id="sim-0000", host="host-ayu")}
    assert "sum confirmed_sales" in fields


def test_daily_host_and_statement_comparisons() -> None:
    _, day = ended_session()
    figures = {
        "sessions": day.sessions,
        "streaming_ms": day.streamed_ms,
        "viewers": day.viewers,
        "placed_orders": day.placed_orders,
        "placed_sales": f"{day.placed_gmv}.00",
        "confirmed_orders": day.confirmed_orders,
        "confirmed_sales": str(day.confirmed_gmv),
    }
    assert compare_day(day, figures, account_id="sim-0000") == []
    assert [d.field for d in compare_day(day, {**figures, "sessions": 0}, account_id="sim-0000")] == ["sessions"]
    assert [d.field for d in compare_day(day, None, account_id="sim-0000")] == ["present"]

    totals = Totals(sessions={1, 2}, optional={3}, placed_orders=4, placed_sales=Decimal(9000))
    host_figures: dict[str, Any] = {
        "sessions": 3,
        "placed_orders": 4,
        "placed_sales": "9000.00",
        "confirmed_orders": 0,
        "confirmed_sales": "0",
    }
    row = {"host_id": "host-ayu", "figures": host_figures}
    assert compare_hosts({"host-ayu": totals}, [row]) == []
    host_figures["sessions"] = 4
    assert [d.field for d in compare_hosts({"host-ayu": totals}, [row])] == ["sessions"]
    stray = {"host_id": "host-budi", "figures": {"placed_orders": 1}}
    assert [(d.key, d.field) for d in compare_hosts({}, [stray])] == [("host-budi", "present")]

    statements = [{"host_id": "host-ayu", "status": "calculated", "total": "1810.00"}]
    assert compare_statements({"host-ayu": Decimal(1810), "host-budi": Decimal(0)}, statements) == []
    diffs = compare_statements({"host-ayu": Decimal(1811)}, statements)
    assert [str(d) for d in diffs] == ["statement host-ayu total: expected Decimal('1811'), got '1810.00'"]


def test_normalise_and_summary() -> None:
    assert normalise("12.50") == Decimal("12.5")
    assert normalise(3) == normalise("3.00")
    assert normalise("2025-06-11T01:02:03Z") == normalise("2025-06-11T08:02:03+07:00")
    assert normalise("Flash Sale 11.11") == "Flash Sale 11.11"
    assert summarise([]) == "no differences"
    s, _ = ended_session()
    text = summarise(compare_session(s, None, account_id="sim-0000"))
    assert "1 differences" in text and "present" in text


def test_sessions_end_inside_the_run() -> None:
    s, _ = ended_session()
    assert s.end is not None and s.end - s.start == timedelta(milliseconds=s.duration_ms)
