"""The roster as time: shift templates resolved to real windows, and check-in/check-out overriding the schedule.

A schedule entry puts a host on an account for a window, either explicit or "shift S on local date D". Shift
times are local to the studio: `end <= start` crosses midnight (20:00-00:00 ends at midnight of D+1).

Check-ins and check-outs are the actual on-air window and override the schedule:

* Per host and account, check events are paired in time order: a check-in opens a window, the next check-out
  closes it, a second check-in closes the open window and opens a new one. A check-out with nothing open
  closes a window that started at the scheduled start ("out-only").
* Each pair is matched to the host's schedule entry on that account that it overlaps most (an entry is a
  candidate when the check-in is at most `CHECK_IN_EARLY` before its start and not after its end); ties go
  to the earlier entry, then the smaller entry id.
* An entry with matched pairs is on air exactly during those pairs (breaks are off air). An open pair (no
  check-out yet) runs to the entry's scheduled end, or `OPEN_CHECK_IN_MAX` after the check-in when it is
  unmatched or already past the scheduled end.
* An entry without check events is on air for its scheduled window. A pair matching no entry is an ad-hoc
  window with share 1 and no shift (a host who streamed unscheduled still gets what they sold).
* Attribution policy of the studio (issue #20), in force at the entry's start (`policy_at`): under `schedule` the
  rules above hold; under `check_in_required` an entry is on air only during its pairs that have a check-in (no
  check-in, or only a check-out: no window, so the time and its sales go to the unassigned bucket).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

CHECK_IN_EARLY = timedelta(hours=2)
OPEN_CHECK_IN_MAX = timedelta(hours=12)
CheckKind = Literal["in", "out"]
Policy = Literal["schedule", "check_in_required"]
DEFAULT_POLICY: Policy = "schedule"


class RosterError(ValueError):
    """A roster command that cannot describe a window."""


@dataclass(frozen=True)
class ScheduleEntry:
    entry_id: str
    host_id: str
    account_id: str
    starts_at: datetime
    ends_at: datetime
    share: Decimal
    shift_id: str | None
    local_day: date


@dataclass(frozen=True)
class CheckEvent:
    check_id: str
    host_id: str
    account_id: str
    kind: CheckKind
    at: datetime


@dataclass(frozen=True)
class OnAirWindow:
    """A host on air on one account from `start` to `end`; `key` names what the window came from."""

    key: str
    host_id: str
    start: datetime
    end: datetime
    share: Decimal
    shift_id: str | None
    local_day: date


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at.replace(tzinfo=None)).replace(tzinfo=tz)


def shift_window(shift_date: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC window of a shift template on a local date; `end <= start` ends on the next local day."""
    starts = local_datetime(shift_date, start, tz)
    end_day = shift_date + timedelta(days=1) if end <= start else shift_date
    ends = local_datetime(end_day, end, tz)
    return starts.astimezone(ZoneInfo("UTC")), ends.astimezone(ZoneInfo("UTC"))


def resolve_entry_window(
    *,
    starts_at: datetime | None,
    ends_at: datetime | None,
    shift: tuple[time, time] | None,
    shift_date: date | None,
    tz: ZoneInfo,
) -> tuple[datetime, datetime, date] | None:
    """(start, end, local day) of a schedule entry; None while it names a shift that is not known yet.

    An explicit window wins over a shift; the local day is the shift date, or the local date of the start.
    """
    if starts_at is not None or ends_at is not None:
        if starts_at is None or ends_at is None:
            raise RosterError("an explicit window needs both starts_at and ends_at")
        if ends_at <= starts_at:
            raise RosterError("ends_at must be after starts_at")
        return starts_at, ends_at, starts_at.astimezone(tz).date()
    if shift_date is None:
        raise RosterError("a schedule entry needs starts_at/ends_at or shift_id with shift_date")
    if shift is None:
        return None
    starts, ends = shift_window(shift_date, shift[0], shift[1], tz)
    return starts, ends, shift_date


@dataclass
class _Pair:
    check_in: CheckEvent | None
    check_out: CheckEvent | None


def _pairs(checks: list[CheckEvent]) -> list[_Pair]:
    out: list[_Pair] = []
    open_: CheckEvent | None = None
    # Same instant: a check-out closes before a check-in opens.
    for ev in sorted(checks, key=lambda c: (c.at, 0 if c.kind == "out" else 1, c.check_id)):
        if ev.kind == "in":
            if open_ is not None:
                out.append(_Pair(open_, _implicit_out(open_, ev)))
            open_ = ev
        elif open_ is not None:
            out.append(_Pair(open_, ev))
            open_ = None
        else:
            out.append(_Pair(None, ev))
    if open_ is not None:
        out.append(_Pair(open_, None))
    return out


def _implicit_out(opened: CheckEvent, next_in: CheckEvent) -> CheckEvent:
    """A second check-in closes the open window at its own time."""
    return CheckEvent(f"{next_in.check_id}:closes", opened.host_id, opened.account_id, "out", next_in.at)


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> timedelta:
    return max(timedelta(0), min(a1, b1) - max(a0, b0))


def _match(pair: _Pair, entries: list[ScheduleEntry]) -> ScheduleEntry | None:
    best: tuple[timedelta, datetime, str] | None = None
    chosen: ScheduleEntry | None = None
    for entry in entries:
        if pair.check_in is not None:
            at = pair.check_in.at
            if not (entry.starts_at - CHECK_IN_EARLY <= at < entry.ends_at):
                continue
            end = pair.check_out.at if pair.check_out is not None else max(entry.ends_at, at)
            overlap = _overlap(at, end, entry.starts_at, entry.ends_at)
        else:
            assert pair.check_out is not None
            out_at = pair.check_out.at
            if not (entry.starts_at < out_at <= entry.ends_at + CHECK_IN_EARLY):
                continue
            overlap = _overlap(entry.starts_at, out_at, entry.starts_at, entry.ends_at)
        # Most overlap first, then the earlier entry, then the smaller id.
        rank = (-overlap, entry.starts_at, entry.entry_id)
        if best is None or rank < best:
            best, chosen = rank, entry
    return chosen


def policy_at(changes: Sequence[tuple[datetime, Policy]], at: datetime) -> Policy:
    """The policy in force at `at`: the last change at or before it (`DEFAULT_POLICY` before the first)."""
    current = DEFAULT_POLICY
    for since, policy in sorted(changes, key=lambda c: c[0]):
        if since > at:
            break
        current = policy
    return current


def requires_check_in(changes: Sequence[tuple[datetime, Policy]]) -> Callable[[ScheduleEntry], bool] | None:
    """`effective_windows`' `check_in_required` for a studio's policy changes; None when it never requires one."""
    if all(policy == "schedule" for _, policy in changes):
        return None
    ordered = sorted(changes, key=lambda c: c[0])
    return lambda entry: policy_at(ordered, entry.starts_at) == "check_in_required"


def effective_windows(
    entries: list[ScheduleEntry],
    checks: list[CheckEvent],
    tz: ZoneInfo,
    *,
    check_in_required: Callable[[ScheduleEntry], bool] | None = None,
) -> list[OnAirWindow]:
    """The on-air windows of one account: the schedule, overridden by check-in/check-out pairs.

    `check_in_required(entry)` true: the entry is on air only during its pairs with a check-in."""
    by_host: dict[str, list[CheckEvent]] = {}
    for check in checks:
        by_host.setdefault(check.host_id, []).append(check)
    matched: dict[str, list[tuple[datetime, datetime]]] = {}
    windows: list[OnAirWindow] = []
    for host_id in sorted(by_host):
        host_entries = [e for e in entries if e.host_id == host_id]
        for pair in _pairs(by_host[host_id]):
            entry = _match(pair, host_entries)
            if entry is None:
                if pair.check_in is None:
                    continue  # a check-out with no window to close
                start = pair.check_in.at
                end = pair.check_out.at if pair.check_out is not None else start + OPEN_CHECK_IN_MAX
                if end > start:
                    windows.append(
                        OnAirWindow(
                            key=f"checkin:{pair.check_in.check_id}",
                            host_id=host_id,
                            start=start,
                            end=end,
                            share=Decimal(1),
                            shift_id=None,
                            local_day=start.astimezone(tz).date(),
                        )
                    )
                continue
            if pair.check_in is None and check_in_required is not None and check_in_required(entry):
                matched.setdefault(entry.entry_id, [])  # a check-out alone is no check-in
                continue
            start = pair.check_in.at if pair.check_in is not None else entry.starts_at
            if pair.check_out is not None:
                end = pair.check_out.at
            elif entry.ends_at > start:
                end = entry.ends_at
            else:
                end = start + OPEN_CHECK_IN_MAX
            matched.setdefault(entry.entry_id, []).append((start, end))
    for entry in sorted(entries, key=lambda e: e.entry_id):
        required = check_in_required is not None and check_in_required(entry)
        spans = matched.get(entry.entry_id, [] if required else [(entry.starts_at, entry.ends_at)])
        for start, end in spans:
            if end > start:
                windows.append(
                    OnAirWindow(
                        key=entry.entry_id,
                        host_id=entry.host_id,
                        start=start,
                        end=end,
                        share=entry.share,
                        shift_id=entry.shift_id,
                        local_day=entry.local_day,
                    )
                )
    return windows
