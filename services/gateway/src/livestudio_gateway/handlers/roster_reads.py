"""Read-back of the roster and of ad spend: shift templates, schedule entries, check-ins, pay rules, ad spend.

What the commission service (roster, rules) and analytics (ad spend) apply from commands, read from their tables
with the scoping of every other read: a studio outside the caller's scope is a 403 as a filter and a 404 as a named
host or account; a host sees only their own schedule and check-ins, and neither pay rules nor ad spend.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from litestar import get
from litestar.params import QueryParameter

from livestudio_gateway import analytics
from livestudio_gateway.auth import studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    AccountQ,
    ApiRequest,
    CursorQ,
    FromQ,
    HostQ,
    OptFromQ,
    OptToQ,
    PageLimitQ,
    StudioQ,
    ToQ,
    caller,
    not_host,
    roster_scope,
    visible_account,
)
from livestudio_gateway.models import (
    AdSpendDay,
    AdSpendPage,
    CheckEvent,
    CheckEventPage,
    PayRule,
    PayRulePage,
    PayTier,
    ScheduleEntry,
    SchedulePage,
    Shift,
    ShiftList,
)
from livestudio_gateway.pagination import (
    ad_spend_cursor,
    check_cursor,
    decode_ad_spend_cursor,
    decode_check_cursor,
    decode_rule_cursor,
    decode_schedule_cursor,
    rule_cursor,
    schedule_cursor,
)
from livestudio_gateway.problems import BadRequest

WeekQ = Annotated[
    date | None,
    QueryParameter(description="any local day of the week wanted; the week runs Monday to Sunday (studio timezone)"),
]
RuleQ = Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z0-9_.:@-]{1,128}\Z", description="only this rule")]
OnQ = Annotated[date | None, QueryParameter(description="only the versions in force on this local day")]


def week_range(week: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding `week`."""
    monday = week - timedelta(days=week.weekday())
    return monday, monday + timedelta(days=6)


def _days(
    week: date | None, date_from: date | None, date_to: date | None, *, max_days: int = 62
) -> tuple[date | None, date | None]:
    if week is not None:
        if date_from is not None or date_to is not None:
            raise BadRequest("give either week or date_from/date_to")
        analytics.check_day(week, "week")
        return week_range(week)
    if date_from is not None and date_to is not None:
        analytics.check_range(date_from, date_to, max_days=max_days)
    else:
        for value, name in ((date_from, "date_from"), (date_to, "date_to")):
            if value is not None:
                analytics.check_day(value, name)
    return date_from, date_to


@get(
    "/shifts",
    summary="Shift templates of the studios in scope",
    description="Local times in the studio's timezone; a shift whose end is at or before its start ends the next day.",
    tags=["roster"],
    responses=READS,
)
async def list_shifts(request: ApiRequest, studio_id: StudioQ = None) -> ShiftList:
    principal, gw = caller(request)
    rows = await gw.repo.shifts(studio_filter(principal, studio_id))
    return ShiftList(
        items=[
            Shift(
                shift_id=r["shift_id"],
                studio_id=r["studio_id"],
                name=r["name"],
                start=r["start_local"].isoformat(timespec="seconds"),
                end=r["end_local"].isoformat(timespec="seconds"),
                updated_at=r["updated_at"],
            )
            for r in rows
        ]
    )


@get(
    "/schedule",
    summary="Schedule entries: by week, host or account",
    description=(
        "Ordered by start (entries whose shift is not known yet last). `week` (any day of it) or "
        "`date_from`/`date_to` filter on the entry's local start day. A host sees only their own entries. "
        "Keyset pagination: pass `next_cursor` back as `cursor` with the same filters."
    ),
    tags=["roster"],
    responses=READS,
)
async def list_schedule(
    request: ApiRequest,
    studio_id: StudioQ = None,
    host_id: HostQ = None,
    account_id: AccountQ = None,
    week: WeekQ = None,
    date_from: OptFromQ = None,
    date_to: OptToQ = None,
    cursor: CursorQ = None,
    limit: PageLimitQ = 200,
) -> SchedulePage:
    principal, gw = caller(request)
    day_from, day_to = _days(week, date_from, date_to)
    scope, host = await roster_scope(gw, principal, studio_id, host_id, account_id)
    after = decode_schedule_cursor(cursor) if cursor else None
    rows = await gw.repo.schedule(
        scope,
        host_id=host,
        account_id=account_id,
        day_from=day_from,
        day_to=day_to,
        after=after,
        limit=limit + 1,
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = schedule_cursor(last["starts_at"], last["entry_id"])
    return SchedulePage(
        date_from=day_from,
        date_to=day_to,
        items=[ScheduleEntry(**r) for r in rows[:limit]],
        next_cursor=next_cursor,
    )


@get(
    "/check-ins",
    summary="Check-in and check-out events",
    description=(
        "Oldest first; days are the local days of the host's studio. A host sees only their own. "
        "Keyset pagination: pass `next_cursor` back as `cursor` with the same filters."
    ),
    tags=["roster"],
    responses=READS,
)
async def list_check_ins(
    request: ApiRequest,
    studio_id: StudioQ = None,
    host_id: HostQ = None,
    account_id: AccountQ = None,
    week: WeekQ = None,
    date_from: OptFromQ = None,
    date_to: OptToQ = None,
    cursor: CursorQ = None,
    limit: PageLimitQ = 200,
) -> CheckEventPage:
    principal, gw = caller(request)
    day_from, day_to = _days(week, date_from, date_to)
    scope, host = await roster_scope(gw, principal, studio_id, host_id, account_id)
    after = decode_check_cursor(cursor) if cursor else None
    rows = await gw.repo.check_ins(
        scope, host_id=host, account_id=account_id, day_from=day_from, day_to=day_to, after=after, limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = check_cursor(last["at"], last["check_id"])
    return CheckEventPage(items=[CheckEvent(**r) for r in rows[:limit]], next_cursor=next_cursor)


_DAY_RANK = {"all": 0, "weekday": 1, "weekend": 1, "holiday": 2}


def pay_rule(row: Any) -> PayRule:
    """A rule version with its place in the precedence (the commission's `rules.py` applies the same order)."""
    tiers = json.loads(row["tiers"]) if row["tiers"] else []
    scope = "account" if row["account_id"] is not None else "studio" if row["studio_id"] is not None else "global"
    specificity = [
        {"account": 2, "studio": 1, "global": 0}[scope],
        int(row["role"] is not None),
        int(row["shift_id"] is not None),
        _DAY_RANK.get(row["day_type"], 0),
    ]
    return PayRule(
        rule_id=row["rule_id"],
        effective_from=row["effective_from"],
        effective_to=row["effective_to"],
        studio_id=row["studio_id"],
        account_id=row["account_id"],
        role=row["role"],
        rule_kind=row["rule_kind"],
        basis=row["basis"],
        percent=row["percent"],
        tiers=[
            PayTier(percent=Decimal(t["percent"]), up_to=None if t.get("up_to") is None else Decimal(t["up_to"]))
            for t in tiers
        ],
        amount=row["amount"],
        day_type=row["day_type"],
        shift_id=row["shift_id"],
        min_threshold=row["min_threshold"],
        cap=row["cap"],
        scope=scope,  # type: ignore[arg-type]
        specificity=specificity,
        updated_at=row["updated_at"],
    )


@get(
    "/pay-rules",
    summary="Pay rules: every version of the studio's own and the global rules",
    description=(
        "A version is in force from `effective_from` until the next version of the same rule, and not after its "
        "`effective_to`. Each rule kind is resolved on its own; among the versions in force that match a bucket "
        "the most specific wins: `specificity` = [scope (account 2, studio 1, global 0), role, shift, day type "
        "(holiday 2, weekday/weekend 1, all 0)] compared in that order, then the newest `effective_from`, then the "
        "smaller `rule_id`. A statement line names the version that paid it (`rule_id`, `rule_version`). "
        "Not for hosts."
    ),
    tags=["roster", "commission"],
    responses=READS,
)
async def list_pay_rules(
    request: ApiRequest,
    studio_id: StudioQ = None,
    rule_id: RuleQ = None,
    on: OnQ = None,
    cursor: CursorQ = None,
    limit: PageLimitQ = 200,
) -> PayRulePage:
    principal, gw = caller(request)
    not_host(principal)
    scope = studio_filter(principal, studio_id)
    if on is not None:
        analytics.check_day(on, "on")
    after = decode_rule_cursor(cursor) if cursor else None
    rows = await gw.repo.pay_rules(scope, rule_id=rule_id, on=on, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = rule_cursor(last["rule_id"], last["effective_from"])
    return PayRulePage(items=[pay_rule(r) for r in rows[:limit]], next_cursor=next_cursor)


@get(
    "/ad-spend",
    summary="Ad spend entered per account and local day",
    description="Only days with an entry (a day without one is unknown, not zero). Not for hosts.",
    tags=["analytics"],
    responses=READS,
)
async def list_ad_spend(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    cursor: CursorQ = None,
    limit: PageLimitQ = 200,
) -> AdSpendPage:
    principal, gw = caller(request)
    not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    if account_id is not None:
        await visible_account(gw, account_id, scope)
    after = decode_ad_spend_cursor(cursor) if cursor else None
    rows = await gw.repo.ad_spend(
        scope, account_id=account_id, day_from=date_from, day_to=date_to, after=after, limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = ad_spend_cursor(last["day"], last["account_id"])
    return AdSpendPage(
        date_from=date_from,
        date_to=date_to,
        items=[AdSpendDay(**r) for r in rows[:limit]],
        next_cursor=next_cursor,
    )


ROUTES = [list_shifts, list_schedule, list_check_ins, list_pay_rules, list_ad_spend]
