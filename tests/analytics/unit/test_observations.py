"""Helpers of `livestudio_analytics.observations` that the hot path rewrote as arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from livestudio_analytics.observations import minute_of


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)))
def test_minute_of_truncates_to_the_utc_minute(ts: datetime) -> None:
    assert minute_of(ts) == ts.replace(second=0, microsecond=0)
    assert minute_of(ts).tzinfo is UTC
