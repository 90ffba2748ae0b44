"""The history backfill's core (`core.backfill`, and `live.backfilled` for its events) directly: windows, paging,
depth, requests and resuming, with pages answered by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from livestudio_ingest.core import backfill as bf
from livestudio_ingest.core import live
from tests.ingest.unit.test_ingest_core_live import OWNER, POLICY, history_row

WALL = datetime(2025, 6, 2, 13, 0, tzinfo=UTC)
TODAY = date(2025, 6, 2)
JKT = ZoneInfo("Asia/Jakarta")


def _walk(state: bf.Backfill, pages: dict[date, int] | None = None) -> list[bf.Call]:
    """Every call until done, each window answered with `pages[end]` pages (default 1)."""
    calls = []
    while (call := bf.next_call(state)) is not None:
        calls.append(call)
        total = (pages or {}).get(call.end_date, 1)
        state = bf.advanced(state, call, total_pages=total, listed=1, wall_now=WALL)
        assert len(calls) < 1000
    assert not state.running and state.finished_at == WALL and state.progress == 1.0
    return calls


def _days(call: bf.Call) -> int:
    return {"1d": 1, "7d": 7, "15d": 15, "30d": 30}[call.time_dim]


def test_ninety_days_are_three_thirty_day_windows_ending_today() -> None:
    calls = _walk(bf.started(TODAY, 90, wall_now=WALL))
    assert [(c.end_date, c.time_dim, c.page) for c in calls] == [
        (TODAY, "30d", 1),
        (TODAY - timedelta(days=30), "30d", 1),
        (TODAY - timedelta(days=60), "30d", 1),
    ]


@given(st.integers(min_value=1, max_value=400))
def test_the_windows_cover_exactly_the_depth_without_overlap(days: int) -> None:
    state = bf.started(TODAY, days, wall_now=WALL)
    assert state.windows_total == -(-days // 30)
    covered: list[date] = []
    for call in _walk(state):
        covered.extend(call.end_date - timedelta(days=d) for d in range(_days(call)))
    assert len(covered) == len(set(covered))  # no day read twice
    wanted = {TODAY - timedelta(days=d) for d in range(days)}
    assert wanted <= set(covered)
    assert len(set(covered) - wanted) < 15  # the last window is as narrow as Shopee allows (1, 7, 15 or 30 days)


def test_every_page_of_a_window_is_read_before_the_previous_window() -> None:
    calls = _walk(bf.started(TODAY, 60, wall_now=WALL), pages={TODAY: 3})
    assert [(c.end_date, c.page) for c in calls] == [
        (TODAY, 1),
        (TODAY, 2),
        (TODAY, 3),
        (TODAY - timedelta(days=30), 1),
    ]


def test_progress_counts_windows_and_sessions() -> None:
    state = bf.started(TODAY, 90, wall_now=WALL)
    assert state.progress == 0.0
    call = bf.next_call(state)
    assert call is not None
    state = bf.advanced(state, call, total_pages=1, listed=7, wall_now=WALL)
    assert (state.windows_done, state.windows_total, state.sessions_found) == (1, 3, 7)
    assert abs(state.progress - 1 / 3) < 1e-9


def test_a_failed_page_is_read_again() -> None:
    state = bf.started(TODAY, 90, wall_now=WALL)
    call = bf.next_call(state)
    state = bf.failed(state, "boom")
    assert bf.next_call(state) == call and state.last_error == "boom"
    assert call is not None
    state = bf.advanced(state, call, total_pages=1, listed=0, wall_now=WALL)
    assert state.last_error is None


def test_resuming_from_the_stored_fields_goes_on_where_it_stopped() -> None:
    state = bf.started(TODAY, 90, wall_now=WALL)
    call = bf.next_call(state)
    assert call is not None
    state = bf.advanced(state, call, total_pages=2, listed=3, wall_now=WALL)  # page 1 of 2 read
    stored = replace(state, dirty=False)  # what a restart reads back (every field is a column)
    assert bf.next_call(stored) == bf.Call(TODAY, "30d", 2)
    assert _walk(stored) == _walk(state)


def test_no_depth_means_no_backfill() -> None:
    assert bf.next_call(bf.started(TODAY, 0, wall_now=WALL)) is None


def test_a_request_starts_a_new_walk_once() -> None:
    done = replace(bf.started(TODAY - timedelta(days=5), 30, wall_now=WALL), next_end=None)
    again = bf.requested(done, seq=1, days=45, today=TODAY, wall_now=WALL)
    assert bf.next_call(again) == bf.Call(TODAY, "30d", 1)
    assert again.target == TODAY - timedelta(days=44) and again.applied_seq == 1
    assert bf.requested(again, seq=1, days=45, today=TODAY, wall_now=WALL) is again


def test_an_answer_to_a_call_no_longer_due_changes_nothing() -> None:
    state = bf.started(TODAY, 90, wall_now=WALL)
    old = bf.next_call(state)
    assert old is not None
    newer = bf.requested(
        bf.advanced(state, old, total_pages=1, listed=1, wall_now=WALL),
        seq=1,
        days=90,
        today=TODAY + timedelta(days=1),
        wall_now=WALL,
    )
    assert bf.advanced(newer, old, total_pages=1, listed=1, wall_now=WALL) is newer


def test_rows_older_than_the_target_are_left_out() -> None:
    state = bf.started(TODAY, 1, wall_now=WALL)
    today_row = history_row(1, start=datetime(2025, 6, 2, 1, 0, tzinfo=JKT))
    yesterday_row = history_row(2, start=datetime(2025, 6, 1, 23, 0, tzinfo=JKT))
    assert bf.in_depth(state, [today_row, yesterday_row], JKT) == [today_row]


def test_backfilled_sessions_are_published_once_and_only_recent_ones_tracked() -> None:
    now = WALL
    recent = history_row(1, start=now - timedelta(days=2))
    old = history_row(2, start=now - timedelta(days=40))
    step = live.backfilled(live.LiveState(), [recent, old], now=now, mono=0.0, owner=OWNER, policy=POLICY)
    assert [e.event.data.session_id for e in step.events] == [1, 2]
    assert {e.event.data.reason for e in step.events} == {"backfill"}
    assert set(step.state.sessions) == {1}  # older than the retention: published, not tracked
    state = step.state
    for e in step.events:
        assert e.on_ack is not None
        state = live.acknowledged(state, e.on_ack)
    again = live.backfilled(state, [recent, old], now=now, mono=1.0, owner=OWNER, policy=POLICY)
    assert [e.event.data.session_id for e in again.events] == [2]  # untracked: sent again (same event)
    assert again.events[0].event.id == step.events[1].event.id
