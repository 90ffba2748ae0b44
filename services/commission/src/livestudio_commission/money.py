"""Exact money arithmetic: currency quanta, the half-up rounding rule, and largest-remainder splitting.

Everything that divides money goes through `allocate_units` / `allocate_money`: the parts always add up to the
whole, unit for unit, and each part is within one quantum of its exact pro-rata share. Ties between equal
remainders go to the earlier entry of the (caller-sorted) weight list, so a split is deterministic.

Rounding rule of pay amounts (`round_half_up`): an exact amount is rounded once, to the currency's quantum,
half away from zero (Rp 1.5 -> Rp 2, Rp 1.49 -> Rp 1).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

# Currencies whose amounts are whole units on Shopee (IDR is shown and settled in whole rupiah).
_WHOLE_UNIT_CURRENCIES = frozenset({"IDR", "VND", "JPY", "KRW", "CLP", "ISK", "PYG", "UGX"})
ZERO = Decimal(0)


def currency_quantum(currency: str) -> Decimal:
    """Smallest amount paid out in `currency`: Rp 1 for IDR, 0.01 for cent currencies."""
    return Decimal(1) if currency.upper() in _WHOLE_UNIT_CURRENCIES else Decimal("0.01")


def split_quantum(amount: Decimal, quantum: Decimal) -> Decimal:
    """The unit to split `amount` in: the currency quantum, or finer if the amount itself is finer."""
    if amount % quantum == 0:
        return quantum
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(exponent)


def to_fraction(value: Decimal | int | Fraction) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def round_half_up(value: Decimal | Fraction | int, quantum: Decimal) -> Decimal:
    """Round to a multiple of `quantum`, halves away from zero. The one rounding rule of pay amounts."""
    units = to_fraction(value) / Fraction(quantum)
    magnitude = floor(abs(units) + Fraction(1, 2))
    n = magnitude if units >= 0 else -magnitude
    return _units_to_decimal(n, quantum)


def _units_to_decimal(units: int, quantum: Decimal) -> Decimal:
    return (Decimal(units) * quantum).quantize(quantum) if quantum < 1 else Decimal(units) * quantum


def allocate_units(units: int, weights: Sequence[tuple[K, Fraction | Decimal | int]]) -> dict[K, int]:
    """Split an integer number of units over non-negative weights by largest remainder; the parts sum to `units`.

    Negative totals are split like their absolute value and negated, so a decrease mirrors an increase.
    """
    if not weights:
        raise ValueError("cannot allocate over no weights")
    fr = [(key, to_fraction(w)) for key, w in weights]
    if any(w < 0 for _, w in fr):
        raise ValueError("weights must be non-negative")
    total_weight = sum((w for _, w in fr), Fraction(0))
    if total_weight == 0:
        raise ValueError("weights sum to zero")
    sign = -1 if units < 0 else 1
    whole = abs(units)
    floors: list[int] = []
    remainders: list[tuple[Fraction, int]] = []
    for index, (_, w) in enumerate(fr):
        exact = whole * w / total_weight
        base = floor(exact)
        floors.append(base)
        remainders.append((exact - base, index))
    left = whole - sum(floors)
    # Largest remainder first; equal remainders in list order (stable sort on the negated remainder).
    for _, index in sorted(remainders, key=lambda r: (-r[0], r[1]))[:left]:
        floors[index] += 1
    out: dict[K, int] = {}
    for (key, _), n in zip(fr, floors, strict=True):
        out[key] = out.get(key, 0) + sign * n
    return out


def allocate_money(
    amount: Decimal, weights: Sequence[tuple[K, Fraction | Decimal | int]], quantum: Decimal
) -> dict[K, Decimal]:
    """Split `amount` over `weights` in multiples of the quantum (finer if the amount is finer); exact sum."""
    unit = split_quantum(amount, quantum)
    units = amount / unit
    if units != units.to_integral_value():
        raise ValueError(f"{amount} is not a multiple of {unit}")
    return {k: _units_to_decimal(n, unit) for k, n in allocate_units(int(units), weights).items()}
