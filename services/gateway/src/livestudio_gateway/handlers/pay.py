"""Routes of commission statements: list, detail, CSV exports, and approve / pay / void commands."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import JSONBody, QueryParameter

from livestudio_gateway import analytics, commands, exports
from livestudio_gateway.auth import Principal, host_filter, require_writer, studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    WRITES,
    ApiRequest,
    CursorQ,
    HostQ,
    IdPath,
    PageLimitQ,
    StatementStatusQ,
    StudioQ,
    caller,
    submit,
    visible_host,
)
from livestudio_gateway.models import (
    AttendanceSummary,
    CommandAccepted,
    Statement,
    StatementDetail,
    StatementLine,
    StatementPage,
    VoidBody,
)
from livestudio_gateway.pagination import decode_statement_cursor, statement_cursor
from livestudio_gateway.problems import Forbidden, NotFound
from livestudio_gateway.repository import Scope
from livestudio_gateway.state import Gateway
from livestudio_schemas.commands import StatementApprove, StatementPay, StatementVoid


def _statement(row: Any) -> Statement:
    return Statement(**row)


async def _statement_rows(
    gw: Gateway,
    principal: Principal,
    studio_id: str | None,
    host_id: str | None,
    period_from: date | None,
    period_to: date | None,
) -> tuple[Scope, str | None]:
    scope = studio_filter(principal, studio_id)
    host = host_filter(principal, host_id)
    for value, name in ((period_from, "period_from"), (period_to, "period_to")):
        if value is not None:
            analytics.check_day(value, name)
    if host_id is not None and not principal.is_host:
        await visible_host(gw, host_id, scope)
    return scope, host


@get("/commission/statements", summary="Pay statements", tags=["commission"], responses=READS)
async def list_statements(
    request: ApiRequest,
    studio_id: StudioQ = None,
    host_id: HostQ = None,
    status: StatementStatusQ = None,
    period_from: Annotated[date | None, QueryParameter(description="periods ending on/after this day")] = None,
    period_to: Annotated[date | None, QueryParameter(description="periods starting on/before this day")] = None,
    cursor: CursorQ = None,
    limit: PageLimitQ = 50,
) -> StatementPage:
    principal, gw = caller(request)
    scope, host = await _statement_rows(gw, principal, studio_id, host_id, period_from, period_to)
    after = decode_statement_cursor(cursor) if cursor else None
    rows = await gw.repo.statements(
        scope,
        host_id=host,
        status=status,
        period_from=period_from,
        period_to=period_to,
        after=after,
        limit=limit + 1,
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = statement_cursor(last["period_start"], last["statement_id"])
    return StatementPage(items=[_statement(r) for r in rows[:limit]], next_cursor=next_cursor)


@get(
    "/commission/statements.csv",
    summary="Pay statements as CSV",
    tags=["commission"],
    media_type="text/csv",
    responses=READS,
)
async def export_statements(
    request: ApiRequest,
    studio_id: StudioQ = None,
    host_id: HostQ = None,
    status: StatementStatusQ = None,
    period_from: Annotated[date | None, QueryParameter(description="periods ending on/after this day")] = None,
    period_to: Annotated[date | None, QueryParameter(description="periods starting on/before this day")] = None,
) -> Response[str]:
    principal, gw = caller(request)
    scope, host = await _statement_rows(gw, principal, studio_id, host_id, period_from, period_to)
    rows = await gw.repo.statements(
        scope,
        host_id=host,
        status=status,
        period_from=period_from,
        period_to=period_to,
        after=None,
        limit=gw.settings.export_max_rows,
    )
    return Response(
        exports.to_csv(exports.STATEMENT_COLUMNS, rows),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="statements.csv"'},
    )


async def _visible_statement(gw: Gateway, principal: Principal, statement_id: str) -> Any:
    row = await gw.repo.statement(
        statement_id, principal.studio_scope, principal.host_id if principal.is_host else None
    )
    if row is None:
        raise NotFound(f"statement {statement_id!r} not found")
    return row


@get(
    "/commission/statements/{statement_id:str}",
    summary="One statement with its lines",
    description=(
        "With the host's attendance over the statement's period (`attendance`: counts of on time, late, left early "
        "and absent schedule entries, corrections applied; details at `GET /attendance`)."
    ),
    tags=["commission"],
    responses=READS,
)
async def get_statement(request: ApiRequest, statement_id: IdPath) -> StatementDetail:
    principal, gw = caller(request)
    row = await _visible_statement(gw, principal, statement_id)
    lines = await gw.repo.statement_lines(statement_id)
    summary = await gw.repo.attendance_summary(row["studio_id"], row["host_id"], row["period_start"], row["period_end"])
    return StatementDetail(
        statement=_statement(row),
        lines=[StatementLine(**r) for r in lines],
        attendance=AttendanceSummary(**summary),
    )


@get(
    "/commission/statements/{statement_id:str}/lines.csv",
    summary="A statement's lines as CSV",
    tags=["commission"],
    media_type="text/csv",
    responses=READS,
)
async def export_statement_lines(request: ApiRequest, statement_id: IdPath) -> Response[str]:
    principal, gw = caller(request)
    await _visible_statement(gw, principal, statement_id)
    lines = await gw.repo.statement_lines(statement_id)
    return Response(
        exports.to_csv(exports.LINE_COLUMNS, lines),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="statement-{statement_id}.csv"'},
    )


async def _statement_action(
    gw: Gateway, principal: Principal, statement_id: str, action: commands.StatementAction
) -> str:
    if not principal.can_write:
        raise Forbidden(f"role {principal.role!r} is read-only here")
    row = await _visible_statement(gw, principal, statement_id)
    require_writer(principal, row["studio_id"])
    commands.check_statement_action(row["status"], action)
    return statement_id


@post(
    "/commission/statements/{statement_id:str}/approve",
    summary="Approve a statement (command)",
    tags=["commission", "commands"],
    status_code=202,
    responses=WRITES,
)
async def approve_statement(request: ApiRequest, statement_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    await _statement_action(gw, principal, statement_id, "approve")
    return await submit(gw, principal, StatementApprove(statement_id=statement_id))


@post(
    "/commission/statements/{statement_id:str}/pay",
    summary="Mark a statement paid (command)",
    tags=["commission", "commands"],
    status_code=202,
    responses=WRITES,
)
async def pay_statement(request: ApiRequest, statement_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    await _statement_action(gw, principal, statement_id, "pay")
    return await submit(gw, principal, StatementPay(statement_id=statement_id))


@post(
    "/commission/statements/{statement_id:str}/void",
    summary="Void a statement (command)",
    tags=["commission", "commands"],
    status_code=202,
    responses=WRITES,
)
async def void_statement(
    request: ApiRequest,
    statement_id: IdPath,
    data: JSONBody[VoidBody | None] = None,
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    await _statement_action(gw, principal, statement_id, "void")
    reason = data.reason if data is not None else None
    return await submit(gw, principal, StatementVoid(statement_id=statement_id, reason=reason))


ROUTES = [
    list_statements,
    export_statements,
    get_statement,
    export_statement_lines,
    approve_statement,
    pay_statement,
    void_statement,
]
