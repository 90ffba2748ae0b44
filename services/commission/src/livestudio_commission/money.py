"""Exact money arithmetic: currency quanta, the half-up rounding rule, and largest-remainder splitting.

Everything that divides money goes through `allocate_units` / `allocate_money`: the parts always add up to the
whole, unit for unit, and each part is within one quantum of its exact pro-rata share. Ties between equal
remainders go to the earlier entry of the (caller-sorted) weight list, so a split is deterministic.

Rounding rule of pay amounts (`round_half_up`): an exact amount is rounded once, to the currency's quantum,
half away from zero (Rp 1.5 -> Rp 2, Rp 1.49 -> Rp 1).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor, lcm
from typing import Generic, TypeVar

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


@dataclass(frozen=True)
class Weights(Generic[K]):
    """Weights brought to integers over one common denominator, ready to split many totals the same way."""

    keys: tuple[K, ...]
    ints: tuple[int, ...]
    total: int

    @staticmethod
    def of(weights: Sequence[tuple[K, Fraction | Decimal | int]]) -> Weights[K]:
        if not weights:
            raise ValueError("cannot allocate over no weights")
        keys = tuple(k for k, _ in weights)
        if all(type(w) is int for _, w in weights):
            ints = tuple(int(w) for _, w in weights)
        else:
            fractions = [to_fraction(w) for _, w in weights]
            common = lcm(*(f.denominator for f in fractions))
            ints = tuple(f.numerator * (common // f.denominator) for f in fractions)
        if any(w < 0 for w in ints):
            raise ValueError("weights must be non-negative")
        total = sum(ints)
        if total == 0:
            raise ValueError("weights sum to zero")
        return Weights(keys, ints, total)

    def split(self, units: int) -> dict[K, int]:
        """Largest remainder: floors of the exact shares, then one more unit for the largest remainders."""
        sign = -1 if units < 0 else 1
        whole = abs(units)
        floors: list[int] = []
        remainders: list[tuple[int, int]] = []
        for index, w in enumerate(self.ints):
            q, r = divmod(whole * w, self.total)
            floors.append(q)
            remainders.append((-r, index))  # remainders share the denominator: compare numerators
        left = whole - sum(floors)
        if left:
            for _, index in sorted(remainders)[:left]:  # largest remainder first, then list order
                floors[index] += 1
        out: dict[K, int] = {}
        for key, n in zip(self.keys, floors, strict=True):
            out[key] = out.get(key, 0) + sign * n
        return out


def allocate_units(units: int, weights: Sequence[tuple[K, Fraction | Decimal | int]] | Weights[K]) -> dict[K, int]:
    """Split an integer number of units over non-negative weights by largest remainder; the parts sum to `units`.

    Negative totals are split like their absolute value and negated, so a decrease mirrors an increase.
    """
    prepared = weights if isinstance(weights, Weights) else Weights.of(weights)
    return prepared.split(units)


def allocate_money(
    amount: Decimal, weights: Sequence[tuple[K, Fraction | Decimal | int]] | Weights[K], quantum: Decimal
) -> dict[K, Decimal]:
    """Split `amount` over `weights` in multiples of the quantum (finer if the amount is finer); exact sum."""
    unit = split_quantum(amount, quantum)
    units = amount / unit
    if units != units.to_integral_value():
        raise ValueError(f"{amount} is not a multiple of {unit}")
    return {k: _units_to_decimal(n, unit) for k, n in allocate_units(int(units), weights).items()}
