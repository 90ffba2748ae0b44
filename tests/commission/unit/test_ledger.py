"""Ledger rules: earnings per period and session, and where lines go once a statement is frozen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from livestudio_commission.attribution import Metric, Value
from livestudio_commission.ledger import (
    Earning,
    HostPart,
    LineKey,
    Settled,
    compute_earnings,
    plan_lines,
)
from livestudio_commission.periods import Period, next_period, period_of
from livestudio_commission.rules import PayRule, Tier
from livestudio_schemas.commission import StatementLine

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
FROM = date(2026, 1, 1)


def part(session: int, confirmed: int | None, *, day: int = 2, on_air_ms: int | None = None) -> HostPart:
    values: dict[Metric, Value | None] = {
        "placed_orders": None,
        "placed_sales": None,
        "confirmed_orders": None,
        "confirmed_sales": None if confirmed is None else Decimal(confirmed),
    }
    return HostPart("acc", session, "st", date(2026, 3, day), "day", values, on_air_ms)


def test_periods() -> None:
    assert period_of(date(2026, 3, 17), "monthly") == MARCH
    assert period_of(date(2026, 12, 31), "monthly") == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert period_of(date(2026, 3, 4), "weekly") == Period(date(2026, 3, 2), date(2026, 3, 8))
    assert next_period(MARCH, "monthly") == Period(date(2026, 4, 1), date(2026, 4, 30))
    assert period_of(date(2026, 2, 14), "monthly").end == date(2026, 2, 28)


def test_tiers_apply_to_the_period_total_and_split_back_over_sessions_exactly() -> None:
    rule = PayRule("tiered", FROM, "gmv_percent", tiers=(Tier(Decimal(2_000_000), Decimal(2)), Tier(None, Decimal(3))))
    parts = [part(1, 1_000_000), part(2, 1_000_000, day=10), part(3, 1_000_001, day=20), part(4, None)]
    earnings = compute_earnings(parts, [rule], role_on=lambda d: "host", holidays=(), quantum=Decimal(1))
    # period base 3,000,001: 2% of 2 M + 3% of 1,000,001 = 40,000 + 30,000.03 -> 70,000
    assert sum(e.amount for e in earnings.values()) == Decimal(70_000)
    assert {k.session_id: e.amount for k, e in earnings.items()} == {
        1: Decimal(23_333),
        2: Decimal(23_333),
        3: Decimal(23_334),
    }
    assert {k.session_id: e.base for k, e in earnings.items()}[3] == Decimal(1_000_001)


def test_cap_and_threshold_are_visible_in_the_lines() -> None:
    capped = PayRule("cap", FROM, "gmv_percent", percent=Decimal(10), cap=Decimal(150_000))
    hourly = PayRule("hourly", FROM, "per_hour", amount=Decimal(20_000), min_threshold=Decimal(3))
    parts = [part(1, 1_000_000, on_air_ms=3_600_000), part(2, 1_000_000, on_air_ms=3_600_000)]
    earnings = compute_earnings(parts, [capped, hourly], role_on=lambda d: "host", holidays=(), quantum=Decimal(1))
    by_rule: dict[str, list[Earning]] = {}
    for e in earnings.values():
        by_rule.setdefault(e.key.rule_id, []).append(e)
    assert sum(e.amount for e in by_rule["cap"]) == Decimal(150_000)
    assert all("capped" in e.description for e in by_rule["cap"])
    assert [e.amount for e in by_rule["hourly"]] == [Decimal(0), Decimal(0)]  # 2 hours < 3: below threshold
    assert [e.base for e in by_rule["hourly"]] == [Decimal(1), Decimal(1)]  # hours


def test_hours_fit_the_statement_line_contract() -> None:
    """An hourly rule's base (e.g. 3,599,999 ms on air) must validate as a StatementChanged line, or the
    statement worker would retry the host forever."""
    hourly = PayRule("hourly", FROM, "per_hour", amount=Decimal(20_000))
    earnings = compute_earnings(
        [part(1, None, on_air_ms=11_364_480)], [hourly], role_on=lambda d: "host", holidays=(), quantum=Decimal(1)
    )
    (earning,) = earnings.values()
    assert earning.base == Decimal("3.16")  # 3.1568 h
    assert earning.amount == Decimal(63_136)  # from the exact hours: 20,000 x 3.1568
    StatementLine(line_id="l", line_kind="earning", description="d", base=earning.base, amount=earning.amount)


KEY = LineKey("r", FROM, "acc", 1)
KEY2 = LineKey("r", FROM, "acc", 2)


def test_open_statement_takes_the_earnings() -> None:
    earnings = {KEY: Earning(KEY, Decimal(100), Decimal(2), "d")}
    lines = plan_lines(MARCH, earnings, {}, own_statement=True)
    assert [(ln.line_kind, ln.amount, ln.source_period_start) for ln in lines] == [("earning", Decimal(2), MARCH.start)]


def test_frozen_period_differences_become_adjustments() -> None:
    earnings = {
        KEY: Earning(KEY, Decimal(150), Decimal(3), "d"),
        KEY2: Earning(KEY2, Decimal(10), Decimal(1), "d"),
    }
    settled = {KEY: Settled(Decimal(100), Decimal(2)), KEY2: Settled(Decimal(10), Decimal(1))}
    lines = plan_lines(MARCH, earnings, settled, own_statement=False)
    assert [(ln.line_kind, ln.key, ln.base, ln.amount) for ln in lines] == [
        ("adjustment", KEY, Decimal(50), Decimal(1))
    ]
    assert "2026-03-01..2026-03-31" in lines[0].description
    # a session that lost its earnings entirely is taken back
    back = plan_lines(MARCH, {}, settled, own_statement=False)
    assert sorted(ln.amount for ln in back) == [Decimal(-2), Decimal(-1)]


def test_a_reissued_period_takes_back_what_was_settled_elsewhere() -> None:
    earnings = {KEY: Earning(KEY, Decimal(150), Decimal(3), "d")}
    settled = {KEY: Settled(Decimal(50), Decimal(1))}  # an adjustment for March already paid in April
    lines = plan_lines(MARCH, earnings, settled, own_statement=True)
    assert [(ln.line_kind, ln.amount) for ln in lines] == [("earning", Decimal(3)), ("adjustment", Decimal(-1))]
    assert sum(ln.amount for ln in lines) + Decimal(1) == Decimal(3)
