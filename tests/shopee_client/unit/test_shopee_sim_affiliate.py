"""The simulated affiliate report: sources, life of a checkout, money units, and agreement with the ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shopee_client.client.models import AffiliateReport
from shopee_client.simulator import Simulator, SimulatorConfig
from shopee_client.simulator.affiliate import AFFILIATE_UNIT, checkout_row, checkouts_between, live_checkouts

DAY_MS = 86_400_000
START = datetime(2025, 6, 12, 12, tzinfo=UTC)


def _sim() -> Simulator:
    return Simulator(SimulatorConfig(seed=9, accounts=6, start=START, speed=0))


def test_report_rows_parse_with_sources_statuses_and_units() -> None:
    sim = _sim()
    now = sim.now_ms()
    checkouts = checkouts_between(sim.world, 2, now - 5 * DAY_MS, now, 3 * DAY_MS)
    rows = [checkout_row(c, now) for c in checkouts]
    report = AffiliateReport.model_validate({"total_count": len(rows), "list": rows})
    sources = {c.source for c in report.items}
    assert sources == {"live", "video", "other"}
    assert {c.checkout_status for c in report.items} == {"Pending", "Completed", "Cancelled"}
    for raw, parsed in zip(rows, report.items, strict=True):
        # Shopee's 1/100000 units become currency units exactly
        assert (
            parsed.estimated_total_commission_with_mcn
            == Decimal(raw["estimated_total_commission_with_mcn"]) / AFFILIATE_UNIT
        )
        assert (
            parsed.orders[0].items[0].actual_amount
            == Decimal(raw["orders"][0]["items"][0]["actual_amount"]) / AFFILIATE_UNIT
        )
        if parsed.is_cancelled:
            assert parsed.estimated_total_commission == 0
        # account 2 is linked to an MCN taking 10%
        assert parsed.estimated_total_commission is not None
        assert parsed.estimated_total_commission <= parsed.estimated_total_commission_with_mcn


def test_a_checkout_goes_pending_then_completed_or_cancelled_and_never_back() -> None:
    sim = _sim()
    now = sim.now_ms()
    for c in checkouts_between(sim.world, 0, now - 2 * DAY_MS, now, DAY_MS):
        seen = [c.status_at(c.purchase_ms + k * 3_600_000) for k in range(0, 24 * 6)]
        assert seen[0] == "Pending"
        final = seen[-1]
        assert final in ("Completed", "Cancelled")
        first_final = seen.index(final)
        assert set(seen[first_final:]) == {final}
        assert set(seen[:first_final]) == {"Pending"}


def test_ground_truth_commission_of_a_session_is_the_sum_of_its_live_checkouts() -> None:
    sim = _sim()
    at = START + timedelta(days=4)
    truth = sim.ground_truth(at, from_date=START.date() - timedelta(days=1), to_date=START.date(), include_items=False)
    assert truth.commission_sessions and truth.commission_days
    at_ms = int(at.timestamp() * 1000)
    for ct in truth.commission_sessions[:5]:
        sess = sim.world.session(ct.session_id or 0)
        assert sess is not None
        rows = [checkout_row(c, at_ms) for c in live_checkouts(sess, 3 * DAY_MS)]
        assert ct.estimated == sum(Decimal(r["estimated_total_commission"]) for r in rows) / AFFILIATE_UNIT
        final = sum(Decimal(r["estimated_total_commission"]) for r in rows if r["checkout_status"] == "Completed")
        assert ct.final == final / AFFILIATE_UNIT
        assert ct.completed + ct.cancelled + ct.pending == ct.checkouts == len(rows)
    assert any(ct.completed for ct in truth.commission_sessions)
    assert any(ct.cancelled for ct in truth.commission_sessions)
