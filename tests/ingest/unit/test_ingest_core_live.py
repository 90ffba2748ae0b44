"""The live-session core (`core.live`) directly: Shopee's answers in, state, events and the next call out.

No simulator, no outbox, no event loop: rows are built by hand and every function is called with the time.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from livestudio_ingest.cadence import SettlePolicy
from livestudio_ingest.core import live
from livestudio_ingest.core.emit import Emit, EndPublished, Published
from livestudio_ingest.liveness import LivenessPolicy
from shopee_client.client.models import LiveHistoryItem, ProductItem, SessionListItem, SessionOverview

T0 = datetime(2025, 6, 2, 13, 0, tzinfo=UTC)
OWNER = live.Owner(account_id="acct-1", studio_id="studio-1", currency="IDR", timezone="Asia/Jakarta")
POLICY = live.Policy(
    liveness=LivenessPolicy(stale_after=timedelta(minutes=10), end_confirm=timedelta(minutes=3)),
    settle=SettlePolicy(window=timedelta(hours=6), reads=12),
    live_interval_s=10.0,
    idle_interval_s=30.0,
    heartbeat_s=240.0,
    rate_per_s=5.0,
)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def row(
    sid: int = 1, *, minutes: float = 30, status: int = 1, orders: int = 3, start: datetime = T0
) -> SessionListItem:
    return SessionListItem.model_validate(
        {
            "sessionId": sid,
            "title": f"Session {sid}",
            "status": status,
            "startTime": _ms(start),
            "duration": int(minutes * 60_000),
            "viewers": 100,
            "placedOrders": orders,
            "placedSales": orders * 10_000,
            "confirmedOrders": 0,
            "confirmedSales": 0,
        }
    )


def history_row(sid: int, *, minutes: float = 60, confirmed: int = 2, start: datetime = T0) -> LiveHistoryItem:
    return LiveHistoryItem.model_validate(
        {
            "sessionId": sid,
            "status": 2,
            "startTime": _ms(start),
            "duration": int(minutes * 60_000),
            "viewers": 100,
            "placedOrders": 3,
            "placedSales": 30_000,
            "confirmedOrders": confirmed,
            "confirmedSales": confirmed * 10_000,
        }
    )


def detail(at: datetime, *, orders: int = 3, items: int = 2) -> live.Detail:
    overview = SessionOverview.model_validate(
        {
            "ccu": 40,
            "pcu": 80,
            "viewers": 100,
            "views": 300,
            "placedItemsSold": orders,
            "placedOrder": orders,
            "placedGmv": orders * 10_000,
            "confirmedItemsSold": 0,
            "confirmedOrder": 0,
            "confirmedGmv": 0,
        }
    )
    products = [
        ProductItem.model_validate(
            {
                "itemId": 100 + i,
                "title": f"Item {i}",
                "ordersCreated": orders,
                "revenue": orders * 5_000,
                "itemSold": orders,
                "confirmedOrderCnt": 0,
                "confirmedRevenue": 0,
                "confirmedItemSold": 0,
            }
        )
        for i in range(items)
    ]
    return live.Detail(overview=overview, overview_at=at, products=products, items_at=at)


def cycle(
    state: live.LiveState,
    rows: Sequence[SessionListItem],
    now: datetime,
    *,
    mono: float = 0.0,
    read: bool = True,
) -> tuple[live.Listed, live.Step]:
    """One cycle as the driver runs it: the list, the detail reads it asks for (answered), the events."""
    listed = live.listed(state, rows, now, POLICY)
    details = {sid: detail(now) for sid in listed.read} if read else {}
    return listed, live.published(listed.state, rows, details, now=now, mono=mono, owner=OWNER, policy=POLICY)


def acked(step: live.Step) -> live.LiveState:
    """Every event of the step acknowledged by the broker."""
    state = step.state
    for e in step.events:
        if e.on_ack is not None:
            state = live.acknowledged(state, e.on_ack)
    return state


def types(events: Sequence[Emit]) -> list[str]:
    return [e.event.type.rsplit(".", 2)[-2] + ":" + e.slot[0] for e in events]


def test_a_session_on_air_is_read_in_detail_and_published_from_the_overview() -> None:
    now = T0 + timedelta(minutes=30)
    listed, step = cycle(live.LiveState(), [row()], now)
    assert listed.read == (1,)
    assert types(step.events) == ["snapshot:snapshot", "snapshot:items"]
    snapshot = step.events[0].event.data
    assert snapshot.source == "overview"
    assert snapshot.on_air is True
    assert snapshot.metrics.current_viewers == 40
    assert step.state.on_air_session_id == 1
    assert step.state.sessions[1].detail_read_at == now
    assert step.ended == ()


def test_nothing_is_published_again_when_nothing_changed() -> None:
    now = T0 + timedelta(minutes=30)
    _, first = cycle(live.LiveState(), [row()], now)
    _, again = cycle(acked(first), [row()], now + timedelta(seconds=1))
    assert again.events == ()
    _, changed = cycle(acked(again), [row(minutes=31, orders=4)], now + timedelta(minutes=1))
    assert "snapshot:snapshot" in types(changed.events)


def test_an_acknowledgement_is_what_a_restart_remembers() -> None:
    now = T0 + timedelta(minutes=30)
    _, step = cycle(live.LiveState(), [row()], now)
    state, rows = live.dirty_rows(acked(step), "acct-1")
    [stored] = rows
    assert stored.snapshot_hash is not None
    assert stored.items_hash is not None
    assert live.dirty_rows(state, "acct-1")[1] == []  # written: clean until the next change
    assert live.unwritten(state, {1}).sessions[1].dirty


def test_a_dropped_event_is_sent_again_by_the_next_cycle() -> None:
    now = T0 + timedelta(minutes=30)
    _, first = cycle(live.LiveState(), [row()], now)
    state = first.state
    for e in first.events:
        assert e.on_drop is not None
        state = live.dropped(state, e.on_drop)
    _, again = cycle(state, [row()], now)
    assert [e.event.id for e in again.events] == [e.event.id for e in first.events]


def test_the_end_is_decided_once_with_the_last_figures_and_a_final_read() -> None:
    start_now = T0 + timedelta(minutes=30)
    _, first = cycle(live.LiveState(), [row(orders=5)], start_now)  # the overview read says 3 (`detail`)
    state = acked(first)
    later = start_now + timedelta(minutes=11)  # missing from the list, its end frozen for longer than stale_after
    listed, step = cycle(state, [], later)
    assert listed.read == (1,)  # the cycle that decides the end reads the products once more
    assert step.ended == (1,)
    [ended] = [e for e in step.events if e.slot[0] == "ended"]
    assert ended.essential
    assert ended.event.data.ended_at == T0 + timedelta(minutes=30)
    assert ended.event.data.metrics.placed_orders == 3  # the newest figures seen: the overview's
    assert not step.state.sessions[1].on_air
    _, after = cycle(acked(step), [], later + timedelta(minutes=1))
    assert [e for e in after.events if e.slot[0] == "ended"] == []
    assert acked(step).sessions[1].ended_published


def test_a_status_that_lies_does_not_end_a_session_whose_duration_still_grows() -> None:
    state = live.LiveState()
    for minute in range(30, 40):
        _, step = cycle(state, [row(minutes=minute, status=2)], T0 + timedelta(minutes=minute))
        assert step.ended == ()
        assert step.state.sessions[1].on_air
        state = acked(step)


def test_history_backfills_unknown_sessions_and_corrects_changed_figures() -> None:
    now = T0 + timedelta(days=1)
    wall = datetime(2026, 1, 1, tzinfo=UTC)
    step = live.history(
        live.LiveState(), [history_row(7)], now=now, wall_now=wall, mono=0.0, owner=OWNER, policy=POLICY
    )
    assert step.corrections == ("backfill",)
    assert step.state.sessions[7].ended and step.state.sessions[7].ended_published  # no SessionEnded for the past
    assert step.state.history_read_at == wall
    assert dict(step.state.rereads) == {7: history_row(7)}
    state = acked(step)
    same = live.history(state, [history_row(7)], now=now, wall_now=wall, mono=0.0, owner=OWNER, policy=POLICY)
    assert same.events == ()
    settled = live.history(
        state, [history_row(7, confirmed=3)], now=now, wall_now=wall, mono=0.0, owner=OWNER, policy=POLICY
    )
    assert settled.corrections == ("settlement",)
    assert settled.events[0].event.data.metrics.confirmed_orders == 3


def test_history_corrects_an_end_decided_too_early_even_when_no_figure_changed() -> None:
    """The session's duration stood still for longer than the staleness guard, so its end was decided at minute 30;
    then it went on until minute 90. The history's end corrects the published end (once); the figures are equal."""
    seen = T0 + timedelta(minutes=30)
    _, first = cycle(live.LiveState(), [row(minutes=30)], seen)
    _, ended = cycle(acked(first), [], seen + timedelta(minutes=11))
    assert ended.state.sessions[1].ended_at == seen
    state = acked(ended)
    now, wall = T0 + timedelta(days=1), datetime(2026, 1, 1, tzinfo=UTC)
    settled = live.history(
        state, [history_row(1, minutes=30)], now=now, wall_now=wall, mono=0.0, owner=OWNER, policy=POLICY
    )
    assert settled.corrections == ("settlement",)
    assert settled.events[0].event.data.ended_at == seen
    state = acked(settled)
    later = live.history(
        state, [history_row(1, minutes=90)], now=now, wall_now=wall, mono=0.0, owner=OWNER, policy=POLICY
    )
    [corrected] = later.events
    assert corrected.event.data.ended_at == T0 + timedelta(minutes=90)
    assert corrected.event.data.metrics == settled.events[0].event.data.metrics
    assert later.state.sessions[1].ended_at == T0 + timedelta(minutes=90)
    assert later.state.sessions[1].dirty  # the corrected end is what a restart remembers
    again = live.history(
        acked(later), [history_row(1, minutes=90)], now=now, wall_now=wall, mono=0.0, owner=OWNER, policy=POLICY
    )
    assert again.events == ()


def test_rereads_are_handed_out_within_the_budget_and_publish_what_changed() -> None:
    now = T0 + timedelta(days=1)
    rows = [history_row(sid, start=T0 + timedelta(hours=sid)) for sid in (1, 2, 3)]
    step = live.history(live.LiveState(), rows, now=now, wall_now=now, mono=0.0, owner=OWNER, policy=POLICY)
    state, taken = live.take_rereads(acked(step), 2)
    assert [sid for sid, _ in taken] == [1, 2]
    assert list(state.rereads) == [3]
    found = [(r, detail(now)) for _, r in taken]
    reread = live.reread(state, found, mono=0.0, owner=OWNER)
    assert sorted(types(reread.events)) == ["snapshot:items"] * 2 + ["snapshot:snapshot"] * 2
    again = live.reread(acked(reread), found, mono=0.0, owner=OWNER)
    assert again.events == ()


def test_the_next_cycle_comes_early_for_a_settling_read_and_old_sessions_are_dropped() -> None:
    end = T0 + timedelta(minutes=30)
    _, first = cycle(live.LiveState(), [row()], end)
    _, ending = cycle(acked(first), [], end + timedelta(minutes=11))
    state, interval = live.finished(
        ending.state, now=end + timedelta(minutes=11), base_s=30.0, speed=1.0, policy=POLICY
    )
    assert interval == 30.0  # the next settling read (30 minutes after the end) is further than the base interval
    _, soon = live.finished(
        ending.state, now=end + timedelta(minutes=29, seconds=50), base_s=30.0, speed=1.0, policy=POLICY
    )
    assert soon == 10.0
    gone, _ = live.finished(state, now=end + timedelta(days=11), base_s=30.0, speed=1.0, policy=POLICY)
    assert gone.sessions == {}


def test_a_broker_that_lost_its_log_gets_the_current_state_again_with_the_same_ids() -> None:
    now = T0 + timedelta(minutes=30)
    _, first = cycle(live.LiveState(), [row()], now)
    _, ending = cycle(acked(first), [], now + timedelta(minutes=11))
    state = acked(ending)
    forgotten = live.forgotten(state)
    [again] = live.unpublished_ends(forgotten, OWNER)
    assert again.event.id == next(e.event.id for e in ending.events if e.slot[0] == "ended")
    assert live.unpublished_ends(state, OWNER) == ()
    assert all(t.dirty and not t.acked for t in forgotten.sessions.values())


# --- properties ------------------------------------------------------------------------------------------------

_observation = st.tuples(
    st.integers(min_value=0, max_value=20),  # minutes since the last cycle
    st.sampled_from([1, 2]),  # status
    st.booleans(),  # listed at all
    st.integers(min_value=0, max_value=5),  # new orders
    st.booleans(),  # each event acknowledged (else dropped)
)


def _run(observations: list[tuple[int, int, bool, int, bool]]) -> list[live.Step]:
    state = live.LiveState()
    now = T0 + timedelta(minutes=5)
    minutes, orders = 5.0, 0
    steps: list[live.Step] = []
    for gap, status, listed_at_all, more, ack in observations:
        now += timedelta(minutes=gap, seconds=10)
        if status == 1 and listed_at_all:
            minutes = (now - T0).total_seconds() / 60  # the duration keeps up while it streams
            orders += more
        rows = [row(minutes=minutes, status=status, orders=orders)] if listed_at_all else []
        before = copy.deepcopy(state)
        _, step = cycle(state, rows, now, mono=float(len(steps)))
        assert state == before  # pure: the state passed in is never changed
        steps.append(step)
        state = step.state
        for e in step.events:
            if ack and e.on_ack is not None:
                state = live.acknowledged(state, e.on_ack)
            elif not ack and e.on_drop is not None:
                state = live.dropped(state, e.on_drop)
            elif isinstance(e.on_ack, EndPublished | Published):
                state = live.acknowledged(state, e.on_ack)  # essentials are never dropped
        state, _ = live.finished(state, now=now, base_s=30.0, speed=1.0, policy=POLICY)
    return steps


@settings(max_examples=60, deadline=None)
@given(st.lists(_observation, min_size=1, max_size=12))
def test_any_sequence_of_polls_ends_a_session_at_most_once_and_never_reopens_it(
    observations: list[tuple[int, int, bool, int, bool]],
) -> None:
    steps = _run(observations)
    ends = [e for s in steps for e in s.events if e.slot[0] == "ended"]
    assert len(ends) <= 1
    assert sum(len(s.ended) for s in steps) == len(ends)
    ended_at = next((i for i, s in enumerate(steps) if s.ended), None)
    if ended_at is not None:
        for s in steps[ended_at:]:
            assert all(not t.on_air for t in s.state.sessions.values())
            assert all(not e.event.data.on_air for e in s.events if e.slot[0] in ("list", "snapshot"))


@settings(max_examples=40, deadline=None)
@given(st.lists(_observation, min_size=1, max_size=10))
def test_the_same_answers_give_the_same_events(observations: list[tuple[int, int, bool, int, bool]]) -> None:
    def ids(steps: list[live.Step]) -> list[list[str]]:
        return [[e.event.id for e in s.events] for s in steps]

    assert ids(_run(observations)) == ids(_run(observations))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=50), st.integers(min_value=1, max_value=20))
def test_an_unchanged_session_list_publishes_nothing_once_acknowledged(orders: int, repeats: int) -> None:
    now = T0 + timedelta(minutes=30)
    _, step = cycle(live.LiveState(), [row(orders=orders)], now)
    state = acked(step)
    for i in range(repeats):
        _, step = cycle(state, [row(orders=orders)], now + timedelta(seconds=i + 1), read=False)
        assert step.events == ()
        state = step.state


def test_a_slow_answer_does_not_end_a_session_on_air() -> None:
    """Liveness is judged when the page was asked for: Shopee's end of a live session is never earlier than the
    question, however late the answer arrives (a 720x simulator turns a one-second stall into 12 minutes)."""
    asked = T0 + timedelta(minutes=30)
    state = live.LiveState()
    _, first = cycle(state, [row(minutes=30)], asked)
    state = acked(first)
    answered = asked + timedelta(minutes=12)  # later than stale_after (10 min) after the end the answer carries
    asked_again = asked + timedelta(minutes=1)
    listed = live.listed(state, [row(minutes=31)], answered, POLICY, asked_at=asked_again)
    assert listed.state.sessions[1].on_air
    judged_late = live.listed(state, [row(minutes=31)], answered, POLICY)  # what the driver did before
    assert not judged_late.state.sessions[1].on_air


def test_a_session_whose_end_stopped_still_ends_when_asked_late() -> None:
    asked = T0 + timedelta(minutes=30)
    _, first = cycle(live.LiveState(), [row(minutes=30)], asked)
    later = asked + timedelta(minutes=11)
    listed = live.listed(acked(first), [row(minutes=30)], later + timedelta(minutes=5), POLICY, asked_at=later)
    assert not listed.state.sessions[1].on_air
    assert listed.read == (1,)
