"""Exact money: largest-remainder splitting conserves every unit; the one rounding rule is half up."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livestudio_commission.money import (
    allocate_money,
    allocate_units,
    currency_quantum,
    round_half_up,
    split_quantum,
)


@pytest.mark.parametrize(
    ("units", "weights", "expected"),
    [
        (10, [("a", 1), ("b", 1), ("c", 1)], {"a": 4, "b": 3, "c": 3}),  # equal remainders: list order
        (-10, [("a", 1), ("b", 1), ("c", 1)], {"a": -4, "b": -3, "c": -3}),  # a decrease mirrors an increase
        (100, [("a", Fraction(1, 3)), ("b", Fraction(2, 3))], {"a": 33, "b": 67}),
        (0, [("a", 1), ("b", 5)], {"a": 0, "b": 0}),
        (5, [("a", 0), ("b", 1)], {"a": 0, "b": 5}),
        (7, [("a", Decimal("0.5")), ("b", Decimal("0.25")), ("c", Decimal("0.25"))], {"a": 3, "b": 2, "c": 2}),
        (1, [("x", 999), ("y", 1001)], {"x": 0, "y": 1}),
    ],
)
def test_allocate_units_table(units: int, weights: list[tuple[str, Fraction]], expected: dict[str, int]) -> None:
    assert allocate_units(units, weights) == expected


def test_allocate_units_rejects_impossible_weights() -> None:
    with pytest.raises(ValueError, match="no weights"):
        allocate_units(1, [])
    with pytest.raises(ValueError, match="zero"):
        allocate_units(1, [("a", 0)])
    with pytest.raises(ValueError, match="non-negative"):
        allocate_units(1, [("a", -1), ("b", 2)])


@pytest.mark.parametrize(
    ("value", "quantum", "expected"),
    [
        (Decimal("1.5"), Decimal(1), Decimal(2)),
        (Decimal("2.5"), Decimal(1), Decimal(3)),  # half up, not banker's rounding
        (Decimal("1.49"), Decimal(1), Decimal(1)),
        (Decimal("-1.5"), Decimal(1), Decimal(-2)),  # halves away from zero
        (Fraction(1, 3), Decimal("0.01"), Decimal("0.33")),
        (Fraction(2, 3), Decimal("0.01"), Decimal("0.67")),
        (Decimal("0.005"), Decimal("0.01"), Decimal("0.01")),
        (Decimal("24691.5"), Decimal(1), Decimal(24692)),
    ],
)
def test_round_half_up(value: Decimal | Fraction, quantum: Decimal, expected: Decimal) -> None:
    assert round_half_up(value, quantum) == expected


def test_quanta() -> None:
    assert currency_quantum("IDR") == 1
    assert currency_quantum("usd") == Decimal("0.01")
    assert split_quantum(Decimal(1500), Decimal(1)) == 1
    assert split_quantum(Decimal("10.05"), Decimal(1)) == Decimal("0.01")  # an amount finer than the currency
    got = allocate_money(Decimal("0.05"), [("a", 1), ("b", 1)], Decimal(1))
    assert got == {"a": Decimal("0.03"), "b": Decimal("0.02")}
    assert sum(got.values()) == Decimal("0.05")


@given(
    units=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
)
def test_allocation_conserves_and_stays_within_one_unit(units: int, weights: list[int]) -> None:
    keyed = [(i, w) for i, w in enumerate(weights)]
    got = allocate_units(units, keyed)
    assert sum(got.values()) == units
    total = sum(weights)
    for i, w in keyed:
        exact = Fraction(units * w, total)
        assert abs(got[i] - exact) < 1


@given(
    rupiah=st.integers(min_value=-(10**13), max_value=10**13),
    cents=st.integers(min_value=0, max_value=99),
    weights=st.lists(st.fractions(min_value=0, max_value=1000), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
)
def test_money_allocation_conserves_exactly(rupiah: int, cents: int, weights: list[Fraction]) -> None:
    amount = Decimal(rupiah) + Decimal(cents) / 100
    got = allocate_money(amount, [(i, w) for i, w in enumerate(weights)], Decimal(1))
    assert sum(got.values()) == amount
