"""Plan a consumer batch: collapse it to one row per session, minute and item, and pick the ad-spend winners.

Session observations are merged newest first, so that the superseded ones (older snapshots re-reporting what a
newer one already reports) are skipped without building their rows.

Pure functions (no I/O). The plan is what one transaction writes; `stale_counts` turns what the merge reports
back about the stored rows into the "stale/duplicate observation" and "late correction" figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from livestudio_analytics.events import (
    AdSpendEntry,
    CommandIgnored,
    CommandRejected,
    Event,
    ItemsEvent,
    SessionEvent,
)
from livestudio_analytics.lww import State, TableSpec, merge_into
from livestudio_analytics.observations import (
    ITEMS,
    SESSIONS,
    TIMELINE,
    Reports,
    point_gaps,
    row_gaps,
)

SessionKey = tuple[str, int]
PointKey = tuple[str, int, datetime]
ItemKey = tuple[str, int, int]
K = TypeVar("K", SessionKey, PointKey, ItemKey)
CommandResult = tuple[str, str, str, str | None]
"""(command_id, kind, status, error)"""


@dataclass
class BatchPlan:
    sessions: dict[SessionKey, State] = field(default_factory=dict)
    timeline: dict[PointKey, State] = field(default_factory=dict)
    items: dict[ItemKey, State] = field(default_factory=dict)
    ad_spend: dict[tuple[str, date], AdSpendEntry] = field(default_factory=dict)
    command_results: dict[str, CommandResult] = field(default_factory=dict)
    session_events: list[SessionEvent] = field(default_factory=list)
    item_events: list[ItemsEvent] = field(default_factory=list)
    ignored_commands: Counter[str] = field(default_factory=Counter)

    def observation_counts(self) -> Counter[str]:
        counts: Counter[str] = Counter(e.kind for e in self.session_events)
        if self.item_events:
            counts["items"] = len(self.item_events)
        return counts


def _put(rows: dict[K, State], key: K, state: State, spec: TableSpec) -> None:
    current = rows.get(key)
    if current is None:
        rows[key] = state.copy()
    else:
        merge_into(spec, current, state)


def plan_batch(events: Iterable[Event]) -> BatchPlan:
    plan = BatchPlan()
    by_session: dict[SessionKey, list[SessionEvent]] = {}
    items = plan.items
    for event in events:
        if isinstance(event, SessionEvent):
            plan.session_events.append(event)
            key = (event.account_id, event.session_id)
            group = by_session.get(key)
            if group is None:
                by_session[key] = [event]
            else:
                group.append(event)
        elif isinstance(event, ItemsEvent):
            plan.item_events.append(event)
            for item_id, state in event.items:
                _put(items, (event.account_id, event.session_id, item_id), state, ITEMS)
        elif isinstance(event, AdSpendEntry):
            day_key = (event.account_id, event.day)
            current = plan.ad_spend.get(day_key)
            if current is None or (event.issued_at, event.command_id) > (current.issued_at, current.command_id):
                plan.ad_spend[day_key] = event
            plan.command_results.setdefault(event.command_id, (event.command_id, "adspend.enter", "applied", None))
        elif isinstance(event, CommandRejected):
            plan.command_results.setdefault(
                event.command_id, (event.command_id, event.kind, "rejected", event.error[:1000])
            )
        elif isinstance(event, CommandIgnored):
            plan.ignored_commands[event.owner] += 1
    for key, group in by_session.items():
        _collapse_session(plan, key, group)
    return plan


def _observed_at(event: SessionEvent) -> datetime:
    return event.observed_at


def _collapse_session(plan: BatchPlan, key: SessionKey, group: list[SessionEvent]) -> None:
    """Merge one session's observations newest first, skipping the superseded ones without building them.

    An observation older than everything merged so far loses every register the merged row already holds
    (entries are stamped with their observation's time, or later). So an older snapshot only matters if it
    reports a register nobody newer reported; otherwise it is skipped, which is most of a catching-up batch
    (every poll re-reports every figure). Ties on `observed_at` always merge (the value breaks them).
    """
    if len(group) > 1:
        group.sort(key=_observed_at, reverse=True)
    row = group[0].session.copy()
    row_lacks = row_gaps(row)
    floor = group[0].observed_at  # the oldest observation folded (or skipped) so far
    for event in group[1:]:
        if not (event.observed_at < floor and event.kind == "snapshot" and not row_lacks(event.payload)):
            merge_into(SESSIONS, row, event.session)
            row_lacks = row_gaps(row)
        floor = event.observed_at
    plan.sessions[key] = row

    account_id, session_id = key
    # Newest first per chart minute. A minute is usually the observation's own, but a read after the stream ended
    # charts at the stream's end (`observations.chart_time`), so minutes are not in the order of observation.
    points: dict[datetime, _Point] = {}
    for event in group:
        if event.kind == "corrected":
            continue  # settled figures, not a chart point
        ts = event.observed_at
        minute = event.chart_minute
        point = points.get(minute)
        if point is None:
            state = _point(event)[1]
            points[minute] = point = _Point(minute, state.copy(), ts, point_gaps(state))
            plan.timeline[(account_id, session_id, minute)] = point.state
            continue
        if not (ts < point.floor and not point.lacks(event.payload)):
            merge_into(TIMELINE, point.state, _point(event)[1])
            point.lacks = point_gaps(point.state)
        point.floor = ts


@dataclass(slots=True)
class _Point:
    """A timeline point being merged newest first."""

    minute: datetime
    state: State
    floor: datetime
    lacks: Reports


def _point(event: SessionEvent) -> tuple[datetime, State]:
    point = event.point
    assert point is not None, "only corrections have no chart point"
    return point


@dataclass(frozen=True)
class StaleCounts:
    sessions: int
    items: int
    late_corrections: int


def stale_counts(
    plan: BatchPlan,
    prior_sessions: Mapping[SessionKey, datetime | None],
    prior_items: Mapping[ItemKey, datetime | None],
) -> StaleCounts:
    """Observations no newer than the session's (or its items') newest before them, in batch order."""
    newest: dict[SessionKey, datetime | None] = dict(prior_sessions)
    stale = late = 0
    for e in plan.session_events:
        key = (e.account_id, e.session_id)
        seen = newest.get(key)
        if seen is not None and e.observed_at <= seen:
            stale += 1
            continue
        newest[key] = e.observed_at
        if e.kind == "corrected":
            late += 1

    item_newest: dict[SessionKey, datetime | None] = {}
    for (account_id, session_id, _), ts in prior_items.items():
        key = (account_id, session_id)
        current = item_newest.get(key)
        if ts is not None and (current is None or ts > current):
            item_newest[key] = ts
    stale_items = 0
    for ie in plan.item_events:
        key = (ie.account_id, ie.session_id)
        seen = item_newest.get(key)
        if seen is not None and ie.observed_at <= seen:
            stale_items += 1
            continue
        item_newest[key] = ie.observed_at
    return StaleCounts(sessions=stale, items=stale_items, late_corrections=late)
