"""Pay periods in the studio's local calendar: calendar months (default) or ISO weeks (Monday to Sunday)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

PayPeriod = Literal["monthly", "weekly"]


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive range of local days."""

    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_of(day: date, pay_period: PayPeriod) -> Period:
    if pay_period == "weekly":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6))
    start = day.replace(day=1)
    following = date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)
    return Period(start, following - timedelta(days=1))


def next_period(period: Period, pay_period: PayPeriod) -> Period:
    return period_of(period.end + timedelta(days=1), pay_period)
