"""Monthly GMV targets: the month in a studio's timezone, and a target's progress, expected-by-now, pace and
projection. Plain functions (data in, data out, no clock), shared by the gateway (`GET /api/v1/targets`) and the
alerts service (the `gmv_pace` rule), so both judge a target by the same rule.

The rule (issue #20):

* A month is `YYYY-MM` in the studio's timezone: from local midnight of its first day to local midnight of the
  next month's first day.
* **Elapsed days** run linearly in local calendar days: the local days of the month already over, plus the part
  of today already passed, measured against today's real length (a 23-hour or 25-hour DST day still counts as
  one day). Before the month it is 0, after it the month's number of days (28 to 31, leap years included).
* **Expected by now** = target x elapsed days / days in the month.
* **Progress** is confirmed GMV of the month so far (the caller reads it); unknown (None) when no figure exists.
* **Percent** = progress / target x 100; **pace** = progress / expected (1 = on track; None before the month
  starts, when nothing is expected yet); **projection** = progress x days in the month / elapsed days (month end
  at the current rate; the progress itself once the month is over; None before it starts).
* Unknown progress makes every derived figure unknown (None), never 0. A target must be greater than 0.
* Figures come back without exponents (`str()` is a plain decimal string).

Rounding (half-even, as the gateway's other derived figures): money (expected, projection) to cents, percent to
2 places, pace to 4 places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final
from zoneinfo import ZoneInfo

MONTH_PATTERN: Final = r"^20[0-9]{2}-(0[1-9]|1[0-2])\Z"
"""`YYYY-MM` between 2000-01 and 2099-12 (the contract's range for days)."""
MAX_TARGET: Final = Decimal("1000000000000000")
"""The largest target accepted (10^15 in the studio's currency)."""
CENTS: Final = Decimal("0.01")
PACE_PLACES: Final = Decimal("0.0001")
_MONTH = re.compile(MONTH_PATTERN)
_US_PER_DAY: Final = 86_400_000_000


PROGRESS_SQL: Final = """CASE t.scope
    WHEN 'studio' THEN (SELECT sum(d.confirmed_sales) FROM analytics.daily_studio d
      WHERE d.studio_id = t.studio_id AND d.day >= t.month AND d.day < (t.month + interval '1 month')::date)
    WHEN 'account' THEN (SELECT sum(d.confirmed_sales) FROM analytics.daily_account d
      WHERE d.account_id = t.scope_id AND d.studio_id = t.studio_id AND d.day >= t.month
        AND d.day < (t.month + interval '1 month')::date)
    ELSE (SELECT sum(d.confirmed_sales) FROM commission.host_days d
      WHERE d.host_id = t.scope_id AND d.studio_id = t.studio_id AND d.local_day >= t.month
        AND d.local_day < (t.month + interval '1 month')::date)
  END"""
"""The confirmed GMV of target row `t` (`commission.targets`) in its month, the progress both readers use: the
studio's or the account's daily rollup, or the host's per-day attribution rollup (unassigned sales excluded);
NULL when no figure exists yet."""


class TargetError(ValueError):
    """A month or a target amount that cannot be used."""


def parse_month(text: str) -> date:
    """`YYYY-MM` -> the month's first day; TargetError otherwise."""
    if not _MONTH.match(text):
        raise TargetError(f"month must be YYYY-MM between 2000-01 and 2099-12, not {text[:20]!r}")
    return date(int(text[:4]), int(text[5:7]), 1)


def format_month(first_day: date) -> str:
    return f"{first_day.year:04d}-{first_day.month:02d}"


def next_month(first_day: date) -> date:
    return date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)


def month_of(at: datetime, timezone: str) -> date:
    """The first day of the local month `at` falls in, in `timezone`."""
    return at.astimezone(ZoneInfo(timezone)).date().replace(day=1)


def check_amount(amount: Decimal) -> Decimal:
    """A target: greater than 0, at most `MAX_TARGET`, at most cents."""
    if not amount.is_finite() or amount <= 0:
        raise TargetError("a target must be greater than 0")
    if amount > MAX_TARGET:
        raise TargetError(f"a target may be at most {MAX_TARGET}")
    if amount != amount.quantize(CENTS):
        raise TargetError("a target has at most 2 decimal places")
    return amount


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day starts: where midnight does not exist (a DST gap at 00:00), zoneinfo reads the
    wall time with the offset before the gap, which is the instant the gap starts; where it exists twice, the
    first (fold 0)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class MonthClock:
    """How far a studio's local month has run at an instant."""

    month: date
    """The month's first day."""
    days: int
    """Local days in the month (28 to 31)."""
    elapsed_days: Decimal
    """0 before the month, `days` after it, else full local days over + the passed part of today."""

    @property
    def fraction(self) -> Decimal:
        """Elapsed days / days (0 to 1, exact as far as Decimal's 28 digits go)."""
        return self.elapsed_days / self.days

    @property
    def over(self) -> bool:
        return self.elapsed_days >= self.days


def month_clock(month: date, now: datetime, timezone: str) -> MonthClock:
    """The elapsed local days of `month` (its first day) at `now` in `timezone`."""
    if now.tzinfo is None:
        raise TargetError("now must be timezone-aware")
    zone = ZoneInfo(timezone)
    first = month.replace(day=1)
    following = next_month(first)
    days = (following - first).days
    today = now.astimezone(zone).date()
    if today < first:
        return MonthClock(first, days, Decimal(0))
    if today >= following:
        return MonthClock(first, days, Decimal(days))
    start = _local_midnight_utc(today, zone)
    end = _local_midnight_utc(today + timedelta(days=1), zone)
    length_us = (end - start) // timedelta(microseconds=1) or _US_PER_DAY
    into_us = min(max((now - start) // timedelta(microseconds=1), 0), length_us)
    elapsed = Decimal((today - first).days) + Decimal(into_us) / Decimal(length_us)
    return MonthClock(first, days, elapsed)


@dataclass(frozen=True, slots=True)
class Progress:
    """A target judged at an instant. None = unknown."""

    target: Decimal
    progress: Decimal | None
    percent: Decimal | None
    expected: Decimal
    pace: Decimal | None
    projection: Decimal | None


def positional(value: Decimal) -> Decimal:
    """The same number without an exponent (asyncpg decodes numeric 900000 as `Decimal('9.0E+5')`), so that
    `str()` of it, and of what is computed from it, is a plain decimal."""
    return Decimal(format(value, "f"))


def progress(target: Decimal, confirmed: Decimal | None, clock: MonthClock) -> Progress:
    """Percent, expected-by-now, pace and projection of a target given the month's confirmed GMV so far (every
    figure in positional notation)."""
    check_amount(target)
    target = positional(target)
    confirmed = None if confirmed is None else positional(confirmed)
    expected = (target * clock.elapsed_days / clock.days).quantize(CENTS, ROUND_HALF_EVEN)
    if confirmed is None:
        return Progress(target, None, None, expected, None, None)
    percent = (confirmed * 100 / target).quantize(CENTS, ROUND_HALF_EVEN)
    exact_expected = target * clock.elapsed_days / clock.days
    pace = None if exact_expected == 0 else (confirmed / exact_expected).quantize(PACE_PLACES, ROUND_HALF_EVEN)
    if clock.elapsed_days == 0:
        projection = None
    elif clock.over:
        projection = confirmed
    else:
        projection = (confirmed * clock.days / clock.elapsed_days).quantize(CENTS, ROUND_HALF_EVEN)
    return Progress(target, confirmed, percent, expected, pace, projection)
