"""Routes of the caller's identity, studios and command outcomes."""

from __future__ import annotations

from typing import Literal

from litestar import Response, delete, get, put
from litestar.params import JSONBody

from livestudio_gateway import analytics, commands
from livestudio_gateway.auth import require_writer
from livestudio_gateway.handlers.common import READS, WRITES, ApiRequest, IdPath, authorize, caller, submit
from livestudio_gateway.handlers.roster import REMOVAL, refuse_if_in_use
from livestudio_gateway.models import CommandAccepted, CommandStatus, Me, Studio, StudioBody, StudioList
from livestudio_gateway.problems import Forbidden, NotFound
from livestudio_schemas.commands import StudioRemove, StudioUpsert


# --- me -----------------------------------------------------------------------------------------------------
@get("/me", summary="The caller's identity and scope", tags=["auth"], responses=READS, sync_to_thread=False)
def me(request: ApiRequest) -> Me:
    principal = request.user
    return Me(sub=principal.sub, role=principal.role, studios=principal.studio_scope, host_id=principal.host_id)


# --- studios ------------------------------------------------------------------------------------------------
@get("/studios", summary="Studios in the caller's scope", tags=["studios"], responses=READS)
async def list_studios(request: ApiRequest) -> StudioList:
    principal, gw = caller(request)
    rows = await gw.repo.studios(principal.studio_scope)
    return StudioList(items=[Studio(**r) for r in rows])


@get("/studios/{studio_id:str}", summary="One studio", tags=["studios"], responses=READS)
async def get_studio(request: ApiRequest, studio_id: IdPath) -> Studio:
    principal, gw = caller(request)
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
    responses=WRITES,
)
async def upsert_studio(
    request: ApiRequest, studio_id: IdPath, data: JSONBody[StudioBody]
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
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
        attendance_grace_minutes=data.attendance_grace_minutes,
        attribution_policy=data.attribution_policy,
    )
    return await submit(gw, principal, command)


@delete(
    "/studios/{studio_id:str}",
    summary="Remove a studio nothing depends on (owners only; command)",
    description=(
        "A studio with accounts (in any state, removed ones included), hosts, shifts, schedule entries, pay rules, "
        "check-ins, sessions, statements, targets, ad spend, alert channels or alert rules stays. "
        f"{REMOVAL} Only owners remove studios (a manager's scope is made of studios; 403 for other roles); a "
        "studio outside the caller's scope is a 404. The organisation keeps its claim on the id: no other "
        "organisation can take it, and the same organisation may create it again with `PUT`."
    ),
    tags=["studios", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_studio(request: ApiRequest, studio_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    if principal.role != "owner":
        raise Forbidden("only an owner may remove a studio")
    if not principal.sees_studio(studio_id) or not await gw.repo.studios(None, studio_id):
        raise NotFound(f"studio {studio_id!r} not found")  # before anything is said about its history
    command = StudioRemove(studio_id=studio_id)
    await authorize(gw, principal, command, None)
    await refuse_if_in_use(gw, "studio", studio_id)
    return await submit(gw, principal, command)


# --- commands -----------------------------------------------------------------------------------------------
@get(
    "/commands/{command_id:str}",
    summary="Outcome of a command",
    description=(
        "`pending` until the owning service has applied or rejected it. Visible to the caller who issued it and to "
        "callers whose scope covers the studio it names; otherwise 404, as for an unknown id."
    ),
    tags=["commands"],
    responses=READS,
)
async def command_status(request: ApiRequest, command_id: IdPath) -> CommandStatus:
    principal, gw = caller(request)
    if not gw.command_ids.visible(command_id, principal):
        raise NotFound(f"command {command_id!r} not found")
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


ROUTES = [me, list_studios, get_studio, upsert_studio, remove_studio, command_status]
