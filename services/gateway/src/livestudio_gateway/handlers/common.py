"""What every route module shares: parameter types, the caller of a request, scope checks and command submission."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Literal

from litestar import Request, Response
from litestar.datastructures import State
from litestar.params import PathParameter, QueryParameter

from livestudio_gateway import commands
from livestudio_gateway.auth import ID_PATTERN, Principal, host_filter, require_writer, studio_filter
from livestudio_gateway.models import CommandAccepted
from livestudio_gateway.problems import READ_ERRORS, WRITE_ERRORS, BadRequest, Forbidden, NotFound, problem_responses
from livestudio_gateway.repository import Scope
from livestudio_gateway.state import Gateway
from livestudio_runtime import ownership
from livestudio_schemas.commands import AnyCommand, CallerScope

API_PREFIX: Final = "/api/v1"
READS = problem_responses(READ_ERRORS)
WRITES = problem_responses(WRITE_ERRORS)
BIGINT_MAX = 2**63 - 1

# --- parameter types --------------------------------------------------------------------------------------
IdPath = Annotated[str, PathParameter(pattern=ID_PATTERN, max_length=128)]
SessionIdPath = Annotated[int, PathParameter(ge=1, le=BIGINT_MAX, description="Shopee session id")]
DayPath = Annotated[date, PathParameter(description="local day (studio timezone)")]
StudioQ = Annotated[str | None, QueryParameter(pattern=ID_PATTERN, max_length=128, description="only this studio")]
AccountQ = Annotated[str | None, QueryParameter(pattern=ID_PATTERN, max_length=128, description="only this account")]
HostQ = Annotated[str | None, QueryParameter(pattern=ID_PATTERN, max_length=128, description="only this host")]
FromQ = Annotated[date, QueryParameter(description="first local day (inclusive)")]
ToQ = Annotated[date, QueryParameter(description="last local day (inclusive)")]
OptFromQ = Annotated[date | None, QueryParameter(description="first local day (inclusive)")]
OptToQ = Annotated[date | None, QueryParameter(description="last local day (inclusive)")]
CursorQ = Annotated[
    str | None, QueryParameter(max_length=1024, pattern=r"^[A-Za-z0-9_-]+\Z", description="next_cursor of a page")
]
PageLimitQ = Annotated[int, QueryParameter(ge=1, le=200, description="page size")]
StatementStatusQ = Annotated[
    Literal["calculated", "approved", "paid", "void"] | None, QueryParameter(description="only this status")
]


# --- who is calling, and with what ----------------------------------------------------------------------------
ApiRequest = Request[Principal, Any, State]
"""A request to `/api/v1`: `request.user` is the caller's `Principal`, set by `caller.CallerMiddleware`.

Handlers take the request and unpack what they need with `caller()` / `gateway()` instead of declaring them as
Litestar dependencies: resolving them was the largest single item of the gateway's own overhead
(`bench/gateway_overhead.py`; figures in the gateway's README)."""


def gateway(request: ApiRequest) -> Gateway:
    """The running gateway's resources (pool, publisher, verifier), held in the app's state."""
    gw: Gateway = request.app.state.gateway
    return gw


def caller(request: ApiRequest) -> tuple[Principal, Gateway]:
    """The caller and the gateway's resources."""
    return request.user, gateway(request)


def token_expiry(request: ApiRequest) -> float | None:
    """When the caller's token expires (epoch seconds), as `caller.CallerMiddleware` recorded it."""
    value = request.scope.get("auth")
    return value if isinstance(value, float) else None


# --- helpers ----------------------------------------------------------------------------------------------
def now() -> datetime:
    return datetime.now(UTC)


def not_host(principal: Principal) -> None:
    if principal.is_host:
        raise Forbidden("hosts see only their own sessions, statements and performance")


async def visible_account(gw: Gateway, account_id: str, scope: Scope) -> Any:
    row = await gw.repo.account(account_id, scope)
    if row is None:
        raise NotFound(f"account {account_id!r} not found")
    return row


async def visible_host(gw: Gateway, host_id: str, scope: Scope) -> Any:
    rows = await gw.repo.hosts(scope, host_id=host_id)
    if not rows:
        raise NotFound(f"host {host_id!r} not found")
    return rows[0]


async def roster_scope(
    gw: Gateway, principal: Principal, studio_id: str | None, host_id: str | None, account_id: str | None
) -> tuple[Scope, str | None]:
    """The scope and host of a roster read (schedule, check-ins, attendance); a named host or account outside the
    scope is a 404."""
    scope = studio_filter(principal, studio_id)
    host = host_filter(principal, host_id)
    if host_id is not None and not principal.is_host:
        await visible_host(gw, host_id, scope)
    if account_id is not None:
        await visible_account(gw, account_id, scope)
    return scope, host


async def single_currency(gw: Gateway, scope: Scope) -> None:
    """Sums across studios are only meaningful in one currency."""
    if scope is not None and len(scope) <= 1:
        return
    currencies = await gw.repo.studio_currencies(scope)
    if len(currencies) > 1:
        raise BadRequest(
            f"the studios in scope use different currencies ({', '.join(sorted(currencies))}); pass studio_id"
        )


async def authorize(gw: Gateway, principal: Principal, command: AnyCommand, acting_in: str | None) -> CallerScope:
    """The one ownership check of every write (`livestudio_runtime.ownership`, the rule the consumers apply too):
    the caller may act in the command's studio, and every entity the command names is in that studio. An entity
    in another studio is refused exactly like a missing one (404, same problem), so no answer tells them apart."""
    refs = ownership.references(command)
    found = await gw.repo.entity_studios([(r.entity, r.id) for r in refs])
    studio = acting_in if acting_in is not None else ownership.own_studio(command)
    if studio is None:  # the command names no studio: it acts where its target is, if the caller may see that
        target = refs[0]
        owner = found.get((target.entity, target.id))
        if owner is None or not principal.sees_studio(owner):
            raise NotFound(str(ownership.NotFound(target.entity, target.id, None)))
        studio = owner
    if principal.is_host:
        if not principal.sees_studio(studio):
            raise Forbidden(f"studio {studio!r} is outside your scope")
    else:
        require_writer(principal, None if studio == ownership.GLOBAL else studio)
    scope = CallerScope(
        studio_id=None if studio == ownership.GLOBAL else studio, role=principal.role, host_id=principal.host_id
    )
    try:
        ownership.check(command, scope, found, strict=True)
    except ownership.NotFound as exc:
        raise NotFound(str(exc)) from None
    except ownership.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    return scope


async def submit(
    gw: Gateway, principal: Principal, command: AnyCommand, *, acting_in: str | None = None, **extra: str
) -> Response[CommandAccepted]:
    """Check ownership (`authorize`), then publish the command with the caller's scope; 202 with its status URL.
    The command id is bound to the issuer and to the studio the command acts in, who may then read its outcome."""
    scope = await authorize(gw, principal, command, acting_in)
    command_id = gw.command_ids.new(studio_id=scope.studio_id, issuer=principal.sub)
    event = commands.envelope(command, actor=principal.sub, command_id=command_id, now=now(), scope=scope)
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
