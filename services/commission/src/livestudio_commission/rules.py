"""Pay rules as data: versions, scope, precedence, and the amount a rule pays for a period's base.

Versions: a rule (`rule_id`) has versions keyed by `effective_from`. On a local day the version in force is the
one with the latest `effective_from` on or before that day, provided the day is not after its `effective_to`
(a version that has ended does not revive an older one).

Precedence: every rule kind (`gmv_percent`, `per_order`, `per_hour`) is resolved on its own, so a studio can pay
a percentage *and* an hourly rate. Among the versions in force that match a bucket (its studio, account, the
host's role on that day, local day type and shift), the most specific wins, compared in this order:

1. scope: account beats studio beats global;
2. a rule for the host's role beats one for every role;
3. a shift-specific rule beats one for all shifts;
4. day type: holiday beats weekday/weekend beats "all" (a holiday is a holiday *and* a weekday or weekend day);
5. then the newest version (`effective_from`), then the smaller `rule_id` (deterministic).

Amounts, per host, per period and per winning rule version (the rule's base is summed over the period):

* `gmv_percent`: base = confirmed (or placed) GMV; `percent` of it, or marginal tiers (each tier's percent
  applies to the part of the base inside the tier; the last tier must be unbounded);
* `per_order`: base = confirmed (or placed) orders; `amount` per order;
* `per_hour`: base = on-air hours (exact, from milliseconds); `amount` per hour.

A base below `min_threshold` (in the base's own unit: money, orders or hours) pays nothing; a non-positive base
pays nothing; the exact amount is rounded once, half up to the currency quantum, then limited to `cap`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any, Literal

from livestudio_commission.money import round_half_up

RuleKind = Literal["gmv_percent", "per_order", "per_hour"]
Basis = Literal["confirmed", "placed"]
DayType = Literal["all", "weekday", "weekend", "holiday"]
RULE_KINDS: tuple[RuleKind, ...] = ("gmv_percent", "per_order", "per_hour")
MS_PER_HOUR = 3_600_000


class RuleError(ValueError):
    """A rule version that cannot be applied as written."""


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None
    percent: Decimal


@dataclass(frozen=True)
class PayRule:
    rule_id: str
    effective_from: date
    rule_kind: RuleKind
    basis: Basis = "confirmed"
    effective_to: date | None = None
    studio_id: str | None = None
    account_id: str | None = None
    role: str | None = None
    percent: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    amount: Decimal | None = None
    day_type: DayType = "all"
    shift_id: str | None = None
    min_threshold: Decimal | None = None
    cap: Decimal | None = None

    @property
    def version(self) -> tuple[str, date]:
        return self.rule_id, self.effective_from

    def specificity(self) -> tuple[int, int, int, int]:
        scope = 2 if self.account_id is not None else 1 if self.studio_id is not None else 0
        day = {"all": 0, "weekday": 1, "weekend": 1, "holiday": 2}[self.day_type]
        return scope, int(self.role is not None), int(self.shift_id is not None), day


def validate(rule: PayRule) -> None:
    """Raise RuleError when a version is incomplete or contradictory."""
    if rule.effective_to is not None and rule.effective_to < rule.effective_from:
        raise RuleError("effective_to is before effective_from")
    if rule.rule_kind == "gmv_percent":
        if rule.percent is None and not rule.tiers:
            raise RuleError("a gmv_percent rule needs percent or tiers")
        if rule.tiers:
            bounds = [t.up_to for t in rule.tiers]
            if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
                raise RuleError("only the last tier may be (and must be) unbounded")
            bounded = [b for b in bounds if b is not None]
            if any(x >= y for x, y in pairwise(bounded)) or any(b <= 0 for b in bounded):
                raise RuleError("tier bounds must be positive and strictly increasing")
    elif rule.amount is None:
        raise RuleError(f"a {rule.rule_kind} rule needs amount")


def day_types(day: date, holidays: Iterable[date]) -> frozenset[DayType]:
    kinds: set[DayType] = {"all", "weekend" if day.weekday() >= 5 else "weekday"}
    if day in set(holidays):
        kinds.add("holiday")
    return frozenset(kinds)


@dataclass(frozen=True)
class BucketContext:
    """What rule matching looks at for one attributed bucket."""

    studio_id: str
    account_id: str
    role: str
    local_day: date
    shift_id: str | None
    day_types: frozenset[DayType]


def in_force(rules: Sequence[PayRule], day: date) -> list[PayRule]:
    """The version of each rule in force on `day`."""
    latest: dict[str, PayRule] = {}
    for rule in rules:
        if rule.effective_from <= day:
            current = latest.get(rule.rule_id)
            if current is None or rule.effective_from > current.effective_from:
                latest[rule.rule_id] = rule
    return [r for r in latest.values() if r.effective_to is None or day <= r.effective_to]


def matches(rule: PayRule, ctx: BucketContext) -> bool:
    return (
        (rule.studio_id is None or rule.studio_id == ctx.studio_id)
        and (rule.account_id is None or rule.account_id == ctx.account_id)
        and (rule.role is None or rule.role == ctx.role)
        and (rule.shift_id is None or rule.shift_id == ctx.shift_id)
        and rule.day_type in ctx.day_types
    )


def _rank(rule: PayRule) -> tuple[tuple[int, int, int, int], date, _Reverse]:
    return rule.specificity(), rule.effective_from, _Reverse(rule.rule_id)


@dataclass(frozen=True)
class _Reverse:
    """Sorts strings backwards, so that `max` prefers the smaller rule id."""

    value: str

    def __lt__(self, other: _Reverse) -> bool:
        return self.value > other.value


def winning_rules(rules: Sequence[PayRule], ctx: BucketContext) -> dict[RuleKind, PayRule]:
    """The most specific matching version in force, per rule kind."""
    out: dict[RuleKind, PayRule] = {}
    for rule in in_force(rules, ctx.local_day):
        if not matches(rule, ctx):
            continue
        current = out.get(rule.rule_kind)
        if current is None or _rank(current) < _rank(rule):
            out[rule.rule_kind] = rule
    return out


def base_of(rule: PayRule, values: Mapping[Any, int | Decimal | None], on_air_ms: int | None) -> int | Decimal | None:
    """The bucket's contribution to the rule's base: GMV, orders, or on-air milliseconds. None = unknown."""
    if rule.rule_kind == "gmv_percent":
        return values.get(f"{rule.basis}_sales")
    if rule.rule_kind == "per_order":
        return values.get(f"{rule.basis}_orders")
    return on_air_ms


def base_in_unit(rule: PayRule, base: int | Decimal) -> Fraction:
    """The base in the rule's own unit (hours for per_hour), exact."""
    if rule.rule_kind == "per_hour":
        return Fraction(int(base), MS_PER_HOUR)
    return Fraction(base)


@dataclass(frozen=True)
class RuleOutcome:
    amount: Decimal
    below_threshold: bool = False
    capped: bool = False


def tiered(base: Fraction, tiers: Sequence[Tier]) -> Fraction:
    total = Fraction(0)
    lower = Fraction(0)
    for tier in tiers:
        upper = None if tier.up_to is None else Fraction(tier.up_to)
        top = base if upper is None else min(base, upper)
        if top > lower:
            total += (top - lower) * Fraction(tier.percent) / 100
        if upper is None or base <= upper:
            break
        lower = upper
    return total


def rule_amount(rule: PayRule, base: int | Decimal, quantum: Decimal) -> RuleOutcome:
    """What one rule version pays for a period's total base (in the rule's base unit, ms for per_hour)."""
    unit_base = base_in_unit(rule, base)
    if unit_base <= 0:
        return RuleOutcome(Decimal(0))
    if rule.min_threshold is not None and unit_base < Fraction(rule.min_threshold):
        return RuleOutcome(Decimal(0), below_threshold=True)
    if rule.rule_kind == "gmv_percent":
        exact = tiered(unit_base, rule.tiers) if rule.tiers else unit_base * Fraction(rule.percent or 0) / 100
    else:
        exact = unit_base * Fraction(rule.amount or 0)
    amount = round_half_up(exact, quantum)
    if rule.cap is not None and amount > rule.cap:
        # The cap is never exceeded: a cap finer than the quantum rounds down.
        capped = (rule.cap / quantum).to_integral_value(rounding=ROUND_FLOOR) * quantum
        return RuleOutcome(capped, capped=True)
    return RuleOutcome(amount)


def describe(rule: PayRule) -> str:
    if rule.rule_kind == "gmv_percent":
        how = (
            "tiers " + ", ".join(f"{t.percent}% up to {t.up_to if t.up_to is not None else 'any'}" for t in rule.tiers)
            if rule.tiers
            else f"{rule.percent}%"
        )
        text = f"{how} of {rule.basis} GMV"
    elif rule.rule_kind == "per_order":
        text = f"{rule.amount} per {rule.basis} order"
    else:
        text = f"{rule.amount} per on-air hour"
    qualifiers = [f"shift {rule.shift_id}"] if rule.shift_id else []
    if rule.day_type != "all":
        qualifiers.append(rule.day_type)
    if qualifiers:
        text += " (" + ", ".join(qualifiers) + ")"
    return f"rule {rule.rule_id}: {text}"
