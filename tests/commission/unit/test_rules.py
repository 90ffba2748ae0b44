"""Pay rules: precedence (table-driven), versions, tiers, thresholds, caps and the rounding rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from livestudio_commission.rules import (
    BucketContext,
    PayRule,
    RuleError,
    Tier,
    day_types,
    in_force,
    rule_amount,
    validate,
    winning_rules,
)

FROM = date(2026, 1, 1)
MONDAY = date(2026, 3, 2)
SATURDAY = date(2026, 3, 7)
HOLIDAY_MONDAY = date(2026, 3, 9)
HOLIDAYS = (HOLIDAY_MONDAY,)


def pct(rule_id: str, percent: str, **scope: object) -> PayRule:
    return PayRule(rule_id=rule_id, effective_from=FROM, rule_kind="gmv_percent", percent=Decimal(percent), **scope)  # type: ignore[arg-type]


RULES = [
    pct("global", "1"),
    pct("global-holiday", "5", day_type="holiday"),
    pct("studio", "2", studio_id="s1"),
    pct("studio-weekend", "4", studio_id="s1", day_type="weekend"),
    pct("studio-holiday", "4.5", studio_id="s1", day_type="holiday"),
    pct("studio-night", "6", studio_id="s1", shift_id="night"),
    pct("studio-leader", "2.5", studio_id="s1", role="leader"),
    pct("account", "3", studio_id="s1", account_id="acc1"),
    pct("account-only", "3.5", account_id="acc7"),
    PayRule(rule_id="hourly", effective_from=FROM, rule_kind="per_hour", amount=Decimal(20_000)),
]


def ctx(
    studio: str = "s1", account: str = "acc9", role: str = "host", day: date = MONDAY, shift: str | None = "day"
) -> BucketContext:
    return BucketContext(studio, account, role, day, shift, day_types(day, HOLIDAYS))


@pytest.mark.parametrize(
    ("context", "winner"),
    [
        (ctx(studio="s2"), "global"),  # nothing more specific for another studio
        (ctx(studio="s2", day=HOLIDAY_MONDAY), "global-holiday"),  # holiday beats all days, same scope
        (ctx(), "studio"),  # studio beats global
        (ctx(account="acc1"), "account"),  # account beats studio
        (ctx(account="acc1", day=SATURDAY), "account"),  # scope first: account beats a studio weekend rule
        (ctx(day=SATURDAY), "studio-weekend"),  # weekend beats all days
        (ctx(day=HOLIDAY_MONDAY), "studio-holiday"),  # studio holiday beats global holiday (scope first)
        (ctx(shift="night"), "studio-night"),  # shift-specific beats all shifts
        (ctx(shift="night", day=SATURDAY), "studio-night"),  # shift beats day type
        (ctx(role="leader"), "studio-leader"),  # a rule for the role beats one for every role
        (ctx(role="leader", shift="night"), "studio-leader"),  # role beats shift
        (ctx(studio="s3", account="acc7"), "account-only"),  # account scope without a studio
    ],
)
def test_most_specific_rule_wins(context: BucketContext, winner: str) -> None:
    won = winning_rules(RULES, context)
    assert won["gmv_percent"].rule_id == winner
    assert won["per_hour"].rule_id == "hourly"  # kinds are resolved independently
    assert "per_order" not in won


def test_holiday_is_also_a_weekday_or_weekend() -> None:
    assert day_types(HOLIDAY_MONDAY, HOLIDAYS) == {"all", "weekday", "holiday"}
    assert day_types(SATURDAY, ()) == {"all", "weekend"}


def test_versions_in_force_and_ties() -> None:
    v1 = pct("r", "1")
    v2 = PayRule(
        rule_id="r",
        effective_from=date(2026, 3, 1),
        effective_to=date(2026, 3, 31),
        rule_kind="gmv_percent",
        percent=Decimal(2),
    )
    assert [r.percent for r in in_force([v1, v2], date(2026, 2, 15))] == [Decimal(1)]
    assert [r.percent for r in in_force([v1, v2], date(2026, 3, 15))] == [Decimal(2)]
    assert in_force([v1, v2], date(2026, 4, 1)) == []  # an ended version does not revive the older one
    assert in_force([v1, v2], date(2025, 12, 31)) == []
    # same specificity: the newer version wins, then the smaller rule id
    newer = PayRule(rule_id="z", effective_from=date(2026, 2, 1), rule_kind="gmv_percent", percent=Decimal(7))
    assert winning_rules([pct("a", "1"), newer], ctx(studio="s9"))["gmv_percent"].rule_id == "z"
    assert winning_rules([pct("b", "1"), pct("a", "1")], ctx(studio="s9"))["gmv_percent"].rule_id == "a"


TIERS = (Tier(Decimal(10_000_000), Decimal(2)), Tier(None, Decimal(3)))


@pytest.mark.parametrize(
    ("rule", "base", "expected"),
    [
        # tiers: 2% up to Rp 10 M, 3% above (marginal)
        (PayRule("t", FROM, "gmv_percent", tiers=TIERS), 5_000_000, 100_000),
        (PayRule("t", FROM, "gmv_percent", tiers=TIERS), 10_000_000, 200_000),
        (PayRule("t", FROM, "gmv_percent", tiers=TIERS), 15_000_000, 350_000),
        # minimum threshold on the base: below it nothing is paid
        (PayRule("t", FROM, "gmv_percent", tiers=TIERS, min_threshold=Decimal(1_000_000)), 999_999, 0),
        (PayRule("t", FROM, "gmv_percent", tiers=TIERS, min_threshold=Decimal(1_000_000)), 1_000_000, 20_000),
        # cap on the amount
        (PayRule("t", FROM, "gmv_percent", tiers=TIERS, cap=Decimal(300_000)), 15_000_000, 300_000),
        # rounding: once, half up to whole rupiah
        (PayRule("p", FROM, "gmv_percent", percent=Decimal(2)), 1_234_567, 24_691),  # 24,691.34
        (PayRule("p", FROM, "gmv_percent", percent=Decimal(2)), 1_234_575, 24_692),  # 24,691.50
        (PayRule("p", FROM, "gmv_percent", percent=Decimal("2.5")), 0, 0),
        (PayRule("p", FROM, "gmv_percent", percent=Decimal("2.5")), -100, 0),  # returns exceed sales: no pay
        # per order, per hour (base in ms: exact hours)
        (PayRule("o", FROM, "per_order", amount=Decimal(2_000)), 37, 74_000),
        (PayRule("o", FROM, "per_order", amount=Decimal(2_000), min_threshold=Decimal(40)), 37, 0),
        (PayRule("h", FROM, "per_hour", amount=Decimal(50_000)), 90 * 60_000, 75_000),
        (PayRule("h", FROM, "per_hour", amount=Decimal(50_000)), 1_000, 14),  # 13.89 -> 14
        (PayRule("h", FROM, "per_hour", amount=Decimal(50_000), min_threshold=Decimal(2)), 90 * 60_000, 0),
        (PayRule("h", FROM, "per_hour", amount=Decimal(50_000), cap=Decimal("60000.6")), 90 * 60_000, 60_000),
    ],
)
def test_rule_amounts(rule: PayRule, base: int, expected: int) -> None:
    assert rule_amount(rule, Decimal(base), Decimal(1)).amount == Decimal(expected)


def test_cent_currency_rounds_to_cents() -> None:
    rule = PayRule("p", FROM, "gmv_percent", percent=Decimal("1.5"))
    assert rule_amount(rule, Decimal("10.30"), Decimal("0.01")).amount == Decimal("0.15")  # 0.1545


@pytest.mark.parametrize(
    "rule",
    [
        PayRule("x", FROM, "gmv_percent"),
        PayRule("x", FROM, "per_order"),
        PayRule("x", FROM, "per_hour"),
        PayRule("x", FROM, "gmv_percent", tiers=(Tier(Decimal(5), Decimal(1)),)),  # last tier bounded
        PayRule("x", FROM, "gmv_percent", tiers=(Tier(None, Decimal(1)), Tier(None, Decimal(2)))),
        PayRule(
            "x",
            FROM,
            "gmv_percent",
            tiers=(Tier(Decimal(10), Decimal(1)), Tier(Decimal(5), Decimal(2)), Tier(None, Decimal(3))),
        ),
        PayRule("x", FROM, "gmv_percent", percent=Decimal(1), effective_to=date(2025, 1, 1)),
    ],
)
def test_invalid_rules_are_refused(rule: PayRule) -> None:
    with pytest.raises(RuleError):
        validate(rule)
