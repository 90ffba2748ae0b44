"""The daily summary: when it is due and what it says, as pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from livestudio_alerts.summary import Attention, Ranked, SummaryFigures, best_and_weakest, compose, due_day

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta


def test_due_after_the_local_time_once() -> None:
    assert due_day(NOW, "Asia/Jakarta", time(8), None) == date(2026, 3, 3)
    assert due_day(NOW, "Asia/Jakarta", time(10), None) is None
    assert due_day(NOW, "Asia/Jakarta", time(8), date(2026, 3, 3)) is None
    assert due_day(NOW, "Asia/Jakarta", time(8), date(2026, 3, 1)) == date(2026, 3, 3)
    assert due_day(NOW, "UTC", time(8), None) is None  # 02:00 UTC


def test_compose_with_every_figure() -> None:
    figures = SummaryFigures(
        studio_id="st1",
        day=date(2026, 3, 3),
        currency="IDR",
        gmv=Decimal("1500000.00"),
        orders=42,
        ad_spend=Decimal("500000"),
        shifts=[Ranked("pagi", Decimal("200000")), Ranked("sore", Decimal("900000")), Ranked("malam", None)],
        products=[Ranked("Serum", Decimal("700000"), 10), Ranked("Toner", Decimal("800000"), 8)],
        hosts=[Ranked("Ayu", Decimal("1000000")), Ranked("Budi", Decimal("500000"))],
        attention=[Attention("Toko B", "credentials_expired")],
    )
    alert = compose(figures, now=NOW)
    assert alert.title == "Daily summary 2026-03-03"
    assert "GMV (confirmed): 1500000.00 IDR" in alert.body
    assert "ROAS: 3.0000" in alert.body
    assert "Best shift: sore" in alert.body and "Weakest shift: pagi" in alert.body
    assert alert.body.index("Toner") < alert.body.index("Serum")
    assert "Toko B credentials_expired" in alert.body
    assert alert.data["gmv"] == "1500000.00" and alert.data["roas"] == "3.0000"
    assert alert.data["top_products"][0] == {"name": "Toner", "sales": "800000", "orders": 8}
    assert alert.key == compose(figures, now=datetime(2026, 3, 4, 9, tzinfo=UTC)).key


def test_unknown_stays_unknown() -> None:
    figures = SummaryFigures("st1", date(2026, 3, 3), None, None, None, None)
    alert = compose(figures, now=NOW)
    assert "GMV (confirmed): unknown" in alert.body and "ROAS: unknown" in alert.body
    assert alert.data["gmv"] is None and alert.data["roas"] is None and alert.data["best_shift"] is None
    assert "Every account is healthy." in alert.body


def test_one_shift_is_best_not_weakest() -> None:
    assert best_and_weakest([Ranked("pagi", Decimal(1))]) == (Ranked("pagi", Decimal(1)), None)
    assert best_and_weakest([Ranked("pagi", None)]) == (None, None)
