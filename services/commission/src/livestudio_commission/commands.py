"""Applying the commission-owned commands of `livestudio.commands.v1`, each recorded in `command_results`.

Every command is applied at most once (its id is recorded in the same transaction as its effect) inside a
savepoint: a rejected command leaves no effect and a `rejected` result with the reason. Commands owned by other
services are ignored.

Commands on different entities travel on different partitions, so their order is not guaranteed: nothing here
requires another entity to exist first. A schedule entry naming a shift that is not known yet is stored
unresolved and resolved when the shift arrives; a host or schedule entry may precede its studio (the default
timezone applies until the studio says otherwise). Every roster change re-attributes the sessions of the
account around the changed window, so the final attribution does not depend on arrival order.

Ownership: before any effect, every entity a command names is looked up (`repository.entity_studios`) and judged
by the one rule every write path shares (`livestudio_runtime.ownership.check`): an entity in another studio is
refused exactly like a missing one, and the caller's scope (`Command.scope`) bounds the studio. A host's own
check-in/out must be at the server's time (`issued_at`) on an account a schedule entry puts the host on; a
manager's correction lies in the open pay period and gives a reason.

Removals (host, shift template, pay rule, studio) apply only where no history depends on the entity: a host with a
schedule entry, check-in, attributed session or statement, a shift a schedule entry or rule names, a rule that
paid a statement line, a studio holding hosts, shifts, entries, rules, check-ins, sessions, statements or targets
are refused with what depends on them (`in_use`). A removed studio loses its row and its settings; the gateway
has checked what other services hold (accounts, ad spend, alerts) before publishing.

Attendance (`attendance_records`): storing an entry and applying a check-in/out mark the entries concerned for
recomputation; `studio.upsert` carries the grace period and the attribution policy; `schedule.attendance.correct`
stores a manager's correction beside the computed record.

Role changes apply from the local day the command was issued (the first role applies since always), so that a
promotion does not rewrite approved history.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from livestudio_commission import attendance_records, metrics, sessions, statements, targets
from livestudio_commission import repository as repo
from livestudio_commission.periods import period_of
from livestudio_commission.roster import (
    CHECK_IN_EARLY,
    OPEN_CHECK_IN_MAX,
    CheckEvent,
    CheckKind,
    RosterError,
    resolve_entry_window,
)
from livestudio_commission.rules import PayRule, RuleError, Tier, validate
from livestudio_runtime import ownership
from livestudio_runtime.db import DbConnection
from livestudio_schemas.commands import (
    AttendanceCorrect,
    Command,
    HostCheckIn,
    HostCheckOut,
    HostRemove,
    HostUpsert,
    PayRuleRemove,
    PayRuleUpsert,
    ScheduleEntryRemove,
    ScheduleEntryUpsert,
    ShiftTemplateRemove,
    ShiftTemplateUpsert,
    StatementApprove,
    StatementPay,
    StatementVoid,
    StudioRemove,
    StudioUpsert,
    TargetRemove,
    TargetSet,
    owner_of,
)

log = structlog.get_logger(__name__)
OWNER = "commission"


class CommandRejected(Exception):
    """The command is well-formed but cannot be applied; recorded as `rejected` with this message."""


REJECTIONS = (
    CommandRejected,
    attendance_records.AttendanceRejected,
    RosterError,
    RuleError,
    statements.StatementCommandError,
    ownership.NotFound,
    ownership.NotAllowed,
    targets.TargetRejected,
)


def owned(kind: str) -> bool:
    try:
        return owner_of(kind) == OWNER
    except ValueError:
        return False


async def apply_command(conn: DbConnection, command: Command, *, default_timezone: str) -> str | None:
    """Apply one command once; its recorded status, or None when ignored (not ours, or already applied)."""
    kind = command.command.kind
    if not owned(kind):
        return None
    if await repo.command_seen(conn, command.command_id):
        return None
    error: str | None = None
    try:
        async with conn.transaction():  # a savepoint: a rejection undoes the partial effect
            await _check_ownership(conn, command, default_timezone)
            await _apply(conn, command, default_timezone)
    except REJECTIONS as exc:
        error = str(exc) or type(exc).__name__
    status = "applied" if error is None else "rejected"
    await repo.record_command(conn, command.command_id, kind, status, error)
    metrics.COMMANDS.labels(kind, status).inc()
    if error is not None:
        log.info("command_rejected", command_id=command.command_id, kind=kind, error=error)
    return status


async def record_invalid(conn: DbConnection, command_id: str, kind: str, error: str) -> None:
    """A command of ours whose payload failed validation: rejected, so the caller sees why."""
    if await repo.command_seen(conn, command_id):
        return
    await repo.record_command(conn, command_id, kind, "rejected", error[:2000])
    metrics.COMMANDS.labels(kind, "rejected").inc()


async def _check_ownership(conn: DbConnection, command: Command, default_timezone: str) -> None:
    c = command.command
    refs = ownership.references(c)
    found = await repo.entity_studios(conn, [(r.entity, r.id) for r in refs])
    studio = ownership.check(c, command.scope, found)
    if isinstance(c, HostCheckIn | HostCheckOut):
        await _check_check_time(conn, command, c, studio, default_timezone)


async def _check_check_time(
    conn: DbConnection, command: Command, c: HostCheckIn | HostCheckOut, studio: str | None, default_timezone: str
) -> None:
    """A host checks in/out now, only where rostered; a manager's correction stays in the open pay period."""
    scope = command.scope
    if scope is None:  # an operator's command (CLI, replays of old commands): the contract bounds it
        return
    zone = await _studio_zone(conn, studio or "", default_timezone)
    if scope.role == "host":
        correction_from = None
    else:
        studio_row = await repo.get_studio(conn, studio or "")
        pay_period = studio_row.pay_period if studio_row is not None else "monthly"
        period = period_of(command.issued_at.astimezone(zone).date(), pay_period)
        correction_from = datetime.combine(period.start, time(0), tzinfo=zone)
    try:
        ownership.check_time(c.at, command.issued_at, correction_from=correction_from, reason=c.reason)
    except ValueError as exc:
        raise CommandRejected(str(exc)) from None
    # rostered: an entry of the host on the account runs at `at` (a check-in may come CHECK_IN_EARLY before it,
    # a check-out up to OPEN_CHECK_IN_MAX after it)
    after_end = OPEN_CHECK_IN_MAX if isinstance(c, HostCheckOut) else timedelta(0)
    if scope.role == "host" and not await repo.host_rostered(
        conn, c.host_id, c.account_id, c.at - after_end, c.at + CHECK_IN_EARLY
    ):
        raise CommandRejected(f"host {c.host_id!r} is not scheduled on account {c.account_id!r} at this time")


async def _apply(conn: DbConnection, command: Command, default_timezone: str) -> None:
    c = command.command
    if isinstance(c, StudioUpsert):
        await _studio_upsert(conn, c, default_timezone)
        await attendance_records.apply_studio_settings(conn, c, command.issued_at)
    elif isinstance(c, StudioRemove):
        await _studio_remove(conn, c)
    elif isinstance(c, HostUpsert):
        await _host_upsert(conn, c, command.issued_at, default_timezone)
    elif isinstance(c, ShiftTemplateUpsert):
        await _shift_upsert(conn, c, default_timezone)
    elif isinstance(c, ScheduleEntryUpsert):
        await _schedule_upsert(conn, c, default_timezone)
    elif isinstance(c, ScheduleEntryRemove):
        await _schedule_remove(conn, c)
    elif isinstance(c, HostRemove):
        await _host_remove(conn, c)
    elif isinstance(c, ShiftTemplateRemove):
        await _shift_remove(conn, c)
    elif isinstance(c, PayRuleRemove):
        await _rule_remove(conn, c)
    elif isinstance(c, HostCheckIn | HostCheckOut):
        await _check(conn, command.command_id, c)
        await attendance_records.mark_check(conn, c.host_id, c.account_id, c.at)
    elif isinstance(c, AttendanceCorrect):
        await attendance_records.correct(conn, command, c)
    elif isinstance(c, PayRuleUpsert):
        await _rule_upsert(conn, c)
    elif isinstance(c, StatementApprove):
        await statements.change_status(conn, c.statement_id, "approved", actor=command.actor, at=command.issued_at)
    elif isinstance(c, StatementPay):
        await statements.change_status(conn, c.statement_id, "paid", actor=command.actor, at=command.issued_at)
    elif isinstance(c, StatementVoid):
        await statements.change_status(
            conn, c.statement_id, "void", actor=command.actor, at=command.issued_at, reason=c.reason
        )
    elif isinstance(c, TargetSet | TargetRemove):
        await targets.apply(conn, command, c)
    else:  # pragma: no cover - owned() admits only the kinds above
        raise CommandRejected(f"unsupported command {c.kind}")


# --- roster -----------------------------------------------------------------------------------------------
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandRejected(f"unknown timezone {name!r}") from None


async def _studio_zone(conn: DbConnection, studio_id: str, default_timezone: str) -> ZoneInfo:
    studio = await repo.get_studio(conn, studio_id)
    return ZoneInfo(studio.timezone if studio is not None else default_timezone)


async def _studio_upsert(conn: DbConnection, c: StudioUpsert, default_timezone: str) -> None:
    _zone(c.timezone)
    existing = await repo.get_studio(conn, c.studio_id)
    if (
        existing is not None
        and existing.pay_period != c.pay_period
        and await repo.studio_has_statements(conn, c.studio_id)
    ):
        raise CommandRejected("the pay period cannot change once the studio has statements")
    await repo.upsert_studio(
        conn,
        repo.StudioRow(c.studio_id, c.name, c.timezone, c.currency, c.pay_period, tuple(c.holidays)),
    )
    old_zone = existing.timezone if existing is not None else default_timezone
    if existing is None or old_zone != c.timezone:
        # Shift windows and local days move with the timezone: resolve again, re-attribute the studio.
        for entry in await repo.entries_of_studio(conn, c.studio_id):
            await _store_entry(conn, entry, entry, ZoneInfo(c.timezone), reattribute=False)
        await sessions.reattribute(conn, await repo.sessions_of_studio(conn, c.studio_id))
    changed_days = set(existing.holidays if existing else ()) ^ set(c.holidays)
    if changed_days:
        await repo.mark_dirty_for_studio_days(conn, c.studio_id, sorted(changed_days))


async def _host_upsert(conn: DbConnection, c: HostUpsert, issued_at: datetime, default_timezone: str) -> None:
    await repo.upsert_host(conn, repo.HostRow(c.host_id, c.studio_id, c.name, c.role, c.active))
    roles = await repo.host_roles(conn, c.host_id)
    if not roles:
        await repo.set_host_role(conn, c.host_id, repo.ROLE_SINCE_ALWAYS, c.role)
        await repo.mark_dirty_for_host(conn, c.host_id, repo.ROLE_SINCE_ALWAYS)
    elif roles[-1][1] != c.role:
        day = issued_at.astimezone(await _studio_zone(conn, c.studio_id, default_timezone)).date()
        await repo.set_host_role(conn, c.host_id, max(day, roles[-1][0]), c.role)
        await repo.mark_dirty_for_host(conn, c.host_id, max(day, roles[-1][0]))


async def _shift_upsert(conn: DbConnection, c: ShiftTemplateUpsert, default_timezone: str) -> None:
    await repo.upsert_shift(conn, repo.ShiftRow(c.shift_id, c.studio_id, c.name, c.start, c.end))
    for entry in await repo.entries_using_shift(conn, c.shift_id):
        zone = await _studio_zone(conn, entry.studio_id, default_timezone)
        await _store_entry(conn, entry, entry, zone)


async def _store_entry(
    conn: DbConnection, old: repo.EntryRow | None, new: repo.EntryRow, zone: ZoneInfo, *, reattribute: bool = True
) -> None:
    """Resolve the entry's window, store it, and re-attribute the account around the old and new window."""
    shift = None
    if new.shift_id is not None:
        found = await repo.get_shift(conn, new.shift_id)
        shift = (found.start_local, found.end_local) if found is not None else None
    resolved = resolve_entry_window(
        starts_at=new.explicit_starts_at,
        ends_at=new.explicit_ends_at,
        shift=shift,
        shift_date=new.shift_date,
        tz=zone,
    )
    starts, ends, day = resolved if resolved is not None else (None, None, None)
    stored = repo.EntryRow(
        new.entry_id,
        new.studio_id,
        new.host_id,
        new.account_id,
        new.shift_id,
        new.shift_date,
        new.explicit_starts_at,
        new.explicit_ends_at,
        starts,
        ends,
        day,
        new.share,
    )
    await repo.upsert_entry(conn, stored)
    await attendance_records.mark_entries(conn, [stored.entry_id])
    if reattribute:
        await _reattribute_entries(conn, [old, stored])


async def _reattribute_entries(conn: DbConnection, entries: list[repo.EntryRow | None]) -> None:
    ranges: dict[str, tuple[datetime, datetime]] = {}
    for e in entries:
        if e is None or e.starts_at is None or e.ends_at is None:
            continue
        lo, hi = ranges.get(e.account_id, (e.starts_at, e.ends_at))
        ranges[e.account_id] = (min(lo, e.starts_at), max(hi, e.ends_at))
    for account_id, (lo, hi) in sorted(ranges.items()):
        # Check-ins may pair with the entry up to CHECK_IN_EARLY before it and run OPEN_CHECK_IN_MAX after.
        await sessions.reattribute_account_range(conn, account_id, lo - CHECK_IN_EARLY, hi + OPEN_CHECK_IN_MAX)


async def _schedule_upsert(conn: DbConnection, c: ScheduleEntryUpsert, default_timezone: str) -> None:
    if c.shift_id is not None and c.shift_date is None and c.starts_at is None:
        raise CommandRejected("a shift entry needs shift_date")
    old = await repo.get_entry(conn, c.entry_id)
    new = repo.EntryRow(
        c.entry_id,
        c.studio_id,
        c.host_id,
        c.account_id,
        c.shift_id,
        c.shift_date,
        c.starts_at,
        c.ends_at,
        None,
        None,
        None,
        c.share,
    )
    await _store_entry(conn, old, new, await _studio_zone(conn, c.studio_id, default_timezone))


async def _schedule_remove(conn: DbConnection, c: ScheduleEntryRemove) -> None:
    old = await repo.get_entry(conn, c.entry_id)
    if old is None:
        raise CommandRejected(f"unknown schedule entry {c.entry_id}")
    await repo.delete_entry(conn, c.entry_id)
    await _reattribute_entries(conn, [old])


# --- removals: only what no history depends on --------------------------------------------------------------
def in_use(what: str, counts: dict[str, int], advice: str) -> str | None:
    """Why `what` cannot be removed ("host 'h' has history (schedule entries: 2, statements: 1); …"), or None
    when nothing depends on it."""
    used = [f"{name.replace('_', ' ')}: {n}" for name, n in counts.items() if n > 0]
    return f"{what} has history ({', '.join(used)}); {advice}" if used else None


async def _studio_remove(conn: DbConnection, c: StudioRemove) -> None:
    why = in_use(
        f"studio {c.studio_id!r}",
        await repo.studio_history(conn, c.studio_id),
        "remove what was only set up in it first (a studio with accounts or sessions stays)",
    )
    if why is not None:
        raise CommandRejected(why)
    await repo.delete_studio(conn, c.studio_id)


async def _host_remove(conn: DbConnection, c: HostRemove) -> None:
    why = in_use(f"host {c.host_id!r}", await repo.host_history(conn, c.host_id), "set it inactive instead")
    if why is not None:
        raise CommandRejected(why)
    await repo.delete_host(conn, c.host_id)


async def _shift_remove(conn: DbConnection, c: ShiftTemplateRemove) -> None:
    why = in_use(
        f"shift {c.shift_id!r}", await repo.shift_users(conn, c.shift_id), "remove or move what names it first"
    )
    if why is not None:
        raise CommandRejected(why)
    await repo.delete_shift(conn, c.shift_id)


async def _rule_remove(conn: DbConnection, c: PayRuleRemove) -> None:
    paid = await repo.rule_paid_lines(conn, c.rule_id)
    why = in_use(f"pay rule {c.rule_id!r}", {"statement_lines": paid}, "end it with effective_to instead")
    if why is not None:
        raise CommandRejected(why)
    await repo.delete_rule(conn, c.rule_id)


async def _check(conn: DbConnection, command_id: str, c: HostCheckIn | HostCheckOut) -> None:
    kind: CheckKind = "in" if isinstance(c, HostCheckIn) else "out"
    await repo.insert_check(conn, CheckEvent(command_id, c.host_id, c.account_id, kind, c.at))
    reach = OPEN_CHECK_IN_MAX + CHECK_IN_EARLY
    await sessions.reattribute_account_range(conn, c.account_id, c.at - reach, c.at + reach)


# --- rules ------------------------------------------------------------------------------------------------
def rule_from_command(c: PayRuleUpsert) -> PayRule:
    return PayRule(
        rule_id=c.rule_id,
        effective_from=c.effective_from,
        effective_to=c.effective_to,
        studio_id=c.studio_id,
        account_id=c.account_id,
        role=c.role,
        rule_kind=c.rule_kind,
        basis=c.basis,
        percent=c.percent,
        tiers=tuple(Tier(t.up_to, t.percent) for t in c.tiers),
        amount=c.amount,
        day_type=c.day_type,
        shift_id=c.shift_id,
        min_threshold=c.min_threshold,
        cap=c.cap,
    )


async def _rule_upsert(conn: DbConnection, c: PayRuleUpsert) -> None:
    rule = rule_from_command(c)
    validate(rule)
    old = await repo.get_rule_version(conn, rule.rule_id, rule.effective_from)
    await repo.upsert_rule(conn, rule)
    # A version governs every day from its start (it also ends older versions), so mark from there on.
    since: date = rule.effective_from
    await repo.mark_dirty_for_rule(conn, rule, since)
    if old is not None and (old.studio_id, old.account_id) != (rule.studio_id, rule.account_id):
        await repo.mark_dirty_for_rule(conn, old, since)
