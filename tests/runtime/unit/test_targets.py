"""The monthly target rule: month boundaries in the studio's timezone, DST days, leap years, pace and projection."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from livestudio_runtime.targets import (
    TargetError,
    check_amount,
    format_month,
    month_clock,
    month_of,
    next_month,
    parse_month,
    progress,
)

JKT = "Asia/Jakarta"
BERLIN = "Europe/Berlin"


def local(tz: str, year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(tz))


def test_month_text_round_trips_and_is_bounded() -> None:
    assert parse_month("2026-11") == date(2026, 11, 1)
    assert format_month(date(2026, 2, 1)) == "2026-02"
    for bad in ("2026-13", "2026-00", "1999-12", "2100-01", "2026-1", "2026-11\n", "26-11", "2026/11"):
        with pytest.raises(TargetError):
            parse_month(bad)
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_month_of_is_the_studios_local_month() -> None:
    # 2026-11-30 20:00 UTC is already 1 December in Jakarta (UTC+7)
    at = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert month_of(at, JKT) == date(2026, 12, 1)
    assert month_of(at, "UTC") == date(2026, 11, 1)


def test_elapsed_days_at_the_month_boundaries() -> None:
    nov = date(2026, 11, 1)
    start = local(JKT, 2026, 11, 1)
    assert month_clock(nov, start, JKT).elapsed_days == 0
    assert month_clock(nov, start - timedelta(microseconds=1), JKT).elapsed_days == 0  # before: nothing elapsed
    assert month_clock(nov, local(JKT, 2026, 11, 1, 12), JKT).elapsed_days == Decimal("0.5")
    assert month_clock(nov, local(JKT, 2026, 11, 16), JKT).elapsed_days == 15
    end = local(JKT, 2026, 12, 1)
    assert month_clock(nov, end, JKT).elapsed_days == 30
    assert month_clock(nov, end - timedelta(seconds=1), JKT).elapsed_days < 30
    assert month_clock(nov, end + timedelta(days=40), JKT).over
    # the same instant in UTC is still 30 November, 17:00
    assert month_clock(nov, end.astimezone(UTC), "UTC").elapsed_days == Decimal(29) + Decimal(17) / 24


@pytest.mark.parametrize(("year", "days"), [(2024, 29), (2026, 28), (2000, 29), (2100 - 1, 28)])
def test_february_has_its_leap_year_length(year: int, days: int) -> None:
    clock = month_clock(date(year, 2, 1), local(JKT, year, 2, 15), JKT)
    assert clock.days == days
    assert clock.elapsed_days == 14


def test_a_dst_day_counts_as_one_day_whatever_its_length() -> None:
    # Berlin: 2026-03-29 has 23 hours (02:00 -> 03:00), 2026-10-25 has 25 hours
    march = date(2026, 3, 1)
    noon_of_short_day = local(BERLIN, 2026, 3, 29, 12)  # 11 of 23 real hours passed (the hour 02-03 is missing)
    assert month_clock(march, noon_of_short_day, BERLIN).elapsed_days == Decimal(28) + Decimal(11) / Decimal(23)
    assert month_clock(march, local(BERLIN, 2026, 3, 30), BERLIN).elapsed_days == 29
    october = date(2026, 10, 1)
    assert month_clock(october, local(BERLIN, 2026, 10, 26), BERLIN).elapsed_days == 25
    noon_of_long_day = local(BERLIN, 2026, 10, 25, 12)  # 13 of 25 real hours passed
    assert month_clock(october, noon_of_long_day, BERLIN).elapsed_days == Decimal(24) + Decimal(13) / Decimal(25)


def test_a_zone_whose_midnight_does_not_exist() -> None:
    # America/Santiago springs forward at 00:00 -> 01:00 (2026-09-06): the local day starts at 01:00, 23 hours long
    zone = "America/Santiago"
    september = date(2026, 9, 1)
    at = datetime(2026, 9, 6, 4, 0, tzinfo=UTC) + timedelta(hours=23)  # the start of the 7th
    clock = month_clock(september, at, zone)
    assert clock.elapsed_days == 6


def test_pace_and_projection_halfway_through_the_month() -> None:
    clock = month_clock(date(2026, 11, 1), local(JKT, 2026, 11, 16), JKT)  # 15 of 30 days
    p = progress(Decimal("3000000"), Decimal("1200000"), clock)
    assert p.expected == Decimal("1500000.00")
    assert p.percent == Decimal("40.00")
    assert p.pace == Decimal("0.8000")
    assert p.projection == Decimal("2400000.00")


def test_unknown_progress_stays_unknown() -> None:
    clock = month_clock(date(2026, 11, 1), local(JKT, 2026, 11, 16), JKT)
    p = progress(Decimal("3000000"), None, clock)
    assert (p.progress, p.percent, p.pace, p.projection) == (None, None, None, None)
    assert p.expected == Decimal("1500000.00")


def test_no_pace_before_the_month_and_the_result_after_it() -> None:
    nov = date(2026, 11, 1)
    before = progress(Decimal(100), Decimal(0), month_clock(nov, local(JKT, 2026, 10, 31, 23), JKT))
    assert (before.expected, before.pace, before.projection, before.percent) == (Decimal(0), None, None, Decimal(0))
    after = progress(Decimal(100), Decimal("130.5"), month_clock(nov, local(JKT, 2027, 1, 3), JKT))
    assert after.expected == Decimal(100)
    assert after.pace == Decimal("1.3050")
    assert after.projection == Decimal("130.5")


def test_zero_sales_is_a_figure_not_unknown() -> None:
    clock = month_clock(date(2026, 11, 1), local(JKT, 2026, 11, 11), JKT)
    p = progress(Decimal(1000), Decimal(0), clock)
    assert (p.percent, p.pace, p.projection) == (Decimal(0), Decimal(0), Decimal(0))


@pytest.mark.parametrize("amount", ["0", "-1", "0.001", "1000000000000000.01", "NaN", "Infinity"])
def test_a_target_must_be_positive_bounded_and_in_cents(amount: str) -> None:
    with pytest.raises(TargetError):
        check_amount(Decimal(amount))
    with pytest.raises(TargetError):
        progress(Decimal(amount), Decimal(1), month_clock(date(2026, 11, 1), local(JKT, 2026, 11, 2), JKT))


def test_naive_now_is_refused() -> None:
    with pytest.raises(TargetError):
        month_clock(date(2026, 11, 1), datetime(2026, 11, 2), JKT)


def test_figures_never_carry_an_exponent() -> None:
    # asyncpg decodes numeric 900000 as Decimal('9.0E+5') and 90000000 as Decimal('9E+7')
    over = month_clock(date(2026, 11, 1), local(JKT, 2026, 12, 2), JKT)
    p = progress(Decimal("9E+7"), Decimal("9.0E+5"), over)
    assert [str(v) for v in (p.target, p.progress, p.projection, p.expected)] == [
        "90000000",
        "900000",
        "900000",
        "90000000.00",
    ]
