"""Routes of the hours of the day: figures per hour, per weekday and hour, and per shift (issue #20)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import get
from litestar.params import QueryParameter

from livestudio_gateway import analytics
from livestudio_gateway.handlers.common import READS, AccountQ, ApiRequest, FromQ, StudioQ, ToQ, caller
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
    "studios' shifts (an hour counts for every shift whose local times hold its start).",
    tags=["analytics"],
    responses=READS,
)
async def hours(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    group: HourGroupQ = "hour",
) -> HoursReport:
    principal, gw = caller(request)
    scope = await figures_scope(principal, gw, date_from, date_to, studio_id, account_id)
    rows = await gw.repo.hours(scope, account_id, date_from, date_to, group)
    return HoursReport(
        studio_id=studio_id,
        account_id=account_id,
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
