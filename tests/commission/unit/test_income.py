"""Affiliate commission income: which session and hosts a checkout belongs to, exact splits, cancellations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from livestudio_commission.income import (
    FIGURES,
    Checkout,
    Figure,
    SessionSpan,
    newer,
    session_at,
    split,
    totals,
)
from livestudio_commission.roster import OnAirWindow

JKT = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 2)
Q = Decimal("0.00001")


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, tzinfo=JKT) + timedelta(hours=hour, minutes=minute, seconds=second)


def window(host: str, start: datetime, end: datetime, share: str = "1") -> OnAirWindow:
    return OnAirWindow(f"e-{host}", host, start, end, Decimal(share), "pagi", DAY)


def checkout(
    when: datetime,
    *,
    source: str = "live",
    status: str = "pending",
    estimated: str | None = "61.70000",
    observed: datetime | None = None,
) -> Checkout:
    est = None if estimated is None else Decimal(estimated)
    figures: dict[Figure, Decimal | None] = {
        "estimated": est,
        "estimated_with_mcn": None if est is None else est * 2,
        "final": est if status == "completed" else (Decimal(0) if status == "cancelled" else None),
        "final_with_mcn": None,
        "gmv": Decimal(123_400),
    }
    return Checkout(
        "a1", "c1", "s1", source, status, when.astimezone(UTC), observed or when, "IDR", "Asia/Jakarta", figures
    )


SESSION = SessionSpan(101, at(5, 10, 0) + timedelta(milliseconds=400), at(9, 0))


def test_a_live_checkout_belongs_to_the_session_on_air_even_with_whole_second_purchase_times() -> None:
    spans = [SessionSpan(100, at(1), at(4)), SESSION, SessionSpan(102, at(10), None)]
    assert session_at(at(5, 10, 0), spans) == SESSION  # 0.4 s before Shopee's start: rounding
    assert session_at(at(7), spans) == SESSION
    assert session_at(at(9, 30), spans) == SESSION  # after its end (a replay), before the next one
    assert session_at(at(23), spans) == spans[2]
    assert session_at(at(0, 30), spans) is None
    assert session_at(at(10) + timedelta(days=1, minutes=1), spans) is None  # a day after the latest start


def test_the_hosts_on_air_at_the_purchase_get_it_split_by_share() -> None:
    windows = [window("ayu", at(5), at(10)), window("budi", at(7), at(10), "3")]
    (only,) = split(checkout(at(6)), SESSION, windows, Q)
    assert (only.host_id, only.session_id, only.figures["estimated"]) == ("ayu", 101, Decimal("61.70000"))
    parts = split(checkout(at(8)), SESSION, windows, Q)
    by_host = {p.host_id: p.figures for p in parts}
    assert by_host["ayu"]["estimated"] == Decimal("15.425") and by_host["budi"]["estimated"] == Decimal("46.275")
    assert by_host["ayu"]["final"] is None  # unknown while pending, in every part
    # rounding to the purchase second before the session start still lands in it (clamped), with the host
    (early,) = split(checkout(at(5, 10, 0)), SESSION, windows, Q)
    assert early.host_id == "ayu"


def test_unassigned_when_nobody_is_on_air_no_session_covers_it_or_it_is_not_from_a_live() -> None:
    assert [p.host_id for p in split(checkout(at(6)), SESSION, [], Q)] == [None]
    (no_session,) = split(checkout(at(6)), None, [window("ayu", at(5), at(10))], Q)
    assert (no_session.host_id, no_session.session_id) == (None, None)
    (video,) = split(checkout(at(6), source="video"), SESSION, [window("ayu", at(5), at(10))], Q)
    assert (video.host_id, video.session_id, video.local_day) == (None, None, DAY)


def test_a_cancelled_checkout_replaces_its_commission_with_zero() -> None:
    windows = [window("ayu", at(5), at(10))]
    before = totals(split(checkout(at(6)), SESSION, windows, Q))
    after = totals(split(checkout(at(6), status="cancelled", estimated="0"), SESSION, windows, Q))
    assert before["estimated"] == Decimal("61.70000")
    assert after["estimated"] == 0 and after["final"] == 0


def test_only_newer_observations_apply() -> None:
    c = checkout(at(6), observed=at(12))
    assert newer(None, c) and newer(at(11), c)
    assert not newer(at(12), c) and not newer(at(13), c)


amounts = st.decimals(min_value=Decimal(0), max_value=Decimal(10**9), places=5, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    estimated=amounts,
    shares=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=4),
    minute=st.integers(min_value=0, max_value=299),
)
def test_money_is_conserved_exactly_over_any_co_hosts(estimated: Decimal, shares: list[int], minute: int) -> None:
    windows = [window(f"h{k}", at(5), at(10), str(s)) for k, s in enumerate(shares)]
    windows.append(window("late", at(7), at(10)))
    c = checkout(at(5, minute), estimated=str(estimated))
    parts = split(c, SessionSpan(1, at(5), at(10)), windows, Q)
    assert totals(parts) == {f: c.figures[f] for f in FIGURES}
    assert all(p.figures["estimated"] is not None and p.figures["estimated"] >= 0 for p in parts)
