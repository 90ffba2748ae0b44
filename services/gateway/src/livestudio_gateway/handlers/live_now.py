"""Routes the home page (Live now) reads beside the SSE feed: today against yesterday at the same local time, and
the hosts on air per account."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import get
from litestar.params import QueryParameter

from livestudio_gateway import analytics
from livestudio_gateway.auth import studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    AccountQ,
    ApiRequest,
    StudioQ,
    caller,
    not_host,
    now,
    visible_account,
)
from livestudio_gateway.models import AccountToday, HostOnAir, HostsOnAir, SoFar, StudioToday, TodayComparison
from livestudio_gateway.problems import BadRequest

AtQ = Annotated[
    datetime | None,
    QueryParameter(description="the instant to compare as of (ISO 8601 with offset); default now"),
]


def _instant(at: datetime | None) -> datetime:
    """`at` in UTC (a time without offset is read as UTC), or now; within the days analytics accepts."""
    if at is None:
        return now()
    if not analytics.MIN_DAY <= at.date() <= analytics.MAX_DAY:
        raise BadRequest(f"at must be between {analytics.MIN_DAY} and {analytics.MAX_DAY}")
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _so_far(day: Any, until: datetime, rows: list[Any]) -> SoFar:
    return SoFar(
        day=day,
        until=until,
        sessions=sum(r["sessions"] for r in rows),
        placed_orders=analytics.sum_known(r["placed_orders"] for r in rows),
        placed_sales=analytics.sum_known(r["placed_sales"] for r in rows),
    )


@get(
    "/analytics/today",
    summary="Today so far against yesterday up to the same local time, per studio and account",
    description=(
        "Per studio (in its timezone): the sessions that started on the local day of `at` up to `at`, and those of "
        "the day before up to the same wall-clock time, with placed orders and GMV as of then (a session not yet "
        "ended by then counts its last per-minute figures before then; unknown stays null). `changes` compares "
        "placed_orders and placed_sales (diff, ratio)."
    ),
    tags=["analytics"],
    responses=READS,
)
async def today_against_yesterday(
    request: ApiRequest, studio_id: StudioQ = None, account_id: AccountQ = None, at: AtQ = None
) -> TodayComparison:
    principal, gw = caller(request)
    not_host(principal)
    scope = studio_filter(principal, studio_id)
    when = _instant(at)
    if account_id is not None:
        account = await visible_account(gw, account_id, scope)
        scope = [account["studio_id"]]
    studios = await gw.repo.studios(scope)
    periods: list[tuple[str, bool, Any, datetime]] = []
    bounds: dict[str, tuple[Any, Any, datetime]] = {}
    for st in studios:
        today, yesterday, cutoff = analytics.same_time_yesterday(when, st["timezone"])
        bounds[st["studio_id"]] = (today, yesterday, cutoff)
        periods += [(st["studio_id"], True, today, when), (st["studio_id"], False, yesterday, cutoff)]
    rows = await gw.repo.so_far(periods, account_id)
    by_studio: dict[tuple[str, bool], list[Any]] = defaultdict(list)
    by_account: dict[tuple[str, str, bool], list[Any]] = defaultdict(list)
    for r in rows:
        by_studio[r["studio_id"], r["is_today"]].append(r)
        by_account[r["studio_id"], r["account_id"], r["is_today"]].append(r)
    items = []
    for st in studios:
        sid = st["studio_id"]
        today, yesterday, cutoff = bounds[sid]
        cur = _so_far(today, when, by_studio[sid, True])
        prev = _so_far(yesterday, cutoff, by_studio[sid, False])
        accounts = sorted({a for (s, a, _) in by_account if s == sid})
        items.append(
            StudioToday(
                studio_id=sid,
                timezone=st["timezone"],
                currency=st["currency"],
                today=cur,
                yesterday=prev,
                changes={
                    "placed_orders": analytics.delta(cur.placed_orders, prev.placed_orders),
                    "placed_sales": analytics.delta(cur.placed_sales, prev.placed_sales),
                },
                accounts=[
                    AccountToday(
                        account_id=a,
                        today=_so_far(today, when, by_account.get((sid, a, True), [])),
                        yesterday=_so_far(yesterday, cutoff, by_account.get((sid, a, False), [])),
                    )
                    for a in accounts
                ],
            )
        )
    return TodayComparison(at=when, items=items)


@get(
    "/hosts/on-air",
    summary="The hosts on air per account at an instant (the roster's windows attribution uses)",
    description="Schedule entries covering `at` (default now); co-hosts are listed one entry each.",
    tags=["hosts"],
    responses=READS,
)
async def hosts_on_air(
    request: ApiRequest, studio_id: StudioQ = None, account_id: AccountQ = None, at: AtQ = None
) -> HostsOnAir:
    principal, gw = caller(request)
    not_host(principal)
    scope = studio_filter(principal, studio_id)
    if account_id is not None:
        await visible_account(gw, account_id, scope)
    when = _instant(at)
    rows = await gw.repo.hosts_on_air(scope, when, account_id)
    return HostsOnAir(at=when, items=[HostOnAir(**r) for r in rows])


ROUTES = [today_against_yesterday, hosts_on_air]
