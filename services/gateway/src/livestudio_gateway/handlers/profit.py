"""Routes of profit (issue #21): affiliate commission income, ad spend, host pay and contribution over a range,
for the studios in scope, an account, per day, per account, per host, per session, and as CSV.

Scoped like the analytics figures: not for hosts; a studio filter outside the caller's studios is a 403, an
account outside them a 404; sums over several studios need one currency. What each figure means:
`livestudio_gateway.profit` and the README's "Profit" section.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Response, get
from litestar.params import QueryParameter

from livestudio_gateway import exports, profit
from livestudio_gateway.auth import Principal
from livestudio_gateway.handlers.common import (
    READS,
    AccountQ,
    ApiRequest,
    FromQ,
    HostQ,
    StudioQ,
    ToQ,
    caller,
    visible_host,
)
from livestudio_gateway.handlers.insights import figures_scope
from livestudio_gateway.models import (
    Profit,
    ProfitAccount,
    ProfitAccounts,
    ProfitDaily,
    ProfitDay,
    ProfitHost,
    ProfitHosts,
    ProfitSession,
    ProfitSessions,
    ProfitSummary,
)
from livestudio_gateway.state import Gateway

TAGS = ["profit"]
LimitQ = Annotated[int, QueryParameter(ge=1, le=5000, description="at most this many rows")]


async def _scope(
    principal: Principal,
    gw: Gateway,
    date_from: date,
    date_to: date,
    studio_id: str | None,
    account_id: str | None,
    host_id: str | None = None,
) -> list[str] | None:
    """The figures' scope (`insights.figures_scope`), and the host, when one is named, visible in it."""
    scope = await figures_scope(principal, gw, date_from, date_to, studio_id, account_id)
    if host_id is not None:
        await visible_host(gw, host_id, scope)
    return scope


async def _grouped(
    gw: Gateway, group: str, scope: list[str] | None, d0: date, d1: date, account_id: str | None, host_id: str | None
) -> dict[Any, Profit]:
    incomes, ad_spend, host_pay = await gw.repo.profit_rows(group, scope, d0, d1, account_id, host_id)
    key = lambda r: r["key"]  # noqa: E731
    return profit.merged(profit.by_key(incomes, key), profit.by_key(ad_spend, key), profit.by_key(host_pay, key))


@get(
    "/profit/summary",
    summary="Affiliate commission income, ad spend, host pay and contribution over a range",
    description="`contribution_* = income.* - ad_spend - host_pay` (income without the MCN's share; an ad spend "
    "nobody typed is null and counts as none). Income is dated by purchase day, host pay by its session's day.",
    tags=TAGS,
    responses=READS,
)
async def profit_summary(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
) -> ProfitSummary:
    principal, gw = caller(request)
    scope = await _scope(principal, gw, date_from, date_to, studio_id, account_id)
    rows = await _grouped(gw, "total", scope, date_from, date_to, account_id, None)
    return ProfitSummary(
        studio_id=studio_id,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        profit=rows.get("all") or profit.profit(None, None, None),
    )


@get("/profit/daily", summary="Profit per local day", tags=TAGS, responses=READS)
async def profit_daily(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
) -> ProfitDaily:
    principal, gw = caller(request)
    scope = await _scope(principal, gw, date_from, date_to, studio_id, account_id)
    rows = await _grouped(gw, "day", scope, date_from, date_to, account_id, None)
    return ProfitDaily(
        studio_id=studio_id,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        days=[ProfitDay(day=d, profit=rows[d]) for d in sorted(rows)],
    )


async def _accounts(gw: Gateway, scope: list[str] | None, d0: date, d1: date) -> list[ProfitAccount]:
    rows = await _grouped(gw, "account", scope, d0, d1, None, None)
    names = {r["account_id"]: r for r in await gw.repo.account_names([k for k in rows if k is not None])}
    items = [
        ProfitAccount(
            account_id=k,
            studio_id=names[k]["studio_id"] if k in names else None,
            display_name=names[k]["display_name"] if k in names else None,
            profit=p,
        )
        for k, p in rows.items()
    ]
    items.sort(key=lambda a: (-a.profit.contribution_estimated, a.account_id or ""))
    return items


@get(
    "/profit/accounts",
    summary="Profit per account over a range (best contribution first)",
    description="`account_id` null collects host pay lines that name no account.",
    tags=TAGS,
    responses=READS,
)
async def profit_accounts(
    request: ApiRequest, date_from: FromQ, date_to: ToQ, studio_id: StudioQ = None
) -> ProfitAccounts:
    principal, gw = caller(request)
    scope = await _scope(principal, gw, date_from, date_to, studio_id, None)
    return ProfitAccounts(date_from=date_from, date_to=date_to, items=await _accounts(gw, scope, date_from, date_to))


async def _hosts(gw: Gateway, scope: list[str] | None, d0: date, d1: date, host_id: str | None) -> list[ProfitHost]:
    rows = await _grouped(gw, "host", scope, d0, d1, None, host_id)
    names = {r["host_id"]: r for r in await gw.repo.host_names([k for k in rows if k is not None])}
    items = [
        ProfitHost(
            host_id=k,
            name=names[k]["name"] if k in names else None,
            studio_id=names[k]["studio_id"] if k in names else None,
            profit=p,
        )
        for k, p in rows.items()
    ]
    items.sort(key=lambda h: (h.host_id is None, -h.profit.contribution_estimated, h.host_id or ""))
    return items


@get(
    "/profit/hosts",
    summary="Profit per host over a range: the live commission attributed to them and their pay",
    description="Live commission goes to the hosts on air at the purchase (roster attribution); `host_id` null "
    "collects what no host was on air for, and all video and other commission. Ad spend is typed per account, so "
    "it is null here and a host's contribution is income - host pay.",
    tags=TAGS,
    responses=READS,
)
async def profit_hosts(
    request: ApiRequest, date_from: FromQ, date_to: ToQ, studio_id: StudioQ = None, host_id: HostQ = None
) -> ProfitHosts:
    principal, gw = caller(request)
    scope = await _scope(principal, gw, date_from, date_to, studio_id, None, host_id)
    return ProfitHosts(date_from=date_from, date_to=date_to, items=await _hosts(gw, scope, date_from, date_to, host_id))


async def _sessions(
    gw: Gateway, scope: list[str] | None, d0: date, d1: date, account_id: str | None, host_id: str | None, limit: int
) -> list[ProfitSession]:
    incomes, pay = await gw.repo.profit_sessions(scope, d0, d1, account_id, host_id, limit)
    pay_by = {(r["account_id"], r["session_id"]): r["host_pay"] for r in pay}
    return [
        ProfitSession(
            account_id=r["account_id"],
            session_id=r["session_id"],
            studio_id=r["studio_id"],
            local_day=r["local_day"],
            profit=profit.profit(r, None, pay_by.get((r["account_id"], r["session_id"]))),
        )
        for r in incomes
    ]


@get(
    "/profit/sessions",
    summary="Live commission and host pay per session (sessions of the range's local days)",
    description="The commission of the live checkouts bought during each session (all hosts, or `host_id`'s part).",
    tags=TAGS,
    responses=READS,
)
async def profit_sessions(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    host_id: HostQ = None,
    limit: LimitQ = 1000,
) -> ProfitSessions:
    principal, gw = caller(request)
    scope = await _scope(principal, gw, date_from, date_to, studio_id, account_id, host_id)
    items = await _sessions(gw, scope, date_from, date_to, account_id, host_id, limit)
    return ProfitSessions(date_from=date_from, date_to=date_to, items=items)


@get(
    "/profit/export.csv",
    summary="Profit as CSV, per day, account, host or session",
    tags=TAGS,
    media_type="text/csv",
    responses=READS,
)
async def export_profit(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    by: Annotated[Literal["day", "account", "host", "session"], QueryParameter(description="one row per")] = "account",
    studio_id: StudioQ = None,
) -> Response[str]:
    principal, gw = caller(request)
    scope = await _scope(principal, gw, date_from, date_to, studio_id, None)
    rows: list[dict[str, Any]]
    if by == "day":
        grouped = await _grouped(gw, "day", scope, date_from, date_to, None, None)
        rows = [profit.csv_row(d, None, studio_id, grouped[d]) for d in sorted(grouped)]
    elif by == "account":
        rows = [
            profit.csv_row(a.account_id, a.display_name, a.studio_id, a.profit)
            for a in await _accounts(gw, scope, date_from, date_to)
        ]
    elif by == "host":
        rows = [
            profit.csv_row(h.host_id, h.name, h.studio_id, h.profit)
            for h in await _hosts(gw, scope, date_from, date_to, None)
        ]
    else:
        limit = gw.settings.export_max_rows
        rows = [
            profit.csv_row(f"{s.account_id}:{s.session_id}", None, s.studio_id, s.profit)
            for s in await _sessions(gw, scope, date_from, date_to, None, None, limit)
        ]
    return Response(
        exports.to_csv(profit.CSV_COLUMNS, rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="profit-by-{by}.csv"'},
    )


ROUTES = [profit_summary, profit_daily, profit_accounts, profit_hosts, profit_sessions, export_profit]
