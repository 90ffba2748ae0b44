"""Routes of hosts, shifts, the schedule, check-in/out and pay rules (reads and commands)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from litestar import Response, delete, get, post, put
from litestar.params import JSONBody, QueryParameter

from livestudio_gateway import commands
from livestudio_gateway.auth import Principal, require_writer, studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    WRITES,
    ApiRequest,
    IdPath,
    StudioQ,
    authorize,
    caller,
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
from livestudio_gateway.problems import Conflict, Forbidden, NotFound
from livestudio_gateway.state import Gateway
from livestudio_runtime.ownership import ROSTER_EARLY, ROSTER_LATE
from livestudio_schemas.commands import (
    AnyCommand,
    HostCheckIn,
    HostCheckOut,
    HostRemove,
    HostUpsert,
    PayRuleRemove,
    ScheduleEntryRemove,
    ShiftTemplateRemove,
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
        correction_from = None
    else:
        require_writer(principal, studio_id)
        studios = await gw.repo.studios(None, studio_id)
        timezone, period = (studios[0]["timezone"], studios[0]["pay_period"]) if studios else ("UTC", "monthly")
        correction_from = commands.open_period_start(now(), timezone, period)
    # host and account must exist in the studio (the ownership check lets entities not known yet through)
    if await gw.repo.host_studio(host_id) != studio_id:
        raise NotFound(f"host {host_id!r} not found in studio {studio_id!r}")
    if await gw.repo.account_studio(data.account_id) != studio_id:
        raise NotFound(f"account {data.account_id!r} not found in studio {studio_id!r}")
    at = commands.check_in_time(data.at, now(), correction_from=correction_from, reason=data.reason)
    if principal.is_host:  # the commission checks it again; this answers at once (the read model may lag)
        after_end = ROSTER_LATE if not check_in else timedelta(0)
        if not await gw.repo.host_rostered(host_id, data.account_id, at - after_end, at + ROSTER_EARLY):
            raise Forbidden(f"you are not scheduled on account {data.account_id!r} now")
    fields = {"host_id": host_id, "account_id": data.account_id, "at": at, "reason": data.reason}
    command: AnyCommand = commands.make(HostCheckIn, **fields) if check_in else commands.make(HostCheckOut, **fields)
    return await submit(gw, principal, command, acting_in=studio_id)


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
    return await submit(gw, principal, command)


@delete(
    "/studios/{studio_id:str}/schedule/{entry_id:str}",
    summary="Remove a schedule entry (command)",
    description="The command carries the caller's scope: the entry must belong to the studio in the path.",
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
    require_writer(principal, studio_id)
    return await submit(gw, principal, ScheduleEntryRemove(entry_id=entry_id), acting_in=studio_id)


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
    return await submit(gw, principal, command)


# --- removals -------------------------------------------------------------------------------------------------
_ADVICE = {
    "host": "set it inactive instead",
    "shift": "remove or move what names it first",
    "rule": "end it with effective_to instead",
    "studio": "remove what was only set up in it first (a studio with accounts or sessions stays)",
}
_NAMES = {"host": "host", "shift": "shift", "rule": "pay rule", "studio": "studio"}


async def refuse_if_in_use(gw: Gateway, entity: str, entity_id: str) -> None:
    """409 when history depends on it (the commission refuses it again when applying, with the same words)."""
    counts = await gw.repo.dependents(entity, entity_id)
    used = [f"{name.replace('_', ' ')}: {n}" for name, n in counts.items() if n > 0]
    if used:
        what = f"{_NAMES[entity]} {entity_id!r}"
        raise Conflict(f"{what} has history ({', '.join(used)}); {_ADVICE[entity]}", slug="in-use")


REMOVAL = (
    "Refused with 409 (`in-use`) while history depends on it; the commission checks again when applying it "
    "(then the command is `rejected` with the same reason)."
)


@delete(
    "/studios/{studio_id:str}/hosts/{host_id:str}",
    summary="Remove a host without history (command)",
    description=f"A host with schedule entries, check-ins, attributed sessions or statements stays. {REMOVAL}",
    tags=["hosts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_host(request: ApiRequest, studio_id: IdPath, host_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = HostRemove(host_id=host_id, studio_id=studio_id)
    await authorize(gw, principal, command, None)  # 404 before anything is said about its history
    await refuse_if_in_use(gw, "host", host_id)
    return await submit(gw, principal, command)


@delete(
    "/studios/{studio_id:str}/shifts/{shift_id:str}",
    summary="Remove a shift template nothing names (command)",
    description=f"A shift that schedule entries or pay rules name stays. {REMOVAL}",
    tags=["roster", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_shift(request: ApiRequest, studio_id: IdPath, shift_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = ShiftTemplateRemove(shift_id=shift_id, studio_id=studio_id)
    await authorize(gw, principal, command, None)
    await refuse_if_in_use(gw, "shift", shift_id)
    return await submit(gw, principal, command)


@delete(
    "/rules/{rule_id:str}",
    summary="Remove every version of a pay rule that paid nothing yet (command)",
    description=f"A rule that paid a statement line stays (end it with `effective_to`). {REMOVAL}",
    tags=["roster", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_rule(request: ApiRequest, rule_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    command = PayRuleRemove(rule_id=rule_id)
    await authorize(gw, principal, command, None)
    await refuse_if_in_use(gw, "rule", rule_id)
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
    remove_host,
    remove_shift,
    remove_rule,
]
