"""Derived figures, comparisons, ranges and freshness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livestudio_gateway import analytics
from livestudio_gateway.models import Figures
from livestudio_gateway.problems import BadRequest


def test_divide_is_exact_and_null_safe() -> None:
    assert analytics.divide(1, 3) == Decimal("0.333333")
    assert analytics.divide(Decimal("10.00"), 4, analytics.CENTS) == Decimal("2.50")
    assert analytics.divide(Decimal("0.125"), 1, analytics.CENTS) == Decimal("0.12")  # half-even
    assert analytics.divide(5, 0) is None
    assert analytics.divide(None, 5) is None and analytics.divide(5, None) is None


def test_gmv_per_streaming_hour() -> None:
    assert analytics.per_hour(Decimal("1500000"), 5_400_000) == Decimal("1000000.00")  # 1.5 h
    assert analytics.per_hour(Decimal("100"), 0) is None
    assert analytics.per_hour(None, 3_600_000) is None


def _row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sessions": 2,
        "streaming_ms": 7_200_000,
        "viewers": 400,
        "peak_viewers": 80,
        "placed_orders": 12,
        "confirmed_orders": 10,
        "placed_sales": Decimal("1200000"),
        "confirmed_sales": Decimal("1000000"),
        "ad_spend": Decimal("250000"),
    }
    return {**base, **overrides}


def test_figures_derive_roas_acos_aov_conversion() -> None:
    f = analytics.figures(_row())
    assert f.gmv_per_streaming_hour == Decimal("500000.00")
    assert f.conversion == Decimal("0.025000")
    assert f.aov == Decimal("100000.00")
    assert f.roas == Decimal("4.000000")
    assert f.acos == Decimal("0.250000")
    unknown = analytics.figures(_row(ad_spend=None, confirmed_sales=None, viewers=0))
    assert unknown.roas is None and unknown.acos is None and unknown.conversion is None and unknown.aov is None


def test_compare_diff_and_ratio() -> None:
    cur = analytics.figures(_row())
    prev = analytics.figures(_row(confirmed_sales=Decimal("800000"), sessions=0, ad_spend=None))
    changes = analytics.compare(cur, prev)
    assert changes["confirmed_sales"].diff == Decimal("200000")
    assert changes["confirmed_sales"].ratio == Decimal("1.250000")
    assert changes["sessions"].ratio is None  # previous was 0
    assert changes["ad_spend"].diff is None and changes["roas"].diff is None
    assert set(changes) == set(analytics.COMPARED) == set(Figures.__struct_fields__)


# --- the arithmetic against its definition, on any figures -------------------------------------------------------
def _reference_divide(numerator: Any, divisor: Any, places: Decimal) -> Decimal | None:
    if numerator is None or divisor is None or divisor == 0:
        return None
    return (Decimal(numerator) / Decimal(divisor)).quantize(places, rounding=ROUND_HALF_EVEN)


_counts = st.one_of(st.none(), st.just(0), st.integers(min_value=0, max_value=10**12))
_money = st.one_of(
    st.none(),
    st.just(Decimal(0)),
    st.decimals(min_value=0, max_value=Decimal("9" * 14), places=2, allow_nan=False, allow_infinity=False),
)
_rollups = st.fixed_dictionaries(
    {
        **{k: _counts for k in ("sessions", "streaming_ms", "viewers", "peak_viewers")},
        **{k: _counts for k in ("placed_orders", "confirmed_orders")},
        **{k: _money for k in ("placed_sales", "confirmed_sales", "ad_spend")},
    }
)


@settings(max_examples=300, deadline=None)
@given(current=_rollups, previous=_rollups)
def test_figures_and_comparison_follow_their_definition(current: dict[str, Any], previous: dict[str, Any]) -> None:
    """Derived figures are numerator / divisor rounded half-even (null when unknown or divided by 0); a change is
    current - previous and current / previous; every money-like value is a Decimal, so it travels as a string."""
    cur, prev = analytics.figures(current), analytics.figures(previous)
    for row, figs in ((current, cur), (previous, prev)):
        sales, orders = row["confirmed_sales"], row["confirmed_orders"]
        ms = row["streaming_ms"]
        amount = None if sales is None else sales * analytics.MS_PER_HOUR
        per_hour = None if not ms else _reference_divide(amount, ms, analytics.CENTS)
        assert figs.gmv_per_streaming_hour == per_hour
        assert figs.conversion == _reference_divide(orders, row["viewers"], analytics.RATE)
        assert figs.aov == _reference_divide(sales, orders, analytics.CENTS)
        assert figs.roas == _reference_divide(sales, row["ad_spend"], analytics.RATE)
        assert figs.acos == _reference_divide(row["ad_spend"], sales, analytics.RATE)
    changes = analytics.compare(cur, prev)
    assert list(changes) == list(Figures.__struct_fields__)
    for name, delta in changes.items():
        a, b = getattr(cur, name), getattr(prev, name)
        assert delta.diff == (None if a is None or b is None else Decimal(a) - Decimal(b))
        assert delta.ratio == _reference_divide(a, b, analytics.RATE)
        assert all(v is None or type(v) is Decimal for v in (delta.diff, delta.ratio))


def test_ranges() -> None:
    assert analytics.previous_range(date(2026, 11, 8), date(2026, 11, 14)) == (date(2026, 11, 1), date(2026, 11, 7))
    assert analytics.previous_range(date(2026, 3, 1), date(2026, 3, 1)) == (date(2026, 2, 28), date(2026, 2, 28))
    analytics.check_range(date(2026, 1, 1), date(2026, 12, 31))
    for bad in (
        (date(2026, 1, 2), date(2026, 1, 1)),
        (date(1999, 1, 1), date(2026, 1, 1)),
        (date(2026, 1, 1), date(2200, 1, 1)),
        (date(2024, 1, 1), date(2026, 1, 1)),
    ):
        with pytest.raises(BadRequest):
            analytics.check_range(*bad)


def test_freshness() -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert analytics.freshness(now - timedelta(seconds=30), now, 300, "active") == (30, "fresh")
    assert analytics.freshness(now - timedelta(seconds=301), now, 300, "active") == (301, "stale")
    assert analytics.freshness(now - timedelta(seconds=30), now, 300, "credentials_expired") == (30, "stale")
    assert analytics.freshness(None, now, 300, "connected") == (None, "unknown")
    assert analytics.freshness(now + timedelta(seconds=5), now, 300, "active") == (0, "fresh")  # clock skew


def test_session_derived_prefers_shopee_duration() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    row = {
        "duration_ms": None,
        "ended_at": start + timedelta(hours=2),
        "started_at": start,
        "confirmed_orders": 4,
        "viewers": 100,
        "confirmed_sales": Decimal("400000"),
    }
    derived = analytics.session_derived(row)
    assert derived.gmv_per_streaming_hour == Decimal("200000.00")
    assert analytics.session_derived({**row, "duration_ms": 3_600_000}).gmv_per_streaming_hour == Decimal("400000.00")
    assert analytics.session_derived({**row, "ended_at": None}).gmv_per_streaming_hour is None


def test_same_time_yesterday_is_the_same_wall_clock_time_across_a_dst_change() -> None:
    at = datetime(2026, 3, 9, 15, 30, tzinfo=UTC)  # 11:30 in New York, the day after clocks went forward
    today, yesterday, cutoff = analytics.same_time_yesterday(at, "America/New_York")
    assert (today, yesterday) == (date(2026, 3, 9), date(2026, 3, 8))
    assert cutoff == datetime(2026, 3, 8, 15, 30, tzinfo=UTC)  # 11:30 EDT as well (the change was at 02:00)
    _, _, before = analytics.same_time_yesterday(datetime(2026, 3, 8, 15, 30, tzinfo=UTC), "America/New_York")
    assert before == datetime(2026, 3, 7, 16, 30, tzinfo=UTC)  # 11:30 EST: 23 hours earlier, not 24
    _, day, _ = analytics.same_time_yesterday(datetime(2026, 1, 1, 18, 0, tzinfo=UTC), "Asia/Jakarta")
    assert day == date(2026, 1, 1)  # 01:00 on the 2nd in Jakarta


def test_settling_is_live_on_air_then_final_placed_and_settling_confirmed() -> None:
    day = date(2026, 12, 1)
    assert analytics.settling(True, day, "Asia/Jakarta", datetime(2030, 1, 1, tzinfo=UTC)).confirmed == "live"
    final_at = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # 00:00 Jakarta on Dec 9
    early = analytics.settling(False, day, "Asia/Jakarta", final_at - timedelta(seconds=1))
    assert (early.placed, early.confirmed, early.confirmed_final_at) == ("final", "settling", final_at)
    assert analytics.settling(False, day, "Asia/Jakarta", final_at).confirmed == "final"


def test_sum_known_keeps_unknown_apart_from_zero() -> None:
    assert analytics.sum_known([None, None]) is None
    assert analytics.sum_known([Decimal("1.50"), None, Decimal(2)]) == Decimal("3.50")
    assert analytics.sum_known([0, None]) == 0


@given(st.dates(analytics.MIN_DAY, analytics.MAX_DAY), st.integers(0, 800))
def test_full_months_split_a_range_into_ends_and_whole_months(day_from: date, length: int) -> None:
    day_to = day_from + timedelta(days=length)
    lo, hi = analytics.full_months(day_from, day_to)
    assert day_from <= lo <= hi <= day_to + timedelta(days=1)
    if lo < hi:  # [lo, hi) is whole months: starts on a first day, ends before one
        assert lo.day == 1 and hi.day == 1
        # the ends are shorter than a month each: no whole month left in them
        assert (lo - day_from).days < 31 and (day_to + timedelta(days=1) - hi).days < 31
    else:  # no whole month inside: everything is read from the daily rows
        assert lo == hi == day_to + timedelta(days=1)
        assert not any(
            day.day == 1 and (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1) <= day_to
            for day in (day_from + timedelta(days=n) for n in range(length + 1))
        )


def test_full_months_examples() -> None:
    d = date
    assert analytics.full_months(d(2026, 11, 3), d(2026, 11, 20)) == (d(2026, 11, 21), d(2026, 11, 21))
    assert analytics.full_months(d(2026, 11, 1), d(2026, 11, 30)) == (d(2026, 11, 1), d(2026, 12, 1))
    assert analytics.full_months(d(2026, 10, 31), d(2026, 12, 1)) == (d(2026, 11, 1), d(2026, 12, 1))
    assert analytics.full_months(d(2026, 12, 5), d(2027, 2, 28)) == (d(2027, 1, 1), d(2027, 3, 1))
    assert analytics.full_months(d(2026, 1, 31), d(2026, 3, 30)) == (d(2026, 2, 1), d(2026, 3, 1))
    assert analytics.full_months(d(2026, 1, 2), d(2026, 1, 31)) == (d(2026, 2, 1), d(2026, 2, 1))


def test_figures_of_equal_totals_are_built_once_and_equal_a_fresh_build() -> None:
    row = {
        "sessions": 3, "streaming_ms": 5_400_000, "viewers": 1_200, "peak_viewers": 300, "placed_orders": 40,
        "confirmed_orders": 37, "placed_sales": Decimal("4200000"), "confirmed_sales": Decimal("3885000"),
        "ad_spend": Decimal("150000.50"),
    }  # fmt: skip
    first = analytics.figures(row)
    assert analytics.figures(dict(row)) is first  # a later request for the same day: the same struct
    assert first.aov == Decimal("105000.00") and first.gmv_per_streaming_hour == Decimal("2590000.00")
    assert first.roas == Decimal("25.899914") and first.conversion == Decimal("0.030833")
    other = analytics.figures({**row, "confirmed_orders": 36})
    assert other is not first and other.aov == Decimal("107916.67")
