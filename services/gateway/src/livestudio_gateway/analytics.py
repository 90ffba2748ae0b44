"""Derived figures and comparisons as plain functions: ratios, GMV per hour, ROAS/ACOS, ranges, freshness.

A derived figure is NULL when its divisor is 0 or NULL (unknown is not zero). Money-like results (GMV per
streaming hour, AOV) are rounded half-even to cents; rates (conversion, ROAS, ACOS, change ratio) to 6 places.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache, lru_cache
from typing import Any, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from msgspec.structs import astuple

from livestudio_gateway.models import Delta, Figures, HostFigures, HourFigures, SessionDerived, SessionSettling
from livestudio_gateway.problems import BadRequest

CENTS = Decimal("0.01")
RATE = Decimal("0.000001")
MS_PER_HOUR = Decimal(3_600_000)
MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2100, 12, 31)

Number = int | Decimal


class Row(Protocol):
    """A database row or a dict: figures are read by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


def exact(value: Number) -> Decimal:
    """`value` as a Decimal (a Decimal is returned as it is)."""
    return value if type(value) is Decimal else Decimal(value)


def divide(numerator: Number | None, divisor: Number | None, places: Decimal = RATE) -> Decimal | None:
    """numerator / divisor rounded to `places`; None when either is unknown or the divisor is 0."""
    if numerator is None or not divisor:  # `not divisor`: None or 0
        return None
    return (exact(numerator) / divisor).quantize(places, ROUND_HALF_EVEN)


def per_hour(amount: Number | None, duration_ms: Number | None) -> Decimal | None:
    """An amount per hour of `duration_ms` (GMV per streaming hour), in cents."""
    if amount is None or not duration_ms:
        return None
    return (exact(amount) * MS_PER_HOUR / duration_ms).quantize(CENTS, ROUND_HALF_EVEN)


def full_months(day_from: date, day_to: date) -> tuple[date, date]:
    """Split [day_from, day_to] into [day_from, lo), the whole calendar months [lo, hi) and [hi, day_to].

    `lo` and `hi` are first days of months (or both day_to + 1 day when no whole month fits, so the range is all
    head): the account breakdown reads [lo, hi) from the monthly rollup and the two ends from the daily one.
    """
    lo = day_from if day_from.day == 1 else _next_month(day_from)
    after = day_to + timedelta(days=1)
    hi = after if after.day == 1 else day_to.replace(day=1)
    if lo >= hi:
        return after, after
    return lo, hi


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


_ROLLUP_COLUMNS = (
    "sessions", "streaming_ms", "viewers", "peak_viewers", "placed_orders", "confirmed_orders", "placed_sales",
    "confirmed_sales", "ad_spend",
)  # fmt: skip


def figures(row: Row) -> Figures:
    """Totals of a rollup row (daily_account / daily_studio shape) plus the figures derived from them.

    Built once per distinct set of totals (a bounded cache, `_figures`): dashboards ask for the same past days
    over and over, and deriving the figures of every point was most of a 365-day series' CPU. The structs are
    shared between answers, so nothing may change one after it is built."""
    return _figures(*[row[column] for column in _ROLLUP_COLUMNS])


@lru_cache(maxsize=65_536)
def _figures(
    sessions: int | None,
    streaming_ms: int | None,
    viewers: int | None,
    peak_viewers: int | None,
    placed_orders: int | None,
    confirmed_orders: int | None,
    placed_sales: Decimal | None,
    confirmed_sales: Decimal | None,
    ad_spend: Decimal | None,
) -> Figures:
    return Figures(
        sessions=sessions,
        streaming_ms=streaming_ms,
        viewers=viewers,
        peak_viewers=peak_viewers,
        placed_orders=placed_orders,
        confirmed_orders=confirmed_orders,
        placed_sales=placed_sales,
        confirmed_sales=confirmed_sales,
        ad_spend=ad_spend,
        gmv_per_streaming_hour=per_hour(confirmed_sales, streaming_ms),
        conversion=divide(confirmed_orders, viewers),
        aov=divide(confirmed_sales, confirmed_orders, CENTS),
        roas=divide(confirmed_sales, ad_spend),
        acos=divide(ad_spend, confirmed_sales),
    )


def hour_figures(row: Row) -> HourFigures:
    """Sums of hourly rollup rows plus GMV per streamed hour."""
    hours = row["hours"]
    return HourFigures(
        hours=hours,
        session_hours=row["session_hours"] or 0,
        viewers=row["viewers"],
        peak_viewers=row["peak_viewers"],
        placed_orders=row["placed_orders"],
        confirmed_orders=row["confirmed_orders"],
        placed_sales=row["placed_sales"],
        confirmed_sales=row["confirmed_sales"],
        gmv_per_hour=divide(row["confirmed_sales"], hours, CENTS),
    )


def session_derived(row: Row) -> SessionDerived:
    duration = row["duration_ms"]
    if duration is None and row["ended_at"] is not None:
        # Shopee's duration is authoritative; the start/end span only stands in when it was never reported.
        duration = int((row["ended_at"] - row["started_at"]).total_seconds() * 1000)
    return SessionDerived(
        conversion=divide(row["confirmed_orders"], row["viewers"]),
        aov=divide(row["confirmed_sales"], row["confirmed_orders"], CENTS),
        gmv_per_streaming_hour=per_hour(row["confirmed_sales"], duration),
    )


def host_figures(row: Row) -> HostFigures:
    return HostFigures(
        sessions=row["sessions"] or 0,
        on_air_ms=row["on_air_ms"],
        placed_orders=row["placed_orders"],
        placed_sales=row["placed_sales"],
        confirmed_orders=row["confirmed_orders"],
        confirmed_sales=row["confirmed_sales"],
        gmv_per_on_air_hour=per_hour(row["confirmed_sales"], row["on_air_ms"]),
    )


COMPARED: tuple[str, ...] = Figures.__struct_fields__
"""Every figure is compared, in the order of `Figures`."""


def delta(cur: Number | None, prev: Number | None) -> Delta:
    """diff = cur - prev, ratio = cur / prev (None when either is unknown; the ratio also when prev is 0)."""
    if cur is None or prev is None:
        return Delta(diff=None, ratio=None)
    cur = exact(cur)
    ratio = (cur / prev).quantize(RATE, ROUND_HALF_EVEN) if prev else None
    return Delta(diff=cur - prev, ratio=ratio)


def compare(current: Figures, previous: Figures) -> dict[str, Delta]:
    """Per figure: diff = current - previous, ratio = current / previous (None when unknown or divisor 0)."""
    return {
        name: delta(cur, prev) for name, cur, prev in zip(COMPARED, astuple(current), astuple(previous), strict=True)
    }


N = TypeVar("N", int, Decimal)


def sum_known(values: Iterable[N | None]) -> N | None:
    """The sum of the known values; None when none is known (like SQL's sum)."""
    known = [v for v in values if v is not None]
    return sum(known[1:], known[0]) if known else None


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def same_time_yesterday(at: datetime, timezone: str) -> tuple[date, date, datetime]:
    """(today, yesterday, yesterday's cutoff): the local day of `at` in `timezone`, the day before, and the
    instant of that day at the same local wall-clock time as `at` (DST-aware: a wall time a transition skipped
    is read the way zoneinfo resolves it)."""
    tz = zone(timezone)
    local = at.astimezone(tz)
    yesterday = local.date() - timedelta(days=1)
    cutoff = datetime.combine(yesterday, local.time(), tz).astimezone(UTC)
    return local.date(), yesterday, cutoff


CONFIRMED_SETTLE_DAYS = 7
"""Local days after a session's day during which its confirmed figures can still change: the ingest's history
re-read (`liveList/v2`) lists the last 7 days and re-reads their sessions (late confirmations, corrections)."""


def settling(on_air: bool, local_day: date, timezone: str, now: datetime) -> SessionSettling:
    """Live while on air; after the end placed figures are final (issue #24) and confirmed ones settle until the
    start of local day `local_day + CONFIRMED_SETTLE_DAYS + 1`."""
    if on_air:
        return SessionSettling(placed="live", confirmed="live", confirmed_final_at=None)
    day_after = local_day + timedelta(days=CONFIRMED_SETTLE_DAYS + 1)
    final_at = datetime.combine(day_after, time(0), zone(timezone)).astimezone(UTC)
    return SessionSettling(
        placed="final", confirmed="settling" if now < final_at else "final", confirmed_final_at=final_at
    )


def check_day(value: date, name: str) -> None:
    if not MIN_DAY <= value <= MAX_DAY:
        raise BadRequest(f"{name} must be between {MIN_DAY} and {MAX_DAY}")


def check_range(date_from: date, date_to: date, *, max_days: int = 400) -> None:
    check_day(date_from, "date_from")
    check_day(date_to, "date_to")
    if date_to < date_from:
        raise BadRequest("date_to is before date_from")
    if (date_to - date_from).days + 1 > max_days:
        raise BadRequest(f"a range may cover at most {max_days} days")


def previous_range(date_from: date, date_to: date) -> tuple[date, date]:
    """The range of the same length that ends the day before `date_from`."""
    length = (date_to - date_from).days + 1
    return date_from - timedelta(days=length), date_from - timedelta(days=1)


Freshness = Literal["fresh", "stale", "unknown"]


def freshness(last_poll: datetime | None, now: datetime, threshold_s: int, state: str) -> tuple[int | None, Freshness]:
    """Seconds since the last successful poll and whether the data can be trusted to be current."""
    if last_poll is None:
        return None, "unknown"
    age = max(0, int((now - last_poll).total_seconds()))
    healthy = state not in {"paused", "credentials_expired", "removed", "degraded"}
    return age, "fresh" if age <= threshold_s and healthy else "stale"
