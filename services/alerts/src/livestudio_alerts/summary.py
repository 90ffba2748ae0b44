"""The daily summary as plain functions: when it is due, and its text and data from yesterday's figures.

Figures come from the analytics and commission read models (read by `repository.summary_figures`); unknown
figures stay None and are printed as "unknown", never as 0. Money is a plain decimal string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from livestudio_alerts.rules import Alert, idempotency_key, roas

SUMMARY_KIND = "daily_summary"


@dataclass(frozen=True)
class Ranked:
    name: str
    sales: Decimal | None
    orders: int | None = None


@dataclass(frozen=True)
class Attention:
    account: str
    state: str
    reason: str | None = None


@dataclass(frozen=True)
class SummaryFigures:
    studio_id: str
    day: date
    currency: str | None
    gmv: Decimal | None
    orders: int | None
    ad_spend: Decimal | None
    shifts: list[Ranked] = field(default_factory=list)
    products: list[Ranked] = field(default_factory=list)
    hosts: list[Ranked] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)


def due_day(now: datetime, timezone: str, local_time: time, last_day: date | None) -> date | None:
    """The local day a summary is due about (yesterday), once the studio's local time has passed; None when not
    due yet or already sent. A service that was down at that time sends it late the same day, never twice."""
    local = now.astimezone(ZoneInfo(timezone))
    if local.time().replace(tzinfo=None) < local_time:
        return None
    yesterday = local.date() - timedelta(days=1)
    if last_day is not None and last_day >= yesterday:
        return None
    return yesterday


def _money(value: Decimal | None, currency: str | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:f} {currency or ''}".rstrip()


def _known_sales(items: list[Ranked]) -> list[Ranked]:
    return sorted((r for r in items if r.sales is not None), key=lambda r: (-(r.sales or 0), r.name))


def best_and_weakest(shifts: list[Ranked]) -> tuple[Ranked | None, Ranked | None]:
    ranked = _known_sales(shifts)
    if not ranked:
        return None, None
    return ranked[0], (ranked[-1] if len(ranked) > 1 else None)


def compose(figures: SummaryFigures, *, top: int = 5, now: datetime) -> Alert:
    f = figures
    value = roas(f.gmv, f.ad_spend)
    best, weakest = best_and_weakest(f.shifts)
    products = _known_sales(f.products)[:top]
    hosts = _known_sales(f.hosts)[:top]
    lines = [
        f"GMV (confirmed): {_money(f.gmv, f.currency)}",
        f"Orders (confirmed): {'unknown' if f.orders is None else f.orders}",
        f"Ad spend: {_money(f.ad_spend, f.currency)}; ROAS: {'unknown' if value is None else value}",
    ]
    if best is not None:
        lines.append(f"Best shift: {best.name} ({_money(best.sales, f.currency)})")
    if weakest is not None:
        lines.append(f"Weakest shift: {weakest.name} ({_money(weakest.sales, f.currency)})")
    if products:
        lines.append("Top products: " + "; ".join(f"{p.name} ({_money(p.sales, f.currency)})" for p in products))
    if hosts:
        lines.append("Hosts: " + "; ".join(f"{h.name} ({_money(h.sales, f.currency)})" for h in hosts))
    if f.attention:
        lines.append(
            "Needs attention: "
            + "; ".join(f"{a.account} {a.state}" + (f" ({a.reason})" if a.reason else "") for a in f.attention)
        )
    else:
        lines.append("Every account is healthy.")

    def ranked(items: list[Ranked]) -> list[dict[str, Any]]:
        return [
            {"name": r.name, "sales": None if r.sales is None else f"{r.sales:f}", "orders": r.orders} for r in items
        ]

    data: dict[str, Any] = {
        "day": f.day.isoformat(),
        "currency": f.currency,
        "gmv": None if f.gmv is None else f"{f.gmv:f}",
        "orders": f.orders,
        "ad_spend": None if f.ad_spend is None else f"{f.ad_spend:f}",
        "roas": None if value is None else f"{value:f}",
        "best_shift": ranked([best])[0] if best else None,
        "weakest_shift": ranked([weakest])[0] if weakest else None,
        "top_products": ranked(products),
        "hosts": ranked(hosts),
        "attention": [{"account": a.account, "state": a.state, "reason": a.reason} for a in f.attention],
    }
    return Alert(
        key=idempotency_key(SUMMARY_KIND, f.studio_id, f.day.isoformat()),
        rule_id=None,
        studio_id=f.studio_id,
        kind=SUMMARY_KIND,
        subject=f"{f.studio_id}:{f.day.isoformat()}",
        title=f"Daily summary {f.day.isoformat()}",
        body="\n".join(lines),
        at=now,
        data=data,
    )
