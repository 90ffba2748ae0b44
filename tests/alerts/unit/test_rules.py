"""The alert rules, quiet hours, de-duplication and backoff as pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from livestudio_alerts.rules import (
    AccountView,
    RosteredHost,
    Rule,
    ScheduledWindow,
    TargetView,
    account_unhealthy,
    backoff_s,
    data_stale,
    decide,
    gmv_pace,
    host_not_checked_in,
    in_quiet_hours,
    roas,
    roas_below,
    shift_not_live,
)

NOW = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta


def account(
    state: str = "active", *, on_air: bool = False, last: datetime | None = None, at: datetime = NOW
) -> AccountView:
    return AccountView("acct-1", "st1", "Toko A", state, at, last, on_air)


def rule(kind: str, **kw: object) -> Rule:
    return Rule(rule_id="r1", studio_id="st1", kind=kind, channel_ids=("c1",), **kw)  # type: ignore[arg-type]


def test_expired_cookie_alerts_on_the_transition_only() -> None:
    r = rule("account_unhealthy")
    alert = account_unhealthy(r, "active", account("credentials_expired"), None)
    assert alert is not None and "cookie expired" in alert.title and alert.subject == "acct-1:credentials_expired"
    assert account_unhealthy(r, "credentials_expired", account("credentials_expired"), None) is None
    assert account_unhealthy(r, None, account("active"), None) is None
    degraded = account_unhealthy(r, "active", account("degraded"), "HTTP 500")
    assert degraded is not None and "HTTP 500" in degraded.body


def test_the_key_names_the_situation() -> None:
    r = rule("account_unhealthy")
    a = account_unhealthy(r, "active", account("credentials_expired"), None)
    b = account_unhealthy(r, None, account("credentials_expired"), "x")
    c = account_unhealthy(r, "active", account("credentials_expired", at=NOW + timedelta(hours=1)), None)
    assert a is not None and b is not None and c is not None
    assert a.key == b.key != c.key


def test_rule_scoped_to_an_account() -> None:
    r = rule("account_unhealthy", account_id="acct-2")
    assert account_unhealthy(r, "active", account("credentials_expired"), None) is None


def test_shift_not_live_after_grace() -> None:
    r = rule("shift_not_live", minutes=10)
    window = ScheduledWindow("acct-1", "st1", NOW - timedelta(minutes=15), NOW + timedelta(hours=2), ("Ayu",))
    alerts = shift_not_live(r, [window, window], {"acct-1": account()}, NOW)
    assert len(alerts) == 1 and "Ayu" in alerts[0].body
    assert shift_not_live(r, [window], {"acct-1": account(on_air=True)}, NOW) == []
    early = ScheduledWindow("acct-1", "st1", NOW - timedelta(minutes=5), NOW + timedelta(hours=2))
    assert shift_not_live(r, [early], {}, NOW) == []
    other_studio = ScheduledWindow("acct-1", "st2", NOW - timedelta(minutes=15), NOW + timedelta(hours=2))
    assert shift_not_live(r, [other_studio], {}, NOW) == []


def test_data_stale_once_per_episode() -> None:
    r = rule("data_stale", minutes=15)
    stale = account(last=NOW - timedelta(minutes=20))
    first = data_stale(r, [stale], NOW)
    later = data_stale(r, [stale], NOW + timedelta(minutes=5))
    assert len(first) == 1 and first[0].key == later[0].key
    assert data_stale(r, [account(last=NOW - timedelta(minutes=5))], NOW) == []
    assert data_stale(r, [account("paused", last=NOW - timedelta(hours=5))], NOW) == []


def test_roas_below_threshold_and_unknown() -> None:
    r = rule("roas_below", threshold=Decimal("2"))
    day = date(2026, 3, 3)
    alert = roas_below(r, day, "st1", Decimal("150000"), Decimal("100000"), NOW)
    assert alert is not None and alert.data["roas"] == "1.5000"
    assert roas_below(r, day, "st1", Decimal("300000"), Decimal("100000"), NOW) is None
    assert roas_below(r, day, "st1", None, Decimal("100000"), NOW) is None
    assert roas_below(r, day, "st1", Decimal("1"), Decimal("0"), NOW) is None
    assert roas(Decimal("1"), None) is None


@pytest.mark.parametrize(
    ("start", "end", "local_hour", "quiet"),
    [
        (time(22), time(7), 23, True),
        (time(22), time(7), 6, True),
        (time(22), time(7), 12, False),
        (time(9), time(17), 12, True),
        (time(9), time(17), 17, False),
        (None, None, 3, False),
    ],
)
def test_quiet_hours_in_studio_time(start: time | None, end: time | None, local_hour: int, quiet: bool) -> None:
    at = datetime(2026, 3, 4, local_hour, 0, tzinfo=UTC) - timedelta(hours=7)  # Jakarta is UTC+7
    assert in_quiet_hours(start, end, at, "Asia/Jakarta") is quiet


def test_decide_quiet_then_dedup_then_channels() -> None:
    r = rule("account_unhealthy", quiet_start=time(22), quiet_end=time(7), dedup_minutes=30)
    alert = account_unhealthy(r, "active", account("credentials_expired"), None)
    assert alert is not None
    assert decide(r, alert, timezone="Asia/Jakarta", last_sent_at=None, channels=["c1"]) == "queued"
    assert decide(r, alert, timezone="UTC", last_sent_at=None, channels=["c1"]) == "suppressed_quiet"  # 05:00
    recent = NOW - timedelta(minutes=10)
    assert decide(r, alert, timezone="Asia/Jakarta", last_sent_at=recent, channels=["c1"]) == "suppressed_dedup"
    old = NOW - timedelta(minutes=31)
    assert decide(r, alert, timezone="Asia/Jakarta", last_sent_at=old, channels=["c1"]) == "queued"
    assert decide(r, alert, timezone="Asia/Jakarta", last_sent_at=None, channels=[]) == "no_channel"


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_s(n, base_s=5, max_s=60) for n in range(1, 6)] == [5, 10, 20, 40, 60]


def target(scope: str, scope_id: str, amount: str, confirmed: str | None, month: date = date(2026, 3, 1)) -> TargetView:
    return TargetView(
        "st1", month, scope, scope_id, None, Decimal(amount), None if confirmed is None else Decimal(confirmed), "IDR"
    )


def test_gmv_pace_fires_below_the_floor_after_part_of_the_month() -> None:
    # NOW is 4 March 12:00 in Jakarta: 3.5 of 31 days passed (11.3 %)
    r = rule("gmv_pace", threshold=Decimal("0.8"), elapsed_percent=10)
    behind = target("host", "h1", "31000000", "2000000")  # expected 3.5 M, pace 0.5714
    on_track = target("account", "acct-1", "31000000", "3500000")  # pace 1
    unknown = target("studio", "st1", "31000000", None)
    last_month = target("host", "h2", "1000", "1", month=date(2026, 2, 1))
    other_studio = TargetView("st2", date(2026, 3, 1), "host", "h9", None, Decimal(100), Decimal(0), "IDR")
    alerts = gmv_pace(r, [behind, on_track, unknown, last_month, other_studio], NOW, "Asia/Jakarta")
    assert [a.subject for a in alerts] == ["host:h1:2026-03"]
    alert = alerts[0]
    assert alert.data["pace"] == "0.5714" and alert.data["expected"] == "3500000.00"
    assert "behind its 2026-03 target" in alert.title
    # the key names rule, target and month only: the next round (and next day) decide nothing new
    later = gmv_pace(r, [target("host", "h1", "31000000", "2100000")], NOW + timedelta(days=1), "Asia/Jakarta")
    assert [a.key for a in later] == [alert.key]
    # in April it is another month's target (and another key)
    april = gmv_pace(
        r, [target("host", "h1", "100", "1", month=date(2026, 4, 1))], datetime(2026, 4, 20, tzinfo=UTC), "Asia/Jakarta"
    )
    assert len(april) == 1 and april[0].key != alert.key


def test_gmv_pace_waits_for_the_elapsed_part_and_quiet_hours() -> None:
    behind = [target("host", "h1", "31000000", "0")]
    assert gmv_pace(rule("gmv_pace", threshold=Decimal("0.8"), elapsed_percent=12), behind, NOW, "Asia/Jakarta") == []
    # default: 20 % of the month
    assert gmv_pace(rule("gmv_pace", threshold=Decimal("0.8")), behind, NOW, "Asia/Jakarta") == []
    assert gmv_pace(rule("gmv_pace", threshold=Decimal("0.8")), behind, NOW + timedelta(days=3), "Asia/Jakarta")
    quiet = rule("gmv_pace", threshold=Decimal("0.8"), elapsed_percent=0, quiet_start=time(11), quiet_end=time(13))
    assert gmv_pace(quiet, behind, NOW, "Asia/Jakarta") == []  # 12:00 local: waits, not suppressed
    assert len(gmv_pace(quiet, behind, NOW + timedelta(hours=2), "Asia/Jakarta")) == 1
    assert gmv_pace(rule("gmv_pace", elapsed_percent=0), behind, NOW, "Asia/Jakarta") == []  # no threshold
    account_rule = rule("gmv_pace", threshold=Decimal("0.8"), elapsed_percent=0, account_id="acct-1")
    assert gmv_pace(account_rule, behind, NOW, "Asia/Jakarta") == []
    assert len(gmv_pace(account_rule, [target("account", "acct-1", "100", "0")], NOW, "Asia/Jakarta")) == 1


def test_host_not_checked_in_after_grace_once_per_host_and_entry() -> None:
    r = rule("host_not_checked_in", minutes=10)

    def entry(host: str, *, started_min: int = 15, checked_in: bool = False, studio: str = "st1") -> RosteredHost:
        start = NOW - timedelta(minutes=started_min)
        return RosteredHost("e1", studio, "acct-1", host, host.title(), start, start + timedelta(hours=3), checked_in)

    alerts = host_not_checked_in(r, [entry("ayu"), entry("budi", checked_in=True)], NOW)
    assert [a.subject for a in alerts] == ["ayu:e1"] and alerts[0].title == "Ayu (ayu) has not checked in"
    again = host_not_checked_in(r, [entry("ayu", started_min=40)], NOW + timedelta(minutes=25))
    assert again[0].key == alerts[0].key  # the same host and entry: the same notification
    assert host_not_checked_in(r, [entry("ayu", started_min=5)], NOW) == []  # still within the grace
    assert host_not_checked_in(r, [entry("ayu", studio="st2")], NOW) == []
    assert host_not_checked_in(rule("host_not_checked_in", minutes=10, account_id="acct-2"), [entry("ayu")], NOW) == []
