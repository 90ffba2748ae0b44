"""Attendance records of schedule entries (issue #20): when they are (re)computed, the studio's attendance
settings (grace period, attribution policy) and managers' corrections.

* **When.** An entry is marked (`attendance_dirty`) when it is stored (schedule, shift or timezone change; the
  migration marks every existing entry), when a check-in/out of its host on its account lands near it, and when
  the account's on-air time inside its window changes (a session of the account appears, goes on or ends). The
  worker (`drain`, run by the service beside the statement worker) computes the marked entries whose window has
  closed with the pure rule `attendance.attendance`; a mark of an entry that has not ended waits for its end.
  Recomputing gives the same record from the same inputs (idempotent), so a mark too many costs only work.
* **On-air time.** The account's sessions as the commission knows them from the session events it attributes:
  from `started_at` to `ended_at`, or to the last observation while the session is still open.
* **Grace period.** The studio's `attendance_grace_minutes` (default 5) at the time of computation; changing it
  recomputes the records of the open pay period.
* **Attribution policy.** `schedule` (default) or `check_in_required`, stored as changes with the time the command
  was issued: the policy in force at an entry's start governs its window (`roster.policy_at`), so a change applies
  to windows starting from then on and never rewrites attributions already made.
* **Corrections.** A manager's correction (status, minutes, reason, who, when) is stored beside the computed
  record and never overwritten by recomputation; the effective status is the correction's when there is one.
  The gateway records the command in its audit trail like every other command.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from livestudio_commission import metrics
from livestudio_commission import repository as repo
from livestudio_commission.attendance import DEFAULT_GRACE, attendance
from livestudio_commission.attribution import SessionState
from livestudio_commission.periods import period_of
from livestudio_commission.roster import CHECK_IN_EARLY, OPEN_CHECK_IN_MAX, CheckKind, policy_at
from livestudio_runtime.db import DbConnection
from livestudio_schemas.commands import AttendanceCorrect, Command, StudioUpsert

DEFAULT_GRACE_MINUTES = int(DEFAULT_GRACE.total_seconds() // 60)


class AttendanceRejected(ValueError):
    """A correction that cannot be applied (the entry has no window, or it has not ended yet)."""


# --- marks ------------------------------------------------------------------------------------------------------
async def mark_entries(conn: DbConnection, entry_ids: list[str]) -> None:
    await repo.mark_attendance_entries(conn, entry_ids)


async def mark_check(conn: DbConnection, host_id: str, account_id: str, at: datetime) -> None:
    """A check event reaches the entries it can pair with (from `CHECK_IN_EARLY` before to `OPEN_CHECK_IN_MAX`
    after their window)."""
    await repo.mark_attendance_around(conn, [(account_id, host_id, at - OPEN_CHECK_IN_MAX, at + CHECK_IN_EARLY)])


def _end(state: SessionState) -> datetime:
    return state.ended_at or state.last_observed_at or state.started_at


def on_air_changes(changes: list[tuple[SessionState | None, SessionState]]) -> list[tuple[str, datetime, datetime]]:
    """(account, from, to) of each session's on-air interval that changed: the whole of a new session, the
    stretch between the old and the new end of a known one; nothing when its end did not move."""
    spans: list[tuple[str, datetime, datetime]] = []
    for before, after in changes:
        if before is None:
            spans.append((after.account_id, after.started_at, _end(after)))
            continue
        old, new = _end(before), _end(after)
        if old != new:
            spans.append((after.account_id, min(old, new), max(old, new)))
    return spans


async def mark_sessions(conn: DbConnection, changes: list[tuple[SessionState | None, SessionState]]) -> None:
    """Entries whose window overlaps the part of a session's on-air interval that changed."""
    spans = on_air_changes(changes)
    await repo.mark_attendance_around(conn, [(account, None, lo, hi) for account, lo, hi in spans])


# --- computation ------------------------------------------------------------------------------------------------
def _kind(value: str) -> CheckKind:
    return "in" if value == "in" else "out"


async def recompute(conn: DbConnection, entries: list[repo.AttendanceEntry]) -> int:
    """Compute and store the attendance of these (ended) entries; corrections beside them stay."""
    if not entries:
        return 0
    graces = await repo.grace_minutes(conn, {e.studio_id for e in entries})
    checks = await repo.attendance_checks(conn, entries, CHECK_IN_EARLY, OPEN_CHECK_IN_MAX)
    on_air = await repo.attendance_on_air(conn, entries)
    computed: list[repo.ComputedAttendance] = []
    for e in entries:
        grace = graces.get(e.studio_id, DEFAULT_GRACE_MINUTES)
        live = on_air.get(e.entry_id)
        result = attendance(
            e.starts_at,
            e.ends_at,
            [(_kind(kind), at) for kind, at in checks.get(e.entry_id, [])],
            on_air=live,
            grace=timedelta(minutes=grace),
        )
        computed.append(
            repo.ComputedAttendance(
                e,
                result.status,
                result.arrived_at,
                result.left_at,
                result.late_minutes,
                result.left_early_minutes,
                live is not None,
                grace,
            )
        )
        metrics.ATTENDANCE_COMPUTED.labels(result.status).inc()
    await repo.save_attendance(conn, computed)
    return len(computed)


async def drain(pool: asyncpg.Pool, *, now: datetime | None = None, batch: int = 200, rounds: int = 10) -> int:
    """Compute the marked entries that have ended, `batch` per transaction; how many were computed."""
    done = 0
    for _ in range(rounds):
        async with pool.acquire() as conn, conn.transaction():
            entries = await repo.claim_attendance(conn, now or datetime.now(UTC), batch)
            done += await recompute(conn, entries)
        if len(entries) < batch:
            break
    return done


# --- settings and corrections -----------------------------------------------------------------------------------
async def apply_studio_settings(conn: DbConnection, c: StudioUpsert, issued_at: datetime) -> None:
    """Grace period and attribution policy of a studio upsert (None: keep what is stored)."""
    if c.attendance_grace_minutes is not None:
        stored = (await repo.grace_minutes(conn, [c.studio_id])).get(c.studio_id, DEFAULT_GRACE_MINUTES)
        await repo.set_grace_minutes(conn, c.studio_id, c.attendance_grace_minutes)
        if stored != c.attendance_grace_minutes:
            # the records of the open pay period follow the new grace period; closed periods keep theirs
            zone = ZoneInfo(c.timezone)
            period = period_of(issued_at.astimezone(zone).date(), c.pay_period)
            await repo.mark_attendance_of_studio(conn, c.studio_id, period.start)
    if c.attribution_policy is not None:
        changes = (await repo.attribution_policies(conn, [c.studio_id])).get(c.studio_id, [])
        if policy_at(changes, issued_at) != c.attribution_policy:
            await repo.add_attribution_policy(conn, c.studio_id, issued_at, c.attribution_policy)


async def correct(conn: DbConnection, command: Command, c: AttendanceCorrect) -> None:
    entry = await repo.get_entry(conn, c.entry_id)
    if entry is None or entry.starts_at is None or entry.ends_at is None:
        raise AttendanceRejected(f"schedule entry {c.entry_id!r} has no window yet")
    if entry.starts_at > command.issued_at:
        raise AttendanceRejected(f"schedule entry {c.entry_id!r} has not started yet")
    await repo.correct_attendance(
        conn,
        entry,
        status=c.status,
        late_minutes=c.late_minutes,
        left_early_minutes=c.left_early_minutes,
        reason=c.reason,
        by=command.actor,
        at=command.issued_at,
        command_id=command.command_id,
    )
