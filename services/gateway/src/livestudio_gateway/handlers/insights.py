"""Routes of analytics (daily, summary with comparison, top products, accounts) and host performance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final, Literal

from litestar import get
from litestar.params import QueryParameter

from livestudio_gateway import analytics
from livestudio_gateway.auth import Principal, host_filter, studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    AccountQ,
    ApiRequest,
    FromQ,
    HostQ,
    IdPath,
    StudioQ,
    ToQ,
    caller,
    not_host,
    single_currency,
    visible_account,
    visible_host,
)
from livestudio_gateway.models import (
    AccountBreakdown,
    AccountFigures,
    DailyPoint,
    DailySeries,
    HostDay,
    HostPerformance,
    HostPerformanceDetail,
    HostPerformanceList,
    Leaderboard,
    LeaderboardEntry,
    ProductRank,
    ProductRanking,
    RangeFigures,
    Summary,
)
from livestudio_gateway.problems import NotFound
from livestudio_gateway.state import Gateway


# --- analytics ----------------------------------------------------------------------------------------------
async def figures_scope(
    principal: Principal, gw: Gateway, date_from: date, date_to: date, studio_id: str | None, account_id: str | None
) -> list[str] | None:
    """The studios a query of figures reads: not for hosts, a valid range, and either an account the caller sees
    or studios whose sums are in one currency."""
    not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    if account_id is not None:
        await visible_account(gw, account_id, scope)
    else:
        await single_currency(gw, scope)
    return scope


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
    responses=READS,
)
async def daily_series(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
) -> DailySeries:
    principal, gw = caller(request)
    scope = await figures_scope(principal, gw, date_from, date_to, studio_id, account_id)
    if account_id is not None:
        rows = await gw.repo.daily_account(account_id, scope, date_from, date_to)
    else:
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
    responses=READS,
)
async def summary(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
) -> Summary:
    principal, gw = caller(request)
    scope = await figures_scope(principal, gw, date_from, date_to, studio_id, account_id)
    prev_from, prev_to = analytics.previous_range(date_from, date_to)
    if account_id is not None:
        rows = await gw.repo.summary_account(account_id, scope, prev_from, date_from, date_to)
    else:
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


@get("/analytics/top-products", summary="Best-selling products over a range", tags=["analytics"], responses=READS)
async def top_products(
    request: ApiRequest,
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
    principal, gw = caller(request)
    scope = await figures_scope(principal, gw, date_from, date_to, studio_id, account_id)
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
    responses=READS,
)
async def account_breakdown(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> AccountBreakdown:
    principal, gw = caller(request)
    not_host(principal)
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
    responses=READS,
)
async def host_performance(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    host_id: HostQ = None,
) -> HostPerformanceList:
    principal, gw = caller(request)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    host = host_filter(principal, host_id)
    if host_id is not None and not principal.is_host:
        await visible_host(gw, host_id, scope)
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


@get("/hosts/leaderboard", summary="Hosts ranked over a range", tags=["hosts"], responses=READS)
async def leaderboard(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    by: Annotated[
        Literal["confirmed_sales", "placed_sales", "confirmed_orders", "placed_orders", "gmv_per_hour", "on_air_ms"],
        QueryParameter(description="ranking figure"),
    ] = "confirmed_sales",
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 10,
) -> Leaderboard:
    principal, gw = caller(request)
    not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    await single_currency(gw, scope)
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
    responses=READS,
)
async def host_performance_detail(
    request: ApiRequest,
    host_id: IdPath,
    date_from: FromQ,
    date_to: ToQ,
) -> HostPerformanceDetail:
    principal, gw = caller(request)
    analytics.check_range(date_from, date_to)
    if principal.is_host and host_id != principal.host_id:
        raise NotFound(f"host {host_id!r} not found")
    host = await visible_host(gw, host_id, principal.studio_scope)
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


ROUTES = [
    host_performance,
    leaderboard,
    host_performance_detail,
    daily_series,
    summary,
    top_products,
    account_breakdown,
]
