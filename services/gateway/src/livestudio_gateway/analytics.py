"""Derived figures and comparisons as plain functions: ratios, GMV per hour, ROAS/ACOS, ranges, freshness.

A derived figure is NULL when its divisor is 0 or NULL (unknown is not zero). Money-like results (GMV per
streaming hour, AOV) are rounded half-even to cents; rates (conversion, ROAS, ACOS, change ratio) to 6 places.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal, Protocol

from msgspec.structs import astuple

from livestudio_gateway.models import Delta, Figures, HostFigures, HourFigures, SessionDerived
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


def figures(row: Row) -> Figures:
    """Totals of a rollup row (daily_account / daily_studio shape) plus the figures derived from them."""
    confirmed_sales = row["confirmed_sales"]
    confirmed_orders = row["confirmed_orders"]
    ad_spend = row["ad_spend"]
    return Figures(
        sessions=row["sessions"],
        streaming_ms=row["streaming_ms"],
        viewers=row["viewers"],
        peak_viewers=row["peak_viewers"],
        placed_orders=row["placed_orders"],
        confirmed_orders=confirmed_orders,
        placed_sales=row["placed_sales"],
        confirmed_sales=confirmed_sales,
        ad_spend=ad_spend,
        gmv_per_streaming_hour=per_hour(confirmed_sales, row["streaming_ms"]),
        conversion=divide(confirmed_orders, row["viewers"]),
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


def compare(current: Figures, previous: Figures) -> dict[str, Delta]:
    """Per figure: diff = current - previous, ratio = current / previous (None when unknown or divisor 0)."""
    out: dict[str, Delta] = {}
    for name, cur, prev in zip(COMPARED, astuple(current), astuple(previous), strict=True):
        if cur is None or prev is None:
            out[name] = Delta(diff=None, ratio=None)
        else:
            cur = exact(cur)
            ratio = (cur / prev).quantize(RATE, ROUND_HALF_EVEN) if prev else None
            out[name] = Delta(diff=cur - prev, ratio=ratio)
    return out


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
