"""Session events into attribution, inside the consumer's transaction; and re-attribution after roster changes.

`apply_observations` is the hot path: the batch's sessions are row-locked, each event goes through
`attribution.observe` (older and equal observations are ignored), the resulting increments are stored and split
over the account's on-air windows (and each bucket's share over the local hours, `hours.split_hours`), and the
touched buckets and hours, the gateway's `attributions` and `host_hours` rows and the statement marks are written,
all in the caller's transaction.

`reattribute` recomputes whole sessions (parts and hours) from their stored increments when the roster of their
account changed (schedule, shift, check-in/out, studio timezone), so the result never depends on whether a roster
command was consumed before or after the session events it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from livestudio_commission import attendance_records, checkouts, metrics
from livestudio_commission import repository as repo
from livestudio_commission.attribution import (
    Bucket,
    Figures,
    Increment,
    Observation,
    SessionState,
    allocate_increment,
    merge_into,
    observe,
)
from livestudio_commission.hours import HourPart, merge_hours, replay_hours, split_hours
from livestudio_commission.money import currency_quantum
from livestudio_commission.roster import OnAirWindow, effective_windows, requires_check_in
from livestudio_runtime.db import DbConnection

# How far around an increment the roster is loaded: covers check-in pairing across the interval's edges.
ROSTER_MARGIN = timedelta(days=1)
SessionKey = tuple[str, int]


def _span(increments: Iterable[Increment]) -> tuple[datetime, datetime]:
    points: list[datetime] = []
    for inc in increments:
        for d in inc.deltas.values():
            points += [d.start, d.end]
        if inc.on_air is not None:
            points += list(inc.on_air)
        points.append(inc.observed_at)
    return min(points), max(points)


def _tz(state: SessionState, studios: dict[str, repo.StudioRow]) -> ZoneInfo:
    studio = studios.get(state.studio_id)
    return ZoneInfo(studio.timezone if studio is not None else state.timezone)


async def apply_observations(conn: DbConnection, observations: Sequence[Observation]) -> None:
    if not observations:
        return
    keys = {(o.account_id, o.session_id) for o in observations}
    stored = await repo.lock_sessions(conn, keys)
    states: dict[SessionKey, SessionState] = dict(stored)
    pending: dict[SessionKey, list[Increment]] = {}
    for obs in observations:
        key = (obs.account_id, obs.session_id)
        before = states.get(key)
        states[key], increment = observe(before, obs)
        if increment is None:
            seen = before.last_observed_at if before is not None else None
            old = seen is not None and obs.observed_at <= seen
            metrics.OBSERVED["ignored_old" if old else "no_change"].inc()
            continue
        metrics.OBSERVED["attributed"].inc()
        metrics.INCREMENTS_BY_KIND[increment.kind].inc()
        pending.setdefault(key, []).append(increment)
    changed = [states[k] for k in sorted(states) if states[k] != stored.get(k)]
    if not changed:
        return
    await repo.save_sessions(conn, changed)
    await attendance_records.mark_sessions(conn, [(stored.get((s.account_id, s.session_id)), s) for s in changed])
    # A session that appeared takes the account's live checkouts purchased since its start from the session before
    # it (`income.session_at`): recompute those.
    spans = [
        (s.account_id, s.started_at, None)
        for s in changed
        if (before := stored.get((s.account_id, s.session_id))) is None
        or (before.started_at, before.ended_at) != (s.started_at, s.ended_at)
    ]
    if spans:
        await checkouts.reattribute_range(conn, spans)
    if not pending:
        return
    await repo.insert_increments(conn, [(k, inc) for k in sorted(pending) for inc in pending[k]])

    studios = await repo.get_studios(conn, {states[k].studio_id for k in pending})
    policies = await repo.attribution_policies(conn, {states[k].studio_id for k in pending})
    lo, hi = _span(inc for incs in pending.values() for inc in incs)
    entries, checks = await repo.load_roster(conn, {k[0] for k in pending}, lo - ROSTER_MARGIN, hi + ROSTER_MARGIN)
    parts = await repo.load_parts(conn, pending)
    windows: dict[tuple[str, str], list[OnAirWindow]] = {}
    rows = []
    hour_rows = []
    dirty: set[tuple[str, date]] = set()
    for key in sorted(pending):
        state = states[key]
        tz = _tz(state, studios)
        wkey = (key[0], tz.key)
        if wkey not in windows:
            windows[wkey] = effective_windows(
                entries.get(key[0], []),
                checks.get(key[0], []),
                tz,
                check_in_required=requires_check_in(policies.get(state.studio_id, [])),
            )
        session_parts = parts.setdefault(key, {})
        touched: set[Bucket] = set()
        hours: dict[HourPart, Figures] = {}
        quantum = currency_quantum(state.currency)
        for inc in pending[key]:
            placed = {b: f.values["placed_sales"] for b, f in session_parts.items()} if inc.kind == "settle" else {}
            contribution = allocate_increment(inc, windows[wkey], tz, placed, quantum)
            if any(not b.host_key for b in contribution):
                metrics.UNASSIGNED_INCREMENTS.inc()
            merge_into(session_parts, contribution)
            touched.update(contribution)
            # The hours of the increment (not part of pay): added to the stored hours of the session.
            merge_hours(hours, split_hours(inc, contribution, windows[wkey], tz, quantum))
        rows += repo.part_rows(key, state.studio_id, {b: session_parts[b] for b in touched})
        hour_rows += repo.hour_rows(key, state.studio_id, hours)
        dirty.update((b.host_key, b.local_day) for b in touched if b.host_key)
    await repo.upsert_parts(conn, rows)
    await repo.add_hours(conn, hour_rows)
    await repo.refresh_attributions(conn, pending)
    await repo.refresh_host_hours(conn, repo.hour_keys(hour_rows))
    await repo.mark_dirty(conn, dirty)


def _comparable(parts: dict[Bucket, Figures]) -> dict[tuple[Bucket, str | None], Figures]:
    return {(b, b.shift_id): f for b, f in parts.items()}


async def reattribute(conn: DbConnection, keys: Iterable[SessionKey]) -> int:
    """Recompute these sessions' parts from their increments and the current roster; sessions that changed."""
    changed_keys: list[SessionKey] = []
    dirty: set[tuple[str, date]] = set()
    hour_keys: set[repo.HostHourKey] = set()
    for key in sorted(set(keys)):
        state = (await repo.lock_sessions(conn, [key])).get(key)
        if state is None:
            continue
        increments = await repo.load_increments(conn, key)
        if not increments:
            continue
        studios = await repo.get_studios(conn, [state.studio_id])
        tz = _tz(state, studios)
        lo, hi = _span(increments)
        entries, checks = await repo.load_roster(conn, [key[0]], lo - ROSTER_MARGIN, hi + ROSTER_MARGIN)
        policies = await repo.attribution_policies(conn, [state.studio_id])
        windows = effective_windows(
            entries.get(key[0], []),
            checks.get(key[0], []),
            tz,
            check_in_required=requires_check_in(policies.get(state.studio_id, [])),
        )
        new_parts, new_hours = replay_hours(increments, windows, tz, currency_quantum(state.currency))
        old_parts: dict[Bucket, Figures] = (await repo.load_parts(conn, [key])).get(key, {})
        if _comparable(new_parts) == _comparable(old_parts):
            # Pay unchanged; the hours may still differ (a window moved inside the same split, or a session whose
            # hours predate the `attribution_hours` table): keep them true without touching pay.
            if new_hours != await repo.load_hours(conn, key):
                hour_keys |= await repo.replace_hours(conn, key, state.studio_id, new_hours)
            continue
        await repo.replace_parts(conn, key, state.studio_id, new_parts)
        hour_keys |= await repo.replace_hours(conn, key, state.studio_id, new_hours)
        dirty.update((b.host_key, b.local_day) for b in (*old_parts, *new_parts) if b.host_key)
        changed_keys.append(key)
    if changed_keys:
        await repo.refresh_attributions(conn, changed_keys)
        await repo.mark_dirty(conn, dirty)
        metrics.SESSIONS_REATTRIBUTED.inc(len(changed_keys))
    await repo.refresh_host_hours(conn, hour_keys)
    return len(changed_keys)


async def reattribute_account_range(conn: DbConnection, account_id: str, lo: datetime, hi: datetime) -> int:
    """Re-attribute the account's sessions whose span overlaps [lo, hi] (widened by the roster margin)."""
    keys = await repo.sessions_overlapping(conn, account_id, lo - ROSTER_MARGIN, hi + ROSTER_MARGIN)
    await checkouts.reattribute_range(conn, [(account_id, lo - ROSTER_MARGIN, hi + ROSTER_MARGIN)])
    return await reattribute(conn, keys)
