"""Profit as plain functions: income, ad spend and host pay rows merged per group, and contribution.

`contribution_estimated = income.estimated - ad_spend - host_pay`, `contribution_final = income.final - ad_spend -
host_pay`, where income is the account's own commission (without the MCN's share). An ad spend nobody typed is
`null` and counts as none; hosts and sessions have no ad spend of their own (it is typed per account and day).
Host pay is the statement lines of every non-void statement (calculated, approved or paid).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from livestudio_gateway.analytics import Row
from livestudio_gateway.models import Income, Profit

K = TypeVar("K", bound=Hashable)
ZERO = Decimal(0)
INCOME_FIGURES = (
    "estimated",
    "estimated_with_mcn",
    "final",
    "final_with_mcn",
    "live_estimated",
    "live_final",
    "video_estimated",
    "video_final",
    "other_estimated",
    "other_final",
)
COUNTS = ("checkouts", "pending", "completed", "cancelled")


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value)


def income(row: Row | None) -> Income:
    def money(name: str) -> Decimal:
        return ZERO if row is None else _money(row[name])

    def count(name: str) -> int:
        return 0 if row is None else int(row[name] or 0)

    return Income(
        estimated=money("estimated"),
        estimated_with_mcn=money("estimated_with_mcn"),
        final=money("final"),
        final_with_mcn=money("final_with_mcn"),
        live_estimated=money("live_estimated"),
        live_final=money("live_final"),
        video_estimated=money("video_estimated"),
        video_final=money("video_final"),
        other_estimated=money("other_estimated"),
        other_final=money("other_final"),
        checkouts=count("checkouts"),
        pending=count("pending"),
        completed=count("completed"),
        cancelled=count("cancelled"),
    )


def profit(income_row: Row | None, ad_spend: Decimal | None, host_pay: Decimal | None) -> Profit:
    inc = income(income_row)
    costs = (ad_spend or ZERO) + (host_pay or ZERO)
    return Profit(
        income=inc,
        ad_spend=ad_spend,
        host_pay=host_pay or ZERO,
        contribution_estimated=inc.estimated - costs,
        contribution_final=inc.final - costs,
    )


def by_key(rows: Iterable[Row], key: Callable[[Row], K]) -> dict[K, Row]:
    return {key(r): r for r in rows}


def merged(incomes: Mapping[K, Row], ad_spend: Mapping[K, Row], host_pay: Mapping[K, Row]) -> dict[K, Profit]:
    """One `Profit` per key present in any of the three sources."""
    keys = set(incomes) | set(ad_spend) | set(host_pay)
    out: dict[K, Profit] = {}
    for k in keys:
        a = ad_spend.get(k)
        p = host_pay.get(k)
        out[k] = profit(
            incomes.get(k), a["ad_spend"] if a is not None else None, p["host_pay"] if p is not None else None
        )
    return out


CSV_COLUMNS = (
    "key",
    "name",
    "studio_id",
    *INCOME_FIGURES,
    *COUNTS,
    "ad_spend",
    "host_pay",
    "contribution_estimated",
    "contribution_final",
)


def csv_row(key: Any, name: str | None, studio_id: str | None, p: Profit) -> dict[str, Any]:
    inc = p.income
    return {
        "key": key,
        "name": name,
        "studio_id": studio_id,
        **{f: getattr(inc, f) for f in (*INCOME_FIGURES, *COUNTS)},
        "ad_spend": p.ad_spend,
        "host_pay": p.host_pay,
        "contribution_estimated": p.contribution_estimated,
        "contribution_final": p.contribution_final,
    }
