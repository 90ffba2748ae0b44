"""Roster as time: shift templates in local time, and check-in/check-out overriding the schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from livestudio_commission.roster import (
    CheckEvent,
    OnAirWindow,
    RosterError,
    ScheduleEntry,
    effective_windows,
    resolve_entry_window,
    shift_window,
)

JKT = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 2)


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JKT)


def entry(entry_id: str, host: str, start: datetime, end: datetime, share: str = "1") -> ScheduleEntry:
    return ScheduleEntry(entry_id, host, "acc", start, end, Decimal(share), "day", DAY)


def check(check_id: str, host: str, kind: str, at: datetime) -> CheckEvent:
    return CheckEvent(check_id, host, "acc", kind, at)  # type: ignore[arg-type]


def spans(windows: list[OnAirWindow]) -> list[tuple[str, str, datetime, datetime]]:
    return sorted((w.host_id, w.key, w.start, w.end) for w in windows)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (time(5), time(10), (local(5), local(10))),
        (time(20), time(0), (local(20), local(0, day=date(2026, 3, 3)))),  # 20-24 ends at midnight
        (time(22), time(2), (local(22), local(2, day=date(2026, 3, 3)))),  # crossing midnight
        (time(8), time(8), (local(8), local(8, day=date(2026, 3, 3)))),  # end == start: a 24-hour shift
    ],
)
def test_shift_windows_are_local(start: time, end: time, expected: tuple[datetime, datetime]) -> None:
    got = shift_window(DAY, start, end, JKT)
    assert got == expected
    assert got[0].tzinfo == ZoneInfo("UTC")


def test_shift_start_in_utc() -> None:
    assert shift_window(DAY, time(5), time(10), JKT)[0] == datetime(2026, 3, 1, 22, tzinfo=UTC)  # 05:00 WIB


def test_entry_resolution() -> None:
    explicit = resolve_entry_window(
        starts_at=local(23), ends_at=local(1, day=date(2026, 3, 3)), shift=None, shift_date=None, tz=JKT
    )
    assert explicit == (local(23), local(1, day=date(2026, 3, 3)), DAY)
    assert resolve_entry_window(starts_at=None, ends_at=None, shift=None, shift_date=DAY, tz=JKT) is None
    shifted = resolve_entry_window(starts_at=None, ends_at=None, shift=(time(10), time(15)), shift_date=DAY, tz=JKT)
    assert shifted is not None and shifted[2] == DAY
    with pytest.raises(RosterError):
        resolve_entry_window(starts_at=local(10), ends_at=None, shift=None, shift_date=None, tz=JKT)
    with pytest.raises(RosterError):
        resolve_entry_window(starts_at=local(10), ends_at=local(9), shift=None, shift_date=None, tz=JKT)
    with pytest.raises(RosterError):
        resolve_entry_window(starts_at=None, ends_at=None, shift=None, shift_date=None, tz=JKT)


def test_schedule_without_checks_is_the_window() -> None:
    entries = [entry("e1", "h1", local(10), local(15)), entry("e2", "h2", local(10), local(15), "3")]
    got = effective_windows(entries, [], JKT)
    assert spans(got) == [("h1", "e1", local(10), local(15)), ("h2", "e2", local(10), local(15))]
    assert {w.host_id: w.share for w in got} == {"h1": Decimal(1), "h2": Decimal(3)}


def test_check_in_and_out_override_the_schedule() -> None:
    entries = [entry("e1", "h1", local(10), local(15))]
    checks = [check("c1", "h1", "in", local(10, 20)), check("c2", "h1", "out", local(14, 40))]
    assert spans(effective_windows(entries, checks, JKT)) == [("h1", "e1", local(10, 20), local(14, 40))]


def test_a_break_splits_the_window_and_an_open_check_in_runs_to_the_scheduled_end() -> None:
    entries = [entry("e1", "h1", local(10), local(15))]
    checks = [
        check("c1", "h1", "in", local(9, 55)),
        check("c2", "h1", "out", local(12)),
        check("c3", "h1", "in", local(12, 30)),
    ]
    assert spans(effective_windows(entries, checks, JKT)) == [
        ("h1", "e1", local(9, 55), local(12)),
        ("h1", "e1", local(12, 30), local(15)),
    ]


def test_check_out_only_ends_the_scheduled_window_early() -> None:
    entries = [entry("e1", "h1", local(10), local(15))]
    checks = [check("c1", "h1", "out", local(13))]
    assert spans(effective_windows(entries, checks, JKT)) == [("h1", "e1", local(10), local(13))]


def test_an_unscheduled_check_in_is_an_ad_hoc_window() -> None:
    entries = [entry("e1", "h1", local(10), local(15))]
    checks = [check("c1", "h9", "in", local(16)), check("c2", "h9", "out", local(17, 30))]
    got = spans(effective_windows(entries, checks, JKT))
    assert ("h9", "checkin:c1", local(16), local(17, 30)) in got
    assert ("h1", "e1", local(10), local(15)) in got


def test_a_check_in_pairs_with_the_entry_it_overlaps_most() -> None:
    entries = [entry("morning", "h1", local(5), local(10)), entry("day", "h1", local(10), local(15))]
    checks = [check("c1", "h1", "in", local(9, 50)), check("c2", "h1", "out", local(14))]
    got = spans(effective_windows(entries, checks, JKT))
    # 10 minutes of the morning shift, four hours of the day shift: the pair belongs to the day shift
    assert got == [("h1", "day", local(9, 50), local(14)), ("h1", "morning", local(5), local(10))]
