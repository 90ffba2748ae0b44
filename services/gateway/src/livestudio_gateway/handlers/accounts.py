"""Routes of Shopee accounts: list and detail with polling health; connect, QR login, update, pause, ad spend."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Response, delete, get, patch, post, put
from litestar.params import JSONBody, QueryParameter

from livestudio_gateway import analytics, commands
from livestudio_gateway.auth import Principal, require_writer, studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    WRITES,
    ApiRequest,
    CursorQ,
    DayPath,
    IdPath,
    StudioQ,
    caller,
    not_host,
    now,
    submit,
    visible_account,
)
from livestudio_gateway.models import (
    Account,
    AccountBackfill,
    AccountPage,
    AccountPatchBody,
    AdSpendBody,
    CommandAccepted,
    ConnectAccountBody,
    QrLogin,
    QrLoginBody,
)
from livestudio_gateway.pagination import account_cursor, decode_account_cursor
from livestudio_gateway.problems import BadRequest, Forbidden, NotFound
from livestudio_gateway.state import Gateway
from livestudio_runtime.logging import redact_text
from livestudio_schemas.commands import (
    AccountConnect,
    AccountPause,
    AccountRemove,
    AccountResume,
    AccountUpdate,
    AdSpendEnter,
    QrLoginStart,
)


def _account(row: Any, at: datetime, threshold_s: int) -> Account:
    age, fresh = analytics.freshness(row["last_successful_poll_at"], at, threshold_s, row["state"])
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
        backfill=_backfill(row),
    )


def _backfill(row: Any) -> AccountBackfill | None:
    requested = bool(row["backfill_requested"])
    if row["backfill_started_at"] is None and not requested:
        return None
    done, total = row["backfill_windows_done"] or 0, row["backfill_windows_total"] or 0
    finished = row["backfill_next_end_date"] is None
    error = row["backfill_last_error"]
    return AccountBackfill(
        state="queued" if requested else ("done" if finished else "running"),
        days=row["backfill_days"] or 0,
        target_date=row["backfill_target_date"],
        windows_done=done,
        windows_total=total,
        progress=1.0 if finished and not requested else (done / total if total else 0.0),
        sessions_found=row["backfill_sessions_found"] or 0,
        started_at=row["backfill_started_at"],
        finished_at=row["backfill_finished_at"],
        last_error=None if error is None else redact_text(error),
    )


@get("/accounts", summary="Shopee accounts with polling health", tags=["accounts"], responses=READS)
async def list_accounts(
    request: ApiRequest,
    studio_id: StudioQ = None,
    account_state: Annotated[
        str | None, QueryParameter(name="state", pattern=r"^[a-z_]{1,40}\Z", description="only this state")
    ] = None,
    include_removed: Annotated[bool, QueryParameter(description="also list removed accounts")] = False,
    cursor: CursorQ = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> AccountPage:
    principal, gw = caller(request)
    not_host(principal)
    scope = studio_filter(principal, studio_id)
    after = decode_account_cursor(cursor) if cursor else None
    rows = await gw.repo.accounts(
        scope, state=account_state, include_removed=include_removed, after=after, limit=limit + 1
    )
    at = now()
    items = [_account(r, at, gw.settings.freshness_threshold_s) for r in rows[:limit]]
    next_cursor = account_cursor(rows[limit - 1]["account_id"]) if len(rows) > limit else None
    return AccountPage(items=items, next_cursor=next_cursor)


@get("/accounts/{account_id:str}", summary="One account", tags=["accounts"], responses=READS)
async def get_account(request: ApiRequest, account_id: IdPath) -> Account:
    principal, gw = caller(request)
    not_host(principal)
    row = await visible_account(gw, account_id, principal.studio_scope)
    return _account(row, now(), gw.settings.freshness_threshold_s)


@post(
    "/accounts",
    summary="Connect an account by cookie (command)",
    description="The cookie is encrypted before it enters the command; it is never stored or returned here.",
    tags=["accounts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def connect_account(request: ApiRequest, data: JSONBody[ConnectAccountBody]) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, data.studio_id)
    account_id = data.account_id or commands.new_account_id()
    token = commands.encrypt_cookie(gw.cipher, data.cookie)
    command = commands.make(
        AccountConnect,
        account_id=account_id,
        studio_id=data.studio_id,
        display_name=data.display_name,
        region=data.region,
        encrypted_cookie=token,
    )
    return await submit(gw, principal, command, account_id=account_id)


@post(
    "/accounts/qr-login",
    summary="Start a QR login (command)",
    description="Poll `GET /api/v1/accounts/qr-login/{login_id}` for the QR image and the outcome.",
    tags=["accounts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def start_qr_login(request: ApiRequest, data: JSONBody[QrLoginBody]) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, data.studio_id)
    account_id = data.account_id or commands.new_account_id()
    login_id = commands.new_id()
    command = commands.make(
        QrLoginStart,
        login_id=login_id,
        account_id=account_id,
        studio_id=data.studio_id,
        display_name=data.display_name,
        region=data.region,
    )
    return await submit(gw, principal, command, account_id=account_id, login_id=login_id)


@get(
    "/accounts/qr-login/{login_id:str}",
    summary="Progress of a QR login",
    description="404 until the ingest has picked the login up.",
    tags=["accounts"],
    responses=READS,
)
async def get_qr_login(request: ApiRequest, login_id: IdPath) -> QrLogin:
    principal, gw = caller(request)
    if not principal.can_write:
        raise Forbidden("only owners and managers connect accounts")
    row = await gw.repo.qr_login(login_id, principal.studio_scope)
    if row is None:
        raise NotFound(f"QR login {login_id!r} not found")
    return QrLogin(**row)


async def writable_account(gw: Gateway, principal: Principal, account_id: str) -> str:
    """The account's studio, after checking that the caller may change it."""
    if not principal.can_write:
        raise Forbidden(f"role {principal.role!r} is read-only here")
    row = await visible_account(gw, account_id, principal.studio_scope)
    studio_id: str = row["studio_id"]
    require_writer(principal, studio_id)
    return studio_id


@patch(
    "/accounts/{account_id:str}",
    summary="Rename an account or give it a new cookie (command)",
    tags=["accounts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def update_account(
    request: ApiRequest,
    account_id: IdPath,
    data: JSONBody[AccountPatchBody],
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    if data.display_name is None and data.cookie is None:
        raise BadRequest("give display_name and/or cookie")
    studio_id = await writable_account(gw, principal, account_id)
    token = None if data.cookie is None else commands.encrypt_cookie(gw.cipher, data.cookie)
    command = commands.make(
        AccountUpdate, account_id=account_id, display_name=data.display_name, encrypted_cookie=token
    )
    return await submit(gw, principal, command, acting_in=studio_id, account_id=account_id)


@post(
    "/accounts/{account_id:str}/pause",
    summary="Stop polling an account (command)",
    tags=["accounts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def pause_account(request: ApiRequest, account_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    studio_id = await writable_account(gw, principal, account_id)
    return await submit(gw, principal, AccountPause(account_id=account_id), acting_in=studio_id, account_id=account_id)


@post(
    "/accounts/{account_id:str}/resume",
    summary="Resume polling an account (command)",
    tags=["accounts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def resume_account(request: ApiRequest, account_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    studio_id = await writable_account(gw, principal, account_id)
    return await submit(gw, principal, AccountResume(account_id=account_id), acting_in=studio_id, account_id=account_id)


@delete(
    "/accounts/{account_id:str}",
    summary="Remove an account and its credentials (command)",
    tags=["accounts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_account(request: ApiRequest, account_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    studio_id = await writable_account(gw, principal, account_id)
    return await submit(gw, principal, AccountRemove(account_id=account_id), acting_in=studio_id, account_id=account_id)


@put(
    "/accounts/{account_id:str}/ad-spend/{day:date}",
    summary="Enter the ad spend of an account for a local day (command; replaces the day's value)",
    tags=["analytics", "commands"],
    status_code=202,
    responses=WRITES,
)
async def enter_ad_spend(
    request: ApiRequest,
    account_id: IdPath,
    day: DayPath,
    data: JSONBody[AdSpendBody],
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    commands.check_not_future(day, now().date(), "day")
    studio_id = await writable_account(gw, principal, account_id)
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
    return await submit(gw, principal, command, account_id=account_id)


ROUTES = [
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
]
