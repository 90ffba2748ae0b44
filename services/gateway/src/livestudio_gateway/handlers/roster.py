"""Routes of hosts, shifts, the schedule, check-in/out and pay rules (reads and commands)."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, delete, get, post, put
from litestar.params import JSONBody, QueryParameter

from livestudio_gateway import commands
from livestudio_gateway.auth import Principal, require_role, require_writer, studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    WRITES,
    ApiRequest,
    IdPath,
    StudioQ,
    caller,
    claim,
    now,
    submit,
    visible_host,
)
from livestudio_gateway.models import (
    CheckInBody,
    CommandAccepted,
    Host,
    HostBody,
    HostList,
    RuleBody,
    ScheduleBody,
    ShiftBody,
)
from livestudio_gateway.problems import Forbidden, NotFound
from livestudio_gateway.state import Gateway
from livestudio_schemas.commands import (
    AnyCommand,
    HostCheckIn,
    HostCheckOut,
    HostUpsert,
    ScheduleEntryRemove,
    ShiftTemplateUpsert,
)


@get("/hosts", summary="Hosts of the studios in scope", tags=["hosts"], responses=READS)
async def list_hosts(
    request: ApiRequest,
    studio_id: StudioQ = None,
    active: Annotated[bool | None, QueryParameter(description="only active / inactive hosts")] = None,
) -> HostList:
    principal, gw = caller(request)
    scope = studio_filter(principal, studio_id)
    rows = await gw.repo.hosts(scope, active=active, host_id=principal.host_id if principal.is_host else None)
    return HostList(items=[Host(**r) for r in rows])


@get("/hosts/{host_id:str}", summary="One host", tags=["hosts"], responses=READS)
async def get_host(request: ApiRequest, host_id: IdPath) -> Host:
    principal, gw = caller(request)
    if principal.is_host and host_id != principal.host_id:
        raise NotFound(f"host {host_id!r} not found")
    return Host(**await visible_host(gw, host_id, principal.studio_scope))


@put(
    "/studios/{studio_id:str}/hosts/{host_id:str}",
    summary="Create or update a host (command)",
    tags=["hosts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def upsert_host(
    request: ApiRequest,
    studio_id: IdPath,
    host_id: IdPath,
    data: JSONBody[HostBody],
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    claim(principal, await gw.repo.host_studio(host_id), studio_id, "host")
    command = commands.make(
        HostUpsert, host_id=host_id, studio_id=studio_id, name=data.name, role=data.role, active=data.active
    )
    return await submit(gw, principal, command)


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
    at = data.at or now()
    command: AnyCommand = (
        commands.make(HostCheckIn, host_id=host_id, account_id=data.account_id, at=at)
        if check_in
        else commands.make(HostCheckOut, host_id=host_id, account_id=data.account_id, at=at)
    )
    return await submit(gw, principal, command)


@post(
    "/studios/{studio_id:str}/hosts/{host_id:str}/check-in",
    summary="A host starts streaming on an account (command)",
    tags=["hosts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def check_in(
    request: ApiRequest,
    studio_id: IdPath,
    host_id: IdPath,
    data: JSONBody[CheckInBody],
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    return await _check_in_out(gw, principal, studio_id, host_id, data, check_in=True)


@post(
    "/studios/{studio_id:str}/hosts/{host_id:str}/check-out",
    summary="A host stops streaming on an account (command)",
    tags=["hosts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def check_out(
    request: ApiRequest,
    studio_id: IdPath,
    host_id: IdPath,
    data: JSONBody[CheckInBody],
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    return await _check_in_out(gw, principal, studio_id, host_id, data, check_in=False)


@put(
    "/studios/{studio_id:str}/shifts/{shift_id:str}",
    summary="Create or update a shift template (command)",
    tags=["roster", "commands"],
    status_code=202,
    responses=WRITES,
)
async def upsert_shift(
    request: ApiRequest,
    studio_id: IdPath,
    shift_id: IdPath,
    data: JSONBody[ShiftBody],
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = commands.make(
        ShiftTemplateUpsert, shift_id=shift_id, studio_id=studio_id, name=data.name, start=data.start, end=data.end
    )
    return await submit(gw, principal, command)


@put(
    "/studios/{studio_id:str}/schedule/{entry_id:str}",
    summary="Put a host on an account for a window or a shift (command)",
    tags=["roster", "commands"],
    status_code=202,
    responses=WRITES,
)
async def upsert_schedule_entry(
    request: ApiRequest,
    studio_id: IdPath,
    entry_id: IdPath,
    data: JSONBody[ScheduleBody],
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = commands.build_schedule(entry_id, studio_id, data)
    claim(principal, await gw.repo.account_studio(data.account_id), studio_id, "account")
    claim(principal, await gw.repo.host_studio(data.host_id), studio_id, "host")
    return await submit(gw, principal, command)


@delete(
    "/studios/{studio_id:str}/schedule/{entry_id:str}",
    summary="Remove a schedule entry (command; owners only)",
    description="Owners only: the contract's schedule.remove carries no studio, so a manager's scope cannot be "
    "enforced by the commission service.",
    tags=["roster", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_schedule_entry(
    request: ApiRequest,
    studio_id: IdPath,
    entry_id: IdPath,
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_role(principal, "owner")
    return await submit(gw, principal, ScheduleEntryRemove(entry_id=entry_id))


@put(
    "/rules/{rule_id:str}",
    summary="Create a new version of a pay rule (command)",
    description="Rules without studio_id are global and only owners may change them.",
    tags=["roster", "commands"],
    status_code=202,
    responses=WRITES,
)
async def upsert_rule(request: ApiRequest, rule_id: IdPath, data: JSONBody[RuleBody]) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, data.studio_id)
    command = commands.build_rule(rule_id, data)
    if data.account_id is not None and data.studio_id is not None:
        claim(principal, await gw.repo.account_studio(data.account_id), data.studio_id, "account")
    return await submit(gw, principal, command)


ROUTES = [
    list_hosts,
    get_host,
    upsert_host,
    check_in,
    check_out,
    upsert_shift,
    upsert_schedule_entry,
    remove_schedule_entry,
    upsert_rule,
]
