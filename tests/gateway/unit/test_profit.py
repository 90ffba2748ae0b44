"""Profit's plain functions: merging income, ad spend and host pay per key, and contribution."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from livestudio_gateway import profit

D = Decimal


def _income(**figures: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(profit.INCOME_FIGURES, D(0)) | dict.fromkeys(profit.COUNTS, 0)
    return row | figures


def test_contribution_is_income_less_ad_spend_and_host_pay() -> None:
    p = profit.profit(_income(estimated=D("100.12345"), final=D("40"), checkouts=3), D("25.50"), D("30"))
    assert p.contribution_estimated == D("44.62345") and p.contribution_final == D("-15.50")
    assert p.income.checkouts == 3 and p.ad_spend == D("25.50")


def test_unknown_ad_spend_stays_null_and_counts_as_none_and_no_income_is_zero() -> None:
    p = profit.profit(None, None, None)
    assert p.ad_spend is None and p.host_pay == 0 and p.income.estimated == 0 and p.contribution_estimated == 0


def test_merged_has_every_key_of_any_source() -> None:
    out = profit.merged(
        {"a": _income(estimated=D(10))},
        {"a": {"ad_spend": D(1)}, "b": {"ad_spend": D(2)}},
        {"c": {"host_pay": D(3)}},
    )
    assert set(out) == {"a", "b", "c"}
    assert out["a"].contribution_estimated == D(9)
    assert out["b"].contribution_estimated == D(-2) and out["b"].income.estimated == 0
    assert out["c"].ad_spend is None and out["c"].contribution_estimated == D(-3)
    row = profit.csv_row("a", "Account A", "s1", out["a"])
    assert list(row) == list(profit.CSV_COLUMNS) and row["estimated"] == D(10)
