"""Derived figures, comparisons, ranges and freshness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

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
    assert set(changes) == set(analytics.COMPARED) <= set(Figures.__struct_fields__)


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
