"""Simulator world (Python API, no sockets): determinism, schedules, settling and cross-counter consistency."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shopee_client.simulator import Simulator, SimulatorConfig
from shopee_client.simulator.faults import FaultKind, corrupt_payload
from shopee_client.simulator.world import SHIFTS, decode_session_id, encode_session_id

pytestmark = pytest.mark.unit

START = datetime(2025, 6, 2, 13, 0, tzinfo=UTC)  # 20:00 Jakarta
JKT = ZoneInfo("Asia/Jakarta")


def make(seed: int = 1, accounts: int = 30, **kw: object) -> Simulator:
    return Simulator(SimulatorConfig(seed=seed, accounts=accounts, speed=0, start=START, **kw))  # type: ignore[arg-type]


def test_same_seed_same_world() -> None:
    a, b = make(seed=7), make(seed=7)
    assert a.ground_truth().model_dump() == b.ground_truth().model_dump()
    assert [x.cookie for x in a.accounts] == [x.cookie for x in b.accounts]
    c = make(seed=8)
    assert a.ground_truth().model_dump() != c.ground_truth().model_dump()


def test_session_ids_round_trip() -> None:
    assert decode_session_id(encode_session_id(2000, 1234, 3)) == (2000, 1234, 3)
    sid = encode_session_id(2000, 9999, 3)
    assert 100_000_000 <= sid < 1_000_000_000


def test_sessions_follow_shifts_and_do_not_overlap() -> None:
    sim = make(accounts=60)
    truth = sim.ground_truth(START, from_date=START.date() - timedelta(days=10), to_date=START.date() - timedelta(1))
    assert truth.sessions
    per_account: dict[int, list[tuple[datetime, datetime]]] = {}
    for s in truth.sessions:
        local_start = s.start.astimezone(JKT)
        decoded = decode_session_id(s.session_id)
        assert decoded is not None
        shift_start, shift_end = SHIFTS[decoded[2]]
        assert shift_start <= local_start.hour < shift_end
        assert timedelta(minutes=20) <= (s.scheduled_end - s.start) <= timedelta(hours=12)
        assert 20 <= len(s.items) <= 100
        per_account.setdefault(s.account_index, []).append((s.start, s.scheduled_end))
    for spans in per_account.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start


def test_counters_monotonic_and_settle() -> None:
    sim = make(accounts=10, settle_delay=timedelta(hours=2))
    world = sim.world
    plans = [p for a in range(10) for p in world.plans_for_day(a, START.date() - timedelta(days=1))]
    assert plans
    for plan in plans[:8]:
        sess = world.session_of(plan)
        prev = None
        for k in range(0, 40):
            t = sess.start_ms + (sess.end_ms + 3 * 3_600_000 - sess.start_ms) * k // 39
            st = sess.state(t)
            if prev is not None:
                for field in (
                    "viewers",
                    "views",
                    "likes",
                    "placed_orders",
                    "placed_gmv",
                    "confirmed_orders",
                    "confirmed_gmv",
                    "peak_ccu",
                    "atc",
                    "product_clicks",
                    "duration_ms",
                ):
                    assert getattr(st, field) >= getattr(prev, field), field
            assert st.confirmed_orders <= st.placed_orders
            assert st.ccu <= st.peak_ccu <= max(st.viewers, 1)
            prev = st
        final = sess.state(sess.settles_at_ms)
        assert sess.settles_at_ms <= sess.end_ms + 2 * 3_600_000
        assert final.confirmed_orders == len([c for c in sess.order_conf if c >= 0])
        if final.placed_orders >= 20:
            assert 0.6 <= final.confirmed_orders / final.placed_orders <= 1.0


def test_items_sum_to_session_totals() -> None:
    sim = make(accounts=20)
    for s in sim.ground_truth().sessions:
        assert sum(i.placed_orders for i in s.items) == s.placed_orders
        assert sum(i.placed_gmv for i in s.items) == s.placed_gmv
        assert sum(i.placed_items_sold for i in s.items) == s.placed_items_sold
        assert sum(i.confirmed_orders for i in s.items) == s.confirmed_orders
        assert sum(i.confirmed_gmv for i in s.items) == s.confirmed_gmv
        assert sum(i.atc for i in s.items) == s.atc
        assert sum(i.product_clicks for i in s.items) == s.product_clicks


def test_account_days_sum_sessions() -> None:
    truth = make(accounts=20).ground_truth()
    for day in truth.account_days:
        group = [s for s in truth.sessions if s.session_id in day.session_ids]
        assert all(s.local_date == day.local_date for s in group)
        assert day.placed_gmv == sum(s.placed_gmv for s in group)
        assert day.confirmed_orders == sum(s.confirmed_orders for s in group)


def test_tier_sizes_are_realistic() -> None:
    sim = make(accounts=80)
    truth = sim.ground_truth(from_date=START.date() - timedelta(days=6), to_date=START.date() - timedelta(days=1))
    for s in truth.sessions:
        tier = sim.accounts[s.account_index].tier
        if tier == "small":
            assert s.placed_orders <= 15
            assert s.peak_ccu <= 40
        elif tier == "large":
            assert s.viewers >= 25_000
        if s.placed_orders:
            assert 30_000 <= s.placed_gmv / s.placed_items_sold <= 250_000


def test_fault_decisions_are_deterministic() -> None:
    a, b = make(), make()
    a.set_faults(rate_5xx=0.2, rate_429=0.1)
    b.set_faults(rate_5xx=0.2, rate_429=0.1)
    da = [a.faults.decide(1, "overview", n, session_scoped=True) for n in range(200)]
    db = [b.faults.decide(1, "overview", n, session_scoped=True) for n in range(200)]
    assert da == db
    share = sum(1 for d in da if d is not None) / 200
    assert 0.2 <= share <= 0.4
    assert {d for d in da if d} <= {FaultKind.HTTP_5XX, FaultKind.HTTP_429}


def test_corrupt_payload() -> None:
    data: dict[str, Any] = {"page": 1, "list": [{"sessionId": 5, "title": "x"}]}
    corrupted, changed = corrupt_payload(data)
    assert changed
    assert isinstance(corrupted, dict)
    assert corrupted["list"][0]["sessionId"] == "N/A"
    assert data["list"][0]["sessionId"] == 5


def test_cookie_identifies_account_and_expiry() -> None:
    sim = make(accounts=5)
    assert sim.authenticate(sim.cookie(3)).account == 3
    assert sim.authenticate(sim.cookie(3)).status == "ok"
    assert sim.authenticate("SPC_U=1; SPC_ST=.x").status == "unknown"
    assert sim.authenticate(sim.cookie(3).replace("SPC_ST=.", "SPC_ST=.x")).status == "unknown"
    sim.set_faults(expired_accounts=[3])
    assert sim.authenticate(sim.cookie(3)).status == "expired"
    fresh = sim.issue_login(3)
    assert sim.authenticate(fresh).status == "ok"
