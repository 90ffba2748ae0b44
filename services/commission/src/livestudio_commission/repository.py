"""All SQL of the commission service (asyncpg, parameterised only), over the `commission` schema.

Functions take a connection (`DbConnection`) so that the caller owns the transaction: a consumer batch, a
command, or one round of the statement worker is one transaction with everything it changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from livestudio_commission import income
from livestudio_commission.attribution import (
    METRICS,
    Bucket,
    Figures,
    Increment,
    IncrementKind,
    MetricDelta,
    SessionState,
)
from livestudio_commission.hours import HourPart
from livestudio_commission.ledger import HostPart, LineKey, PlannedLine, Settled
from livestudio_commission.periods import PayPeriod
from livestudio_commission.roster import CheckEvent, Policy, ScheduleEntry
from livestudio_commission.rules import PayRule, Tier
from livestudio_runtime.db import DbConnection

SCHEMA = "commission"
SessionKey = tuple[str, int]
HostDayKey = tuple[str, str | None, date]  # (studio, host or None = unassigned, local day): a `host_days` row
# (studio, host or None = unassigned, account, local date, hour): a `host_hours` row
HostHourKey = tuple[str, str | None, str, date, int]
ROLE_SINCE_ALWAYS = date(1900, 1, 1)


# --- rows -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StudioRow:
    studio_id: str
    name: str
    timezone: str
    currency: str
    pay_period: PayPeriod
    holidays: tuple[date, ...]


@dataclass(frozen=True)
class HostRow:
    host_id: str
    studio_id: str
    name: str
    role: str
    active: bool


@dataclass(frozen=True)
class ShiftRow:
    shift_id: str
    studio_id: str
    name: str
    start_local: time
    end_local: time


@dataclass(frozen=True)
class EntryRow:
    entry_id: str
    studio_id: str
    host_id: str
    account_id: str
    shift_id: str | None
    shift_date: date | None
    explicit_starts_at: datetime | None
    explicit_ends_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    local_day: date | None
    share: Decimal


@dataclass(frozen=True)
class StatementRow:
    statement_id: str
    studio_id: str
    host_id: str
    period_start: date
    period_end: date
    seq: int
    status: str
    currency: str
    total: Decimal
    revision: int
    content_hash: str
    approved_by: str | None
    approved_at: datetime | None
    paid_by: str | None
    paid_at: datetime | None


@dataclass(frozen=True)
class LineRow:
    line_id: str
    statement_id: str
    line_kind: str
    rule_id: str | None
    rule_version: date | None
    account_id: str | None
    session_id: int | None
    description: str
    base: Decimal | None
    amount: Decimal
    source_period_start: date


def _keys(keys: Iterable[SessionKey]) -> tuple[list[str], list[int]]:
    ordered = sorted(set(keys))
    return [k[0] for k in ordered], [k[1] for k in ordered]


# --- commands ---------------------------------------------------------------------------------------------
async def command_seen(conn: DbConnection, command_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM command_results WHERE command_id = $1", command_id))


async def record_command(conn: DbConnection, command_id: str, kind: str, status: str, error: str | None) -> None:
    await conn.execute(
        "INSERT INTO command_results (command_id, kind, status, error, applied_at) VALUES ($1, $2, $3, $4, now()) "
        "ON CONFLICT (command_id) DO NOTHING",
        command_id,
        kind,
        status,
        error,
    )


# --- studios and hosts ------------------------------------------------------------------------------------
def _studio(r: Any) -> StudioRow:
    return StudioRow(r["studio_id"], r["name"], r["timezone"], r["currency"], r["pay_period"], tuple(r["holidays"]))


async def get_studio(conn: DbConnection, studio_id: str) -> StudioRow | None:
    r = await conn.fetchrow("SELECT * FROM studios WHERE studio_id = $1", studio_id)
    return None if r is None else _studio(r)


async def get_studios(conn: DbConnection, studio_ids: Iterable[str]) -> dict[str, StudioRow]:
    rows = await conn.fetch("SELECT * FROM studios WHERE studio_id = ANY($1::text[])", sorted(set(studio_ids)))
    return {r["studio_id"]: _studio(r) for r in rows}


async def upsert_studio(conn: DbConnection, s: StudioRow) -> None:
    await conn.execute(
        """
        INSERT INTO studios (studio_id, name, timezone, currency, pay_period, holidays, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, now())
        ON CONFLICT (studio_id) DO UPDATE SET name = EXCLUDED.name, timezone = EXCLUDED.timezone,
            currency = EXCLUDED.currency, pay_period = EXCLUDED.pay_period, holidays = EXCLUDED.holidays,
            updated_at = now()
        """,
        s.studio_id,
        s.name,
        s.timezone,
        s.currency,
        s.pay_period,
        sorted(set(s.holidays)),
    )


async def studio_has_statements(conn: DbConnection, studio_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM statements WHERE studio_id = $1 LIMIT 1", studio_id))


async def get_host(conn: DbConnection, host_id: str) -> HostRow | None:
    r = await conn.fetchrow("SELECT * FROM hosts WHERE host_id = $1", host_id)
    return None if r is None else HostRow(r["host_id"], r["studio_id"], r["name"], r["role"], r["active"])


async def upsert_host(conn: DbConnection, h: HostRow) -> None:
    await conn.execute(
        """
        INSERT INTO hosts (host_id, studio_id, name, role, active, updated_at) VALUES ($1, $2, $3, $4, $5, now())
        ON CONFLICT (host_id) DO UPDATE SET name = EXCLUDED.name,
            role = EXCLUDED.role, active = EXCLUDED.active, updated_at = now()
        """,
        h.host_id,
        h.studio_id,
        h.name,
        h.role,
        h.active,
    )


async def set_host_role(conn: DbConnection, host_id: str, effective_from: date, role: str) -> None:
    await conn.execute(
        "INSERT INTO host_roles (host_id, effective_from, role) VALUES ($1, $2, $3) "
        "ON CONFLICT (host_id, effective_from) DO UPDATE SET role = EXCLUDED.role",
        host_id,
        effective_from,
        role,
    )


async def host_roles(conn: DbConnection, host_id: str) -> list[tuple[date, str]]:
    rows = await conn.fetch(
        "SELECT effective_from, role FROM host_roles WHERE host_id = $1 ORDER BY effective_from", host_id
    )
    return [(r["effective_from"], r["role"]) for r in rows]


# --- ownership ------------------------------------------------------------------------------------------------
_OWNER_QUERIES: dict[str, str] = {
    "studio": "SELECT studio_id AS id, studio_id FROM studios WHERE studio_id = ANY($1::text[])",
    "host": "SELECT host_id AS id, studio_id FROM hosts WHERE host_id = ANY($1::text[])",
    "shift": "SELECT shift_id AS id, studio_id FROM shifts WHERE shift_id = ANY($1::text[])",
    "schedule entry": "SELECT entry_id AS id, studio_id FROM schedule_entries WHERE entry_id = ANY($1::text[])",
    "rule": "SELECT DISTINCT rule_id AS id, coalesce(studio_id, '') AS studio_id FROM pay_rules"
    " WHERE rule_id = ANY($1::text[])",
    "statement": "SELECT statement_id AS id, studio_id FROM statements WHERE statement_id = ANY($1::text[])",
    # commission has no account table: an account belongs to the studio its sessions, entries or rules say
    "account": "SELECT DISTINCT ON (id) id, studio_id FROM ("
    " SELECT account_id AS id, studio_id, 0 AS o FROM sessions WHERE account_id = ANY($1::text[])"
    " UNION ALL SELECT account_id, studio_id, 1 FROM schedule_entries WHERE account_id = ANY($1::text[])"
    " UNION ALL SELECT account_id, studio_id, 2 FROM pay_rules"
    "  WHERE account_id = ANY($1::text[]) AND studio_id IS NOT NULL) x ORDER BY id, o",
}


async def entity_studios(conn: DbConnection, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(entity, id) -> studio of each named entity that exists (`''` for a global pay rule)."""
    wanted: dict[str, list[str]] = {}
    for entity, entity_id in refs:
        wanted.setdefault(entity, []).append(entity_id)
    found: dict[tuple[str, str], str] = {}
    for entity, ids in wanted.items():
        for r in await conn.fetch(_OWNER_QUERIES[entity], ids):
            found[(entity, r["id"])] = r["studio_id"]
    return found


async def host_rostered(conn: DbConnection, host_id: str, account_id: str, lo: datetime, hi: datetime) -> bool:
    """Whether a schedule entry puts the host on the account at some time in [lo, hi]."""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM schedule_entries WHERE host_id = $1 AND account_id = $2 AND starts_at <= $4"
            " AND ends_at >= $3 LIMIT 1",
            host_id,
            account_id,
            lo,
            hi,
        )
    )


# --- shifts and schedule ----------------------------------------------------------------------------------
async def get_shift(conn: DbConnection, shift_id: str) -> ShiftRow | None:
    r = await conn.fetchrow("SELECT * FROM shifts WHERE shift_id = $1", shift_id)
    if r is None:
        return None
    return ShiftRow(r["shift_id"], r["studio_id"], r["name"], r["start_local"], r["end_local"])


async def upsert_shift(conn: DbConnection, s: ShiftRow) -> None:
    await conn.execute(
        """
        INSERT INTO shifts (shift_id, studio_id, name, start_local, end_local, updated_at)
        VALUES ($1, $2, $3, $4, $5, now())
        ON CONFLICT (shift_id) DO UPDATE SET name = EXCLUDED.name,
            start_local = EXCLUDED.start_local, end_local = EXCLUDED.end_local, updated_at = now()
        """,
        s.shift_id,
        s.studio_id,
        s.name,
        s.start_local,
        s.end_local,
    )


def _entry(r: Any) -> EntryRow:
    return EntryRow(
        r["entry_id"],
        r["studio_id"],
        r["host_id"],
        r["account_id"],
        r["shift_id"],
        r["shift_date"],
        r["explicit_starts_at"],
        r["explicit_ends_at"],
        r["starts_at"],
        r["ends_at"],
        r["local_day"],
        r["share"],
    )


async def get_entry(conn: DbConnection, entry_id: str) -> EntryRow | None:
    r = await conn.fetchrow("SELECT * FROM schedule_entries WHERE entry_id = $1", entry_id)
    return None if r is None else _entry(r)


async def entries_using_shift(conn: DbConnection, shift_id: str) -> list[EntryRow]:
    rows = await conn.fetch("SELECT * FROM schedule_entries WHERE shift_id = $1 ORDER BY entry_id", shift_id)
    return [_entry(r) for r in rows]


async def entries_of_studio(conn: DbConnection, studio_id: str) -> list[EntryRow]:
    rows = await conn.fetch("SELECT * FROM schedule_entries WHERE studio_id = $1 ORDER BY entry_id", studio_id)
    return [_entry(r) for r in rows]


async def upsert_entry(conn: DbConnection, e: EntryRow) -> None:
    await conn.execute(
        """
        INSERT INTO schedule_entries (entry_id, studio_id, host_id, account_id, shift_id, shift_date,
            explicit_starts_at, explicit_ends_at, starts_at, ends_at, local_day, share, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
        ON CONFLICT (entry_id) DO UPDATE SET host_id = EXCLUDED.host_id,
            account_id = EXCLUDED.account_id, shift_id = EXCLUDED.shift_id, shift_date = EXCLUDED.shift_date,
            explicit_starts_at = EXCLUDED.explicit_starts_at, explicit_ends_at = EXCLUDED.explicit_ends_at,
            starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, local_day = EXCLUDED.local_day,
            share = EXCLUDED.share, updated_at = now()
        """,
        e.entry_id,
        e.studio_id,
        e.host_id,
        e.account_id,
        e.shift_id,
        e.shift_date,
        e.explicit_starts_at,
        e.explicit_ends_at,
        e.starts_at,
        e.ends_at,
        e.local_day,
        e.share,
    )


async def delete_entry(conn: DbConnection, entry_id: str) -> None:
    await conn.execute("DELETE FROM schedule_entries WHERE entry_id = $1", entry_id)


# --- removals: what history depends on an entity --------------------------------------------------------
async def host_history(conn: DbConnection, host_id: str) -> dict[str, int]:
    """How many schedule entries, check-ins, attributed sessions and statements name the host."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM schedule_entries WHERE host_id = $1) AS schedule_entries,
               (SELECT count(*) FROM host_checks WHERE host_id = $1) AS check_ins,
               (SELECT count(*) FROM attributions WHERE host_id = $1) AS sessions,
               (SELECT count(*) FROM statements WHERE host_id = $1) AS statements
        """,
        host_id,
    )
    assert row is not None
    return {key: int(value) for key, value in row.items()}


async def delete_host(conn: DbConnection, host_id: str) -> None:
    await conn.execute("DELETE FROM host_roles WHERE host_id = $1", host_id)
    await conn.execute("DELETE FROM statement_dirty WHERE host_id = $1", host_id)
    await conn.execute("DELETE FROM hosts WHERE host_id = $1", host_id)


async def shift_users(conn: DbConnection, shift_id: str) -> dict[str, int]:
    """How many schedule entries and pay rule versions name the shift."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM schedule_entries WHERE shift_id = $1) AS schedule_entries,
               (SELECT count(*) FROM pay_rules WHERE shift_id = $1) AS pay_rules
        """,
        shift_id,
    )
    assert row is not None
    return {key: int(value) for key, value in row.items()}


async def delete_shift(conn: DbConnection, shift_id: str) -> None:
    await conn.execute("DELETE FROM shifts WHERE shift_id = $1", shift_id)


async def rule_paid_lines(conn: DbConnection, rule_id: str) -> int:
    """How many statement lines (of any statement, void ones too) a version of the rule paid."""
    value = await conn.fetchval("SELECT count(*) FROM statement_lines WHERE rule_id = $1", rule_id)
    return int(value)


async def delete_rule(conn: DbConnection, rule_id: str) -> None:
    await conn.execute("DELETE FROM pay_rules WHERE rule_id = $1", rule_id)


async def studio_history(conn: DbConnection, studio_id: str) -> dict[str, int]:
    """What the studio holds in our tables: hosts, shifts, schedule entries, pay rules, check-ins (of its hosts),
    statements, targets and sessions, in the gateway's order (it also counts accounts, ad spend and alerts)."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM hosts WHERE studio_id = $1) AS hosts,
               (SELECT count(*) FROM shifts WHERE studio_id = $1) AS shifts,
               (SELECT count(*) FROM schedule_entries WHERE studio_id = $1) AS schedule_entries,
               (SELECT count(DISTINCT rule_id) FROM pay_rules WHERE studio_id = $1) AS pay_rules,
               (SELECT count(*) FROM host_checks c JOIN hosts h ON h.host_id = c.host_id
                WHERE h.studio_id = $1) AS check_ins,
               (SELECT count(*) FROM statements WHERE studio_id = $1) AS statements,
               (SELECT count(*) FROM targets WHERE studio_id = $1) AS targets,
               (SELECT count(*) FROM sessions WHERE studio_id = $1) AS sessions
        """,
        studio_id,
    )
    assert row is not None
    return {key: int(value) for key, value in row.items()}


async def delete_studio(conn: DbConnection, studio_id: str) -> None:
    """The studio row and its settings (attendance grace, attribution policies)."""
    await conn.execute("DELETE FROM studio_attendance WHERE studio_id = $1", studio_id)
    await conn.execute("DELETE FROM attribution_policies WHERE studio_id = $1", studio_id)
    await conn.execute("DELETE FROM studios WHERE studio_id = $1", studio_id)


async def insert_check(conn: DbConnection, check: CheckEvent) -> None:
    await conn.execute(
        "INSERT INTO host_checks (check_id, host_id, account_id, kind, at) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (check_id) DO NOTHING",
        check.check_id,
        check.host_id,
        check.account_id,
        check.kind,
        check.at,
    )


async def load_roster(
    conn: DbConnection, account_ids: Iterable[str], lo: datetime, hi: datetime
) -> tuple[dict[str, list[ScheduleEntry]], dict[str, list[CheckEvent]]]:
    """Resolved schedule entries overlapping [lo, hi] and check events inside it, per account."""
    accounts = sorted(set(account_ids))
    entry_rows = await conn.fetch(
        """
        SELECT entry_id, host_id, account_id, starts_at, ends_at, share, shift_id, local_day
        FROM schedule_entries
        WHERE account_id = ANY($1::text[]) AND starts_at IS NOT NULL AND starts_at < $3 AND ends_at > $2
        """,
        accounts,
        lo,
        hi,
    )
    check_rows = await conn.fetch(
        "SELECT check_id, host_id, account_id, kind, at FROM host_checks "
        "WHERE account_id = ANY($1::text[]) AND at >= $2 AND at <= $3",
        accounts,
        lo,
        hi,
    )
    entries: dict[str, list[ScheduleEntry]] = {}
    for r in entry_rows:
        entries.setdefault(r["account_id"], []).append(
            ScheduleEntry(
                r["entry_id"],
                r["host_id"],
                r["account_id"],
                r["starts_at"],
                r["ends_at"],
                r["share"],
                r["shift_id"],
                r["local_day"],
            )
        )
    checks: dict[str, list[CheckEvent]] = {}
    for r in check_rows:
        checks.setdefault(r["account_id"], []).append(
            CheckEvent(r["check_id"], r["host_id"], r["account_id"], r["kind"], r["at"])
        )
    return entries, checks


# --- attendance (issue #20) -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttendanceEntry:
    """A schedule entry whose attendance is due, with the inputs of `attendance.attendance`."""

    entry_id: str
    studio_id: str
    host_id: str
    account_id: str
    local_day: date
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ComputedAttendance:
    entry: AttendanceEntry
    status: str
    arrived_at: datetime | None
    left_at: datetime | None
    late_minutes: int | None
    left_early_minutes: int | None
    on_air_known: bool
    grace_minutes: int


async def mark_attendance_entries(conn: DbConnection, entry_ids: Sequence[str]) -> None:
    """Mark entries for (re)computation; a computed, uncorrected record of an entry that no longer ended is dropped
    (its window moved into the future or its shift is not known any more)."""
    ids = sorted(set(entry_ids))
    if not ids:
        return
    await conn.execute(
        "INSERT INTO attendance_dirty (entry_id) SELECT entry_id FROM schedule_entries"
        " WHERE entry_id = ANY($1::text[]) ON CONFLICT DO NOTHING",
        ids,
    )
    await conn.execute(
        """
        DELETE FROM attendance a USING schedule_entries e
        WHERE a.entry_id = e.entry_id AND a.entry_id = ANY($1::text[]) AND a.corrected_status IS NULL
          AND (e.ends_at IS NULL OR e.ends_at > now())
        """,
        ids,
    )


async def mark_attendance_around(
    conn: DbConnection, spans: Sequence[tuple[str, str | None, datetime, datetime]]
) -> None:
    """Mark the entries (of the host, when given) on each account whose window overlaps [lo, hi]."""
    if not spans:
        return
    await conn.execute(
        """
        INSERT INTO attendance_dirty (entry_id)
        SELECT DISTINCT e.entry_id
        FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS k(account_id, host_id, lo, hi)
        JOIN schedule_entries e ON e.account_id = k.account_id AND e.starts_at <= k.hi AND e.ends_at >= k.lo
          AND (k.host_id IS NULL OR e.host_id = k.host_id)
        ON CONFLICT DO NOTHING
        """,
        [s[0] for s in spans],
        [s[1] for s in spans],
        [s[2] for s in spans],
        [s[3] for s in spans],
    )


async def mark_attendance_of_studio(conn: DbConnection, studio_id: str, since: date) -> None:
    await conn.execute(
        "INSERT INTO attendance_dirty (entry_id) SELECT entry_id FROM schedule_entries"
        " WHERE studio_id = $1 AND local_day >= $2 AND ends_at IS NOT NULL ON CONFLICT DO NOTHING",
        studio_id,
        since,
    )


async def claim_attendance(conn: DbConnection, now: datetime, limit: int) -> list[AttendanceEntry]:
    """Take (and unmark) up to `limit` marked entries whose window has closed by `now`, skipping locked marks."""
    rows = await conn.fetch(
        """
        WITH due AS (
            SELECT d.entry_id FROM attendance_dirty d JOIN schedule_entries e ON e.entry_id = d.entry_id
            WHERE e.ends_at <= $1 ORDER BY e.ends_at, d.entry_id LIMIT $2 FOR UPDATE OF d SKIP LOCKED
        ), gone AS (
            DELETE FROM attendance_dirty d USING due WHERE d.entry_id = due.entry_id RETURNING d.entry_id
        )
        SELECT e.entry_id, e.studio_id, e.host_id, e.account_id, e.local_day, e.starts_at, e.ends_at
        FROM gone JOIN schedule_entries e ON e.entry_id = gone.entry_id
        ORDER BY e.ends_at, e.entry_id
        """,
        now,
        limit,
    )
    return [
        AttendanceEntry(
            r["entry_id"], r["studio_id"], r["host_id"], r["account_id"], r["local_day"], r["starts_at"], r["ends_at"]
        )
        for r in rows
    ]


async def attendance_due(conn: DbConnection, now: datetime) -> int:
    """Marked entries whose window has closed by `now` (the backlog of the attendance worker)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM attendance_dirty d JOIN schedule_entries e ON e.entry_id = d.entry_id"
            " WHERE e.ends_at <= $1",
            now,
        )
    )


async def attendance_checks(
    conn: DbConnection, entries: Sequence[AttendanceEntry], before: timedelta, after: timedelta
) -> dict[str, list[tuple[str, datetime]]]:
    """Per entry: the host's check events on its account from `before` ahead of its start to `after` its end."""
    if not entries:
        return {}
    rows = await conn.fetch(
        """
        SELECT k.entry_id, c.kind, c.at
        FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
            AS k(entry_id, host_id, account_id, lo, hi)
        JOIN host_checks c ON c.account_id = k.account_id AND c.host_id = k.host_id AND c.at BETWEEN k.lo AND k.hi
        ORDER BY k.entry_id, c.at, c.check_id
        """,
        [e.entry_id for e in entries],
        [e.host_id for e in entries],
        [e.account_id for e in entries],
        [e.starts_at - before for e in entries],
        [e.ends_at + after for e in entries],
    )
    out: dict[str, list[tuple[str, datetime]]] = {}
    for r in rows:
        out.setdefault(r["entry_id"], []).append((r["kind"], r["at"]))
    return out


async def attendance_on_air(
    conn: DbConnection, entries: Sequence[AttendanceEntry]
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per entry: the account's sessions overlapping its window, as (start, end or last observation)."""
    if not entries:
        return {}
    rows = await conn.fetch(
        """
        SELECT k.entry_id, s.started_at, coalesce(s.ended_at, s.last_observed_at, s.started_at) AS ended_at
        FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS k(entry_id, account_id, lo, hi)
        JOIN sessions s ON s.account_id = k.account_id AND s.started_at < k.hi
          AND coalesce(s.ended_at, s.last_observed_at, s.started_at) > k.lo
        ORDER BY k.entry_id, s.started_at
        """,
        [e.entry_id for e in entries],
        [e.account_id for e in entries],
        [e.starts_at for e in entries],
        [e.ends_at for e in entries],
    )
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for r in rows:
        out.setdefault(r["entry_id"], []).append((r["started_at"], r["ended_at"]))
    return out


async def save_attendance(conn: DbConnection, computed: Sequence[ComputedAttendance]) -> None:
    """Store computed attendance; a correction beside it is left as it is."""
    if not computed:
        return
    await conn.executemany(
        """
        INSERT INTO attendance (entry_id, studio_id, host_id, account_id, local_day, starts_at, ends_at, status,
            arrived_at, left_at, late_minutes, left_early_minutes, on_air_known, grace_minutes, computed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
        ON CONFLICT (entry_id) DO UPDATE SET host_id = EXCLUDED.host_id, account_id = EXCLUDED.account_id,
            local_day = EXCLUDED.local_day, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
            status = EXCLUDED.status, arrived_at = EXCLUDED.arrived_at, left_at = EXCLUDED.left_at,
            late_minutes = EXCLUDED.late_minutes, left_early_minutes = EXCLUDED.left_early_minutes,
            on_air_known = EXCLUDED.on_air_known, grace_minutes = EXCLUDED.grace_minutes, computed_at = now()
        """,
        [
            (
                c.entry.entry_id,
                c.entry.studio_id,
                c.entry.host_id,
                c.entry.account_id,
                c.entry.local_day,
                c.entry.starts_at,
                c.entry.ends_at,
                c.status,
                c.arrived_at,
                c.left_at,
                c.late_minutes,
                c.left_early_minutes,
                c.on_air_known,
                c.grace_minutes,
            )
            for c in computed
        ],
    )


async def correct_attendance(
    conn: DbConnection,
    entry: EntryRow,
    *,
    status: str,
    late_minutes: int | None,
    left_early_minutes: int | None,
    reason: str,
    by: str,
    at: datetime,
    command_id: str,
) -> None:
    """Store a manager's correction beside the computed record (created without computed figures if absent)."""
    assert entry.starts_at is not None and entry.ends_at is not None and entry.local_day is not None
    await conn.execute(
        """
        INSERT INTO attendance (entry_id, studio_id, host_id, account_id, local_day, starts_at, ends_at,
            corrected_status, corrected_late_minutes, corrected_left_early_minutes, correction_reason, corrected_by,
            corrected_at, correction_command_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (entry_id) DO UPDATE SET corrected_status = EXCLUDED.corrected_status,
            corrected_late_minutes = EXCLUDED.corrected_late_minutes,
            corrected_left_early_minutes = EXCLUDED.corrected_left_early_minutes,
            correction_reason = EXCLUDED.correction_reason, corrected_by = EXCLUDED.corrected_by,
            corrected_at = EXCLUDED.corrected_at, correction_command_id = EXCLUDED.correction_command_id
        """,
        entry.entry_id,
        entry.studio_id,
        entry.host_id,
        entry.account_id,
        entry.local_day,
        entry.starts_at,
        entry.ends_at,
        status,
        late_minutes,
        left_early_minutes,
        reason,
        by,
        at,
        command_id,
    )


async def grace_minutes(conn: DbConnection, studio_ids: Iterable[str]) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT studio_id, grace_minutes FROM studio_attendance WHERE studio_id = ANY($1::text[])",
        sorted(set(studio_ids)),
    )
    return {r["studio_id"]: r["grace_minutes"] for r in rows}


async def set_grace_minutes(conn: DbConnection, studio_id: str, minutes: int) -> None:
    await conn.execute(
        "INSERT INTO studio_attendance (studio_id, grace_minutes, updated_at) VALUES ($1, $2, now())"
        " ON CONFLICT (studio_id) DO UPDATE SET grace_minutes = EXCLUDED.grace_minutes, updated_at = now()",
        studio_id,
        minutes,
    )


async def attribution_policies(
    conn: DbConnection, studio_ids: Iterable[str]
) -> dict[str, list[tuple[datetime, Policy]]]:
    """Each studio's attribution policy changes, oldest first (a studio without any: `schedule` always)."""
    rows = await conn.fetch(
        "SELECT studio_id, effective_from, policy FROM attribution_policies WHERE studio_id = ANY($1::text[])"
        " ORDER BY studio_id, effective_from",
        sorted(set(studio_ids)),
    )
    out: dict[str, list[tuple[datetime, Policy]]] = {}
    for r in rows:
        out.setdefault(r["studio_id"], []).append((r["effective_from"], r["policy"]))
    return out


async def add_attribution_policy(conn: DbConnection, studio_id: str, since: datetime, policy: Policy) -> None:
    await conn.execute(
        "INSERT INTO attribution_policies (studio_id, effective_from, policy) VALUES ($1, $2, $3)"
        " ON CONFLICT (studio_id, effective_from) DO UPDATE SET policy = EXCLUDED.policy",
        studio_id,
        since,
        policy,
    )


# --- rules ------------------------------------------------------------------------------------------------
def _rule(r: Any) -> PayRule:
    tiers = r["tiers"] if isinstance(r["tiers"], list) else json.loads(r["tiers"])
    return PayRule(
        rule_id=r["rule_id"],
        effective_from=r["effective_from"],
        effective_to=r["effective_to"],
        studio_id=r["studio_id"],
        account_id=r["account_id"],
        role=r["role"],
        rule_kind=r["rule_kind"],
        basis=r["basis"],
        percent=r["percent"],
        tiers=tuple(Tier(None if t["up_to"] is None else Decimal(t["up_to"]), Decimal(t["percent"])) for t in tiers),
        amount=r["amount"],
        day_type=r["day_type"],
        shift_id=r["shift_id"],
        min_threshold=r["min_threshold"],
        cap=r["cap"],
    )


async def get_rule_version(conn: DbConnection, rule_id: str, effective_from: date) -> PayRule | None:
    r = await conn.fetchrow(
        "SELECT * FROM pay_rules WHERE rule_id = $1 AND effective_from = $2", rule_id, effective_from
    )
    return None if r is None else _rule(r)


async def upsert_rule(conn: DbConnection, rule: PayRule) -> None:
    tiers = [{"up_to": None if t.up_to is None else str(t.up_to), "percent": str(t.percent)} for t in rule.tiers]
    await conn.execute(
        """
        INSERT INTO pay_rules (rule_id, effective_from, effective_to, studio_id, account_id, role, rule_kind, basis,
            percent, tiers, amount, day_type, shift_id, min_threshold, cap, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
        ON CONFLICT (rule_id, effective_from) DO UPDATE SET effective_to = EXCLUDED.effective_to,
            account_id = EXCLUDED.account_id, role = EXCLUDED.role,
            rule_kind = EXCLUDED.rule_kind, basis = EXCLUDED.basis, percent = EXCLUDED.percent,
            tiers = EXCLUDED.tiers, amount = EXCLUDED.amount, day_type = EXCLUDED.day_type,
            shift_id = EXCLUDED.shift_id, min_threshold = EXCLUDED.min_threshold, cap = EXCLUDED.cap,
            updated_at = now()
        """,
        rule.rule_id,
        rule.effective_from,
        rule.effective_to,
        rule.studio_id,
        rule.account_id,
        rule.role,
        rule.rule_kind,
        rule.basis,
        rule.percent,
        tiers,
        rule.amount,
        rule.day_type,
        rule.shift_id,
        rule.min_threshold,
        rule.cap,
    )


async def rules_for_studio(conn: DbConnection, studio_id: str) -> list[PayRule]:
    """Global, account-only and this studio's rule versions (matching narrows them further)."""
    rows = await conn.fetch(
        "SELECT * FROM pay_rules WHERE studio_id IS NULL OR studio_id = $1 ORDER BY rule_id, effective_from",
        studio_id,
    )
    return [_rule(r) for r in rows]


# --- sessions and attribution -----------------------------------------------------------------------------
def _state(r: Any) -> SessionState:
    return SessionState(
        account_id=r["account_id"],
        session_id=r["session_id"],
        studio_id=r["studio_id"],
        timezone=r["timezone"],
        currency=r["currency"],
        started_at=r["started_at"],
        ended_at=r["ended_at"],
        last_observed_at=r["last_observed_at"],
        values={m: r[m] for m in METRICS},
        as_of={m: r[f"{m}_at"] for m in METRICS},
        increments=r["increments"],
    )


async def lock_sessions(conn: DbConnection, keys: Iterable[SessionKey]) -> dict[SessionKey, SessionState]:
    """The stored state of these sessions, row-locked for the rest of the transaction (in key order)."""
    accounts, sessions = _keys(keys)
    rows = await conn.fetch(
        """
        SELECT * FROM sessions
        WHERE (account_id, session_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))
        ORDER BY account_id, session_id FOR UPDATE
        """,
        accounts,
        sessions,
    )
    return {(r["account_id"], r["session_id"]): _state(r) for r in rows}


async def save_sessions(conn: DbConnection, states: Sequence[SessionState]) -> None:
    if not states:
        return
    await conn.executemany(
        """
        INSERT INTO sessions (account_id, session_id, studio_id, timezone, currency, started_at, ended_at,
            last_observed_at, placed_orders, placed_orders_at, placed_sales, placed_sales_at, confirmed_orders,
            confirmed_orders_at, confirmed_sales, confirmed_sales_at, increments, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, now())
        ON CONFLICT (account_id, session_id) DO UPDATE SET ended_at = EXCLUDED.ended_at,
            last_observed_at = EXCLUDED.last_observed_at, placed_orders = EXCLUDED.placed_orders,
            placed_orders_at = EXCLUDED.placed_orders_at, placed_sales = EXCLUDED.placed_sales,
            placed_sales_at = EXCLUDED.placed_sales_at, confirmed_orders = EXCLUDED.confirmed_orders,
            confirmed_orders_at = EXCLUDED.confirmed_orders_at, confirmed_sales = EXCLUDED.confirmed_sales,
            confirmed_sales_at = EXCLUDED.confirmed_sales_at, increments = EXCLUDED.increments, updated_at = now()
        """,
        [
            (
                s.account_id,
                s.session_id,
                s.studio_id,
                s.timezone,
                s.currency,
                s.started_at,
                s.ended_at,
                s.last_observed_at,
                s.values["placed_orders"],
                s.as_of["placed_orders"],
                s.values["placed_sales"],
                s.as_of["placed_sales"],
                s.values["confirmed_orders"],
                s.as_of["confirmed_orders"],
                s.values["confirmed_sales"],
                s.as_of["confirmed_sales"],
                s.increments,
            )
            for s in states
        ],
    )


async def insert_increments(conn: DbConnection, items: Sequence[tuple[SessionKey, Increment]]) -> None:
    if not items:
        return
    rows = []
    for (account_id, session_id), inc in items:
        row: list[Any] = [
            account_id,
            session_id,
            inc.seq,
            inc.kind,
            inc.observed_at,
            inc.on_air[0] if inc.on_air else None,
            inc.on_air[1] if inc.on_air else None,
        ]
        for metric in METRICS:
            d = inc.deltas.get(metric)
            row += [d.amount, d.start, d.end] if d is not None else [None, None, None]
        rows.append(tuple(row))
    await conn.copy_records_to_table(
        "session_increments",
        schema_name=SCHEMA,
        records=rows,
        columns=[
            "account_id",
            "session_id",
            "seq",
            "kind",
            "observed_at",
            "on_air_from",
            "on_air_to",
            *[f"{m}{suffix}" for m in METRICS for suffix in ("", "_from", "_to")],
        ],
    )


async def load_increments(conn: DbConnection, key: SessionKey) -> list[Increment]:
    rows = await conn.fetch(
        "SELECT * FROM session_increments WHERE account_id = $1 AND session_id = $2 ORDER BY seq", key[0], key[1]
    )
    out: list[Increment] = []
    for r in rows:
        deltas = {m: MetricDelta(r[m], r[f"{m}_from"], r[f"{m}_to"]) for m in METRICS if r[m] is not None}
        kind: IncrementKind = r["kind"]
        on_air = (r["on_air_from"], r["on_air_to"]) if r["on_air_from"] is not None else None
        out.append(Increment(r["seq"], kind, r["observed_at"], deltas, on_air))
    return out


def _figures(r: Any) -> Figures:
    return Figures(values={m: r[m] for m in METRICS}, on_air_ms=r["on_air_ms"])


async def load_parts(conn: DbConnection, keys: Iterable[SessionKey]) -> dict[SessionKey, dict[Bucket, Figures]]:
    accounts, sessions = _keys(keys)
    rows = await conn.fetch(
        """
        SELECT * FROM attribution_parts
        WHERE (account_id, session_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))
        """,
        accounts,
        sessions,
    )
    out: dict[SessionKey, dict[Bucket, Figures]] = {}
    for r in rows:
        bucket = Bucket(r["host_key"], r["window_key"], r["local_day"], r["shift_id"])
        out.setdefault((r["account_id"], r["session_id"]), {})[bucket] = _figures(r)
    return out


def _part_rows(key: SessionKey, studio_id: str, parts: Mapping[Bucket, Figures]) -> list[tuple[Any, ...]]:
    return [
        (
            key[0],
            key[1],
            b.host_key,
            b.window_key,
            b.local_day,
            b.host_id,
            studio_id,
            b.shift_id,
            f.values["placed_orders"],
            f.values["placed_sales"],
            f.values["confirmed_orders"],
            f.values["confirmed_sales"],
            f.on_air_ms,
        )
        for b, f in parts.items()
    ]


async def upsert_parts(conn: DbConnection, rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    await conn.executemany(
        """
        INSERT INTO attribution_parts (account_id, session_id, host_key, window_key, local_day, host_id, studio_id,
            shift_id, placed_orders, placed_sales, confirmed_orders, confirmed_sales, on_air_ms)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT (account_id, session_id, host_key, window_key, local_day) DO UPDATE SET
            shift_id = EXCLUDED.shift_id, placed_orders = EXCLUDED.placed_orders,
            placed_sales = EXCLUDED.placed_sales, confirmed_orders = EXCLUDED.confirmed_orders,
            confirmed_sales = EXCLUDED.confirmed_sales, on_air_ms = EXCLUDED.on_air_ms
        """,
        rows,
    )


def part_rows(key: SessionKey, studio_id: str, parts: Mapping[Bucket, Figures]) -> list[tuple[Any, ...]]:
    return _part_rows(key, studio_id, parts)


async def replace_parts(conn: DbConnection, key: SessionKey, studio_id: str, parts: Mapping[Bucket, Figures]) -> None:
    await conn.execute("DELETE FROM attribution_parts WHERE account_id = $1 AND session_id = $2", key[0], key[1])
    await upsert_parts(conn, _part_rows(key, studio_id, parts))


async def refresh_attributions(conn: DbConnection, keys: Iterable[SessionKey]) -> None:
    """Rebuild the gateway's per (host, account, session) rows of these sessions from their parts, and the
    `host_days` rows of the (studio, host, day) keys they left or entered."""
    accounts, sessions = _keys(keys)
    if not accounts:
        return
    old = await conn.fetch(
        """
        DELETE FROM attributions
        WHERE (account_id, session_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))
        RETURNING studio_id, host_id, local_day
        """,
        accounts,
        sessions,
    )
    new = await conn.fetch(
        """
        INSERT INTO attributions (studio_id, host_id, account_id, session_id, local_day, currency, placed_orders,
            placed_sales, confirmed_orders, confirmed_sales, on_air_ms, updated_at)
        SELECT s.studio_id, p.host_id, p.account_id, p.session_id,
               (s.started_at AT TIME ZONE coalesce(st.timezone, s.timezone))::date, s.currency,
               sum(p.placed_orders), sum(p.placed_sales), sum(p.confirmed_orders), sum(p.confirmed_sales),
               sum(p.on_air_ms), now()
        FROM attribution_parts p
        JOIN sessions s ON s.account_id = p.account_id AND s.session_id = p.session_id
        LEFT JOIN studios st ON st.studio_id = s.studio_id
        WHERE (p.account_id, p.session_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))
        GROUP BY s.studio_id, p.host_id, p.account_id, p.session_id, s.started_at, st.timezone, s.timezone,
                 s.currency
        RETURNING studio_id, host_id, local_day
        """,
        accounts,
        sessions,
    )
    await refresh_host_days(conn, {(r["studio_id"], r["host_id"], r["local_day"]) for r in (*old, *new)})


async def refresh_host_days(conn: DbConnection, keys: Iterable[HostDayKey]) -> None:
    """Recompute these (studio, host, local day) rows of the `host_days` rollup from `attributions`, after the
    caller changed their attributions in this transaction: a row per key that still has attributions, none
    otherwise.

    The keys' rows are locked first (created as placeholders when new), in one order for every caller, and only
    then summed up in a second statement: under READ COMMITTED that statement sees every transaction that changed
    the same keys and committed while this one waited, so two consumers sharing a key (the unassigned bucket of a
    studio's day) never overwrite each other's sums with stale ones.
    """
    unique = set(keys)
    if not unique:
        return
    args = ([k[0] for k in unique], [k[1] for k in unique], [k[2] for k in unique])
    await conn.execute(_LOCK_HOST_DAYS, *args)
    await conn.execute(_RECOMPUTE_HOST_DAYS, *args)


_HOST_DAY_KEYS = "unnest($1::text[], $2::text[], $3::date[]) AS k(studio_id, host_id, local_day)"
_LOCK_HOST_DAYS = f"""
INSERT INTO host_days AS d (studio_id, host_id, local_day, sessions)
SELECT DISTINCT k.studio_id, k.host_id, k.local_day, 0 FROM {_HOST_DAY_KEYS}
ORDER BY k.studio_id, k.local_day, k.host_id
ON CONFLICT (studio_id, local_day, host_id) DO UPDATE SET sessions = d.sessions
"""
_RECOMPUTE_HOST_DAYS = f"""
WITH fresh AS (
    SELECT k.studio_id, k.host_id, k.local_day, s.*
    FROM (SELECT DISTINCT * FROM {_HOST_DAY_KEYS}) AS k
    CROSS JOIN LATERAL (
        SELECT count(*) AS sessions, sum(a.on_air_ms) AS on_air_ms, sum(a.placed_orders) AS placed_orders,
               sum(a.placed_sales) AS placed_sales, sum(a.confirmed_orders) AS confirmed_orders,
               sum(a.confirmed_sales) AS confirmed_sales
        FROM attributions a
        WHERE a.studio_id = k.studio_id AND a.local_day = k.local_day AND a.host_id IS NOT DISTINCT FROM k.host_id
    ) AS s
), gone AS (
    DELETE FROM host_days d USING fresh f
    WHERE f.sessions = 0
      AND d.studio_id = f.studio_id AND d.local_day = f.local_day AND d.host_id IS NOT DISTINCT FROM f.host_id
)
UPDATE host_days d
SET sessions = f.sessions, on_air_ms = f.on_air_ms, placed_orders = f.placed_orders,
    placed_sales = f.placed_sales, confirmed_orders = f.confirmed_orders, confirmed_sales = f.confirmed_sales
FROM fresh f
WHERE f.sessions > 0
  AND d.studio_id = f.studio_id AND d.local_day = f.local_day AND d.host_id IS NOT DISTINCT FROM f.host_id
"""


# --- hours of the day of attribution (`attribution_hours`, rollup `host_hours`) ---------------------------------
def hour_rows(key: SessionKey, studio_id: str, hours: Mapping[HourPart, Figures]) -> list[tuple[Any, ...]]:
    return [
        (
            key[0],
            key[1],
            p.bucket.host_key,
            p.bucket.window_key,
            p.bucket.local_day,
            p.local_date,
            p.hour,
            p.bucket.host_id,
            studio_id,
            f.values["placed_orders"],
            f.values["placed_sales"],
            f.values["confirmed_orders"],
            f.values["confirmed_sales"],
            f.on_air_ms,
        )
        for p, f in hours.items()
    ]


def hour_keys(rows: Iterable[Sequence[Any]]) -> set[HostHourKey]:
    """The `host_hours` keys of `hour_rows` rows."""
    return {(r[8], r[7], r[0], r[5], r[6]) for r in rows}


_ADD_HOURS = """
INSERT INTO attribution_hours AS h (account_id, session_id, host_key, window_key, local_day, local_date, hour, host_id,
    studio_id, placed_orders, placed_sales, confirmed_orders, confirmed_sales, on_air_ms)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::date[], $6::date[], $7::smallint[],
    $8::text[], $9::text[], $10::bigint[], $11::numeric[], $12::bigint[], $13::numeric[], $14::bigint[])
ON CONFLICT (account_id, session_id, host_key, window_key, local_day, local_date, hour) DO UPDATE SET
    placed_orders = CASE WHEN EXCLUDED.placed_orders IS NULL THEN h.placed_orders
                         ELSE coalesce(h.placed_orders, 0) + EXCLUDED.placed_orders END,
    placed_sales = CASE WHEN EXCLUDED.placed_sales IS NULL THEN h.placed_sales
                        ELSE coalesce(h.placed_sales, 0) + EXCLUDED.placed_sales END,
    confirmed_orders = CASE WHEN EXCLUDED.confirmed_orders IS NULL THEN h.confirmed_orders
                            ELSE coalesce(h.confirmed_orders, 0) + EXCLUDED.confirmed_orders END,
    confirmed_sales = CASE WHEN EXCLUDED.confirmed_sales IS NULL THEN h.confirmed_sales
                           ELSE coalesce(h.confirmed_sales, 0) + EXCLUDED.confirmed_sales END,
    on_air_ms = CASE WHEN EXCLUDED.on_air_ms IS NULL THEN h.on_air_ms
                     ELSE coalesce(h.on_air_ms, 0) + EXCLUDED.on_air_ms END
"""


async def add_hours(conn: DbConnection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Add increments' hours (`hour_rows`, at most one row per key) to the stored ones, in one statement (arrays,
    not a row per round trip); an unknown (NULL) figure adds nothing."""
    if rows:
        await conn.execute(_ADD_HOURS, *(list(column) for column in zip(*rows, strict=True)))


async def load_hours(conn: DbConnection, key: SessionKey) -> dict[HourPart, Figures]:
    rows = await conn.fetch("SELECT * FROM attribution_hours WHERE account_id = $1 AND session_id = $2", key[0], key[1])
    return {
        HourPart(Bucket(r["host_key"], r["window_key"], r["local_day"]), r["local_date"], r["hour"]): _figures(r)
        for r in rows
    }


async def replace_hours(
    conn: DbConnection, key: SessionKey, studio_id: str, hours: Mapping[HourPart, Figures]
) -> set[HostHourKey]:
    """Replace a session's hours (re-attribution); the `host_hours` keys it left or entered."""
    old = await conn.fetch(
        """
        DELETE FROM attribution_hours WHERE account_id = $1 AND session_id = $2
        RETURNING studio_id, host_id, account_id, local_date, hour
        """,
        key[0],
        key[1],
    )
    rows = hour_rows(key, studio_id, hours)
    await add_hours(conn, rows)
    return {(r["studio_id"], r["host_id"], r["account_id"], r["local_date"], r["hour"]) for r in old} | hour_keys(rows)


async def refresh_host_hours(conn: DbConnection, keys: Iterable[HostHourKey]) -> None:
    """Recompute these rows of the `host_hours` rollup from `attribution_hours`, after the caller changed them in
    this transaction, and the on-air totals of their account-hours (`account_on_air_ms`, on every row of the
    account-hour).

    Like `refresh_host_days`: the touched account-hours are locked first (their `account_hours` rows, created as
    placeholders when new), in one order for every caller, and only then summed, in a later statement, which under
    READ COMMITTED sees every transaction that changed the same account-hours and committed while this one waited.
    Every writer of an account-hour's rows holds its lock, so the totals it writes on all of them are current.
    """
    unique = set(keys)
    if not unique:
        return
    args = tuple([k[i] for k in unique] for i in range(5))
    await conn.execute(_LOCK_ACCOUNT_HOURS, args[2], args[3], args[4])
    await conn.execute(_RECOMPUTE_HOST_HOURS, *args)


_LOCK_ACCOUNT_HOURS = """
INSERT INTO account_hours AS a (account_id, local_date, hour)
SELECT DISTINCT k.account_id, k.local_date, k.hour
FROM unnest($1::text[], $2::date[], $3::smallint[]) AS k(account_id, local_date, hour)
ORDER BY k.account_id, k.local_date, k.hour
ON CONFLICT (account_id, local_date, hour) DO UPDATE SET on_air_ms = a.on_air_ms
"""
# One statement under the account-hours' locks: the touched keys' sums (a key without hours any more is deleted,
# the others upserted) and the account-hours' on-air totals, written on the touched rows by the upsert and on the
# account-hour's other rows by the last UPDATE (which leaves the touched rows to the upsert: a row is changed once
# per statement).
_RECOMPUTE_HOST_HOURS = """
WITH keys AS (
    SELECT DISTINCT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::smallint[])
        AS k(studio_id, host_id, account_id, local_date, hour)
), fresh AS (
    SELECT k.studio_id, k.host_id, k.account_id, k.local_date, k.hour, s.*
    FROM keys k
    CROSS JOIN LATERAL (
        SELECT count(DISTINCT p.session_id) AS sessions, sum(p.on_air_ms) AS on_air_ms,
               sum(p.placed_orders) AS placed_orders, sum(p.placed_sales) AS placed_sales,
               sum(p.confirmed_orders) AS confirmed_orders, sum(p.confirmed_sales) AS confirmed_sales
        FROM attribution_hours p
        WHERE p.account_id = k.account_id AND p.local_date = k.local_date AND p.hour = k.hour
          AND p.host_id IS NOT DISTINCT FROM k.host_id AND p.studio_id = k.studio_id
    ) AS s
), totals AS (
    SELECT a.account_id, a.local_date, a.hour,
           (SELECT sum(p.on_air_ms) FROM attribution_hours p
            WHERE p.account_id = a.account_id AND p.local_date = a.local_date AND p.hour = a.hour) AS on_air_ms
    FROM (SELECT DISTINCT account_id, local_date, hour FROM keys) AS a
), anchors AS (
    UPDATE account_hours a SET on_air_ms = t.on_air_ms FROM totals t
    WHERE a.account_id = t.account_id AND a.local_date = t.local_date AND a.hour = t.hour
), gone AS (
    DELETE FROM host_hours d USING fresh f
    WHERE f.sessions = 0
      AND d.account_id = f.account_id AND d.local_date = f.local_date AND d.hour = f.hour
      AND d.host_id IS NOT DISTINCT FROM f.host_id AND d.studio_id = f.studio_id
), put AS (
    INSERT INTO host_hours AS d (studio_id, host_id, account_id, local_date, hour, sessions, on_air_ms, placed_orders,
        placed_sales, confirmed_orders, confirmed_sales, account_on_air_ms)
    SELECT f.studio_id, f.host_id, f.account_id, f.local_date, f.hour, f.sessions, f.on_air_ms, f.placed_orders,
           f.placed_sales, f.confirmed_orders, f.confirmed_sales, t.on_air_ms
    FROM fresh f JOIN totals t USING (account_id, local_date, hour)
    WHERE f.sessions > 0
    ON CONFLICT (account_id, local_date, hour, host_id, studio_id) DO UPDATE SET
        sessions = EXCLUDED.sessions, on_air_ms = EXCLUDED.on_air_ms, placed_orders = EXCLUDED.placed_orders,
        placed_sales = EXCLUDED.placed_sales, confirmed_orders = EXCLUDED.confirmed_orders,
        confirmed_sales = EXCLUDED.confirmed_sales, account_on_air_ms = EXCLUDED.account_on_air_ms
)
UPDATE host_hours h SET account_on_air_ms = t.on_air_ms
FROM totals t
WHERE h.account_id = t.account_id AND h.local_date = t.local_date AND h.hour = t.hour
  AND h.account_on_air_ms IS DISTINCT FROM t.on_air_ms
  AND NOT EXISTS (
      SELECT 1 FROM keys k
      WHERE k.account_id = h.account_id AND k.local_date = h.local_date AND k.hour = h.hour
        AND k.host_id IS NOT DISTINCT FROM h.host_id AND k.studio_id = h.studio_id
  )
"""


# --- hours backfill (`hours_backfill`: sessions attributed before the hours existed) ---------------------------
async def claim_hours_backfill(conn: DbConnection, limit: int, max_attempts: int) -> list[SessionKey]:
    """Take (delete, until commit) up to `limit` queued sessions that no other transaction holds and that failed
    fewer than `max_attempts` times, those that failed least first; in key order."""
    rows = await conn.fetch(
        """
        WITH claimed AS (
            SELECT account_id, session_id FROM hours_backfill WHERE attempts < $2
            ORDER BY attempts, account_id, session_id LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        DELETE FROM hours_backfill q USING claimed c
        WHERE q.account_id = c.account_id AND q.session_id = c.session_id
        RETURNING q.account_id, q.session_id
        """,
        limit,
        max_attempts,
    )
    return sorted((r["account_id"], r["session_id"]) for r in rows)


async def hours_backfill_failed(conn: DbConnection, key: SessionKey, error: str) -> None:
    await conn.execute(
        "UPDATE hours_backfill SET attempts = attempts + 1, last_error = $3 WHERE account_id = $1 AND session_id = $2",
        key[0],
        key[1],
        error,
    )


async def hours_backfill_waiting(conn: DbConnection, max_attempts: int) -> tuple[int, int]:
    """Queued sessions: (still to try, given up after `max_attempts` failures)."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE attempts < $1) AS due, count(*) FILTER (WHERE attempts >= $1) AS parked"
        " FROM hours_backfill",
        max_attempts,
    )
    assert row is not None
    return int(row["due"]), int(row["parked"])


async def set_lock_timeout(conn: DbConnection, ms: int) -> None:
    """Give up waiting for a lock after `ms` for the rest of the transaction (0: wait forever)."""
    await conn.execute("SELECT set_config('lock_timeout', $1, true)", f"{int(ms)}ms")


async def sessions_overlapping(conn: DbConnection, account_id: str, lo: datetime, hi: datetime) -> list[SessionKey]:
    """Sessions of an account whose observed span (start to last observation or end) overlaps [lo, hi]."""
    rows = await conn.fetch(
        """
        SELECT account_id, session_id FROM sessions
        WHERE account_id = $1 AND started_at <= $3
          AND greatest(started_at, last_observed_at, ended_at) >= $2
        ORDER BY session_id
        """,
        account_id,
        lo,
        hi,
    )
    return [(r["account_id"], r["session_id"]) for r in rows]


async def sessions_of_studio(conn: DbConnection, studio_id: str) -> list[SessionKey]:
    rows = await conn.fetch(
        "SELECT account_id, session_id FROM sessions WHERE studio_id = $1 ORDER BY account_id, session_id",
        studio_id,
    )
    return [(r["account_id"], r["session_id"]) for r in rows]


async def mark_dirty(conn: DbConnection, pairs: Iterable[tuple[str, date]]) -> None:
    ordered = sorted(set(pairs))
    if not ordered:
        return
    await conn.execute(
        "INSERT INTO statement_dirty (host_id, local_day) SELECT * FROM unnest($1::text[], $2::date[])",
        [p[0] for p in ordered],
        [p[1] for p in ordered],
    )


async def mark_dirty_for_rule(conn: DbConnection, rule: PayRule, since: date) -> None:
    """Every (host, day) from `since` whose buckets the rule's scope can reach."""
    await conn.execute(
        """
        INSERT INTO statement_dirty (host_id, local_day)
        SELECT DISTINCT p.host_id, p.local_day FROM attribution_parts p
        LEFT JOIN hosts h ON h.host_id = p.host_id
        WHERE p.host_id IS NOT NULL AND p.local_day >= $1
          AND ($2::text IS NULL OR p.studio_id = $2 OR h.studio_id = $2)
          AND ($3::text IS NULL OR p.account_id = $3)
        """,
        since,
        rule.studio_id,
        rule.account_id,
    )


async def mark_dirty_for_host(conn: DbConnection, host_id: str, since: date) -> None:
    await conn.execute(
        """
        INSERT INTO statement_dirty (host_id, local_day)
        SELECT DISTINCT host_id, local_day FROM attribution_parts WHERE host_id = $1 AND local_day >= $2
        """,
        host_id,
        since,
    )


async def mark_dirty_for_studio_days(conn: DbConnection, studio_id: str, days: Sequence[date]) -> None:
    if not days:
        return
    await conn.execute(
        """
        INSERT INTO statement_dirty (host_id, local_day)
        SELECT DISTINCT p.host_id, p.local_day FROM attribution_parts p
        LEFT JOIN hosts h ON h.host_id = p.host_id
        WHERE p.host_id IS NOT NULL AND p.local_day = ANY($2::date[]) AND (p.studio_id = $1 OR h.studio_id = $1)
        """,
        studio_id,
        sorted(set(days)),
    )


async def claim_dirty_host(conn: DbConnection) -> tuple[str, list[int], set[date]] | None:
    """Lock the marks of one host that no other worker holds: (host, mark ids, days), or None when drained."""
    first = await conn.fetchval("SELECT host_id FROM statement_dirty ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED")
    if first is None:
        return None
    rows = await conn.fetch(
        "SELECT id, local_day FROM statement_dirty WHERE host_id = $1 ORDER BY id FOR UPDATE SKIP LOCKED", first
    )
    return str(first), [r["id"] for r in rows], {r["local_day"] for r in rows}


async def clear_dirty(conn: DbConnection, ids: Sequence[int]) -> None:
    await conn.execute("DELETE FROM statement_dirty WHERE id = ANY($1::bigint[])", list(ids))


async def dirty_count(conn: DbConnection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM statement_dirty"))


# --- statements -------------------------------------------------------------------------------------------
async def lock_host(conn: DbConnection, host_id: str) -> None:
    """Serialise statement recomputation of one host across workers and replicas (until commit)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('livestudio-commission-host'), hashtext($1))", host_id)


async def host_parts(conn: DbConnection, host_id: str, start: date, end: date) -> list[HostPart]:
    rows = await conn.fetch(
        """
        SELECT * FROM attribution_parts WHERE host_id = $1 AND local_day BETWEEN $2 AND $3
        ORDER BY account_id, session_id, window_key, local_day
        """,
        host_id,
        start,
        end,
    )
    return [
        HostPart(
            r["account_id"],
            r["session_id"],
            r["studio_id"],
            r["local_day"],
            r["shift_id"],
            {m: r[m] for m in METRICS},
            r["on_air_ms"],
        )
        for r in rows
    ]


async def host_studio_from_parts(conn: DbConnection, host_id: str) -> str | None:
    value = await conn.fetchval("SELECT min(studio_id) FROM attribution_parts WHERE host_id = $1", host_id)
    return None if value is None else str(value)


def _statement(r: Any) -> StatementRow:
    return StatementRow(
        r["statement_id"],
        r["studio_id"],
        r["host_id"],
        r["period_start"],
        r["period_end"],
        r["seq"],
        r["status"],
        r["currency"],
        r["total"],
        r["revision"],
        r["content_hash"],
        r["approved_by"],
        r["approved_at"],
        r["paid_by"],
        r["paid_at"],
    )


async def statements_of_host(conn: DbConnection, host_id: str, *, lock: bool = False) -> list[StatementRow]:
    """The host's statements (all periods, void ones too); with `lock`, row-locked in id order."""
    sql = "SELECT * FROM statements WHERE host_id = $1 ORDER BY statement_id" + (" FOR UPDATE" if lock else "")
    rows = await conn.fetch(sql, host_id)
    return [_statement(r) for r in rows]


async def get_statement(conn: DbConnection, statement_id: str, *, lock: bool = False) -> StatementRow | None:
    sql = "SELECT * FROM statements WHERE statement_id = $1" + (" FOR UPDATE" if lock else "")
    r = await conn.fetchrow(sql, statement_id)
    return None if r is None else _statement(r)


async def insert_statement(conn: DbConnection, s: StatementRow) -> None:
    await conn.execute(
        """
        INSERT INTO statements (statement_id, studio_id, host_id, period_start, period_end, seq, status, currency,
            total, revision, content_hash, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), now())
        """,
        s.statement_id,
        s.studio_id,
        s.host_id,
        s.period_start,
        s.period_end,
        s.seq,
        s.status,
        s.currency,
        s.total,
        s.revision,
        s.content_hash,
    )


async def settled_for_source(conn: DbConnection, host_id: str, source_start: date) -> dict[LineKey, Settled]:
    """What approved or paid statements of the host already hold about the source period."""
    rows = await conn.fetch(
        """
        SELECT l.rule_id, l.rule_version, l.account_id, l.session_id, sum(l.base) AS base, sum(l.amount) AS amount
        FROM statement_lines l JOIN statements s ON s.statement_id = l.statement_id
        WHERE s.host_id = $1 AND s.status IN ('approved', 'paid') AND l.source_period_start = $2
        GROUP BY l.rule_id, l.rule_version, l.account_id, l.session_id
        """,
        host_id,
        source_start,
    )
    return {
        LineKey(r["rule_id"], r["rule_version"], r["account_id"], r["session_id"]): Settled(r["base"], r["amount"])
        for r in rows
    }


async def delete_open_lines_for_source(conn: DbConnection, host_id: str, source_start: date) -> list[str]:
    """Drop the lines about a source period from the host's open statements; the statements they were in."""
    rows = await conn.fetch(
        """
        DELETE FROM statement_lines l USING statements s
        WHERE s.statement_id = l.statement_id AND s.host_id = $1 AND s.status = 'calculated'
          AND l.source_period_start = $2
        RETURNING l.statement_id
        """,
        host_id,
        source_start,
    )
    return sorted({r["statement_id"] for r in rows})


async def insert_lines(conn: DbConnection, statement_id: str, lines: Sequence[tuple[str, PlannedLine]]) -> None:
    if not lines:
        return
    await conn.executemany(
        """
        INSERT INTO statement_lines (line_id, statement_id, line_kind, rule_id, rule_version, account_id, session_id,
            description, base, amount, source_period_start)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        """,
        [
            (
                line_id,
                statement_id,
                line.line_kind,
                line.key.rule_id,
                line.key.rule_version,
                line.key.account_id,
                line.key.session_id,
                line.description,
                line.base,
                line.amount,
                line.source_period_start,
            )
            for line_id, line in lines
        ],
    )


def _line(r: Any) -> LineRow:
    return LineRow(
        r["line_id"],
        r["statement_id"],
        r["line_kind"],
        r["rule_id"],
        r["rule_version"],
        r["account_id"],
        r["session_id"],
        r["description"],
        r["base"],
        r["amount"],
        r["source_period_start"],
    )


async def lines_of(conn: DbConnection, statement_id: str) -> list[LineRow]:
    rows = await conn.fetch("SELECT * FROM statement_lines WHERE statement_id = $1 ORDER BY line_id", statement_id)
    return [_line(r) for r in rows]


async def adjustment_sources_in(conn: DbConnection, statement_id: str) -> list[date]:
    rows = await conn.fetch(
        "SELECT DISTINCT source_period_start FROM statement_lines WHERE statement_id = $1 AND line_kind = 'adjustment'",
        statement_id,
    )
    return [r["source_period_start"] for r in rows]


async def update_statement_figures(
    conn: DbConnection, statement_id: str, total: Decimal, content_hash: str, revision: int
) -> None:
    await conn.execute(
        "UPDATE statements SET total = $2, content_hash = $3, revision = $4, updated_at = now() "
        "WHERE statement_id = $1",
        statement_id,
        total,
        content_hash,
        revision,
    )


async def set_status(
    conn: DbConnection, statement_id: str, status: str, actor: str, at: datetime, reason: str | None = None
) -> None:
    column = {"approved": "approved", "paid": "paid", "void": "voided"}[status]
    extra = ", void_reason = $5" if status == "void" else ""
    args: list[Any] = [statement_id, status, actor, at]
    if status == "void":
        args.append(reason)
    await conn.execute(
        f"UPDATE statements SET status = $2, {column}_by = $3, {column}_at = $4, revision = revision + 1, "
        f"updated_at = now(){extra} WHERE statement_id = $1",
        *args,
    )


# --- outbox -----------------------------------------------------------------------------------------------
async def add_outbox(conn: DbConnection, event_id: str, key: str, event_type: str, body: str) -> None:
    await conn.execute(
        "INSERT INTO outbox (event_id, event_key, event_type, body) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (event_id) DO NOTHING",
        event_id,
        key,
        event_type,
        body,
    )


async def try_lock_outbox(conn: DbConnection) -> bool:
    return bool(await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext('livestudio-commission-outbox'))"))


async def pending_outbox(conn: DbConnection, limit: int) -> list[tuple[int, str, str, str]]:
    rows = await conn.fetch(
        "SELECT seq, event_id, event_key, body FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
        limit,
    )
    return [(r["seq"], r["event_id"], r["event_key"], r["body"]) for r in rows]


async def mark_published(conn: DbConnection, seqs: Sequence[int]) -> None:
    await conn.execute("UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])", list(seqs))


async def prune_outbox(conn: DbConnection, keep_days: int) -> None:
    await conn.execute("DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)", keep_days)


async def outbox_backlog(conn: DbConnection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


# --- export -----------------------------------------------------------------------------------------------
async def period_lines(conn: DbConnection, studio_id: str, period_start: date) -> list[dict[str, Any]]:
    """Every line of the studio's statements for a period (void ones excluded), for the CSV export."""
    rows = await conn.fetch(
        """
        SELECT s.statement_id, s.studio_id, s.host_id, h.name AS host_name, h.role, s.period_start, s.period_end,
               s.status, s.revision, s.currency, s.total, s.approved_by, s.approved_at, s.paid_by, s.paid_at,
               l.line_id, l.line_kind, l.rule_id, l.account_id, l.session_id, l.description, l.base, l.amount,
               l.source_period_start
        FROM statements s
        LEFT JOIN hosts h ON h.host_id = s.host_id
        LEFT JOIN statement_lines l ON l.statement_id = s.statement_id
        WHERE s.studio_id = $1 AND s.period_start = $2 AND s.status <> 'void'
        ORDER BY s.host_id, l.line_kind DESC, l.line_id
        """,
        studio_id,
        period_start,
    )
    return [dict(r) for r in rows]


# --- affiliate income (issue #21) ---------------------------------------------------------------------------
_CHECKOUT_FIGURES = ("estimated", "estimated_with_mcn", "final", "final_with_mcn", "gmv")


def _checkout(r: Any) -> income.Checkout:
    return income.Checkout(
        account_id=r["account_id"],
        checkout_id=r["checkout_id"],
        studio_id=r["studio_id"],
        source=r["source"],
        status=r["status"],
        purchased_at=r["purchased_at"],
        observed_at=r["observed_at"],
        currency=r["currency"],
        timezone=r["timezone"],
        figures={f: r[f] for f in income.FIGURES},
    )


async def lock_checkouts(conn: DbConnection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], income.Checkout]:
    ordered = sorted(set(keys))
    rows = await conn.fetch(
        """
        SELECT c.* FROM affiliate_checkouts c
        JOIN unnest($1::text[], $2::text[]) AS k(account_id, checkout_id)
          ON c.account_id = k.account_id AND c.checkout_id = k.checkout_id
        ORDER BY c.account_id, c.checkout_id
        FOR UPDATE OF c
        """,
        [k[0] for k in ordered],
        [k[1] for k in ordered],
    )
    return {(r["account_id"], r["checkout_id"]): _checkout(r) for r in rows}


async def save_checkouts(conn: DbConnection, checkouts: Sequence[income.Checkout]) -> None:
    await conn.executemany(
        """
        INSERT INTO affiliate_checkouts (account_id, checkout_id, studio_id, source, status, purchased_at, currency,
            timezone, estimated, estimated_with_mcn, final, final_with_mcn, gmv, observed_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
        ON CONFLICT (account_id, checkout_id) DO UPDATE SET source = EXCLUDED.source, status = EXCLUDED.status,
            purchased_at = EXCLUDED.purchased_at, currency = EXCLUDED.currency, timezone = EXCLUDED.timezone,
            estimated = EXCLUDED.estimated, estimated_with_mcn = EXCLUDED.estimated_with_mcn,
            final = EXCLUDED.final, final_with_mcn = EXCLUDED.final_with_mcn, gmv = EXCLUDED.gmv,
            observed_at = EXCLUDED.observed_at, updated_at = now()
        """,
        [
            (
                c.account_id,
                c.checkout_id,
                c.studio_id,
                c.source,
                c.status,
                c.purchased_at,
                c.currency,
                c.timezone,
                *(c.figures.get(f) for f in income.FIGURES),
                c.observed_at,
            )
            for c in checkouts
        ],
    )


async def checkouts_between(conn: DbConnection, account_id: str, lo: datetime, hi: datetime) -> list[income.Checkout]:
    rows = await conn.fetch(
        "SELECT * FROM affiliate_checkouts WHERE account_id = $1 AND purchased_at >= $2 AND purchased_at <= $3",
        account_id,
        lo,
        hi,
    )
    return [_checkout(r) for r in rows]


async def session_spans(
    conn: DbConnection, account_ids: Iterable[str], lo: datetime, hi: datetime
) -> dict[str, list[income.SessionSpan]]:
    """Sessions of these accounts that may own a purchase in [lo, hi] (started within MAX_SPAN before it)."""
    rows = await conn.fetch(
        """
        SELECT account_id, session_id, started_at, ended_at FROM sessions
        WHERE account_id = ANY($1::text[]) AND started_at BETWEEN $2 AND $3
        """,
        sorted(set(account_ids)),
        lo - income.MAX_SPAN,
        hi + income.GRACE,
    )
    out: dict[str, list[income.SessionSpan]] = {}
    for r in rows:
        out.setdefault(r["account_id"], []).append(income.SessionSpan(r["session_id"], r["started_at"], r["ended_at"]))
    return out


async def replace_checkout_parts(
    conn: DbConnection, parts: Mapping[tuple[str, str], tuple[income.Checkout, Sequence[income.Part]]]
) -> None:
    if not parts:
        return
    keys = sorted(parts)
    await conn.execute(
        """
        DELETE FROM affiliate_parts p USING unnest($1::text[], $2::text[]) AS k(account_id, checkout_id)
        WHERE p.account_id = k.account_id AND p.checkout_id = k.checkout_id
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    rows = []
    for key in keys:
        checkout, checkout_parts = parts[key]
        for p in checkout_parts:
            rows.append(
                (
                    checkout.studio_id,
                    checkout.account_id,
                    checkout.checkout_id,
                    p.host_id,
                    p.window_key,
                    p.session_id,
                    p.local_day,
                    checkout.source,
                    checkout.status,
                    checkout.currency,
                    *(p.figures.get(f) for f in income.FIGURES),
                )
            )
    await conn.copy_records_to_table(
        "affiliate_parts",
        records=rows,
        columns=[
            "studio_id",
            "account_id",
            "checkout_id",
            "host_id",
            "window_key",
            "session_id",
            "local_day",
            "source",
            "status",
            "currency",
            *_CHECKOUT_FIGURES,
        ],
    )


# --- monthly GMV targets (issue #20) ------------------------------------------------------------------------
async def set_target(
    conn: DbConnection,
    key: tuple[str, date, str, str],
    amount: Decimal,
    *,
    set_at: datetime,
    set_by: str,
    command_id: str,
) -> bool:
    """Store a target unless a newer command already set it; whether it was stored."""
    stored = await conn.fetchval(
        """
        INSERT INTO targets (studio_id, month, scope, scope_id, amount, set_at, set_by, command_id, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
        ON CONFLICT (studio_id, month, scope, scope_id) DO UPDATE SET amount = EXCLUDED.amount,
            set_at = EXCLUDED.set_at, set_by = EXCLUDED.set_by, command_id = EXCLUDED.command_id, updated_at = now()
        WHERE targets.set_at <= EXCLUDED.set_at
        RETURNING true
        """,
        *key,
        amount,
        set_at,
        set_by,
        command_id,
    )
    return bool(stored)


async def target_set_at(conn: DbConnection, key: tuple[str, date, str, str]) -> datetime | None:
    """When the target of `key` was set (None: there is none)."""
    value: datetime | None = await conn.fetchval(
        "SELECT set_at FROM targets WHERE studio_id = $1 AND month = $2 AND scope = $3 AND scope_id = $4", *key
    )
    return value


async def delete_target(conn: DbConnection, key: tuple[str, date, str, str], *, issued_at: datetime) -> None:
    """Remove the target of `key` unless a newer command set it again."""
    await conn.execute(
        "DELETE FROM targets WHERE studio_id = $1 AND month = $2 AND scope = $3 AND scope_id = $4 AND set_at <= $5",
        *key,
        issued_at,
    )
