"""Routes of the hours of the day: figures per hour, per weekday and hour, and per shift (issue #20)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import get
from litestar.params import QueryParameter

from livestudio_gateway import analytics
from livestudio_gateway.auth import host_filter, studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    AccountQ,
    ApiRequest,
    FromQ,
    HostQ,
    StudioQ,
    ToQ,
    caller,
    visible_account,
    visible_host,
)
from livestudio_gateway.handlers.insights import figures_scope
from livestudio_gateway.models import HourBucket, HoursReport

HourGroupQ = Annotated[
    Literal["hour", "weekday_hour", "shift"],
    QueryParameter(description="buckets: hour of the day, ISO weekday x hour, or the studio's shifts"),
]


@get(
    "/analytics/hours",
    summary="Figures per hour of the day, per weekday and hour, or per shift, over a range",
    description="From the hourly rollups (studio-local hours). `group=hour`: 24 buckets at most; "
    "`weekday_hour`: ISO weekday (1 = Monday) x hour, for planning the roster; `shift`: the scoreboard of the "
    "studios' shifts (an hour counts for every shift whose local times hold its start).\n\n"
    "With `host_id`: that host's hours, from commission's per-hour host rollup. Orders and GMV are exactly what "
    "attribution gave the host (the sums over hours equal the host's attributed figures); `hours` counts the "
    "account-hours the host has figures in, `session_hours` the host's sessions summed over them. Viewers are "
    "apportioned: per account-hour, the account's viewers times the host's share of that account-hour's on-air "
    "time (the host's on-air time over all hosts' and the unassigned time), rounded half to even; null when the "
    "account-hour has no viewers figure (unknown is never 0). `peak_viewers` is the highest peak of the "
    "account-hours the host was on air. A host may read only their own id (403 otherwise); a host of a studio "
    "outside the caller's scope is a 404.",
    tags=["analytics"],
    responses=READS,
)
async def hours(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    host_id: HostQ = None,
    group: HourGroupQ = "hour",
) -> HoursReport:
    principal, gw = caller(request)
    if host_id is None:
        scope = await figures_scope(principal, gw, date_from, date_to, studio_id, account_id)
        rows = await gw.repo.hours(scope, account_id, date_from, date_to, group)
    else:
        analytics.check_range(date_from, date_to)
        scope = studio_filter(principal, studio_id)
        host_filter(principal, host_id)  # a host reads only themselves
        if not principal.is_host:
            await visible_host(gw, host_id, scope)
        if account_id is not None:
            await visible_account(gw, account_id, scope)
        rows = await gw.repo.host_hours(scope, host_id, account_id, date_from, date_to, group)
    return HoursReport(
        studio_id=studio_id,
        account_id=account_id,
        host_id=host_id,
        date_from=date_from,
        date_to=date_to,
        group=group,
        buckets=[
            HourBucket(
                weekday=r["weekday"],
                hour=r["hour"],
                shift_id=r["shift_id"],
                shift_name=r["shift_name"],
                figures=analytics.hour_figures(r),
            )
            for r in rows
        ],
    )


ROUTES = [hours]
