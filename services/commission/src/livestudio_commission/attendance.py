"""Attendance of one schedule entry: on time, late by N minutes, absent or left early (issue #20), as plain data.

Inputs are the entry's window, the host's check events on the entry's account and, when known, the account's
actual on-air intervals; a studio's grace period bounds what still counts as on time.

* Arrival: the first check-in from `CHECK_IN_EARLY` before the start up to (not including) the end. None: the
  host is **absent**.
* Start of work: the arrival, or, when the account's on-air time is known and the account went on air inside the
  window only later, that moment (a host who checked in but did not go live is not on time).
* Leaving: the first check-out after the arrival (a later check-in reopens nothing here: the first stint counts
  for leaving early); without one, the end of the last on-air interval inside the window when known, else
  unknown (then `left_early_minutes` is None, never 0). Leaving before the start counts as leaving at the start.
* `late_minutes` = whole minutes from the start to the start of work, 0 within the grace period;
  `left_early_minutes` = whole minutes from leaving to the end, 0 within the grace period.
* Status by precedence: `absent`, `late`, `left_early`, `on_time`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from livestudio_commission.roster import CHECK_IN_EARLY, CheckKind

Status = Literal["on_time", "late", "left_early", "absent"]
DEFAULT_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Attendance:
    status: Status
    arrived_at: datetime | None
    left_at: datetime | None
    late_minutes: int | None
    left_early_minutes: int | None


def _minutes(delta: timedelta, grace: timedelta) -> int:
    return 0 if delta <= grace else int(delta.total_seconds() // 60)


def attendance(
    starts_at: datetime,
    ends_at: datetime,
    checks: Sequence[tuple[CheckKind, datetime]],
    *,
    on_air: Sequence[tuple[datetime, datetime]] | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> Attendance:
    """The attendance of the entry [starts_at, ends_at) from the host's check events on its account."""
    if ends_at <= starts_at:
        raise ValueError("an entry ends after it starts")
    if grace < timedelta(0):
        raise ValueError("the grace period is not negative")
    events = sorted(checks, key=lambda c: c[1])
    arrived = next((at for kind, at in events if kind == "in" and starts_at - CHECK_IN_EARLY <= at < ends_at), None)
    if arrived is None:
        return Attendance("absent", None, None, None, None)
    inside = (
        None
        if on_air is None
        else sorted((max(a, starts_at), min(b, ends_at)) for a, b in on_air if a < ends_at and b > starts_at)
    )
    began = arrived
    if inside:
        began = max(arrived, next((a for a, b in inside if b > arrived), inside[-1][0]))
    left = next((at for kind, at in events if kind == "out" and at > arrived), None)
    if left is None and inside:
        left = inside[-1][1]
    if left is not None:
        left = max(left, starts_at)  # gone before the window began: it was missed whole
    late = _minutes(began - starts_at, grace) if began > starts_at else 0
    early = None if left is None else (_minutes(ends_at - left, grace) if left < ends_at else 0)
    status: Status = "late" if late > 0 else "left_early" if early else "on_time"
    return Attendance(status, arrived, left, late, early)
