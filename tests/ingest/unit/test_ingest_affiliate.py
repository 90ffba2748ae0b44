"""The affiliate reader's pure rules: which windows to read when, and Shopee's checkout as the contract's event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from livestudio_ingest.affiliate.mapping import checkout_event, fingerprint, status_of, wrap
from livestudio_ingest.affiliate.schedule import (
    MAX_WINDOW,
    Read,
    ReadPolicy,
    ReadState,
    after_reads,
    due_reads,
    windows,
)
from shopee_client.client.models import AffiliateCheckout

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
POLICY = ReadPolicy()


def test_an_account_never_read_is_backfilled_30_days_first() -> None:
    assert due_reads(ReadState(), NOW, POLICY) == [Read("backfill", NOW - timedelta(days=30), NOW)]


def test_new_checkouts_are_read_every_interval_with_an_overlap() -> None:
    last_new = NOW - timedelta(minutes=5)
    state = ReadState(backfilled_at=NOW - timedelta(hours=1), last_new_at=last_new, last_reread_at=NOW)
    assert due_reads(state, NOW, POLICY) == []
    later = NOW + timedelta(minutes=10)
    assert due_reads(state, later, POLICY) == [Read("new", last_new - POLICY.overlap, later)]


def test_pending_checkouts_are_re_read_from_the_oldest_one_and_nothing_pending_means_no_re_read() -> None:
    oldest = NOW - timedelta(days=5)
    state = ReadState(NOW - timedelta(days=9), NOW - timedelta(minutes=1), NOW - timedelta(hours=7), oldest)
    assert due_reads(state, NOW, POLICY) == [Read("reread", oldest, NOW)]
    assert due_reads(ReadState(state.backfilled_at, state.last_new_at, state.last_reread_at, None), NOW, POLICY) == []
    ancient = ReadState(state.backfilled_at, state.last_new_at, state.last_reread_at, NOW - timedelta(days=400))
    assert due_reads(ancient, NOW, POLICY) == [Read("reread", NOW - POLICY.horizon, NOW)]


def test_a_stopped_clock_gets_one_more_read_at_its_instant() -> None:
    oldest = NOW - timedelta(days=2)
    state = ReadState(NOW - timedelta(days=9), NOW - timedelta(minutes=1), NOW - timedelta(minutes=1), oldest)
    assert due_reads(state, NOW, POLICY) == []
    assert due_reads(state, NOW, POLICY, clock_stopped=True) == [Read("reread", oldest, NOW)]
    done = after_reads(state, [Read("reread", oldest, NOW)], NOW)
    assert due_reads(done, NOW, POLICY, clock_stopped=True) == []


def test_after_reads_records_what_was_read() -> None:
    s = after_reads(ReadState(), [Read("backfill", NOW - timedelta(days=30), NOW)], NOW)
    assert (s.backfilled_at, s.last_new_at, s.last_reread_at) == (NOW, NOW, NOW)
    s2 = after_reads(s, [Read("new", NOW, NOW)], NOW + timedelta(hours=1))
    assert (s2.last_new_at, s2.last_reread_at) == (NOW + timedelta(hours=1), NOW)


@given(st.integers(min_value=0, max_value=200 * 24), st.integers(min_value=1, max_value=40 * 24))
def test_windows_cover_the_range_exactly_in_pieces_shopee_accepts(hours: int, size_h: int) -> None:
    start = NOW - timedelta(hours=hours)
    size = min(timedelta(hours=size_h), MAX_WINDOW)
    pieces = windows(start, NOW, size)
    assert all(hi - lo <= size for lo, hi in pieces)
    if hours == 0:
        assert pieces == []
        return
    assert pieces[0][1] == NOW and pieces[-1][0] == start
    assert all(a[0] == b[1] for a, b in pairwise(pieces))


def _checkout(**changes: object) -> AffiliateCheckout:
    raw: dict[str, object] = {
        "checkout_id": 1234,
        "purchase_time": 1_750_000_000,
        "checkout_status": "Pending",
        "conversion_status": 1,
        "checkout_complete_time": 0,
        "estimated_total_commission": 6_170_000,
        "estimated_total_commission_with_mcn": 6_855_555,
        "linked_mcn_commission_rate": "10000",
        "internal_source": "Shopeelive-Shopee",
        "orders": [
            {
                "order_id": 12341,
                "order_status": "Paid",
                "items": [
                    {
                        "item_id": 1,
                        "item_name": "Serum",
                        "item_price": 12_340_000_000,
                        "actual_amount": 12_340_000_000,
                        "qty": 1,
                        "item_commission": 6_855_555,
                    }
                ],
            }
        ],
    }
    raw.update(changes)
    return AffiliateCheckout.model_validate(raw)


def _event(c: AffiliateCheckout, at: datetime = NOW):  # type: ignore[no-untyped-def]
    return checkout_event(c, account_id="a1", studio_id="s1", currency="IDR", timezone="Asia/Jakarta", observed_at=at)


def test_money_is_converted_from_shopee_units_exactly_and_final_is_unknown_while_pending() -> None:
    e = _event(_checkout())
    assert (e.status, e.source) == ("pending", "live")
    assert e.estimated_commission == Decimal("61.7")
    assert e.estimated_commission_with_mcn == Decimal("68.55555")
    assert e.final_commission is None and e.final_commission_with_mcn is None
    assert e.gmv == Decimal(123_400)
    body = wrap(e, fingerprint(e)).model_dump(mode="json")["data"]
    assert body["estimated_commission_with_mcn"] == "68.55555" and body["gmv"] == "123400.00000"


def test_completed_is_final_and_a_cancelled_checkout_earns_nothing() -> None:
    done = _event(_checkout(checkout_status="Completed", conversion_status=2, checkout_complete_time=1_750_500_000))
    assert done.status == "completed" and done.final_commission == Decimal("61.7") and done.completed_at is not None
    gone = _event(_checkout(checkout_status="Cancelled", conversion_status=4))
    assert gone.status == "cancelled"
    assert gone.estimated_commission == 0 and gone.final_commission == 0 and gone.final_commission_with_mcn == 0
    assert status_of(_checkout(checkout_status="Weird", conversion_status=9)) == "other"
    assert _event(_checkout(internal_source="Shopeevideo-Shopee")).source == "video"
    assert _event(_checkout(internal_source=None)).source == "other"


def test_the_fingerprint_and_id_ignore_when_it_was_observed_but_not_what_changed() -> None:
    a, b = _event(_checkout()), _event(_checkout(), NOW + timedelta(hours=3))
    assert fingerprint(a) == fingerprint(b)
    assert wrap(a, fingerprint(a)).id == wrap(b, fingerprint(b)).id
    c = _event(_checkout(checkout_status="Completed", conversion_status=2))
    assert fingerprint(c) != fingerprint(a) and wrap(c, fingerprint(c)).id != wrap(a, fingerprint(a)).id
