"""The routes of `/api/v1`: thin handlers that check the caller's scope, call the repository or build a command.

Reads answer 404 for anything outside the caller's studios (existence is not revealed) and 403 for a filter that
names a studio outside them. Commands answer 202 with a command id; `GET /api/v1/commands/{id}` shows the
outcome the owning service recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Literal

from litestar import Request, Response, Router, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import Stream

from livestudio_gateway import analytics, commands, exports, live
from livestudio_gateway.auth import (
    ID_PATTERN,
    Principal,
    host_filter,
    require_role,
    require_writer,
    studio_filter,
)
from livestudio_gateway.models import (
    Account,
    AccountBreakdown,
    AccountFigures,
    AccountPage,
    AccountPatchBody,
    AdSpendBody,
    CheckInBody,
    CommandAccepted,
    CommandStatus,
    ConnectAccountBody,
    DailyPoint,
    DailySeries,
    Host,
    HostBody,
    HostDay,
    HostList,
    HostPerformance,
    HostPerformanceDetail,
    HostPerformanceList,
    Leaderboard,
    LeaderboardEntry,
    LiveSession,
    Me,
    ProductRank,
    ProductRanking,
    QrLogin,
    QrLoginBody,
    RangeFigures,
    RuleBody,
    ScheduleBody,
    SessionDetail,
    SessionHost,
    SessionMetrics,
    SessionPage,
    SessionProduct,
    SessionSummary,
    ShiftBody,
    Statement,
    StatementDetail,
    StatementLine,
    StatementPage,
    Studio,
    StudioBody,
    StudioList,
    Summary,
    TimelinePoint,
    VoidBody,
)
from livestudio_gateway.pagination import (
    SESSION_SORTS,
    SessionSort,
    account_cursor,
    decode_account_cursor,
    decode_session_cursor,
    decode_statement_cursor,
    session_cursor,
    statement_cursor,
)
from livestudio_gateway.problems import (
    READ_ERRORS,
    WRITE_ERRORS,
    BadRequest,
    Forbidden,
    NotFound,
    problem_responses,
)
from livestudio_gateway.repository import Scope
from livestudio_gateway.state import Gateway
from livestudio_runtime.logging import redact_text
from livestudio_schemas.commands import (
    AccountConnect,
    AccountPause,
    AccountRemove,
    AccountResume,
    AccountUpdate,
    AdSpendEnter,
    AnyCommand,
    HostCheckIn,
    HostCheckOut,
    HostUpsert,
    QrLoginStart,
    ScheduleEntryRemove,
    ShiftTemplateUpsert,
    StatementApprove,
    StatementPay,
    StatementVoid,
    StudioUpsert,
)

API_PREFIX: Final = "/api/v1"
_READS = problem_responses(READ_ERRORS)
_WRITES = problem_responses(WRITE_ERRORS)
_BIGINT_MAX = 2**63 - 1

# --- parameter types --------------------------------------------------------------------------------------
IdPath = Annotated[str, PathParameter(pattern=ID_PATTERN, max_length=128)]
SessionIdPath = Annotated[int, PathParameter(ge=1, le=_BIGINT_MAX, description="Shopee session id")]
DayPath = Annotated[date, PathParameter(description="local day (studio timezone)")]
StudioQ = Annotated[str | None, QueryParameter(pattern=ID_PATTERN, max_length=128, description="only this studio")]
AccountQ = Annotated[str | None, QueryParameter(pattern=ID_PATTERN, max_length=128, description="only this account")]
HostQ = Annotated[str | None, QueryParameter(pattern=ID_PATTERN, max_length=128, description="only this host")]
FromQ = Annotated[date, QueryParameter(description="first local day (inclusive)")]
ToQ = Annotated[date, QueryParameter(description="last local day (inclusive)")]
OptFromQ = Annotated[date | None, QueryParameter(description="first local day (inclusive)")]
OptToQ = Annotated[date | None, QueryParameter(description="last local day (inclusive)")]
CursorQ = Annotated[
    str | None, QueryParameter(max_length=1024, pattern=r"^[A-Za-z0-9_-]+$", description="next_cursor of a page")
]
PageLimitQ = Annotated[int, QueryParameter(ge=1, le=200, description="page size")]
StatementStatusQ = Annotated[
    Literal["calculated", "approved", "paid", "void"] | None, QueryParameter(description="only this status")
]


def provide_gateway(state: State) -> Gateway:
    gateway: Gateway = state.gateway
    return gateway


def provide_principal(request: Request[Principal, Any, State], gw: NamedDependency[Gateway]) -> Principal:
    """The caller set by the auth middleware. It takes `gw` only so that Litestar resolves the two dependencies
    one after the other: independent dependencies are resolved concurrently, in an anyio task group per request,
    which costs more than both providers together."""
    return request.user


DEPENDENCIES: Final = {
    "principal": Provide(provide_principal, sync_to_thread=False),
    "gw": Provide(provide_gateway, sync_to_thread=False),
}


# --- helpers ----------------------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _not_host(principal: Principal) -> None:
    if principal.is_host:
        raise Forbidden("hosts see only their own sessions, statements and performance")


async def _visible_account(gw: Gateway, account_id: str, scope: Scope) -> Any:
    row = await gw.repo.account(account_id, scope)
    if row is None:
        raise NotFound(f"account {account_id!r} not found")
    return row


async def _visible_host(gw: Gateway, host_id: str, scope: Scope) -> Any:
    rows = await gw.repo.hosts(scope, host_id=host_id)
    if not rows:
        raise NotFound(f"host {host_id!r} not found")
    return rows[0]


async def _single_currency(gw: Gateway, scope: Scope) -> None:
    """Sums across studios are only meaningful in one currency."""
    if scope is not None and len(scope) <= 1:
        return
    currencies = await gw.repo.studio_currencies(scope)
    if len(currencies) > 1:
        raise BadRequest(
            f"the studios in scope use different currencies ({', '.join(sorted(currencies))}); pass studio_id"
        )


def _claim(principal: Principal, existing_studio: str | None, studio_id: str, what: str) -> None:
    """An id that already exists in another studio cannot be taken over."""
    if existing_studio is None or existing_studio == studio_id:
        return
    if principal.sees_studio(existing_studio):
        raise BadRequest(f"{what} belongs to studio {existing_studio!r}")
    raise Forbidden(f"this {what} id is not available to you")


async def _submit(gw: Gateway, principal: Principal, command: AnyCommand, **extra: str) -> Response[CommandAccepted]:
    command_id = commands.new_id()
    event = commands.envelope(command, actor=principal.sub, command_id=command_id, now=_now())
    await gw.publisher.publish(commands.subject_of(command), event)
    url = f"{API_PREFIX}/commands/{command_id}"
    body = CommandAccepted(
        command_id=command_id,
        kind=command.kind,
        owner=commands.owner(command),
        status="accepted",
        status_url=url,
        **extra,
    )
    return Response(body, status_code=202, headers={"Location": url})


# --- me -----------------------------------------------------------------------------------------------------
@get("/me", summary="The caller's identity and scope", tags=["auth"], responses=_READS, sync_to_thread=False)
def me(principal: NamedDependency[Principal]) -> Me:
    return Me(sub=principal.sub, role=principal.role, studios=principal.studio_scope, host_id=principal.host_id)


# --- studios ------------------------------------------------------------------------------------------------
@get("/studios", summary="Studios in the caller's scope", tags=["studios"], responses=_READS)
async def list_studios(principal: NamedDependency[Principal], gw: NamedDependency[Gateway]) -> StudioList:
    rows = await gw.repo.studios(principal.studio_scope)
    return StudioList(items=[Studio(**r) for r in rows])


@get("/studios/{studio_id:str}", summary="One studio", tags=["studios"], responses=_READS)
async def get_studio(principal: NamedDependency[Principal], gw: NamedDependency[Gateway], studio_id: IdPath) -> Studio:
    if not principal.sees_studio(studio_id):
        raise NotFound(f"studio {studio_id!r} not found")
    rows = await gw.repo.studios(principal.studio_scope, studio_id)
    if not rows:
        raise NotFound(f"studio {studio_id!r} not found")
    return Studio(**rows[0])


@put(
    "/studios/{studio_id:str}",
    summary="Create or update a studio (command)",
    tags=["studios", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def upsert_studio(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], studio_id: IdPath, data: JSONBody[StudioBody]
) -> Response[CommandAccepted]:
    require_writer(principal, studio_id)
    commands.check_timezone(data.timezone)
    for holiday in data.holidays:
        analytics.check_day(holiday, "holidays")
    command = commands.make(
        StudioUpsert,
        studio_id=studio_id,
        name=data.name,
        timezone=data.timezone,
        currency=data.currency,
        pay_period=data.pay_period,
        holidays=sorted(set(data.holidays)),
    )
    return await _submit(gw, principal, command)


# --- accounts -----------------------------------------------------------------------------------------------
def _account(row: Any, now: datetime, threshold_s: int) -> Account:
    age, fresh = analytics.freshness(row["last_successful_poll_at"], now, threshold_s, row["state"])
    last_error = row["last_error"]
    return Account(
        account_id=row["account_id"],
        studio_id=row["studio_id"],
        display_name=row["display_name"],
        region=row["region"],
        shopee_user_id=row["shopee_user_id"],
        state=row["state"],
        last_successful_poll_at=row["last_successful_poll_at"],
        seconds_since_last_poll=age,
        freshness=fresh,
        last_error=None if last_error is None else redact_text(last_error),
        on_air_session_id=row["on_air_session_id"],
        updated_at=row["updated_at"],
    )


@get("/accounts", summary="Shopee accounts with polling health", tags=["accounts"], responses=_READS)
async def list_accounts(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: StudioQ = None,
    account_state: Annotated[
        str | None, QueryParameter(name="state", pattern=r"^[a-z_]{1,40}$", description="only this state")
    ] = None,
    include_removed: Annotated[bool, QueryParameter(description="also list removed accounts")] = False,
    cursor: CursorQ = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> AccountPage:
    _not_host(principal)
    scope = studio_filter(principal, studio_id)
    after = decode_account_cursor(cursor) if cursor else None
    rows = await gw.repo.accounts(
        scope, state=account_state, include_removed=include_removed, after=after, limit=limit + 1
    )
    now = _now()
    items = [_account(r, now, gw.settings.freshness_threshold_s) for r in rows[:limit]]
    next_cursor = account_cursor(rows[limit - 1]["account_id"]) if len(rows) > limit else None
    return AccountPage(items=items, next_cursor=next_cursor)


@get("/accounts/{account_id:str}", summary="One account", tags=["accounts"], responses=_READS)
async def get_account(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], account_id: IdPath
) -> Account:
    _not_host(principal)
    row = await _visible_account(gw, account_id, principal.studio_scope)
    return _account(row, _now(), gw.settings.freshness_threshold_s)


@post(
    "/accounts",
    summary="Connect an account by cookie (command)",
    description="The cookie is encrypted before it enters the command; it is never stored or returned here.",
    tags=["accounts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def connect_account(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], data: JSONBody[ConnectAccountBody]
) -> Response[CommandAccepted]:
    require_writer(principal, data.studio_id)
    account_id = data.account_id or commands.new_account_id()
    if data.account_id is not None:
        _claim(principal, await gw.repo.account_studio(account_id), data.studio_id, "account")
    token = commands.encrypt_cookie(gw.cipher, data.cookie)
    command = commands.make(
        AccountConnect,
        account_id=account_id,
        studio_id=data.studio_id,
        display_name=data.display_name,
        region=data.region,
        encrypted_cookie=token,
    )
    return await _submit(gw, principal, command, account_id=account_id)


@post(
    "/accounts/qr-login",
    summary="Start a QR login (command)",
    description="Poll `GET /api/v1/accounts/qr-login/{login_id}` for the QR image and the outcome.",
    tags=["accounts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def start_qr_login(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], data: JSONBody[QrLoginBody]
) -> Response[CommandAccepted]:
    require_writer(principal, data.studio_id)
    account_id = data.account_id or commands.new_account_id()
    if data.account_id is not None:
        _claim(principal, await gw.repo.account_studio(account_id), data.studio_id, "account")
    login_id = commands.new_id()
    command = commands.make(
        QrLoginStart,
        login_id=login_id,
        account_id=account_id,
        studio_id=data.studio_id,
        display_name=data.display_name,
        region=data.region,
    )
    return await _submit(gw, principal, command, account_id=account_id, login_id=login_id)


@get(
    "/accounts/qr-login/{login_id:str}",
    summary="Progress of a QR login",
    description="404 until the ingest has picked the login up.",
    tags=["accounts"],
    responses=_READS,
)
async def get_qr_login(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], login_id: IdPath
) -> QrLogin:
    if not principal.can_write:
        raise Forbidden("only owners and managers connect accounts")
    row = await gw.repo.qr_login(login_id, principal.studio_scope)
    if row is None:
        raise NotFound(f"QR login {login_id!r} not found")
    return QrLogin(**row)


async def _writable_account(gw: Gateway, principal: Principal, account_id: str) -> str:
    """The account's studio, after checking that the caller may change it."""
    if not principal.can_write:
        raise Forbidden(f"role {principal.role!r} is read-only here")
    row = await _visible_account(gw, account_id, principal.studio_scope)
    studio_id: str = row["studio_id"]
    require_writer(principal, studio_id)
    return studio_id


@patch(
    "/accounts/{account_id:str}",
    summary="Rename an account or give it a new cookie (command)",
    tags=["accounts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def update_account(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    account_id: IdPath,
    data: JSONBody[AccountPatchBody],
) -> Response[CommandAccepted]:
    if data.display_name is None and data.cookie is None:
        raise BadRequest("give display_name and/or cookie")
    await _writable_account(gw, principal, account_id)
    token = None if data.cookie is None else commands.encrypt_cookie(gw.cipher, data.cookie)
    command = commands.make(
        AccountUpdate, account_id=account_id, display_name=data.display_name, encrypted_cookie=token
    )
    return await _submit(gw, principal, command, account_id=account_id)


@post(
    "/accounts/{account_id:str}/pause",
    summary="Stop polling an account (command)",
    tags=["accounts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def pause_account(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], account_id: IdPath
) -> Response[CommandAccepted]:
    await _writable_account(gw, principal, account_id)
    return await _submit(gw, principal, AccountPause(account_id=account_id), account_id=account_id)


@post(
    "/accounts/{account_id:str}/resume",
    summary="Resume polling an account (command)",
    tags=["accounts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def resume_account(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], account_id: IdPath
) -> Response[CommandAccepted]:
    await _writable_account(gw, principal, account_id)
    return await _submit(gw, principal, AccountResume(account_id=account_id), account_id=account_id)


@delete(
    "/accounts/{account_id:str}",
    summary="Remove an account and its credentials (command)",
    tags=["accounts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def remove_account(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], account_id: IdPath
) -> Response[CommandAccepted]:
    await _writable_account(gw, principal, account_id)
    return await _submit(gw, principal, AccountRemove(account_id=account_id), account_id=account_id)


@put(
    "/accounts/{account_id:str}/ad-spend/{day:date}",
    summary="Enter the ad spend of an account for a local day (command; replaces the day's value)",
    tags=["analytics", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def enter_ad_spend(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    account_id: IdPath,
    day: DayPath,
    data: JSONBody[AdSpendBody],
) -> Response[CommandAccepted]:
    commands.check_not_future(day, _now().date(), "day")
    studio_id = await _writable_account(gw, principal, account_id)
    currency = data.currency
    if currency is None:
        studios = await gw.repo.studios(None, studio_id)
        currency = studios[0]["currency"] if studios else "IDR"
    command = commands.make(
        AdSpendEnter,
        account_id=account_id,
        studio_id=studio_id,
        day=day,
        amount=commands.money(data.amount, "amount"),
        currency=currency,
    )
    return await _submit(gw, principal, command, account_id=account_id)


# --- hosts, roster, rules ------------------------------------------------------------------------------------
@get("/hosts", summary="Hosts of the studios in scope", tags=["hosts"], responses=_READS)
async def list_hosts(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: StudioQ = None,
    active: Annotated[bool | None, QueryParameter(description="only active / inactive hosts")] = None,
) -> HostList:
    scope = studio_filter(principal, studio_id)
    rows = await gw.repo.hosts(scope, active=active, host_id=principal.host_id if principal.is_host else None)
    return HostList(items=[Host(**r) for r in rows])


@get("/hosts/{host_id:str}", summary="One host", tags=["hosts"], responses=_READS)
async def get_host(principal: NamedDependency[Principal], gw: NamedDependency[Gateway], host_id: IdPath) -> Host:
    if principal.is_host and host_id != principal.host_id:
        raise NotFound(f"host {host_id!r} not found")
    return Host(**await _visible_host(gw, host_id, principal.studio_scope))


@put(
    "/studios/{studio_id:str}/hosts/{host_id:str}",
    summary="Create or update a host (command)",
    tags=["hosts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def upsert_host(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: IdPath,
    host_id: IdPath,
    data: JSONBody[HostBody],
) -> Response[CommandAccepted]:
    require_writer(principal, studio_id)
    _claim(principal, await gw.repo.host_studio(host_id), studio_id, "host")
    command = commands.make(
        HostUpsert, host_id=host_id, studio_id=studio_id, name=data.name, role=data.role, active=data.active
    )
    return await _submit(gw, principal, command)


async def _check_in_out(
    gw: Gateway, principal: Principal, studio_id: str, host_id: str, data: CheckInBody, *, check_in: bool
) -> Response[CommandAccepted]:
    if principal.is_host:
        if host_id != principal.host_id or not principal.sees_studio(studio_id):
            raise Forbidden("hosts check in and out only themselves")
    else:
        require_writer(principal, studio_id)
    if await gw.repo.host_studio(host_id) != studio_id:
        raise NotFound(f"host {host_id!r} not found in studio {studio_id!r}")
    if await gw.repo.account_studio(data.account_id) != studio_id:
        raise NotFound(f"account {data.account_id!r} not found in studio {studio_id!r}")
    at = data.at or _now()
    command: AnyCommand = (
        commands.make(HostCheckIn, host_id=host_id, account_id=data.account_id, at=at)
        if check_in
        else commands.make(HostCheckOut, host_id=host_id, account_id=data.account_id, at=at)
    )
    return await _submit(gw, principal, command)


@post(
    "/studios/{studio_id:str}/hosts/{host_id:str}/check-in",
    summary="A host starts streaming on an account (command)",
    tags=["hosts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def check_in(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: IdPath,
    host_id: IdPath,
    data: JSONBody[CheckInBody],
) -> Response[CommandAccepted]:
    return await _check_in_out(gw, principal, studio_id, host_id, data, check_in=True)


@post(
    "/studios/{studio_id:str}/hosts/{host_id:str}/check-out",
    summary="A host stops streaming on an account (command)",
    tags=["hosts", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def check_out(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: IdPath,
    host_id: IdPath,
    data: JSONBody[CheckInBody],
) -> Response[CommandAccepted]:
    return await _check_in_out(gw, principal, studio_id, host_id, data, check_in=False)


@put(
    "/studios/{studio_id:str}/shifts/{shift_id:str}",
    summary="Create or update a shift template (command)",
    tags=["roster", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def upsert_shift(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: IdPath,
    shift_id: IdPath,
    data: JSONBody[ShiftBody],
) -> Response[CommandAccepted]:
    require_writer(principal, studio_id)
    command = commands.make(
        ShiftTemplateUpsert, shift_id=shift_id, studio_id=studio_id, name=data.name, start=data.start, end=data.end
    )
    return await _submit(gw, principal, command)


@put(
    "/studios/{studio_id:str}/schedule/{entry_id:str}",
    summary="Put a host on an account for a window or a shift (command)",
    tags=["roster", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def upsert_schedule_entry(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: IdPath,
    entry_id: IdPath,
    data: JSONBody[ScheduleBody],
) -> Response[CommandAccepted]:
    require_writer(principal, studio_id)
    command = commands.build_schedule(entry_id, studio_id, data)
    _claim(principal, await gw.repo.account_studio(data.account_id), studio_id, "account")
    _claim(principal, await gw.repo.host_studio(data.host_id), studio_id, "host")
    return await _submit(gw, principal, command)


@delete(
    "/studios/{studio_id:str}/schedule/{entry_id:str}",
    summary="Remove a schedule entry (command; owners only)",
    description="Owners only: the contract's schedule.remove carries no studio, so a manager's scope cannot be "
    "enforced by the commission service.",
    tags=["roster", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def remove_schedule_entry(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: IdPath,
    entry_id: IdPath,
) -> Response[CommandAccepted]:
    require_role(principal, "owner")
    return await _submit(gw, principal, ScheduleEntryRemove(entry_id=entry_id))


@put(
    "/rules/{rule_id:str}",
    summary="Create a new version of a pay rule (command)",
    description="Rules without studio_id are global and only owners may change them.",
    tags=["roster", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def upsert_rule(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], rule_id: IdPath, data: JSONBody[RuleBody]
) -> Response[CommandAccepted]:
    require_writer(principal, data.studio_id)
    command = commands.build_rule(rule_id, data)
    if data.account_id is not None and data.studio_id is not None:
        _claim(principal, await gw.repo.account_studio(data.account_id), data.studio_id, "account")
    return await _submit(gw, principal, command)


# --- sessions -----------------------------------------------------------------------------------------------
@get(
    "/sessions",
    summary="Live sessions, newest first by default",
    description="Keyset pagination: pass `next_cursor` back as `cursor` with the same filters and sort.",
    tags=["sessions"],
    responses=_READS,
)
async def list_sessions(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    host_id: HostQ = None,
    on_air: Annotated[bool | None, QueryParameter(description="only sessions on / off air")] = None,
    date_from: OptFromQ = None,
    date_to: OptToQ = None,
    sort: Annotated[SessionSort, QueryParameter(description="sort key; '-' for descending; unknown last")] = (
        "-started_at"
    ),
    cursor: CursorQ = None,
    limit: PageLimitQ = 50,
) -> SessionPage:
    scope = studio_filter(principal, studio_id)
    host = host_filter(principal, host_id)
    if date_from is not None:
        analytics.check_day(date_from, "date_from")
    if date_to is not None:
        analytics.check_day(date_to, "date_to")
    if date_from is not None and date_to is not None and date_to < date_from:
        raise BadRequest("date_to is before date_from")
    if account_id is not None:
        await _visible_account(gw, account_id, scope)
    if host_id is not None and not principal.is_host:
        await _visible_host(gw, host_id, scope)
    after = decode_session_cursor(cursor, sort) if cursor else None
    rows = await gw.repo.sessions(
        scope,
        sort=sort,
        account_id=account_id,
        on_air=on_air,
        day_from=date_from,
        day_to=date_to,
        host_id=host,
        limit=limit + 1,
        after=after,
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        column = SESSION_SORTS[sort].column
        next_cursor = session_cursor(sort, last[column], last["account_id"], last["session_id"])
    return SessionPage(items=[SessionSummary(*r) for r in rows[:limit]], next_cursor=next_cursor)


_METRIC_FIELDS: Final = tuple(SessionMetrics.__struct_fields__)


@get(
    "/sessions/{account_id:str}/{session_id:int}",
    summary="One session: newest metrics, per-minute timeline, products and hosts",
    tags=["sessions"],
    responses=_READS,
)
async def get_session(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    account_id: IdPath,
    session_id: SessionIdPath,
) -> SessionDetail:
    row = await gw.repo.session_detail(
        account_id, session_id, principal.studio_scope, principal.host_id if principal.is_host else None
    )
    if row is None:
        raise NotFound(f"session {account_id}/{session_id} not found")
    return SessionDetail(
        account_id=row["account_id"],
        session_id=row["session_id"],
        studio_id=row["studio_id"],
        title=row["title"],
        on_air=row["on_air"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        duration_ms=row["duration_ms"],
        local_day=row["local_day"],
        timezone=row["timezone"],
        currency=row["currency"],
        observed_at=row["observed_at"],
        metrics=SessionMetrics(**{name: row[name] for name in _METRIC_FIELDS}),
        derived=analytics.session_derived(row),
        timeline=[TimelinePoint(*r) for r in row["timeline"]],
        products=[SessionProduct(*r) for r in row["products"]],
        hosts=[SessionHost(*r) for r in row["hosts"]],
    )


# --- analytics ----------------------------------------------------------------------------------------------
_EMPTY_ROLLUP: Final = {
    k: None
    for k in (
        "sessions",
        "streaming_ms",
        "viewers",
        "peak_viewers",
        "placed_orders",
        "confirmed_orders",
        "placed_sales",
        "confirmed_sales",
        "ad_spend",
    )
}


@get(
    "/analytics/daily",
    summary="Daily figures of an account, a studio or every studio in scope",
    tags=["analytics"],
    responses=_READS,
)
async def daily_series(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
) -> DailySeries:
    _not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    if account_id is not None:
        await _visible_account(gw, account_id, scope)
        rows = await gw.repo.daily_account(account_id, scope, date_from, date_to)
    else:
        await _single_currency(gw, scope)
        rows = await gw.repo.daily_studios(scope, date_from, date_to)
    return DailySeries(
        studio_id=studio_id,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        days=[DailyPoint(day=r["day"], figures=analytics.figures(r)) for r in rows],
    )


@get(
    "/analytics/summary",
    summary="Totals over a range compared with the previous range of the same length",
    description="`changes` holds, per figure, `diff` = current - previous and `ratio` = current / previous.",
    tags=["analytics"],
    responses=_READS,
)
async def summary(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
) -> Summary:
    _not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    prev_from, prev_to = analytics.previous_range(date_from, date_to)
    if account_id is not None:
        await _visible_account(gw, account_id, scope)
        rows = await gw.repo.summary_account(account_id, scope, prev_from, date_from, date_to)
    else:
        await _single_currency(gw, scope)
        rows = await gw.repo.summary_studios(scope, prev_from, date_from, date_to)
    by_period = {r["is_current"]: r for r in rows}
    current = analytics.figures(by_period.get(True, _EMPTY_ROLLUP))
    previous = analytics.figures(by_period.get(False, _EMPTY_ROLLUP))
    return Summary(
        studio_id=studio_id,
        account_id=account_id,
        current=RangeFigures(date_from=date_from, date_to=date_to, figures=current),
        previous=RangeFigures(date_from=prev_from, date_to=prev_to, figures=previous),
        changes=analytics.compare(current, previous),
    )


@get("/analytics/top-products", summary="Best-selling products over a range", tags=["analytics"], responses=_READS)
async def top_products(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    by: Annotated[
        Literal["confirmed_sales", "placed_sales", "confirmed_items_sold", "placed_items_sold", "product_clicks"],
        QueryParameter(description="ranking figure"),
    ] = "confirmed_sales",
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> ProductRanking:
    _not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    if account_id is not None:
        await _visible_account(gw, account_id, scope)
    else:
        await _single_currency(gw, scope)
    rows = await gw.repo.top_products(scope, account_id, date_from, date_to, by, limit)
    return ProductRanking(
        date_from=date_from,
        date_to=date_to,
        items=[ProductRank(rank=i, **r) for i, r in enumerate(rows, start=1)],
    )


@get(
    "/analytics/accounts",
    summary="Per-account figures over a range (GMV per streaming hour, ROAS, ACOS)",
    tags=["analytics"],
    responses=_READS,
)
async def account_breakdown(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> AccountBreakdown:
    _not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    rows = await gw.repo.account_breakdown(scope, date_from, date_to, limit)
    return AccountBreakdown(
        date_from=date_from,
        date_to=date_to,
        items=[
            AccountFigures(
                account_id=r["account_id"],
                studio_id=r["studio_id"],
                display_name=r["display_name"],
                figures=analytics.figures(r),
            )
            for r in rows
        ],
    )


# --- host performance ---------------------------------------------------------------------------------------
@get(
    "/hosts/performance",
    summary="Per-host figures over a range (attributed sales, on-air time, GMV per hour)",
    description="`host_id` null collects what no host was scheduled for (unassigned).",
    tags=["hosts"],
    responses=_READS,
)
async def host_performance(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    host_id: HostQ = None,
) -> HostPerformanceList:
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    host = host_filter(principal, host_id)
    if host_id is not None and not principal.is_host:
        await _visible_host(gw, host_id, scope)
    rows = await gw.repo.host_performance(scope, date_from, date_to, host)
    return HostPerformanceList(
        date_from=date_from,
        date_to=date_to,
        items=[
            HostPerformance(
                host_id=r["host_id"], name=r["name"], studio_id=r["studio_id"], figures=analytics.host_figures(r)
            )
            for r in rows
        ],
    )


@get("/hosts/leaderboard", summary="Hosts ranked over a range", tags=["hosts"], responses=_READS)
async def leaderboard(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    by: Annotated[
        Literal["confirmed_sales", "placed_sales", "confirmed_orders", "placed_orders", "gmv_per_hour", "on_air_ms"],
        QueryParameter(description="ranking figure"),
    ] = "confirmed_sales",
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 10,
) -> Leaderboard:
    _not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    await _single_currency(gw, scope)
    rows = await gw.repo.leaderboard(scope, date_from, date_to, by, limit)
    return Leaderboard(
        date_from=date_from,
        date_to=date_to,
        by=by,
        items=[
            LeaderboardEntry(
                rank=i,
                host_id=r["host_id"],
                name=r["name"],
                studio_id=r["studio_id"],
                figures=analytics.host_figures(r),
            )
            for i, r in enumerate(rows, start=1)
        ],
    )


_EMPTY_HOST: Final = {
    "sessions": 0,
    "on_air_ms": None,
    "placed_orders": None,
    "placed_sales": None,
    "confirmed_orders": None,
    "confirmed_sales": None,
}


@get(
    "/hosts/{host_id:str}/performance",
    summary="One host's figures over a range, per local day",
    tags=["hosts"],
    responses=_READS,
)
async def host_performance_detail(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    host_id: IdPath,
    date_from: FromQ,
    date_to: ToQ,
) -> HostPerformanceDetail:
    analytics.check_range(date_from, date_to)
    if principal.is_host and host_id != principal.host_id:
        raise NotFound(f"host {host_id!r} not found")
    host = await _visible_host(gw, host_id, principal.studio_scope)
    totals = await gw.repo.host_performance([host["studio_id"]], date_from, date_to, host_id)
    days = await gw.repo.host_days(host_id, date_from, date_to)
    return HostPerformanceDetail(
        host_id=host_id,
        name=host["name"],
        studio_id=host["studio_id"],
        date_from=date_from,
        date_to=date_to,
        figures=analytics.host_figures(totals[0] if totals else _EMPTY_HOST),
        days=[HostDay(day=r["day"], figures=analytics.host_figures(r)) for r in days],
    )


# --- commission ---------------------------------------------------------------------------------------------
def _statement(row: Any) -> Statement:
    return Statement(*row)


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
        await _visible_host(gw, host_id, scope)
    return scope, host


@get("/commission/statements", summary="Pay statements", tags=["commission"], responses=_READS)
async def list_statements(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: StudioQ = None,
    host_id: HostQ = None,
    status: StatementStatusQ = None,
    period_from: Annotated[date | None, QueryParameter(description="periods ending on/after this day")] = None,
    period_to: Annotated[date | None, QueryParameter(description="periods starting on/before this day")] = None,
    cursor: CursorQ = None,
    limit: PageLimitQ = 50,
) -> StatementPage:
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
    responses=_READS,
)
async def export_statements(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: StudioQ = None,
    host_id: HostQ = None,
    status: StatementStatusQ = None,
    period_from: Annotated[date | None, QueryParameter(description="periods ending on/after this day")] = None,
    period_to: Annotated[date | None, QueryParameter(description="periods starting on/before this day")] = None,
) -> Response[str]:
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
    tags=["commission"],
    responses=_READS,
)
async def get_statement(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], statement_id: IdPath
) -> StatementDetail:
    row = await _visible_statement(gw, principal, statement_id)
    lines = await gw.repo.statement_lines(statement_id)
    return StatementDetail(statement=_statement(row), lines=[StatementLine(*r) for r in lines])


@get(
    "/commission/statements/{statement_id:str}/lines.csv",
    summary="A statement's lines as CSV",
    tags=["commission"],
    media_type="text/csv",
    responses=_READS,
)
async def export_statement_lines(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], statement_id: IdPath
) -> Response[str]:
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
    responses=_WRITES,
)
async def approve_statement(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], statement_id: IdPath
) -> Response[CommandAccepted]:
    await _statement_action(gw, principal, statement_id, "approve")
    return await _submit(gw, principal, StatementApprove(statement_id=statement_id))


@post(
    "/commission/statements/{statement_id:str}/pay",
    summary="Mark a statement paid (command)",
    tags=["commission", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def pay_statement(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], statement_id: IdPath
) -> Response[CommandAccepted]:
    await _statement_action(gw, principal, statement_id, "pay")
    return await _submit(gw, principal, StatementPay(statement_id=statement_id))


@post(
    "/commission/statements/{statement_id:str}/void",
    summary="Void a statement (command)",
    tags=["commission", "commands"],
    status_code=202,
    responses=_WRITES,
)
async def void_statement(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    statement_id: IdPath,
    data: JSONBody[VoidBody | None] = None,
) -> Response[CommandAccepted]:
    await _statement_action(gw, principal, statement_id, "void")
    reason = data.reason if data is not None else None
    return await _submit(gw, principal, StatementVoid(statement_id=statement_id, reason=reason))


# --- commands -----------------------------------------------------------------------------------------------
@get(
    "/commands/{command_id:str}",
    summary="Outcome of a command",
    description="`pending` until the owning service has applied or rejected it.",
    tags=["commands"],
    responses=_READS,
)
async def command_status(
    principal: NamedDependency[Principal], gw: NamedDependency[Gateway], command_id: IdPath
) -> CommandStatus:
    found = await gw.repo.command_result(command_id)
    if found is None:
        return CommandStatus(
            command_id=command_id, status="pending", kind=None, owner=None, error=None, applied_at=None
        )
    owner, row = found
    status: Literal["applied", "rejected"] = "applied" if row["status"] == "applied" else "rejected"
    return CommandStatus(
        command_id=command_id,
        status=status,
        kind=row["kind"],
        owner=owner,
        error=row["error"],
        applied_at=row["applied_at"],
    )


# --- live -----------------------------------------------------------------------------------------------------
@get(
    "/live",
    summary="Server-Sent Events: on-air session changes in the caller's scope",
    description=(
        'First an `event: snapshot` with the sessions on air now (`{"sessions": [...]}`), then one '
        "`event: session` per change (LiveSession JSON), and `: keep-alive` comments. EventSource clients may "
        "pass the token as `?access_token=`."
    ),
    tags=["live"],
    media_type="text/event-stream",
    responses=_READS,
)
async def live_sessions(
    principal: NamedDependency[Principal],
    gw: NamedDependency[Gateway],
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    access_token: Annotated[
        str | None, QueryParameter(max_length=4096, description="the bearer token, for EventSource")
    ] = None,
) -> Stream:
    _not_host(principal)
    scope = studio_filter(principal, studio_id)
    if account_id is not None:
        await _visible_account(gw, account_id, scope)
    sub = gw.hub.subscribe(scope, account_id)
    try:
        rows = await gw.repo.on_air_sessions(scope)
    except BaseException:
        gw.hub.unsubscribe(sub)
        raise
    current = [
        LiveSession(kind="current", **{k: r[k] for k in _LIVE_FIELDS})
        for r in rows
        if account_id is None or r["account_id"] == account_id
    ]
    initial = live.sse_frame("snapshot", live.encode({"sessions": current}))
    return Stream(
        live.stream(sub, gw.hub, initial, gw.settings.sse_keepalive_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


_LIVE_FIELDS: Final = tuple(f for f in LiveSession.__struct_fields__ if f != "kind")


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def _declared_query(handler: Any) -> frozenset[str]:
    names = _QUERY_NAMES.get(id(handler))
    if names is None:
        declared = set()
        for name, field in handler.parsed_fn_signature.parameters.items():
            kwarg = field.kwarg_definition
            if isinstance(kwarg, QueryParameter):
                declared.add(kwarg.name or name)
        names = _QUERY_NAMES[id(handler)] = frozenset(declared)
    return names


async def reject_unknown_query(request: Request[Any, Any, State]) -> None:
    """A misspelt filter must not silently widen a query: unknown query parameters are a 400."""
    unknown = set(request.query_params) - _declared_query(request.route_handler)
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(sorted(unknown))}", slug="unknown-parameter")


def api_router() -> Router:
    return Router(
        path=API_PREFIX,
        before_request=reject_unknown_query,
        route_handlers=[
            me,
            list_studios,
            get_studio,
            upsert_studio,
            list_accounts,
            get_account,
            connect_account,
            start_qr_login,
            get_qr_login,
            update_account,
            pause_account,
            resume_account,
            remove_account,
            enter_ad_spend,
            list_hosts,
            host_performance,
            leaderboard,
            get_host,
            host_performance_detail,
            upsert_host,
            check_in,
            check_out,
            upsert_shift,
            upsert_schedule_entry,
            remove_schedule_entry,
            upsert_rule,
            list_sessions,
            get_session,
            daily_series,
            summary,
            top_products,
            account_breakdown,
            list_statements,
            export_statements,
            get_statement,
            export_statement_lines,
            approve_statement,
            pay_statement,
            void_statement,
            command_status,
            live_sessions,
        ],
        dependencies=DEPENDENCIES,
    )
