"""The studio's attribution policy (issue #20): `schedule` keeps today's windows; `check_in_required` drops the
windows of entries without a check-in, so their time and sales go to the unassigned bucket. Also the bounds of
the studio settings and corrections, and where a session's change marks attendance for recomputation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from livestudio_commission.attendance_records import on_air_changes
from livestudio_commission.attribution import METRICS, Bucket, Increment, MetricDelta, SessionState, allocate_increment
from livestudio_commission.roster import (
    CheckEvent,
    OnAirWindow,
    Policy,
    ScheduleEntry,
    effective_windows,
    policy_at,
    requires_check_in,
)
from livestudio_runtime import ownership
from livestudio_schemas.commands import AttendanceCorrect, StudioUpsert

JKT = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 2)


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=JKT)


def entry(entry_id: str, host: str, start: datetime, end: datetime) -> ScheduleEntry:
    return ScheduleEntry(entry_id, host, "acc", start, end, Decimal(1), None, DAY)


def check(check_id: str, host: str, kind: str, at: datetime) -> CheckEvent:
    return CheckEvent(check_id, host, "acc", kind, at)  # type: ignore[arg-type]


def spans(windows: list[OnAirWindow]) -> list[tuple[str, str, datetime, datetime]]:
    return sorted((w.host_id, w.key, w.start, w.end) for w in windows)


REQUIRED: list[tuple[datetime, Policy]] = [(local(0), "check_in_required")]
ENTRIES = [entry("e1", "h1", local(10), local(12)), entry("e2", "h2", local(12), local(14))]
CHECKS = [check("c1", "h1", "in", local(10, 5)), check("c2", "h1", "out", local(12))]


def test_schedule_policy_is_todays_behaviour() -> None:
    plain = effective_windows(ENTRIES, CHECKS, JKT)
    assert effective_windows(ENTRIES, CHECKS, JKT, check_in_required=requires_check_in([])) == plain
    assert requires_check_in([(local(0), "schedule")]) is None
    assert spans(plain) == [("h1", "e1", local(10, 5), local(12)), ("h2", "e2", local(12), local(14))]


def test_check_in_required_drops_windows_without_a_check_in() -> None:
    got = effective_windows(ENTRIES, CHECKS, JKT, check_in_required=requires_check_in(REQUIRED))
    assert spans(got) == [("h1", "e1", local(10, 5), local(12))]
    # a check-out alone is not a check-in
    out_only = [check("c3", "h2", "out", local(13))]
    assert effective_windows(ENTRIES[1:], out_only, JKT)  # under `schedule`: 12:00-13:00
    assert effective_windows(ENTRIES[1:], out_only, JKT, check_in_required=requires_check_in(REQUIRED)) == []


def test_without_a_check_in_the_sales_go_to_the_unassigned_bucket() -> None:
    increment = Increment(
        1, "time", local(14), {"placed_sales": MetricDelta(Decimal(400), local(10), local(14))}, (local(10), local(14))
    )
    required = effective_windows(ENTRIES, CHECKS, JKT, check_in_required=requires_check_in(REQUIRED))
    parts = allocate_increment(increment, required, JKT, {}, Decimal(1))
    by_host = {b.host_key: f.values["placed_sales"] for b, f in parts.items()}
    # h1 on air 10:05-12:00 (115 of 240 minutes); h2 never checked in: unassigned with 10:00-10:05
    assert by_host == {"h1": Decimal(192), "": Decimal(208)}
    assert Bucket.unassigned(DAY) in parts
    schedule = allocate_increment(increment, effective_windows(ENTRIES, CHECKS, JKT), JKT, {}, Decimal(1))
    assert "" in {b.host_key for b in schedule} and "h2" in {b.host_key for b in schedule}


def test_the_policy_in_force_at_an_entry_start_governs_it() -> None:
    changes: list[tuple[datetime, Policy]] = [(local(11), "check_in_required"), (local(13), "schedule")]
    assert policy_at(changes, local(10)) == "schedule"
    assert policy_at(changes, local(11)) == "check_in_required"
    assert policy_at(changes, local(13)) == "schedule"
    entries = [
        entry("before", "h1", local(10), local(11)),
        entry("during", "h2", local(11), local(12)),
        entry("after", "h3", local(13), local(14)),
    ]
    got = effective_windows(entries, [], JKT, check_in_required=requires_check_in(changes))
    assert [w.key for w in sorted(got, key=lambda w: w.start)] == ["before", "after"]


def test_studio_settings_and_corrections_are_bounded() -> None:
    studio = StudioUpsert(studio_id="s", name="S", attendance_grace_minutes=10, attribution_policy="check_in_required")
    assert (studio.attendance_grace_minutes, studio.attribution_policy) == (10, "check_in_required")
    assert StudioUpsert(studio_id="s", name="S").attendance_grace_minutes is None  # None keeps what is stored
    with pytest.raises(ValidationError):
        StudioUpsert(studio_id="s", name="S", attendance_grace_minutes=-1)
    with pytest.raises(ValidationError):
        StudioUpsert(studio_id="s", name="S", attribution_policy="whoever")  # type: ignore[arg-type]
    ok = AttendanceCorrect(entry_id="e1", studio_id="s", status="late", late_minutes=12, reason="traffic jam")
    assert ownership.references(ok) == [ownership.Ref("schedule entry", "e1", "exists")]
    for bad in (
        {"status": "late", "reason": "x"},  # late by how much?
        {"status": "left_early", "left_early_minutes": 0, "reason": "x"},
        {"status": "absent", "late_minutes": 3, "reason": "x"},
        {"status": "on_time", "late_minutes": 3, "reason": "x"},
        {"status": "on_time", "reason": "  "},  # a reason is required
        {"status": "on_time", "reason": ""},
    ):
        with pytest.raises(ValidationError):
            AttendanceCorrect(entry_id="e1", studio_id="s", **bad)  # type: ignore[arg-type]


def test_attendance_is_marked_where_a_sessions_on_air_interval_changed() -> None:
    live = SessionState(
        "acc", 1, "s", "Asia/Jakarta", "IDR", local(10), None, local(11), dict.fromkeys(METRICS), dict.fromkeys(METRICS)
    )
    later = replace(live, last_observed_at=local(11, 5))
    ended = replace(later, ended_at=local(11, 2))
    assert on_air_changes([(None, live)]) == [("acc", local(10), local(11))]  # a new session: all of it
    assert on_air_changes([(live, later)]) == [("acc", local(11), local(11, 5))]  # it went on
    assert on_air_changes([(later, ended)]) == [("acc", local(11, 2), local(11, 5))]  # it ended before the last poll
    assert on_air_changes([(ended, replace(ended, last_observed_at=local(12)))]) == []  # figures after the end
