"""One poll cycle of an account's live sessions, as pure functions: Shopee's answers in, state and events out.

A cycle, as the driver (`poller.AccountPoller`) runs it:

1. `listed(state, rows, now, policy, asked_at=...)`: the sessionList page read. Every row updates its session and
   its liveness (judged as of when the page was asked for); tracked sessions missing from the page are assessed
   as unseen. Returns the state and the sessions whose overview and products are to be read now
   (`cadence.detail_due`: on air, ending, settling).
2. the driver reads them, then `published(state, rows, details, now, mono, ...)`: session snapshots (from the row,
   or the row merged with the overview), item snapshots, SessionEnded for the sessions whose end is decided,
   heartbeats of unchanged sessions on air. Only what changed since it was handed to the outbox (`sent`) is
   emitted; an unchanged row is not even mapped again (`row_fingerprint`).
3. once a day: `history(state, rows, now, ...)`: `liveList/v2` of the last 7 days. Figures that changed become
   SessionCorrected (sessions never seen: a backfill); the ended sessions listed are queued for a re-read of
   their overview and products, `take_rereads` hands out as many as a cycle's budget allows and
   `reread(state, found, ...)` publishes what changed. `backfilled` does the same with a page of the history
   backfill (`core.backfill`), without the re-reads.
4. `finished(state, now, ...)`: drops sessions older than the retention, and says how many real seconds until the
   next cycle (`cadence.cycle_interval`: the base interval, or sooner for a settling read).

Acknowledgements and drops come back as `acknowledged` / `dropped`; `forgotten` forgets everything published (the
broker lost its log) and `unpublished_ends` re-emits the SessionEnded decided but never acknowledged.

The driver always passes the state it holds *now*: acknowledgements that arrive while it awaits Shopee are part
of it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from livestudio_ingest.cadence import SettlePolicy, cycle_interval, detail_due, next_settle_read, reread_budget
from livestudio_ingest.core.emit import Ack, Emit, EndPublished, HashKind, Published, Unsent
from livestudio_ingest.core.session import SessionState
from livestudio_ingest.liveness import LivenessPolicy, assess, assess_unseen
from livestudio_ingest.observation import (
    SessionContext,
    changed_fields,
    content_hash,
    item_snapshots,
    merge_metrics,
    metrics_from_overview,
    metrics_from_row,
    session_corrected,
    session_ended,
    session_snapshot,
    wrap_items,
    wrap_session_event,
)
from livestudio_ingest.repository import SessionStateRow
from livestudio_schemas.session import ObservationSource, SessionMetrics, SessionSnapshot
from livestudio_schemas.topics import session_key
from shopee_client.client.models import LiveHistoryItem, ProductItem, SessionListItem, SessionOverview


@dataclass(frozen=True, slots=True)
class Policy:
    """How the live sessions are polled (from the settings)."""

    liveness: LivenessPolicy = field(default_factory=LivenessPolicy)
    settle: SettlePolicy = field(default_factory=SettlePolicy)
    live_interval_s: float = 10.0
    idle_interval_s: float = 30.0
    heartbeat_s: float = 240.0
    rate_per_s: float = 5.0
    """Shopee calls per second one account may make."""
    history_details: bool = True
    """The history re-read also re-reads the overview and products of the ended sessions it lists."""
    retention: timedelta = timedelta(days=10)


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose sessions these are, as the events say."""

    account_id: str
    studio_id: str
    currency: str
    timezone: str


@dataclass(frozen=True, slots=True)
class LiveState:
    sessions: Mapping[int, SessionState] = field(default_factory=dict)
    rereads: Mapping[int, LiveHistoryItem] = field(default_factory=dict)
    """Ended sessions the history listed, to read in detail (in the order listed)."""
    history_read_at: datetime | None = None
    """Wall clock of the last history read (persisted in poll_state)."""
    observed_at: Mapping[int, datetime] = field(default_factory=dict)
    """Ingest clock of the last observation of each session (every listed session changes it every cycle: one
    mapping, not a new `SessionState` each)."""

    @property
    def on_air_session_id(self) -> int | None:
        live = [t for t in self.sessions.values() if t.on_air]
        return max(live, key=lambda t: t.started_at).session_id if live else None

    @property
    def any_on_air(self) -> bool:
        return any(t.on_air for t in self.sessions.values())

    def base_interval(self, policy: Policy) -> float:
        return policy.live_interval_s if self.any_on_air else policy.idle_interval_s

    def _with(self, *changed: SessionState) -> LiveState:
        sessions = dict(self.sessions)
        for t in changed:
            sessions[t.session_id] = t
        return replace(self, sessions=sessions)


@dataclass(frozen=True, slots=True)
class Detail:
    """What the overview and product reads of one session returned (None: that read failed)."""

    overview: SessionOverview | None = None
    overview_at: datetime | None = None
    products: list[ProductItem] | None = None
    items_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Listed:
    state: LiveState
    read: tuple[int, ...]
    """Sessions whose overview and products are to be read in this cycle."""


@dataclass(frozen=True, slots=True)
class Step:
    state: LiveState
    events: tuple[Emit, ...] = ()
    ended: tuple[int, ...] = ()
    """Sessions decided ended in this step."""
    corrections: tuple[str, ...] = ()
    """The reason of every SessionCorrected emitted (settlement, backfill)."""


def restored(rows: Iterable[SessionStateRow], *, loaded_mono: float, history_read_at: datetime | None) -> LiveState:
    """The state the last owner wrote (`session_state` rows); what it published counts as published at
    `loaded_mono` (the heartbeat clock starts then)."""
    sessions: dict[int, SessionState] = {}
    observed: dict[int, datetime] = {}
    for r in rows:
        sessions[r.session_id] = SessionState.from_stored(r, loaded_mono=loaded_mono)
        if r.last_observed_at is not None:
            observed[r.session_id] = r.last_observed_at
    return LiveState(sessions=sessions, history_read_at=history_read_at, observed_at=observed)


# --- 1. the session list -------------------------------------------------------------------------------------


def listed(
    state: LiveState,
    rows: Sequence[SessionListItem],
    now: datetime,
    policy: Policy,
    *,
    asked_at: datetime | None = None,
) -> Listed:
    """`asked_at`: when the page was asked for (default `now`). Liveness is judged then, not when the answer came:
    Shopee's end of a session on air is never earlier than the question, so a slow answer (a queue, a stalled
    process) cannot make a live session look frozen. Only the staleness guard's decision waits that much longer."""
    judged_at = now if asked_at is None else min(asked_at, now)
    sessions = dict(state.sessions)
    read: list[int] = []
    seen: set[int] = set()
    for row in rows:
        seen.add(row.session_id)
        t = sessions.get(row.session_id)
        t = SessionState.from_row(row) if t is None else t.with_row(row)
        was_on_air = t.on_air
        liveness = assess(t.liveness, status=row.status, end=row.end_time, now=judged_at, policy=policy.liveness)
        if liveness != t.liveness:
            t = replace(t, liveness=liveness)
        sessions[row.session_id] = t
        if _detail_due(t, now, policy.settle, ending=was_on_air and not t.on_air):
            read.append(row.session_id)
    for sid, t in list(sessions.items()):
        if sid not in seen and not t.ended and t.liveness is not None:
            liveness = assess_unseen(t.liveness, now=judged_at, policy=policy.liveness)
            sessions[sid] = replace(t, liveness=liveness)
            if not liveness.live:  # ends in this cycle: its products are read once more now
                read.append(sid)
    return Listed(replace(state, sessions=sessions), tuple(read))


def _detail_due(t: SessionState, now: datetime, settle: SettlePolicy, *, ending: bool) -> bool:
    """`ending`: it was on air and its end is decided in this cycle (a session first seen already ended is
    an ended session: read once if its end is within the settle window)."""
    end = t.end_time or t.ended_at
    moved = t.ended and end is not None and t.detail_read_end is not None and end > t.detail_read_end
    return detail_due(
        on_air=t.on_air, ending=ending, end=end, end_moved=moved, last_read=t.detail_read_at, now=now, policy=settle
    )


# --- 2. what the cycle publishes -----------------------------------------------------------------------------


class _Out:
    """Collects a step's events and metric facts while sessions are updated one by one."""

    def __init__(self, owner: Owner) -> None:
        self.owner = owner
        self.events: list[Emit] = []
        self.ended: list[int] = []
        self.corrections: list[str] = []

    def context(self, t: SessionState) -> SessionContext:
        o = self.owner
        return t.context(account_id=o.account_id, studio_id=o.studio_id, currency=o.currency, timezone=o.timezone)

    def session(self, t: SessionState, kind: HashKind, payload: Any, digest: str, mono: float) -> SessionState:
        metrics: SessionMetrics = payload.metrics
        self.events.append(
            Emit(
                slot=(kind, self.owner.account_id, t.session_id),
                topic="session",
                key=session_key(self.owner.account_id, t.session_id),
                event=wrap_session_event(payload),
                on_ack=Published(t.session_id, kind, digest, metrics),
                on_drop=Unsent(t.session_id, kind),
            )
        )
        return replace(t.sending(kind, digest), last_publish_mono=mono)

    def items(self, t: SessionState, detail: Detail | None) -> SessionState:
        if detail is None or detail.products is None or detail.items_at is None:
            return t
        t, items, digest = t.map_items(detail.products, keep=t.on_air)
        if digest == t.sent.get("items"):
            return t
        payload = item_snapshots(self.context(t), observed_at=detail.items_at, items=items)
        self.events.append(
            Emit(
                slot=("items", self.owner.account_id, t.session_id),
                topic="item",
                key=session_key(self.owner.account_id, t.session_id),
                event=wrap_items(payload, digest),
                on_ack=Published(t.session_id, "items", digest, None),
                on_drop=Unsent(t.session_id, "items"),
            )
        )
        return t.sending("items", digest)

    def end(self, t: SessionState, *, observed: datetime, source: ObservationSource) -> None:
        assert t.ended_at is not None
        payload = session_ended(
            self.context(t),
            observed_at=observed,
            source=source,
            metrics=t.known or SessionMetrics(),
            ended_at=t.ended_at,
        )
        self.events.append(
            Emit(
                slot=("ended", self.owner.account_id, t.session_id),
                topic="session",
                key=session_key(self.owner.account_id, t.session_id),
                event=wrap_session_event(payload),
                essential=True,
                on_ack=EndPublished(t.session_id),
            )
        )

    def step(self, state: LiveState) -> Step:
        return Step(state, tuple(self.events), tuple(self.ended), tuple(self.corrections))


def published(
    state: LiveState,
    rows: Sequence[SessionListItem],
    details: Mapping[int, Detail],
    *,
    now: datetime,
    mono: float,
    owner: Owner,
    policy: Policy,
) -> Step:
    """The events of one cycle: `rows` is the session list `listed` saw, `details` what the reads it asked for
    returned (by session; a session absent was not read). `now`: the ingest clock when the list was read; `mono`:
    loop time now (heartbeats)."""
    out = _Out(owner)
    sessions = dict(state.sessions)
    for sid in details:
        t = sessions.get(sid)
        if t is not None:
            sessions[sid] = replace(t, detail_read_at=now, detail_read_end=t.end_time)
    observed = dict(state.observed_at)
    by_id = {row.session_id: row for row in rows}
    for sid, row in by_id.items():
        t = sessions.get(sid)
        if t is not None:
            sessions[sid], observed[sid] = _row_events(out, t, row, now, mono, details.get(sid), policy)
    for sid, t in list(sessions.items()):
        if sid not in by_id and t.ending:
            t = out.items(t, details.get(sid))
            sessions[sid] = _ended(out, t, now, source="session_list", observed=now)
    return out.step(replace(state, sessions=sessions, observed_at=observed))


def _row_events(
    out: _Out, t: SessionState, row: SessionListItem, now: datetime, mono: float, detail: Detail | None, policy: Policy
) -> tuple[SessionState, datetime]:
    """The session after its row (and details) were published, and when it was observed."""
    on_air = t.on_air
    ending = t.ending
    overview = detail.overview if detail is not None and detail.overview_at is not None else None
    fingerprint = hash((tuple(row.__dict__.values()), on_air))
    if overview is None and not ending and fingerprint == t.row_fingerprint:
        # the same row as last time: nothing to map, hash or publish
        return out.items(t, detail), now
    t = replace(t, row_fingerprint=fingerprint)
    ctx = out.context(t)
    row_metrics = metrics_from_row(row)
    row_snapshot = session_snapshot(
        ctx, observed_at=now, source="session_list", metrics=row_metrics, on_air=on_air, shopee_status=row.status
    )
    row_digest = content_hash(row_snapshot)
    snapshot: SessionSnapshot
    observed = now
    if overview is not None:
        assert detail is not None and detail.overview_at is not None
        observed = detail.overview_at
        merged = merge_metrics(row_metrics, metrics_from_overview(overview, on_air=on_air))
        snapshot = session_snapshot(
            ctx, observed_at=observed, source="overview", metrics=merged, on_air=on_air, shopee_status=row.status
        )
        t = t.observe(merged)
        digest = content_hash(snapshot)
        if digest != t.sent.get("snapshot"):
            t = out.session(t, "snapshot", snapshot, digest, mono)
        t = t.sending("list", row_digest)  # the merged snapshot already carried this row
    else:
        snapshot = row_snapshot
        t = t.observe(row_metrics)
        if row_digest != t.sent.get("list"):
            t = out.session(t, "list", snapshot, row_digest, mono)
    if on_air and mono - t.last_publish_mono >= policy.heartbeat_s:
        beat = snapshot.model_copy(update={"heartbeat": True, "observed_at": observed})
        t = out.session(t, "snapshot", beat, content_hash(snapshot), mono)
    t = out.items(t, detail)
    if ending:
        t = _ended(out, t, now, source="overview" if observed != now else "session_list", observed=observed)
    return t, observed


def _ended(out: _Out, t: SessionState, now: datetime, *, source: ObservationSource, observed: datetime) -> SessionState:
    """Decide once that a session went off air and emit SessionEnded with the last figures seen."""
    ended_at = t.end_time or (t.liveness.last_end if t.liveness else now)
    t = replace(t, ended=True, ended_at=ended_at, dirty=True)
    out.ended.append(t.session_id)
    out.end(t, observed=observed, source=source)
    return t


# --- 3. the history re-read ----------------------------------------------------------------------------------


def history(
    state: LiveState,
    rows: Sequence[LiveHistoryItem],
    *,
    now: datetime,
    wall_now: datetime,
    mono: float,
    owner: Owner,
    policy: Policy,
    skip: Collection[int] = (),
) -> Step:
    """`liveList/v2` of the last 7 days was read: corrections and backfills, and the ended sessions it lists
    queued for a re-read of their details (`skip`: read in detail in this cycle already)."""
    out = _Out(owner)
    sessions = dict(state.sessions)
    for row in rows:
        t = _corrected(out, sessions.get(row.session_id), row, now, mono)
        if t is not None:
            sessions[row.session_id] = t
    rereads = dict(state.rereads)
    if policy.history_details:
        for row in rows:
            t = sessions.get(row.session_id)
            if row.session_id not in skip and t is not None and t.ended:
                rereads[row.session_id] = row
    return out.step(replace(state, sessions=sessions, rereads=rereads, history_read_at=wall_now))


def _corrected(
    out: _Out, t: SessionState | None, row: LiveHistoryItem, now: datetime, mono: float
) -> SessionState | None:
    """None: nothing changes. A session whose end was decided before Shopee's own end (its duration stood still
    for longer than the staleness guard, then went on) is corrected to Shopee's end even when no figure changed:
    "ended" is decided once, its time is not."""
    backfill = t is None or t.known is None
    if t is None:
        # history only lists ended sessions; no SessionEnded for what ended before we looked
        t = replace(SessionState.from_row(row), ended=True, ended_at=row.end_time, ended_published=True)
        created = True
    else:
        created = False
    metrics = metrics_from_row(row)
    end_moved = not created and t.ended and t.ended_at is not None and row.end_time > t.ended_at
    if not backfill and not end_moved and not changed_fields(t.known, metrics):
        return t if created else None
    payload = session_corrected(
        out.context(t), observed_at=now, metrics=metrics, ended_at=row.end_time, backfill=backfill
    )
    digest = content_hash(payload)
    if digest == t.sent.get("corrected"):
        return t if created else None
    out.corrections.append(payload.reason)
    t = t.observe(metrics)
    if end_moved:
        t = replace(t, ended_at=row.end_time, dirty=True)
    return out.session(t, "corrected", payload, digest, mono)


def backfilled(
    state: LiveState, rows: Sequence[LiveHistoryItem], *, now: datetime, mono: float, owner: Owner, policy: Policy
) -> Step:
    """A page of the history backfill (`core.backfill`): the sessions it lists become events as in `history`
    (SessionCorrected: a backfill for a session never seen, a correction for one whose figures changed), without
    re-reads of their details. Sessions within the retention are tracked as `history` tracks them; older ones
    are published without being tracked (their acknowledgement finds nothing to record)."""
    out = _Out(owner)
    sessions = dict(state.sessions)
    horizon = now - policy.retention
    for row in rows:
        t = _corrected(out, sessions.get(row.session_id), row, now, mono)
        if t is not None and (row.session_id in sessions or row.start_time >= horizon):
            sessions[row.session_id] = t
    return out.step(replace(state, sessions=sessions))


def take_rereads(state: LiveState, budget: int) -> tuple[LiveState, tuple[tuple[int, LiveHistoryItem], ...]]:
    """Up to `budget` queued re-reads (the rest stays queued for later cycles), of sessions still tracked as ended."""
    queued = list(state.rereads.items())
    taken = tuple((sid, row) for sid, row in queued[:budget] if (t := state.sessions.get(sid)) is not None and t.ended)
    return replace(state, rereads=dict(queued[budget:])), taken


def reread_budget_of(state: LiveState, policy: Policy) -> int:
    return reread_budget(state.base_interval(policy), rate_per_s=policy.rate_per_s)


def reread(
    state: LiveState,
    found: Sequence[tuple[LiveHistoryItem, Detail]],
    *,
    mono: float,
    owner: Owner,
) -> Step:
    """Overview and products of ended sessions the history listed: confirmed figures only the overview and the
    products carry (confirmed buyers, every item's) follow late confirmations the way the session totals do. A
    failed read, or an empty answer (Shopee no longer serves the session), leaves what was published."""
    out = _Out(owner)
    sessions = dict(state.sessions)
    for row, detail in found:
        t = sessions.get(row.session_id)
        if t is None or not t.ended:
            continue
        if detail.overview is not None and detail.overview_at is not None:
            merged = merge_metrics(metrics_from_row(row), metrics_from_overview(detail.overview, on_air=False))
            snapshot = session_snapshot(
                out.context(t),
                observed_at=detail.overview_at,
                source="overview",
                metrics=merged,
                on_air=False,
                shopee_status=row.status,
            )
            t = t.observe(merged)
            digest = content_hash(snapshot)
            if digest != t.sent.get("snapshot"):
                t = out.session(t, "snapshot", snapshot, digest, mono)
        if detail.products:
            t = out.items(t, detail)
        sessions[row.session_id] = t
    return out.step(replace(state, sessions=sessions))


# --- 4. the end of a cycle -------------------------------------------------------------------------------------


def finished(
    state: LiveState, *, now: datetime, base_s: float, speed: float, policy: Policy
) -> tuple[LiveState, float]:
    """Sessions older than the retention dropped, and the real seconds until the next cycle: `base_s` (on air /
    idle), or sooner for the next settling read of an ended session. `speed`: ingest-clock seconds per real
    second (0 while the simulator's clock is frozen)."""
    horizon = now - policy.retention
    if any(t.started_at < horizon for t in state.sessions.values()):
        kept = {sid: t for sid, t in state.sessions.items() if t.started_at >= horizon}
        observed = {sid: at for sid, at in state.observed_at.items() if sid in kept}
        state = replace(state, sessions=kept, observed_at=observed)
    upcoming: list[datetime] = []
    reading = 0
    for t in state.sessions.values():
        if t.on_air:
            reading += 1
        elif t.ended and t.detail_read_at is not None and (end := t.end_time or t.ended_at) is not None:
            at = next_settle_read(end, t.detail_read_at, policy.settle)
            if at is not None:
                upcoming.append(at)
                reading += 1
    interval = cycle_interval(
        base_s,
        now=now,
        next_read=min(upcoming, default=None),
        speed=speed,
        calls=1 + 2 * reading,
        rate_per_s=policy.rate_per_s,
    )
    return state, interval


# --- acknowledgements, drops, a broker that lost its log -----------------------------------------------------


def acknowledged(state: LiveState, ack: Ack) -> LiveState:
    """The broker acknowledged an event of a session (a session pruned meanwhile: nothing to record)."""
    if isinstance(ack, Published):
        t = state.sessions.get(ack.session_id)
        return state if t is None else state._with(t.acknowledged(ack.kind, ack.digest, ack.metrics))
    if isinstance(ack, EndPublished):
        t = state.sessions.get(ack.session_id)
        return state if t is None else state._with(replace(t, ended_published=True, dirty=True))
    return state


def dropped(state: LiveState, drop: Unsent) -> LiveState:
    t = state.sessions.get(drop.session_id)
    return state if t is None else state._with(t.unsent(drop.kind))


def unpublished_ends(state: LiveState, owner: Owner) -> tuple[Emit, ...]:
    """SessionEnded decided but never acknowledged (after a restart, or a reset): sent again (same id)."""
    out = _Out(owner)
    for t in state.sessions.values():
        if t.ended and not t.ended_published and t.ended_at is not None:
            out.end(t, observed=state.observed_at.get(t.session_id) or t.ended_at, source="session_list")
    return tuple(out.events)


def forgotten(state: LiveState) -> LiveState:
    """Everything published so far is lost (the broker lost its log): the next cycle publishes the current state
    again (`unpublished_ends` gives the SessionEnded to send again now)."""
    return replace(state, sessions={sid: t.forgotten() for sid, t in state.sessions.items()})


def dirty_rows(state: LiveState, account_id: str) -> tuple[LiveState, list[SessionStateRow]]:
    """The sessions changed since last written (as `session_state` rows), and the state with them clean."""
    changed = [t for t in state.sessions.values() if t.dirty]
    if not changed:
        return state, []
    rows = [t.to_row(account_id, state.observed_at.get(t.session_id)) for t in changed]
    return state._with(*(replace(t, dirty=False) for t in changed)), rows


def unwritten(state: LiveState, session_ids: Collection[int]) -> LiveState:
    """Writing these sessions failed: they are dirty again."""
    return state._with(*(replace(t, dirty=True) for sid, t in state.sessions.items() if sid in session_ids))
