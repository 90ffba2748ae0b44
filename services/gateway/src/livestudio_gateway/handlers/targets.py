"""Routes of monthly GMV targets (issue #20): the targets of a month with progress and pace, and the commands
that set and remove one (applied by the commission, which owns targets).

Reads are `Repository.targets`: `commission.targets` joined to the rollups that hold the progress:
`analytics.daily_studio` (studio), `analytics.daily_account` (account) and `commission.host_days` (host: the
confirmed GMV attributed to the host, unassigned sales excluded), summed over the month's local days. Progress,
percent, expected-by-now, pace and projection follow one rule, `livestudio_runtime.targets` (the alerts
service's `gmv_pace` rule uses the same). A host reads only their own host targets (like their own performance and
statements; no studio or account figure); writes are for owners and managers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar import Response, delete, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from livestudio_gateway import commands
from livestudio_gateway.auth import host_filter, require_writer, studio_filter
from livestudio_gateway.handlers.common import READS, WRITES, ApiRequest, IdPath, StudioQ, caller, now, submit
from livestudio_gateway.models import CommandAccepted, Target, TargetBody, TargetList
from livestudio_gateway.problems import BadRequest, NotFound
from livestudio_runtime.targets import (
    MONTH_PATTERN,
    TargetError,
    check_amount,
    format_month,
    month_clock,
    parse_month,
    progress,
)
from livestudio_schemas.commands import TargetRemove, TargetSet

DEFAULT_TIMEZONE = "Asia/Jakarta"
DEFAULT_CURRENCY = "IDR"
MonthQ = Annotated[str, QueryParameter(pattern=MONTH_PATTERN, description="YYYY-MM (each studio's calendar)")]
MonthPath = Annotated[str, PathParameter(pattern=MONTH_PATTERN, description="YYYY-MM")]
ScopePath = Annotated[Literal["studio", "account", "host"], PathParameter(description="what the target is of")]


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except TargetError as exc:
        raise BadRequest(str(exc)) from None


def target_of(row: Any, at: datetime) -> Target:
    """A stored target with its progress and pace at `at` (the studio's calendar)."""
    clock = month_clock(row["month"], at, row["timezone"] or DEFAULT_TIMEZONE)
    p = progress(row["amount"], row["confirmed"], clock)
    return Target(
        studio_id=row["studio_id"],
        month=format_month(row["month"]),
        scope=row["scope"],
        scope_id=row["scope_id"],
        name=row["name"],
        currency=row["currency"] or DEFAULT_CURRENCY,
        amount=p.target,
        progress=p.progress,
        percent=p.percent,
        expected=p.expected,
        pace=p.pace,
        projection=p.projection,
        elapsed_days=clock.elapsed_days.quantize(Decimal("0.0001")),
        days_in_month=clock.days,
        set_at=row["set_at"],
        set_by=row["set_by"],
    )


@get(
    "/targets",
    summary="Monthly GMV targets with progress, pace and projection",
    description="A host sees only their own host targets. "
    "Progress is the confirmed GMV of the month so far (null when no figure exists yet); expected is "
    "linear in the elapsed local days of the month (today's part included); pace = progress / expected; the "
    "projection extrapolates the month so far to its end.",
    tags=["targets"],
    responses=READS,
)
async def list_targets(request: ApiRequest, month: MonthQ, studio_id: StudioQ = None) -> TargetList:
    principal, gw = caller(request)
    scope = studio_filter(principal, studio_id)
    at = now()
    rows = await gw.repo.targets(scope, _month(month), host_filter(principal, None))
    return TargetList(month=month, as_of=at, items=[target_of(r, at) for r in rows])


@post(
    "/studios/{studio_id:str}/targets",
    summary="Set a monthly GMV target of the studio, an account or a host (command)",
    description="Replaces the target of the same month and scope. The amount is in the studio's currency.",
    tags=["targets", "commands"],
    status_code=202,
    responses=WRITES,
)
async def set_target(request: ApiRequest, studio_id: IdPath, data: JSONBody[TargetBody]) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    _month(data.month)
    if data.scope == "studio":
        if data.scope_id not in (None, studio_id):
            raise BadRequest("a studio target names no scope_id (or the studio's own id)")
        scope_id = studio_id
    elif data.scope_id is None:
        raise BadRequest(f"a target of scope {data.scope!r} needs scope_id")
    else:
        scope_id = data.scope_id
    try:
        amount = check_amount(commands.money(data.amount, "amount"))
    except TargetError as exc:
        raise BadRequest(str(exc)) from None
    command = commands.make(
        TargetSet, studio_id=studio_id, month=data.month, scope=data.scope, scope_id=scope_id, amount=amount
    )
    return await submit(gw, principal, command)


@delete(
    "/studios/{studio_id:str}/targets/{month:str}/{target_scope:str}/{scope_id:str}",
    summary="Remove a monthly GMV target (command)",
    description="`target_scope` is studio, account or host; for the studio's own target `scope_id` is the studio's id.",
    tags=["targets", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_target(
    request: ApiRequest, studio_id: IdPath, month: MonthPath, target_scope: ScopePath, scope_id: IdPath
) -> Response[CommandAccepted]:
    scope = target_scope
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = commands.make(TargetRemove, studio_id=studio_id, month=month, scope=scope, scope_id=scope_id)
    # a target is keyed by its studio: one naming another studio's host or account never exists, and answers
    # like any missing target
    if not await gw.repo.target_exists(studio_id, _month(month), scope, scope_id):
        raise NotFound(f"no target for {scope} {scope_id!r} in {month} in studio {studio_id!r}")
    return await submit(gw, principal, command)


ROUTES = [list_targets, set_target, remove_target]
