"""The pay ledger's rules as plain functions: a host's earnings for a period, and which lines go where.

Earnings of a host for a period (`compute_earnings`): every attributed bucket of the host in the period picks
its winning rule per kind (see `rules`); each winning rule version's base is summed over the period, paid by
`rules.rule_amount` (tiers, threshold, cap, rounding), and the amount is split back over the sessions pro rata to
their positive base by largest remainder, one *earning line* per (rule version, account, session).

Where the lines of a source period P go (`plan_lines`):

* "Settled" for P is what approved or paid statements already hold for P: the earning lines of P's frozen
  statement plus adjustment lines about P in other frozen statements.
* If P's current statement is open (calculated, or not created yet), it receives P's earning lines, and (only
  after a void re-issue) adjustment lines taking back what was already settled elsewhere.
* If P's statement is frozen (approved/paid), it never changes: the difference between the earnings now and
  what is settled becomes *adjustment lines* in the host's next open statement after P (the next period whose
  statement is not approved or paid; created when needed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from livestudio_commission.attribution import Metric, Value
from livestudio_commission.money import allocate_money, round_half_up
from livestudio_commission.periods import Period
from livestudio_commission.rules import (
    BucketContext,
    PayRule,
    base_of,
    day_types,
    describe,
    rule_amount,
    winning_rules,
)

LineKind = Literal["earning", "adjustment"]
StatementStatus = Literal["calculated", "approved", "paid", "void"]
FROZEN: frozenset[str] = frozenset({"approved", "paid"})
HOURS_DISPLAY = Decimal("0.01")
"""A line's hours as the contract carries them (`StatementLine.base` is a 2-place decimal); the amount is computed
from the exact milliseconds, the base is what a statement shows."""


@dataclass(frozen=True)
class HostPart:
    """One attributed bucket of a host (from `attribution_parts`)."""

    account_id: str
    session_id: int
    studio_id: str
    local_day: date
    shift_id: str | None
    values: Mapping[Metric, Value | None]
    on_air_ms: int | None


@dataclass(frozen=True, order=True)
class LineKey:
    rule_id: str
    rule_version: date
    account_id: str
    session_id: int


@dataclass(frozen=True)
class Earning:
    key: LineKey
    base: Decimal
    amount: Decimal
    description: str


@dataclass(frozen=True)
class Settled:
    base: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class PlannedLine:
    line_kind: LineKind
    key: LineKey
    base: Decimal | None
    amount: Decimal
    description: str
    source_period_start: date


def _display_base(rule: PayRule, base: int | Decimal) -> Decimal:
    if rule.rule_kind == "per_hour":
        return round_half_up(Fraction(int(base), 3_600_000), HOURS_DISPLAY)
    return Decimal(base)


def compute_earnings(
    parts: Iterable[HostPart],
    rules: Sequence[PayRule],
    *,
    role_on: Callable[[date], str],
    holidays: Iterable[date],
    quantum: Decimal,
) -> dict[LineKey, Earning]:
    holiday_set = frozenset(holidays)
    bases: dict[tuple[str, date], dict[tuple[str, int], int | Decimal]] = {}
    chosen: dict[tuple[str, date], PayRule] = {}
    for part in parts:
        ctx = BucketContext(
            studio_id=part.studio_id,
            account_id=part.account_id,
            role=role_on(part.local_day),
            local_day=part.local_day,
            shift_id=part.shift_id,
            day_types=day_types(part.local_day, holiday_set),
        )
        for rule in winning_rules(rules, ctx).values():
            base = base_of(rule, part.values, part.on_air_ms)
            if base is None:
                continue
            chosen[rule.version] = rule
            per_session = bases.setdefault(rule.version, {})
            session_key = (part.account_id, part.session_id)
            per_session[session_key] = per_session.get(session_key, 0) + base
    out: dict[LineKey, Earning] = {}
    for version in sorted(bases):
        rule = chosen[version]
        per_session = bases[version]
        total = sum(per_session.values(), start=Decimal(0))
        outcome = rule_amount(rule, total, quantum)
        positive = [(k, Fraction(b)) for k, b in sorted(per_session.items()) if b > 0]
        shares = allocate_money(outcome.amount, positive, quantum) if positive and outcome.amount else {}
        text = describe(rule)
        if outcome.below_threshold:
            text += "; period base below threshold"
        if outcome.capped:
            text += "; capped"
        for (account_id, session_id), base in sorted(per_session.items()):
            key = LineKey(rule.rule_id, rule.effective_from, account_id, session_id)
            out[key] = Earning(
                key,
                _display_base(rule, base),
                shares.get((account_id, session_id), Decimal(0)),
                f"{text}; session {session_id} on {account_id}",
            )
    return out


def plan_lines(
    source: Period,
    earnings: Mapping[LineKey, Earning],
    settled: Mapping[LineKey, Settled],
    *,
    own_statement: bool,
) -> list[PlannedLine]:
    """The lines about period `source` for its target statement (P's own open statement, or the next open)."""
    lines: list[PlannedLine] = []
    label = f"{source.start.isoformat()}..{source.end.isoformat()}"
    if own_statement:
        for key in sorted(earnings):
            e = earnings[key]
            lines.append(PlannedLine("earning", key, e.base, e.amount, e.description, source.start))
        for key in sorted(settled):
            s = settled[key]
            if s.amount != 0:
                lines.append(
                    PlannedLine(
                        "adjustment",
                        key,
                        None if s.base is None else -s.base,
                        -s.amount,
                        f"adjustment for {label}: already settled in another statement "
                        f"(rule {key.rule_id}, session {key.session_id})",
                        source.start,
                    )
                )
        return lines
    for key in sorted(set(earnings) | set(settled)):
        now = earnings.get(key)
        before = settled.get(key)
        amount = (now.amount if now else Decimal(0)) - (before.amount if before else Decimal(0))
        if amount == 0:
            continue
        base_now = now.base if now else Decimal(0)
        base_before = before.base if before and before.base is not None else Decimal(0)
        what = now.description if now else f"rule {key.rule_id}; session {key.session_id} on {key.account_id}"
        lines.append(
            PlannedLine(
                "adjustment",
                key,
                base_now - base_before,
                amount,
                f"adjustment for {label}: {what}",
                source.start,
            )
        )
    return lines


def line_id(statement_id: str, line: PlannedLine) -> str:
    k = line.key
    tag = "e" if line.line_kind == "earning" else "a"
    return (
        f"{statement_id}|{tag}|{line.source_period_start.isoformat()}|{k.rule_id}|{k.rule_version.isoformat()}"
        f"|{k.account_id}|{k.session_id}"
    )


def statement_id_for(host_id: str, period: Period, seq: int) -> str:
    return f"{host_id}:{period.start.isoformat()}:{seq}"


def content_hash(lines: Iterable[tuple[str, str, Decimal | None, Decimal]], total: Decimal) -> str:
    """Hash of a statement's figures: a recalculation that changes nothing bumps no revision."""
    digest = hashlib.sha256()
    for line_id_, kind, base, amount in sorted(lines, key=lambda r: r[0]):
        shown_base = None if base is None else base.normalize()
        digest.update(f"{line_id_}|{kind}|{shown_base}|{amount.normalize()}\n".encode())
    digest.update(f"total|{total.normalize()}".encode())
    return digest.hexdigest()
