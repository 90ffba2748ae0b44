"""What a batch marks dirty for the rollup refresher: each session's earliest touched minute, and which merged
sessions change their days' product rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime

from livestudio_analytics.handlers import first_minutes
from livestudio_analytics.repository import MergedSession

T = datetime(2026, 11, 2, 16, tzinfo=UTC)


def at(minute: int) -> datetime:
    return T.replace(minute=minute)


def test_first_minutes_keeps_each_sessions_earliest_point_in_key_order() -> None:
    points = [("b", 2, at(30)), ("a", 1, at(40)), ("a", 1, at(5)), ("b", 2, at(31)), ("a", 3, at(50))]
    assert first_minutes(points) == [("a", 1, at(5)), ("a", 3, at(50)), ("b", 2, at(30))]
    assert first_minutes([]) == []


def test_a_session_moves_its_product_days_when_new_or_on_another_day_or_studio() -> None:
    d1, d2 = date(2026, 11, 2), date(2026, 11, 3)
    assert MergedSession("a", 1, d1, None, None, "st-1", None).moved  # new
    assert MergedSession("a", 1, d2, d1, T, "st-1", "st-1").moved  # another local day
    assert MergedSession("a", 1, d1, d1, T, "st-2", "st-1").moved  # another studio
    assert not MergedSession("a", 1, d1, d1, T, "st-1", "st-1").moved  # figures only: items unchanged
