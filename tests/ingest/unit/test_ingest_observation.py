"""Shopee responses -> contract payloads: names, unknown vs zero, exact money, hashes and deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from livestudio_ingest import observation as obs
from livestudio_schemas.session import SessionMetrics
from shopee_client.client.models import LiveHistoryItem, ProductItem, SessionListItem, SessionOverview

START_MS = 1_748_869_439_100
ROW: dict[str, Any] = {
    "sessionId": 179160003,
    "title": "Flash Sale",
    "status": 1,
    "startTime": START_MS,
    "duration": 3_360_900,
    "views": 900,
    "viewers": 400,
    "peakViewers": 35,
    "avgViewsDuration": 61_000,
    "comments": 50,
    "likes": 700,
    "followersGrowth": 4,
    "atc": 30,
    "productClicks": 120,
    "conversionRate": 0.0125,
    "placedOrders": 5,
    "placedSales": 250000,
    "confirmedOrders": 3,
    "confirmedSales": 150000,
}
OVERVIEW: dict[str, Any] = {
    "status": 1,
    "ccu": 20,
    "pcu": 36,
    "viewers": 401,
    "views": 905,
    "buyers": 4,
    "confirmedBuyers": 3,
    "avgViewTime": 61_500,
    "atc": 31,
    "placedItemsSold": 7,
    "placedOrder": 5,
    "placedGmv": 250000,
    "confirmedItemsSold": 4,
    "confirmedOrder": 3,
    "confirmedGmv": 150000,
    "engagementData": {"likes": 701, "comments": 51, "shares": 9, "newFollowers": 4, "viewers": 401, "views": 905},
}


def _ctx() -> obs.SessionContext:
    return obs.SessionContext(
        account_id="acct-1",
        studio_id="studio-1",
        session_id=179160003,
        title="Flash Sale",
        started_at=datetime.fromtimestamp(START_MS / 1000, UTC),
        duration_ms=3_360_900,
    )


def test_session_list_row_maps_to_contract_names() -> None:
    m = obs.metrics_from_row(SessionListItem.model_validate(ROW))
    assert m.peak_viewers == 35
    assert m.add_to_cart == 30
    assert m.placed_sales == Decimal(250000)
    assert m.conversion_rate == Decimal("0.0125")
    assert m.avg_view_duration_ms == 61_000
    assert m.placed_items_sold is None  # not in sessionList: unknown, not zero
    assert m.buyers is None


def test_history_nulls_stay_unknown_and_extra_figures_are_kept() -> None:
    row = {**ROW, "status": 2, "peakViews": 35, "views": None, "likes": None, "paidOrders": None, "paidSales": None}
    row.update(placedItemSold=7, confirmedItemSold=4)
    m = obs.metrics_from_row(LiveHistoryItem.model_validate(row))
    assert m.views is None
    assert m.likes is None
    assert m.paid_orders is None
    assert m.placed_items_sold == 7
    assert m.confirmed_items_sold == 4
    assert m.peak_viewers == 35


def test_overview_maps_its_own_names_and_ccu_only_on_air() -> None:
    ov = SessionOverview.model_validate(OVERVIEW)
    live = obs.metrics_from_overview(ov, on_air=True)
    assert live.placed_orders == 5
    assert live.placed_items_sold == 7
    assert live.peak_viewers == 36
    assert live.current_viewers == 20
    assert live.shares == 9
    assert live.confirmed_buyers == 3
    assert obs.metrics_from_overview(ov, on_air=False).current_viewers is None


def test_garbage_counts_are_unknown_and_money_is_exact() -> None:
    assert obs.count(-3) is None
    assert obs.count(None) is None
    assert obs.count(0) == 0
    assert obs.money(Decimal("12.5")) == Decimal("12.5")
    assert obs.money(Decimal("12.505")) == Decimal("12.50")
    assert obs.money(Decimal("NaN")) is None
    assert obs.ratio(0.1234567891) == Decimal("0.123457")
    assert obs.ratio(-1.0) is None


def test_merge_keeps_known_values() -> None:
    older = SessionMetrics(views=10, buyers=2)
    newer = SessionMetrics(views=12, buyers=None)
    merged = obs.merge_metrics(older, newer)
    assert merged.views == 12
    assert merged.buyers == 2
    assert obs.changed_fields(merged, SessionMetrics(views=12, paid_orders=1)) == ["paid_orders"]


def test_item_mapping() -> None:
    p = ProductItem.model_validate(
        {
            "itemId": 10_000_000_001,
            "title": "Serum",
            "minPrice": 45000,
            "maxPrice": 50000,
            "productClicks": 30,
            "ctr": 0.05,
            "atc": 6,
            "ordersCreated": 2,
            "revenue": 90000,
            "itemSold": 2,
            "confirmedOrderCnt": 1,
            "confirmedRevenue": 45000,
            "confirmedItemSold": 1,
        }
    )
    m = obs.item_metrics(p)
    assert (m.placed_orders, m.placed_sales, m.placed_items_sold) == (2, Decimal(90000), 2)
    assert (m.confirmed_orders, m.confirmed_sales, m.confirmed_items_sold) == (1, Decimal(45000), 1)
    assert m.min_price == Decimal(45000)


def test_event_ids_are_deterministic_over_what_was_observed() -> None:
    t1 = datetime(2025, 6, 2, 13, 0, tzinfo=UTC)
    metrics = obs.metrics_from_row(SessionListItem.model_validate(ROW))

    def snap(at: datetime, m: SessionMetrics = metrics, heartbeat: bool = False) -> Any:
        return obs.session_snapshot(
            _ctx(), observed_at=at, source="session_list", metrics=m, on_air=True, shopee_status=1, heartbeat=heartbeat
        )

    a = obs.wrap_session_event(snap(t1))
    b = obs.wrap_session_event(snap(t1 + timedelta(seconds=30)))
    assert a.id == b.id  # the same observation polled again (or after a restart) is the same event
    assert a.subject == "acct-1:179160003"
    c = obs.wrap_session_event(snap(t1, obs.merge_metrics(metrics, SessionMetrics(placed_orders=6))))
    assert c.id != a.id
    hb1 = obs.wrap_session_event(snap(t1, heartbeat=True))
    hb2 = obs.wrap_session_event(snap(t1 + timedelta(minutes=4), heartbeat=True))
    assert len({a.id, hb1.id, hb2.id}) == 3  # heartbeats are distinct events so consumers see freshness
    ended = obs.session_ended(
        _ctx(), observed_at=t1, source="session_list", metrics=metrics, ended_at=t1 - timedelta(minutes=1)
    )
    later = ended.model_copy(update={"observed_at": t1 + timedelta(hours=1), "metrics": SessionMetrics(views=1)})
    assert obs.wrap_session_event(ended).id == obs.wrap_session_event(later).id  # ended once, whatever the figures


def test_envelope_is_cloudevents_with_exact_money() -> None:
    metrics = obs.metrics_from_row(SessionListItem.model_validate(ROW))
    payload = obs.session_snapshot(
        _ctx(),
        observed_at=datetime(2025, 6, 2, 13, 0, tzinfo=UTC),
        source="session_list",
        metrics=metrics,
        on_air=True,
        shopee_status=1,
    )
    raw = obs.wrap_session_event(payload).to_json_bytes()
    assert b'"specversion":"1.0"' in raw
    assert b'"placed_sales":"250000"' in raw
    assert b'"type":"livestudio.session.snapshot.v1"' in raw
