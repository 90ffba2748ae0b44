"""Statements over time: recomputation of a host's periods, the approve -> pay (and void) workflow, events.

Changes to attribution, rules, roles or holidays leave (host, local day) marks in `statement_dirty` in the same
transaction. The statement worker drains them one host per transaction: it recomputes each touched period
(`ledger`), rewrites the lines of open statements, and for every statement whose figures changed bumps the
revision and writes a `StatementChanged` event to the outbox (id = f(statement_id, revision)).

Approve, pay and void are commands: they change the status of the statement as it stands (an approved or paid
statement is never changed again; data still queued for recomputation ends up as adjustment lines), record
the actor, bump the revision and write the event in the command's transaction. A void re-issues the period:
the worker recalculates it as a new statement (`seq` + 1) from the current data.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg
import structlog

from livestudio_commission import metrics
from livestudio_commission import repository as repo
from livestudio_commission.ledger import (
    compute_earnings,
    content_hash,
    line_id,
    plan_lines,
    statement_id_for,
)
from livestudio_commission.money import currency_quantum
from livestudio_commission.periods import PayPeriod, Period, next_period, period_of
from livestudio_runtime.db import DbConnection
from livestudio_schemas.commission import (
    STATEMENT_APPROVED,
    STATEMENT_CALCULATED,
    STATEMENT_PAID,
    STATEMENT_VOIDED,
    StatementChanged,
    StatementLine,
)
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id

log = structlog.get_logger(__name__)
EVENT_SOURCE = "/livestudio/commission"
EVENT_TYPES = {
    "calculated": STATEMENT_CALCULATED,
    "approved": STATEMENT_APPROVED,
    "paid": STATEMENT_PAID,
    "void": STATEMENT_VOIDED,
}


class StatementCommandError(Exception):
    """An approve/pay/void that is not allowed (unknown statement, wrong status)."""


@dataclass(frozen=True)
class _HostContext:
    host_id: str
    studio_id: str
    pay_period: PayPeriod
    currency: str
    holidays: tuple[date, ...]
    roles: list[tuple[date, str]]

    def role_on(self, day: date) -> str:
        starts = [d for d, _ in self.roles]
        i = bisect.bisect_right(starts, day) - 1
        return self.roles[i][1] if i >= 0 else "host"


async def _host_context(conn: DbConnection, host_id: str) -> _HostContext | None:
    host = await repo.get_host(conn, host_id)
    studio_id = host.studio_id if host is not None else await repo.host_studio_from_parts(conn, host_id)
    if studio_id is None:
        return None
    studio = await repo.get_studio(conn, studio_id)
    return _HostContext(
        host_id=host_id,
        studio_id=studio_id,
        pay_period=studio.pay_period if studio else "monthly",
        currency=studio.currency if studio else "IDR",
        holidays=studio.holidays if studio else (),
        roles=await repo.host_roles(conn, host_id),
    )


async def recompute_host(conn: DbConnection, host_id: str, days: Iterable[date]) -> list[str]:
    """Bring the host's statements for the periods containing `days` up to date; the statements that changed."""
    await repo.lock_host(conn, host_id)
    ctx = await _host_context(conn, host_id)
    if ctx is None:
        return []
    statements = await repo.statements_of_host(conn, host_id, lock=True)
    rules = await repo.rules_for_studio(conn, ctx.studio_id)
    quantum = currency_quantum(ctx.currency)

    def current(start: date) -> repo.StatementRow | None:
        return next((s for s in statements if s.period_start == start and s.status != "void"), None)

    async def create(period: Period) -> repo.StatementRow:
        seq = 1 + sum(1 for s in statements if s.period_start == period.start)
        row = repo.StatementRow(
            statement_id=statement_id_for(host_id, period, seq),
            studio_id=ctx.studio_id,
            host_id=host_id,
            period_start=period.start,
            period_end=period.end,
            seq=seq,
            status="calculated",
            currency=ctx.currency,
            total=Decimal(0),
            revision=0,
            content_hash="",
            approved_by=None,
            approved_at=None,
            paid_by=None,
            paid_at=None,
        )
        await repo.insert_statement(conn, row)
        statements.append(row)
        return row

    async def next_open(period: Period) -> repo.StatementRow:
        q = next_period(period, ctx.pay_period)
        while True:
            found = current(q.start)
            if found is None:
                return await create(q)
            if found.status == "calculated":
                return found
            q = next_period(q, ctx.pay_period)

    touched: set[str] = set()
    for period in sorted({period_of(d, ctx.pay_period) for d in days}):
        parts = await repo.host_parts(conn, host_id, period.start, period.end)
        earnings = compute_earnings(parts, rules, role_on=ctx.role_on, holidays=ctx.holidays, quantum=quantum)
        settled = await repo.settled_for_source(conn, host_id, period.start)
        touched.update(await repo.delete_open_lines_for_source(conn, host_id, period.start))
        own = current(period.start)
        if own is None or own.status == "calculated":
            lines = plan_lines(period, earnings, settled, own_statement=True)
            if own is None and not parts and not lines:
                continue
            target = own or await create(period)
        else:
            lines = plan_lines(period, earnings, settled, own_statement=False)
            if not lines:
                continue
            target = await next_open(period)
        await repo.insert_lines(conn, target.statement_id, [(line_id(target.statement_id, ln), ln) for ln in lines])
        touched.add(target.statement_id)
    changed: list[str] = []
    for statement_id in sorted(touched):
        if await _refresh(conn, statement_id):
            changed.append(statement_id)
    metrics.STATEMENTS_RECOMPUTED.inc(len(touched))
    return changed


async def _refresh(conn: DbConnection, statement_id: str) -> bool:
    """Recompute an open statement's total; on a change of figures bump the revision and emit the event."""
    statement = await repo.get_statement(conn, statement_id)
    assert statement is not None
    lines = await repo.lines_of(conn, statement_id)
    total = sum((ln.amount for ln in lines), Decimal(0))
    digest = content_hash([(ln.line_id, ln.line_kind, ln.base, ln.amount) for ln in lines], total)
    if digest == statement.content_hash:
        return False
    revision = statement.revision + 1
    await repo.update_statement_figures(conn, statement_id, total, digest, revision)
    await emit(conn, statement_id, actor=None, at=datetime.now(UTC))
    return True


async def emit(conn: DbConnection, statement_id: str, *, actor: str | None, at: datetime) -> None:
    """Write the statement's current state to the outbox as a `livestudio.commission.v1` event."""
    statement = await repo.get_statement(conn, statement_id)
    assert statement is not None
    lines = await repo.lines_of(conn, statement_id)
    payload = StatementChanged(
        statement_id=statement.statement_id,
        studio_id=statement.studio_id,
        host_id=statement.host_id,
        period_start=statement.period_start,
        period_end=statement.period_end,
        status=statement.status,  # type: ignore[arg-type]
        currency=statement.currency,
        total=statement.total,
        lines=[
            StatementLine.model_validate(
                {
                    "line_id": ln.line_id,
                    "line_kind": ln.line_kind,
                    "rule_id": ln.rule_id,
                    "account_id": ln.account_id,
                    "session_id": ln.session_id,
                    "description": ln.description,
                    "base": ln.base,
                    "amount": ln.amount,
                    # extra fields (the model allows them): which period an adjustment is about, the rule version
                    "source_period_start": ln.source_period_start.isoformat(),
                    "rule_version": None if ln.rule_version is None else ln.rule_version.isoformat(),
                }
            )
            for ln in lines
        ],
        actor=actor,
        changed_at=at,
        revision=statement.revision,
    )
    type_ = EVENT_TYPES[statement.status]
    event_id = deterministic_event_id(statement.statement_id, statement.revision)
    event = CloudEvent[StatementChanged].wrap(
        payload, type_=type_, source=EVENT_SOURCE, time=at, subject=statement.statement_id, id_=event_id
    )
    await repo.add_outbox(conn, event_id, statement.host_id, type_, event.to_json_bytes().decode())
    metrics.EVENTS_WRITTEN.labels(type_).inc()


# --- the workflow ------------------------------------------------------------------------------------------
_TRANSITIONS = {"approved": {"calculated"}, "paid": {"approved"}, "void": {"calculated", "approved"}}


async def change_status(
    conn: DbConnection, statement_id: str, status: str, *, actor: str, at: datetime, reason: str | None = None
) -> None:
    statement = await repo.get_statement(conn, statement_id, lock=True)
    if statement is None:
        raise StatementCommandError(f"unknown statement {statement_id}")
    if statement.status not in _TRANSITIONS[status]:
        raise StatementCommandError(f"cannot change a {statement.status} statement to {status}")
    await repo.set_status(conn, statement_id, status, actor, at, reason)
    await emit(conn, statement_id, actor=actor, at=at)
    if status == "void":
        # Re-issue the period, and re-home adjustments the voided statement carried, from current data.
        sources = await repo.adjustment_sources_in(conn, statement_id)
        await repo.mark_dirty(
            conn, [(statement.host_id, statement.period_start), *((statement.host_id, d) for d in sources)]
        )


# --- the worker -------------------------------------------------------------------------------------------
async def drain_once(pool: asyncpg.Pool) -> bool:
    """Recompute one host with pending marks, in one transaction; False when nothing is pending."""
    async with pool.acquire() as conn, conn.transaction():
        claimed = await repo.claim_dirty_host(conn)
        if claimed is None:
            return False
        host_id, ids, days = claimed
        changed = await recompute_host(conn, host_id, days)
        await repo.clear_dirty(conn, ids)
    if changed:
        log.debug("statements_recomputed", host_id=host_id, statements=changed)
    return True


async def drain(pool: asyncpg.Pool, *, max_hosts: int | None = None) -> int:
    """Drain pending marks (all, or up to `max_hosts` hosts); the number of hosts recomputed."""
    done = 0
    while (max_hosts is None or done < max_hosts) and await drain_once(pool):
        done += 1
    return done
