"""Attendance of a schedule entry from check-ins and on-air time: examples and properties (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livestudio_commission.attendance import attendance
from livestudio_commission.roster import CheckKind

START = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
END = START + timedelta(hours=4)
GRACE = timedelta(minutes=5)
MIN = timedelta(minutes=1)


def test_examples() -> None:
    on_time = attendance(START, END, [("in", START + 3 * MIN), ("out", END)], grace=GRACE)
    assert (on_time.status, on_time.late_minutes, on_time.left_early_minutes) == ("on_time", 0, 0)
    late = attendance(START, END, [("in", START + 17 * MIN + timedelta(seconds=40)), ("out", END)], grace=GRACE)
    assert (late.status, late.late_minutes) == ("late", 17)
    early = attendance(START, END, [("in", START), ("out", END - 30 * MIN)], grace=GRACE)
    assert (early.status, early.left_early_minutes) == ("left_early", 30)
    absent = attendance(START, END, [("in", END), ("out", END + 60 * MIN)], grace=GRACE)
    assert absent.status == "absent" and absent.late_minutes is None and absent.left_early_minutes is None
    # still checked in, and the account's on-air time unknown: leaving is unknown, never 0
    open_ = attendance(START, END, [("in", START)], grace=GRACE)
    assert (open_.status, open_.left_at, open_.left_early_minutes) == ("on_time", None, None)


def test_on_air_time_moves_the_start_and_the_end() -> None:
    # checked in on time, but the account went live only 20 minutes later and stopped an hour early
    live = [(START + 20 * MIN, END - 60 * MIN)]
    result = attendance(START, END, [("in", START)], on_air=live, grace=GRACE)
    assert (result.status, result.late_minutes, result.left_early_minutes) == ("late", 20, 60)
    # on air before the window: the check-in time is the start
    early_live = [(START - 30 * MIN, END)]
    assert attendance(START, END, [("in", START + MIN)], on_air=early_live, grace=GRACE).status == "on_time"


def test_refuses_what_is_not_a_window() -> None:
    with pytest.raises(ValueError):
        attendance(END, START, [])
    with pytest.raises(ValueError):
        attendance(START, END, [], grace=-MIN)


offsets = st.integers(min_value=-180, max_value=300)  # minutes from the start
events = st.lists(st.tuples(st.sampled_from(["in", "out"]), offsets), max_size=6)
graces = st.integers(min_value=0, max_value=30)


def _checks(raw: list[tuple[str, int]], shift: timedelta = timedelta(0)) -> list[tuple[CheckKind, datetime]]:
    return [("in" if kind == "in" else "out", START + shift + m * MIN) for kind, m in raw]


@given(events, graces, st.integers(min_value=-10_000, max_value=10_000))
def test_only_relative_time_matters(raw: list[tuple[str, int]], grace: int, shift_min: int) -> None:
    shift = shift_min * MIN
    a = attendance(START, END, _checks(raw), grace=grace * MIN)
    b = attendance(START + shift, END + shift, _checks(raw, shift), grace=grace * MIN)
    assert (a.status, a.late_minutes, a.left_early_minutes) == (b.status, b.late_minutes, b.left_early_minutes)


@given(events, graces)
def test_absent_exactly_when_no_check_in_reaches_the_window(raw: list[tuple[str, int]], grace: int) -> None:
    result = attendance(START, END, _checks(raw), grace=grace * MIN)
    reaches = any(kind == "in" and -120 <= m < 240 for kind, m in raw)
    assert (result.status == "absent") == (not reaches)
    if result.status == "absent":
        assert result.late_minutes is None and result.left_early_minutes is None
    else:
        assert result.late_minutes is not None and 0 <= result.late_minutes < 240
        assert result.left_early_minutes is None or 0 <= result.left_early_minutes <= 240


@given(st.integers(min_value=-120, max_value=239), st.integers(min_value=-120, max_value=239), graces)
def test_a_later_arrival_is_never_less_late(first: int, second: int, grace: int) -> None:
    early, late = sorted((first, second))
    a = attendance(START, END, [("in", START + early * MIN)], grace=grace * MIN)
    b = attendance(START, END, [("in", START + late * MIN)], grace=grace * MIN)
    assert a.late_minutes is not None and b.late_minutes is not None
    assert a.late_minutes <= b.late_minutes
    # within the grace period it is on time; beyond it, late by the whole minutes
    assert (b.status == "late") == (late > grace)
    if late > grace:
        assert b.late_minutes == late


@given(events, graces, st.lists(st.tuples(offsets, st.integers(min_value=1, max_value=300)), max_size=3))
def test_on_air_time_never_makes_a_host_less_late(
    raw: list[tuple[str, int]], grace: int, live: list[tuple[int, int]]
) -> None:
    intervals = [(START + a * MIN, START + (a + length) * MIN) for a, length in live]
    without = attendance(START, END, _checks(raw), grace=grace * MIN)
    with_live = attendance(START, END, _checks(raw), on_air=intervals, grace=grace * MIN)
    assert (without.status == "absent") == (with_live.status == "absent")
    if without.late_minutes is not None and with_live.late_minutes is not None:
        assert with_live.late_minutes >= without.late_minutes
