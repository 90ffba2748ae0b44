"""Simulator served over a real socket: cross-endpoint consistency, ground truth vs endpoint values after the
sessions end (and settle), determinism, live-status quirk, ownership and region-header checks."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from shopee_client import AccountContext, ClientSettings, NotFound, NotOwned, ShopeeClient
from shopee_client.simulator import SimulatorConfig, run_simulator

pytestmark = pytest.mark.integration

START = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)  # 16:30 Jakarta
JKT = ZoneInfo("Asia/Jakarta")
N = 30


def _settings(base_url: str) -> ClientSettings:
    return ClientSettings(base_url=base_url, per_account_rate=200, max_in_flight=20)


async def test_endpoints_agree_at_one_instant() -> None:
    async with run_simulator(SimulatorConfig(seed=11, accounts=N, speed=0, start=START)) as running:
        sim = running.sim
        truth = {s.session_id: s for s in sim.ground_truth(from_date=date(2025, 5, 29)).sessions}
        live_seen = 0
        async with ShopeeClient(_settings(running.base_url)) as client:
            for i in range(N):
                account = AccountContext.create(f"a{i}", sim.cookie(i))
                rows = await client.all_sessions(account, page_size=10)
                assert [r.start_time for r in rows] == sorted((r.start_time for r in rows), reverse=True)
                for row in rows[:3]:
                    gt = truth[row.session_id]
                    ov = await client.overview(account, row.session_id)
                    items = await client.all_products(account, row.session_id, page_size=25)
                    live_seen += gt.is_live
                    assert row.status == (1 if gt.is_live else 2)
                    assert row.start_time == gt.start
                    assert row.duration_ms == gt.duration_ms
                    assert gt.placed_orders == row.placed_orders == ov.placed_orders
                    assert gt.placed_orders == sum(p.orders_created or 0 for p in items)
                    assert gt.placed_gmv == row.placed_sales == ov.placed_gmv == sum(p.revenue or 0 for p in items)
                    assert gt.placed_items_sold == ov.placed_items_sold == sum(p.item_sold or 0 for p in items)
                    assert gt.confirmed_orders == row.confirmed_orders == ov.confirmed_orders
                    assert gt.confirmed_orders == sum(p.confirmed_orders or 0 for p in items)
                    assert gt.confirmed_gmv == row.confirmed_sales == ov.confirmed_gmv
                    assert gt.confirmed_gmv == sum(p.confirmed_revenue or 0 for p in items)
                    assert gt.viewers == row.viewers == ov.viewers
                    assert gt.views == row.views == ov.views
                    assert gt.peak_ccu == row.peak_viewers == ov.peak_viewers
                    assert ov.engagement_data is not None
                    assert gt.likes == row.likes == ov.engagement_data.likes
                    assert gt.comments == row.comments == ov.engagement_data.comments
                    assert gt.atc == row.atc == ov.atc == sum(p.atc or 0 for p in items)
                    assert gt.product_clicks == row.product_clicks == sum(p.product_clicks or 0 for p in items)
                    assert {p.item_id for p in items} == {i.item_id for i in gt.items}
                    if gt.is_live:
                        assert (ov.ccu or 0) > 0
        assert live_seen > 0


async def test_ground_truth_equals_history_after_sessions_end() -> None:
    config = SimulatorConfig(seed=12, accounts=N, speed=0, start=START, settle_delay=timedelta(minutes=30))
    async with run_simulator(config) as running:
        sim = running.sim
        end_date = START.date()
        first = end_date - timedelta(days=6)
        sim.set_time(START + timedelta(days=1))  # everything that started by end_date has ended and settled
        truth = sim.ground_truth(from_date=first, to_date=end_date)
        assert all(s.settled and not s.is_live for s in truth.sessions)
        by_id = {s.session_id: s for s in truth.sessions}
        days = {(d.account_index, d.local_date): d for d in truth.account_days}
        nulls_seen = 0
        async with ShopeeClient(_settings(running.base_url)) as client:
            for i in range(N):
                account = AccountContext.create(f"a{i}", sim.cookie(i))
                rows = await client.all_live_history(account, end_date=end_date, time_dim="7d", page_size=7)
                assert {r.session_id for r in rows} == {s.session_id for s in truth.sessions if s.account_index == i}
                sums: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
                for row in rows:
                    gt = by_id[row.session_id]
                    assert row.placed_orders == gt.placed_orders
                    assert row.placed_sales == gt.placed_gmv
                    assert row.confirmed_orders == gt.confirmed_orders
                    assert row.confirmed_sales == gt.confirmed_gmv
                    assert row.placed_item_sold == gt.placed_items_sold
                    assert row.confirmed_item_sold == gt.confirmed_items_sold
                    assert row.end_time == gt.end
                    assert row.viewers == gt.viewers
                    for wire, value, expected in (
                        ("views", row.views, gt.views),
                        ("peakViews", row.peak_viewers, gt.peak_ccu),
                        ("likes", row.likes, gt.likes),
                        ("paidOrders", row.paid_orders, gt.confirmed_orders),
                    ):
                        if wire in gt.history_null_fields:
                            assert value is None  # unknown stays None, never 0
                            nulls_seen += 1
                        else:
                            assert value == expected
                    local_day = row.start_time.astimezone(JKT).date()
                    acc = sums[local_day]
                    acc[0] += row.placed_orders or 0
                    acc[1] += int(row.placed_sales or 0)
                    acc[2] += row.confirmed_orders or 0
                    acc[3] += int(row.confirmed_sales or 0)
                for day, (po, ps, co, cs) in sums.items():
                    d = days[(i, day)]
                    assert (po, ps, co, cs) == (d.placed_orders, d.placed_gmv, d.confirmed_orders, d.confirmed_gmv)
                # products after the end sum to the settled session totals too
                if rows:
                    items = await client.all_products(account, rows[0].session_id, page_size=500)
                    assert sum(p.confirmed_revenue or 0 for p in items) == by_id[rows[0].session_id].confirmed_gmv
        assert nulls_seen > 0


async def test_history_serves_the_whole_backfill_depth_as_the_ground_truth_has_it() -> None:
    """`liveList/v2` walked back in 30-day windows (as the ingest's backfill does) for 90 days: every session that
    ended in the depth, once, with the ground truth's figures, and per day the ground truth's sums."""
    async with run_simulator(SimulatorConfig(seed=13, accounts=3, speed=0, start=START)) as running:
        sim = running.sim
        today = START.astimezone(JKT).date()
        truth = sim.ground_truth(from_date=today - timedelta(days=89), to_date=today)
        by_id = {s.session_id: s for s in truth.sessions}
        days = {(d.account_index, d.local_date): d for d in truth.account_days}
        async with ShopeeClient(_settings(running.base_url)) as client:
            for i in range(3):
                account = AccountContext.create(f"a{i}", sim.cookie(i))
                rows = []
                for window in range(3):
                    end = today - timedelta(days=30 * window)
                    rows += await client.all_live_history(account, end_date=end, time_dim="30d", page_size=20)
                ids = [r.session_id for r in rows]
                assert len(ids) == len(set(ids))  # windows do not overlap
                ended = {s.session_id for s in truth.sessions if s.account_index == i and s.end is not None}
                assert set(ids) == ended and len(ended) > 60
                sums: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
                for row in rows:
                    gt = by_id[row.session_id]
                    assert row.placed_orders == gt.placed_orders
                    assert row.confirmed_orders == gt.confirmed_orders
                    assert row.confirmed_sales == gt.confirmed_gmv
                    acc = sums[row.start_time.astimezone(JKT).date()]
                    acc[0] += 1
                    acc[1] += row.placed_orders or 0
                    acc[2] += int(row.confirmed_sales or 0)
                assert min(sums) <= today - timedelta(days=85)
                for day, (n, po, cs) in sums.items():
                    d = days[(i, day)]
                    if day < today:  # today's list leaves out the session still on air
                        assert (n, po, cs) == (d.sessions, d.placed_orders, d.confirmed_gmv), day
                beyond = await client.live_list(account, end_date=today, time_dim="30d", page=99, page_size=20)
                assert beyond.items == []


async def test_confirmed_figures_settle_after_the_end() -> None:
    config = SimulatorConfig(seed=13, accounts=10, speed=0, start=START, settle_delay=timedelta(hours=3))
    async with run_simulator(config) as running:
        sim = running.sim
        sessions = [
            s
            for s in sim.ground_truth(START + timedelta(days=1), from_date=START.date(), to_date=START.date()).sessions
            if s.placed_orders >= 5
        ]
        target = max(sessions, key=lambda s: s.placed_orders)
        assert target.end is not None
        account = AccountContext.create("a", sim.cookie(target.account_index))
        async with ShopeeClient(_settings(running.base_url)) as client:
            sim.set_time(target.end + timedelta(seconds=1))
            early = await client.overview(account, target.session_id)
            sim.set_time(target.settles_at)
            late = await client.overview(account, target.session_id)
        assert early.placed_orders == late.placed_orders == target.placed_orders
        assert (early.confirmed_orders or 0) <= (late.confirmed_orders or 0) == target.confirmed_orders
        assert late.confirmed_gmv == target.confirmed_gmv


async def test_same_seed_same_responses() -> None:
    paths = [
        "/supply/api/lm/sellercenter/realtime/sessionList?page=1&pageSize=50",
        "/supply/api/lm/sellercenter/liveList/v2?page=1&pageSize=50&timeDim=30d&endDate=2025-06-02",
    ]

    async def collect(seed: int) -> list[bytes]:
        bodies: list[bytes] = []
        async with run_simulator(SimulatorConfig(seed=seed, accounts=8, speed=0, start=START)) as running:
            sim = running.sim
            async with httpx.AsyncClient(base_url=running.base_url, headers={"x-region": "id"}) as http:
                for i in range(8):
                    for path in paths:
                        response = await http.get(path, headers={"cookie": sim.cookie(i)})
                        bodies.append(response.content)
                    sid = sim.sessions_of(i)[0] if sim.sessions_of(i) else 0
                    response = await http.get(
                        f"/supply/api/lm/sellercenter/realtime/dashboard/productList?sessionId={sid}&pageSize=500",
                        headers={"cookie": sim.cookie(i), "x-region-domain": "co.id"},
                    )
                    bodies.append(response.content)
        return bodies

    first, second, other = await collect(5), await collect(5), await collect(6)
    assert first == second
    assert first != other


async def test_status_quirk_and_ongoing_probe() -> None:
    config = SimulatorConfig(seed=14, accounts=N, speed=0, start=START, status_lie_fraction=1.0)
    async with run_simulator(config) as running:
        sim = running.sim
        live = [s for s in sim.ground_truth().sessions if s.is_live]
        assert live
        gt = live[0]
        assert gt.reports_status_ended_while_live
        account = AccountContext.create("a", sim.cookie(gt.account_index))
        async with ShopeeClient(_settings(running.base_url)) as client:
            row = next(r for r in await client.all_sessions(account) if r.session_id == gt.session_id)
            assert row.status == 2  # reported ended...
            sim.advance(timedelta(minutes=5))
            later = next(r for r in await client.all_sessions(account) if r.session_id == gt.session_id)
            assert later.duration > row.duration  # ...but still on air: duration keeps growing
            probe = await client.ongoing_live(gt.user_id)
            assert probe.ongoing_live is not None
            assert probe.ongoing_live.session_id == gt.session_id
            idle = [a.user_id for a in sim.accounts if a.index not in {s.account_index for s in live}]
            if idle:
                assert not (await client.ongoing_live(idle[0])).is_live


async def test_foreign_session_and_region_headers() -> None:
    async with run_simulator(SimulatorConfig(seed=15, accounts=N, speed=0, start=START)) as running:
        sim = running.sim
        owner = next(i for i in range(N) if sim.sessions_of(i))
        other = (owner + 1) % N
        sid = sim.sessions_of(owner)[0]
        async with ShopeeClient(_settings(running.base_url)) as client:
            with pytest.raises(NotOwned):
                await client.overview(AccountContext.create("x", sim.cookie(other)), sid)
            with pytest.raises(NotOwned):
                await client.product_list(AccountContext.create("x", sim.cookie(other)), sid)
            assert (await client.overview(AccountContext.create("o", sim.cookie(owner)), sid)).viewers
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            path = f"/supply/api/lm/sellercenter/realtime/dashboard/overview?sessionId={sid}"
            bare = await http.get(path, headers={"cookie": sim.cookie(owner)})
            assert bare.status_code == 404
            wrong = await http.get(
                "/supply/api/lm/sellercenter/dashboard/overview", headers={"cookie": sim.cookie(owner)}
            )
            assert wrong.status_code == 404
        settings = ClientSettings(base_url=running.base_url + "/nope")
        async with ShopeeClient(settings) as client:
            with pytest.raises(NotFound):
                await client.overview(AccountContext.create("o", sim.cookie(owner)), sid)
