"""An account's history backfill, as pure functions: which `liveList/v2` page to read next, and what reading it did.

A backfill walks Shopee's ended-session history (`liveList/v2`, windows of at most 30 days ending on a shop-local
date) back from the day it started to a target date (`days` deep, today included). Each step is one page of one
window: `next_call` says which (window end, `time_dim`, page), `advanced` takes the page Shopee returned and moves
on (the next page, or the previous window, or done). The sessions a page lists become events the same way the
daily history re-read makes them (`live.backfilled`), so consumers apply them idempotently.

The state is what survives a restart (`backfill_state` row): where it stopped, the target, the counters shown as
progress. A request (on connect: `started`; on demand: `requested`, with a sequence number the CLI bumps) starts a
new walk from the current day; a request already applied is not applied twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

from shopee_client.client.models import LiveHistoryItem

WINDOW_DAYS = 30
"""Shopee's widest `timeDim` (`31d` returns nothing)."""

TimeDim = Literal["1d", "7d", "15d", "30d"]
_DIMS: tuple[tuple[int, TimeDim], ...] = ((1, "1d"), (7, "7d"), (15, "15d"), (30, "30d"))


@dataclass(frozen=True, slots=True)
class Backfill:
    """Where an account's backfill stands. `next_end` None: nothing (left) to read."""

    days: int = 0
    target: date | None = None
    """Oldest shop-local start date to reach."""
    next_end: date | None = None
    """Last day of the next window to read."""
    page: int = 1
    applied_seq: int = 0
    """The last on-demand request applied (0: only the one on connect)."""
    windows_done: int = 0
    windows_total: int = 0
    sessions_found: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    last_error: str | None = None
    dirty: bool = False
    """Changed since last written."""

    @property
    def running(self) -> bool:
        return self.next_end is not None

    @property
    def progress(self) -> float:
        """Share of the windows read (1.0 when done or never started)."""
        if not self.running or self.windows_total == 0:
            return 1.0
        return self.windows_done / self.windows_total


@dataclass(frozen=True, slots=True)
class Call:
    """One `liveList/v2` page to read."""

    end_date: date
    time_dim: TimeDim
    page: int


def windows(days: int) -> int:
    return math.ceil(days / WINDOW_DAYS) if days > 0 else 0


def started(today: date, days: int, *, wall_now: datetime, seq: int = 0) -> Backfill:
    """A new walk from `today` back `days` days (today included); `days` 0 means no backfill."""
    if days <= 0:
        return Backfill(applied_seq=seq, started_at=wall_now, finished_at=wall_now, dirty=True)
    return Backfill(
        days=days,
        target=today - timedelta(days=days - 1),
        next_end=today,
        applied_seq=seq,
        windows_total=windows(days),
        started_at=wall_now,
        dirty=True,
    )


def requested(state: Backfill, *, seq: int, days: int, today: date, wall_now: datetime) -> Backfill:
    """An on-demand request (`seq` from the request row): a new walk, unless this request was applied already."""
    if seq <= state.applied_seq:
        return state
    return started(today, days, wall_now=wall_now, seq=seq)


def next_call(state: Backfill) -> Call | None:
    """The page to read next, or None when there is nothing to read. The last window is as narrow as Shopee
    allows while still reaching the target."""
    if state.next_end is None or state.target is None:
        return None
    span = (state.next_end - state.target).days + 1
    dim: TimeDim = "30d"
    for width, name in _DIMS:
        if width >= span:
            dim = name
            break
    return Call(end_date=state.next_end, time_dim=dim, page=state.page)


def _window_first_day(call: Call) -> date:
    width = next(w for w, name in _DIMS if name == call.time_dim)
    return call.end_date - timedelta(days=width - 1)


def advanced(state: Backfill, call: Call, *, total_pages: int, listed: int, wall_now: datetime) -> Backfill:
    """`call` was answered (`total_pages` in its window, `listed` rows kept): the next page, the previous window,
    or done. An answer to a call that is no longer the next one (a new request meanwhile) changes nothing."""
    if next_call(state) != call:
        return state
    found = state.sessions_found + listed
    if call.page < total_pages:
        return replace(state, page=call.page + 1, sessions_found=found, last_error=None, dirty=True)
    assert state.target is not None
    previous_end = _window_first_day(call) - timedelta(days=1)
    done = state.windows_done + 1
    if previous_end < state.target:
        return replace(
            state,
            next_end=None,
            page=1,
            windows_done=state.windows_total,
            sessions_found=found,
            finished_at=wall_now,
            last_error=None,
            dirty=True,
        )
    return replace(
        state,
        next_end=previous_end,
        page=1,
        windows_done=min(done, state.windows_total),
        sessions_found=found,
        last_error=None,
        dirty=True,
    )


def failed(state: Backfill, error: str) -> Backfill:
    """A page could not be read: the same page is read again later (the error is shown as status)."""
    return replace(state, last_error=error[:200], dirty=True)


def in_depth(state: Backfill, rows: Sequence[LiveHistoryItem], tz: tzinfo) -> list[LiveHistoryItem]:
    """The rows of a page that start on or after the target date (shop-local dates in `tz`)."""
    if state.target is None:
        return []
    target = state.target
    return [r for r in rows if r.start_time.astimezone(tz).date() >= target]
