"""The API's shapes: msgspec structs for responses and request bodies (cheap to encode, documented in OpenAPI).

Money and rates are `Decimal` and travel as exact plain decimal strings (`"70000"`, never `"7E+4"`: asyncpg decodes
numeric 70000 as `Decimal('7E+4')`, and msgspec writes a Decimal as its `str()`); every response struct turns a
`Money` field whose `str()` would carry an exponent into a `PlainDecimal`, which the app's and the SSE feed's
encoders write in positional notation. A figure Shopee did not report is `null`.
Times are ISO 8601 with offset (UTC); days (`local_day`, `day`, periods) are dates in the studio's timezone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta, Struct

from livestudio_gateway.auth import ID_PATTERN

Id = Annotated[str, Meta(pattern=ID_PATTERN, description="identifier: letters, digits and _.:@- (max 128)")]
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z")]
Text = Annotated[str, Meta(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z")]
Reason = Annotated[str, Meta(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z")]
MoneyInput = Annotated[
    str, Meta(pattern=r"^[0-9]{1,16}(\.[0-9]{1,2})?\Z", description="exact non-negative amount as a decimal string")
]
Percent = Annotated[str, Meta(pattern=r"^(100(\.0{1,4})?|[0-9]{1,2}(\.[0-9]{1,4})?)\Z", description="0 to 100")]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}\Z")]
Region = Literal["co.id", "com.my", "co.th", "sg", "vn", "ph", "com.br", "com.mx"]
Money = Annotated[Decimal, Meta(description="exact decimal string")]
AwareDateTime = Annotated[datetime, Meta(tz=True)]


class PlainDecimal(Decimal):
    """A Decimal written without an exponent (`str()` is positional notation); the encoders write it that way."""

    __slots__ = ()

    def __str__(self) -> str:
        return format(self, "f")


def plain_text(value: Decimal) -> str:
    """The encoders' hook for `PlainDecimal`."""
    return format(value, "f")


def plain_money(value: Any) -> Any:
    """`value`, or the same number as a `PlainDecimal` when its `str()` would carry an exponent."""
    if type(value) is Decimal and "E" in str(value):
        return PlainDecimal(value)
    return value


_MONEY_ANNOTATION = re.compile(r"\bMoney\b")


def money_fields(cls: type) -> tuple[str, ...]:
    """Fields of a struct annotated `Money` (or `Money | None`), read from the annotation text once per class."""
    annotations: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    return tuple(name for name, hint in annotations.items() if _MONEY_ANNOTATION.search(str(hint)))


class _Plain:
    """Response structs: a `Money` value whose `str()` would carry an exponent becomes a `PlainDecimal` (most
    values are left as they are: one type check and one `str()` each). Only a struct with `Money` fields gets
    the `__post_init__` that does it: msgspec calls a struct's `__post_init__` for every instance built, and a
    365-day series builds one point struct per day around its figures."""

    __slots__ = ()
    _money: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._money = money_fields(cls)
        if cls._money:
            cls.__post_init__ = _plain_money_fields  # type: ignore[attr-defined]


def _plain_money_fields(self: _Plain) -> None:
    for name in self._money:
        value = getattr(self, name)
        if type(value) is Decimal and "E" in str(value):
            setattr(self, name, PlainDecimal(value))


class _Out(_Plain, Struct, kw_only=True):
    """Response structs: every field is always present (null when unknown). Those built from database rows also
    say `kw_only=True` themselves (msgspec applies it to a class's own fields): they are built by column name
    (`Struct(**record)`), never by position."""


class _In(Struct, kw_only=True, forbid_unknown_fields=True):
    """Request bodies: unknown fields are rejected."""


class Me(_Out):
    sub: str
    role: Literal["owner", "manager", "host", "service"]
    studios: Annotated[list[str] | None, Meta(description="studio ids the caller sees; null = every studio")]
    host_id: str | None


# --- studios, accounts, hosts -----------------------------------------------------------------------------
class Studio(_Out):
    studio_id: str
    name: str
    timezone: str
    currency: str
    pay_period: str
    holidays: Annotated[list[date], Meta(description="the studio's holidays (local days), for `holiday` pay rules")]
    attendance_grace_minutes: Annotated[
        int, Meta(description="minutes late or early that still count as on time (attendance)")
    ]
    attribution_policy: Annotated[
        Literal["schedule", "check_in_required"],
        Meta(
            description="schedule: a scheduled window is on air without a check-in; check_in_required: a window "
            "without a check-in goes to the unassigned bucket (applies to windows starting after the change)"
        ),
    ]


class StudioList(_Out):
    items: list[Studio]


class AccountBackfill(_Out):
    """The account's history backfill (`liveList/v2` walked back in 30-day windows by the ingest)."""

    state: Literal["queued", "running", "done"]
    """queued: asked for (on demand) and not picked up by the ingest yet."""
    days: int
    target_date: date | None
    """Oldest shop-local day it reaches."""
    windows_done: int
    windows_total: int
    progress: float
    """Share of the windows read, 0 to 1."""
    sessions_found: int
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str | None


class Account(_Out):
    account_id: str
    studio_id: str
    display_name: str | None
    region: str | None
    shopee_user_id: int | None
    state: str
    last_successful_poll_at: datetime | None
    seconds_since_last_poll: int | None
    freshness: Literal["fresh", "stale", "unknown"]
    last_error: str | None
    on_air_session_id: int | None
    updated_at: datetime | None
    backfill: AccountBackfill | None
    """None: never backfilled."""


class AccountPage(_Out):
    items: list[Account]
    next_cursor: str | None


class Host(_Out):
    host_id: str
    studio_id: str
    name: str
    role: str | None
    active: bool


class HostList(_Out):
    items: list[Host]


# --- sessions ---------------------------------------------------------------------------------------------
class SessionSummary(_Out, kw_only=True):
    account_id: str
    session_id: int
    studio_id: str
    title: str | None
    on_air: bool
    started_at: datetime
    ended_at: datetime | None
    duration_ms: int | None
    local_day: date
    timezone: str
    currency: str
    observed_at: datetime
    views: int | None
    viewers: int | None
    peak_viewers: int | None
    current_viewers: int | None
    placed_orders: int | None
    placed_sales: Money | None
    confirmed_orders: int | None
    confirmed_sales: Money | None


class SessionPage(_Out):
    items: list[SessionSummary]
    next_cursor: str | None


class SessionMetrics(_Out):
    views: int | None
    viewers: int | None
    peak_viewers: int | None
    current_viewers: int | None
    comments: int | None
    likes: int | None
    shares: int | None
    add_to_cart: int | None
    product_clicks: int | None
    buyers: int | None
    placed_orders: int | None
    placed_items_sold: int | None
    confirmed_orders: int | None
    confirmed_items_sold: int | None
    paid_orders: int | None
    placed_sales: Money | None
    confirmed_sales: Money | None
    paid_sales: Money | None
    conversion_rate: Money | None


class SessionDerived(_Out):
    conversion: Money | None
    aov: Money | None
    gmv_per_streaming_hour: Money | None


class TimelinePoint(_Out, kw_only=True):
    minute: datetime
    viewers: int | None
    current_viewers: int | None
    placed_orders: int | None
    confirmed_orders: int | None
    placed_sales: Money | None
    confirmed_sales: Money | None


class SessionProduct(_Out, kw_only=True):
    item_id: int
    title: str | None
    min_price: Money | None
    max_price: Money | None
    product_clicks: int | None
    add_to_cart: int | None
    placed_orders: int | None
    placed_items_sold: int | None
    confirmed_orders: int | None
    confirmed_items_sold: int | None
    placed_sales: Money | None
    confirmed_sales: Money | None
    observed_at: datetime | None


class SessionHost(_Out, kw_only=True):
    host_id: str | None
    name: str | None
    on_air_ms: int | None
    placed_orders: int | None
    placed_sales: Money | None
    confirmed_orders: int | None
    confirmed_sales: Money | None


class SessionSettling(_Out):
    """Whether the session's figures can still change: `placed` figures are final once the session's end is
    decided (ingest reads them once more then); `confirmed` ones settle while Shopee confirms late orders, which the
    ingest's history re-read follows for `analytics.CONFIRMED_SETTLE_DAYS` local days after the session's day."""

    placed: Literal["live", "final"]
    confirmed: Literal["live", "settling", "final"]
    confirmed_final_at: datetime | None


class SessionDetail(_Out):
    account_id: str
    session_id: int
    studio_id: str
    title: str | None
    on_air: bool
    started_at: datetime
    ended_at: datetime | None
    duration_ms: int | None
    local_day: date
    timezone: str
    currency: str
    observed_at: datetime
    metrics: SessionMetrics
    derived: SessionDerived
    timeline: list[TimelinePoint]
    products: list[SessionProduct]
    hosts: list[SessionHost]
    settling: SessionSettling


# --- analytics --------------------------------------------------------------------------------------------
class Figures(_Out):
    sessions: int | None
    streaming_ms: int | None
    viewers: int | None
    peak_viewers: int | None
    placed_orders: int | None
    confirmed_orders: int | None
    placed_sales: Money | None
    confirmed_sales: Money | None
    ad_spend: Money | None
    gmv_per_streaming_hour: Money | None
    conversion: Money | None
    aov: Money | None
    roas: Money | None
    acos: Money | None


class DailyPoint(_Out):
    day: date
    figures: Figures


class DailySeries(_Out):
    studio_id: str | None
    account_id: str | None
    date_from: date
    date_to: date
    days: list[DailyPoint]


class HourFigures(_Out):
    """What the streams added during the bucket's hours (sums over the local hours the bucket covers)."""

    hours: int
    """local hours (per account, or per studio for studio figures; per account for a host) with a stream in the
    bucket"""
    session_hours: int
    """sessions on air summed over those hours (a 3-hour stream counts 3)"""
    viewers: int | None
    peak_viewers: int | None
    placed_orders: int | None
    confirmed_orders: int | None
    placed_sales: Money | None
    confirmed_sales: Money | None
    gmv_per_hour: Money | None
    """confirmed_sales / hours"""


class HourBucket(_Out):
    weekday: int | None
    """ISO weekday 1 (Monday) to 7 (Sunday), for group=weekday_hour"""
    hour: int | None
    """local hour of the day 0..23, for group=hour and weekday_hour"""
    shift_id: str | None
    shift_name: str | None
    figures: HourFigures


class HoursReport(_Out):
    studio_id: str | None
    account_id: str | None
    host_id: str | None
    """the host whose attributed hours these are (viewers apportioned by on-air share); null = account/studio"""
    date_from: date
    date_to: date
    group: str
    buckets: list[HourBucket]


class Delta(_Out):
    diff: Money | None
    ratio: Money | None


class RangeFigures(_Out):
    date_from: date
    date_to: date
    figures: Figures


class Summary(_Out):
    studio_id: str | None
    account_id: str | None
    current: RangeFigures
    previous: RangeFigures
    changes: dict[str, Delta]


class ProductRank(_Out):
    rank: int
    item_id: int
    title: str | None
    sessions: int
    product_clicks: int | None
    add_to_cart: int | None
    placed_orders: int | None
    placed_items_sold: int | None
    confirmed_orders: int | None
    confirmed_items_sold: int | None
    placed_sales: Money | None
    confirmed_sales: Money | None


class ProductRanking(_Out):
    date_from: date
    date_to: date
    items: list[ProductRank]


class AccountFigures(_Out):
    account_id: str
    studio_id: str
    display_name: str | None
    figures: Figures


class AccountBreakdown(_Out):
    date_from: date
    date_to: date
    items: list[AccountFigures]


class SoFar(_Out):
    """A local day's sessions up to `until`: sessions started by then and their placed figures as of then."""

    day: date
    until: datetime
    sessions: int
    placed_orders: int | None
    placed_sales: Money | None


class AccountToday(_Out):
    account_id: str
    today: SoFar
    yesterday: SoFar


class StudioToday(_Out):
    studio_id: str
    timezone: str
    currency: str
    today: SoFar
    yesterday: SoFar
    changes: dict[str, Delta]
    accounts: list[AccountToday]


class TodayComparison(_Out):
    at: datetime
    items: list[StudioToday]


class HostOnAir(_Out, kw_only=True):
    account_id: str
    studio_id: str
    host_id: str
    name: str | None
    starts_at: datetime
    ends_at: datetime


class HostsOnAir(_Out):
    at: datetime
    items: list[HostOnAir]


# --- host performance -------------------------------------------------------------------------------------
class HostFigures(_Out):
    sessions: int
    on_air_ms: int | None
    placed_orders: int | None
    placed_sales: Money | None
    confirmed_orders: int | None
    confirmed_sales: Money | None
    gmv_per_on_air_hour: Money | None


class HostPerformance(_Out):
    host_id: str | None
    name: str | None
    studio_id: str
    figures: HostFigures


class HostPerformanceList(_Out):
    date_from: date
    date_to: date
    items: list[HostPerformance]


class LeaderboardEntry(_Out):
    rank: int
    host_id: str
    name: str | None
    studio_id: str
    figures: HostFigures


class Leaderboard(_Out):
    date_from: date
    date_to: date
    by: str
    items: list[LeaderboardEntry]


class HostDay(_Out):
    day: date
    figures: HostFigures


class HostPerformanceDetail(_Out):
    host_id: str
    name: str | None
    studio_id: str
    date_from: date
    date_to: date
    figures: HostFigures
    days: list[HostDay]


# --- roster -----------------------------------------------------------------------------------------------
LocalTime = Annotated[str, Meta(pattern=r"^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\Z", description="HH:MM:SS")]
"""A local clock time as text (Litestar documents a `time` field as a duration, which it is not)."""


class Shift(_Out):
    shift_id: str
    studio_id: str
    name: str
    start: Annotated[LocalTime, Meta(description="local start (studio timezone)")]
    end: Annotated[LocalTime, Meta(description="local end; at or before start = the next local day")]
    updated_at: datetime | None


class ShiftList(_Out):
    items: list[Shift]


class ScheduleEntry(_Out, kw_only=True):
    entry_id: str
    studio_id: str
    host_id: str
    account_id: str
    shift_id: Annotated[str | None, Meta(description="set for an entry on a shift template")]
    shift_date: date | None
    starts_at: Annotated[datetime | None, Meta(description="null while the entry's shift is not known yet")]
    ends_at: datetime | None
    local_day: Annotated[date | None, Meta(description="the studio's local day the entry starts on")]
    share: Money
    updated_at: datetime | None


AttendanceStatus = Literal["on_time", "late", "left_early", "absent"]


class AttendanceCorrection(_Out, kw_only=True):
    status: AttendanceStatus
    late_minutes: int | None
    left_early_minutes: int | None
    reason: str
    corrected_by: str
    corrected_at: datetime


class AttendanceRecord(_Out, kw_only=True):
    """A schedule entry's attendance: `status` is the manager's correction when there is one, else the computed
    one (`computed_status`; null until the entry's window has closed and it was computed)."""

    entry_id: str
    studio_id: str
    host_id: str
    account_id: str
    local_day: date
    starts_at: datetime
    ends_at: datetime
    status: AttendanceStatus | None
    late_minutes: Annotated[int | None, Meta(description="whole minutes late beyond the grace period; 0 on time")]
    left_early_minutes: Annotated[int | None, Meta(description="null when leaving is unknown (never 0 for unknown)")]
    computed_status: AttendanceStatus | None
    computed_late_minutes: int | None
    computed_left_early_minutes: int | None
    arrived_at: Annotated[datetime | None, Meta(description="the first check-in that reached the window")]
    left_at: datetime | None
    on_air_known: Annotated[bool, Meta(description="whether the account's on-air time was known to the computation")]
    grace_minutes: int | None
    computed_at: datetime | None
    correction: AttendanceCorrection | None


class AttendancePage(_Out):
    date_from: date
    date_to: date
    items: list[AttendanceRecord]
    next_cursor: str | None


class AttendanceSummary(_Out):
    """Counts of the host's attendance records over a period, corrections applied (`pending`: not computed yet)."""

    on_time: int
    late: int
    left_early: int
    absent: int
    pending: int
    late_minutes: Annotated[int, Meta(description="total minutes late")]
    corrected: Annotated[int, Meta(description="records a manager corrected")]


class SchedulePage(_Out):
    date_from: date | None
    date_to: date | None
    items: list[ScheduleEntry]
    next_cursor: str | None


class CheckEvent(_Out, kw_only=True):
    check_id: str
    host_id: str
    studio_id: str
    account_id: str
    kind: Literal["in", "out"]
    at: datetime


class CheckEventPage(_Out):
    items: list[CheckEvent]
    next_cursor: str | None


class PayTier(_Out):
    percent: Money
    up_to: Money | None


class PayRule(_Out):
    rule_id: str
    effective_from: date
    effective_to: date | None
    studio_id: Annotated[str | None, Meta(description="null = a global rule")]
    account_id: str | None
    role: str | None
    rule_kind: str
    basis: str
    percent: Money | None
    tiers: list[PayTier]
    amount: Money | None
    day_type: str
    shift_id: str | None
    min_threshold: Money | None
    cap: Money | None
    scope: Literal["account", "studio", "global"]
    specificity: Annotated[
        list[int],
        Meta(description="[scope, role, shift, day type]: compared in this order, the larger wins (see the route)"),
    ]
    updated_at: datetime | None


class PayRulePage(_Out):
    items: list[PayRule]
    next_cursor: str | None


class AdSpendDay(_Out, kw_only=True):
    account_id: str
    studio_id: str
    day: date
    amount: Money
    currency: str
    issued_at: datetime


class AdSpendPage(_Out):
    date_from: date
    date_to: date
    items: list[AdSpendDay]
    next_cursor: str | None


# --- commission -------------------------------------------------------------------------------------------
class Statement(_Out, kw_only=True):
    statement_id: str
    studio_id: str
    host_id: str
    period_start: date
    period_end: date
    status: str
    currency: str
    total: Money | None
    revision: int | None
    approved_by: str | None
    approved_at: datetime | None
    paid_by: str | None
    paid_at: datetime | None
    updated_at: datetime | None


class StatementPage(_Out):
    items: list[Statement]
    next_cursor: str | None


class StatementLine(_Out, kw_only=True):
    line_id: str
    line_kind: str
    rule_id: str | None
    account_id: str | None
    session_id: int | None
    description: str | None
    base: Money | None
    amount: Money | None
    rule_version: Annotated[
        date | None, Meta(description="effective_from of the rule version that paid this line (GET /pay-rules)")
    ]


class StatementDetail(_Out):
    statement: Statement
    lines: list[StatementLine]
    attendance: Annotated[AttendanceSummary, Meta(description="the host's attendance over the statement's period")]


# --- commands ---------------------------------------------------------------------------------------------
class CommandAccepted(_Out):
    command_id: str
    kind: str
    owner: str
    status: Literal["accepted"]
    status_url: str
    account_id: str | None = None
    login_id: str | None = None


class CommandStatus(_Out):
    command_id: str
    status: Literal["pending", "applied", "rejected"]
    kind: str | None
    owner: str | None
    error: str | None
    applied_at: datetime | None


class QrLogin(_Out):
    login_id: str
    account_id: str | None
    studio_id: str
    state: str
    qrcode_base64: str | None
    error: str | None
    updated_at: datetime | None


class ConnectAccountBody(_In):
    studio_id: Id
    display_name: Name
    cookie: Annotated[str, Meta(min_length=3, max_length=16_384, description="the browser cookie string")]
    region: Region = "co.id"
    account_id: Id | None = None


class QrLoginBody(_In):
    studio_id: Id
    display_name: Name
    region: Region = "co.id"
    account_id: Id | None = None


class AccountPatchBody(_In):
    display_name: Name | None = None
    cookie: Annotated[str, Meta(min_length=3, max_length=16_384)] | None = None


class AdSpendBody(_In):
    amount: MoneyInput
    currency: Currency | None = None


class StudioBody(_In):
    name: Name
    timezone: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_+/-]*\Z")] = "Asia/Jakarta"
    currency: Currency = "IDR"
    pay_period: Literal["monthly", "weekly"] = "monthly"
    holidays: Annotated[list[date], Meta(max_length=400)] = []
    attendance_grace_minutes: Annotated[int, Meta(ge=0, le=240)] | None = None
    """minutes late or early still on time; leave out to keep the stored one (default 5)"""
    attribution_policy: Literal["schedule", "check_in_required"] | None = None
    """leave out to keep the stored one; a change applies to windows starting from now on"""


class AttendanceCorrectionBody(_In):
    status: AttendanceStatus
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z")]
    late_minutes: Annotated[int, Meta(ge=0, le=1440)] | None = None
    left_early_minutes: Annotated[int, Meta(ge=0, le=1440)] | None = None


class HostBody(_In):
    name: Name
    role: Annotated[str, Meta(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]+\Z")] = "host"
    active: bool = True


class ShiftBody(_In):
    name: Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+\Z")]
    start: time
    end: time


class ScheduleBody(_In):
    host_id: Id
    account_id: Id
    starts_at: AwareDateTime | None = None
    ends_at: AwareDateTime | None = None
    shift_id: Id | None = None
    shift_date: date | None = None
    share: Annotated[str, Meta(pattern=r"^[0-9]{1,4}(\.[0-9]{1,4})?\Z")] = "1"


class CheckInBody(_In):
    account_id: Id
    at: AwareDateTime | None = None
    """Hosts: leave out (the server's time). Managers: a correction within the open pay period, with `reason`."""
    reason: Reason | None = None


class PayTierBody(_In):
    percent: Percent
    up_to: MoneyInput | None = None


class RuleBody(_In):
    rule_kind: Literal["gmv_percent", "per_order", "per_hour"]
    effective_from: date
    studio_id: Id | None = None
    account_id: Id | None = None
    role: Annotated[str, Meta(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]+\Z")] | None = None
    basis: Literal["confirmed", "placed"] = "confirmed"
    percent: Percent | None = None
    tiers: Annotated[list[PayTierBody], Meta(max_length=20)] = []
    amount: MoneyInput | None = None
    day_type: Literal["all", "weekday", "weekend", "holiday"] = "all"
    shift_id: Id | None = None
    min_threshold: MoneyInput | None = None
    cap: MoneyInput | None = None
    effective_to: date | None = None


class VoidBody(_In):
    reason: Text | None = None


# --- live ---------------------------------------------------------------------------------------------------
class LiveSession(_Out):
    """One on-air session change as pushed over SSE (`event: session`), or listed in the initial `snapshot`."""

    kind: Literal["snapshot", "ended", "current"]
    account_id: str
    session_id: int
    studio_id: str
    title: str | None
    on_air: bool
    started_at: datetime
    ended_at: datetime | None
    observed_at: datetime
    currency: str
    viewers: int | None
    current_viewers: int | None
    peak_viewers: int | None
    placed_orders: int | None
    placed_sales: Money | None
    confirmed_orders: int | None
    confirmed_sales: Money | None


# --- profit (issue #21) -------------------------------------------------------------------------------------
class Income(_Out):
    """Affiliate commission income: `estimated` leaves cancelled checkouts out, `final` counts the settled ones
    only (completed; cancelled as 0); without the MCN's share unless `_with_mcn`. Exact, up to 5 decimals."""

    estimated: Money
    estimated_with_mcn: Money
    final: Money
    final_with_mcn: Money
    live_estimated: Money
    live_final: Money
    video_estimated: Money
    video_final: Money
    other_estimated: Money
    other_final: Money
    checkouts: int
    pending: int
    completed: int
    cancelled: int


class Profit(_Out):
    """Income, costs and contribution of one group. `ad_spend` null: none typed for it (or not attributable:
    hosts, sessions), counted as none in the contribution. `contribution_* = income_* - ad_spend - host_pay`."""

    income: Income
    ad_spend: Money | None
    host_pay: Money
    contribution_estimated: Money
    contribution_final: Money


class ProfitSummary(_Out):
    studio_id: str | None
    account_id: str | None
    date_from: date
    date_to: date
    profit: Profit


class ProfitDay(_Out):
    day: date
    profit: Profit


class ProfitDaily(_Out):
    studio_id: str | None
    account_id: str | None
    date_from: date
    date_to: date
    days: list[ProfitDay]


class ProfitAccount(_Out):
    account_id: str | None
    studio_id: str | None
    display_name: str | None
    profit: Profit


class ProfitAccounts(_Out):
    date_from: date
    date_to: date
    items: list[ProfitAccount]


class ProfitHost(_Out):
    host_id: str | None
    name: str | None
    studio_id: str | None
    profit: Profit


class ProfitHosts(_Out):
    date_from: date
    date_to: date
    items: list[ProfitHost]


class ProfitSession(_Out):
    account_id: str
    session_id: int
    studio_id: str | None
    local_day: date | None
    profit: Profit


class ProfitSessions(_Out):
    date_from: date
    date_to: date
    items: list[ProfitSession]


# --- monthly GMV targets (issue #20) ---------------------------------------------------------------------------
MonthText = Annotated[
    str, Meta(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])\Z", description="YYYY-MM, a month of the studio's calendar")
]
TargetScope = Literal["studio", "account", "host"]


class Target(_Out, kw_only=True):
    studio_id: str
    month: str
    scope: TargetScope
    scope_id: str
    name: str | None
    currency: str
    amount: Money
    progress: Annotated[Money | None, Meta(description="confirmed GMV of the month so far; null = no figure yet")]
    percent: Annotated[Money | None, Meta(description="progress / amount x 100, 2 places")]
    expected: Annotated[Money, Meta(description="amount x elapsed days / days in the month")]
    pace: Annotated[Money | None, Meta(description="progress / expected, 4 places (1 = on track)")]
    projection: Annotated[Money | None, Meta(description="month-end GMV at the current rate")]
    elapsed_days: Annotated[Money, Meta(description="local days of the month passed (today's part included)")]
    days_in_month: int
    set_at: datetime
    set_by: str


class TargetList(_Out):
    month: str
    as_of: datetime
    items: list[Target]


class TargetBody(_In, kw_only=True):
    month: MonthText
    scope: TargetScope
    scope_id: Annotated[Id | None, Meta(description="the account or host (omit for the studio's own target)")] = None
    amount: Annotated[MoneyInput, Meta(description="confirmed GMV to reach, in the studio's currency (> 0)")]
