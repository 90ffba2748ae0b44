"""The alert rules as plain functions: data in, decisions out (no broker, no database, no clock).

Each rule turns what is known (an account event, an account's freshness, the schedule, a day's figures) into
`Alert`s. An alert carries its idempotency key, built only from what identifies the situation (rule, subject and
the moment or episode it is about), so that evaluating the same situation twice, replaying an event or running
two replicas yields the same key and the notification is stored once. `decide` then applies the rule's quiet
hours and de-duplication window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from livestudio_runtime.targets import format_month, month_clock, month_of, progress

RuleKind = Literal["account_unhealthy", "shift_not_live", "host_not_checked_in", "roas_below", "data_stale", "gmv_pace"]
Status = Literal["queued", "suppressed_quiet", "suppressed_dedup", "no_channel"]
UNHEALTHY: frozenset[str] = frozenset({"credentials_expired", "degraded"})
WATCHED_FOR_STALENESS: frozenset[str] = frozenset({"connected", "active", "recovered", "degraded"})
"""Paused, removed and expired accounts are not expected to deliver data (expiry has its own rule)."""


@dataclass(frozen=True)
class Rule:
    rule_id: str
    studio_id: str
    kind: RuleKind
    channel_ids: tuple[str, ...] = ()
    enabled: bool = True
    account_id: str | None = None
    minutes: int | None = None
    threshold: Decimal | None = None
    dedup_minutes: int = 60
    quiet_start: time | None = None
    quiet_end: time | None = None
    elapsed_percent: int | None = None

    def watches(self, account_id: str) -> bool:
        return self.enabled and (self.account_id is None or self.account_id == account_id)


@dataclass(frozen=True)
class Alert:
    key: str
    """Idempotency key: the notification id, sent to every channel."""
    rule_id: str | None
    studio_id: str
    kind: str
    subject: str
    """What de-duplication compares (e.g. `acct-1:credentials_expired`)."""
    title: str
    body: str
    at: datetime
    """When the situation was observed (quiet hours and de-duplication are judged at this instant)."""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountView:
    account_id: str
    studio_id: str
    display_name: str | None
    state: str
    observed_at: datetime
    last_successful_poll_at: datetime | None
    on_air: bool


@dataclass(frozen=True)
class ScheduledWindow:
    account_id: str
    studio_id: str
    starts_at: datetime
    ends_at: datetime
    host_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class RosteredHost:
    """A host's schedule entry running now, and whether the host has checked in for it (a check-in on its account
    from `CHECK_IN_EARLY` before its start on, as attendance counts one)."""

    entry_id: str
    studio_id: str
    account_id: str
    host_id: str
    host_name: str | None
    starts_at: datetime
    ends_at: datetime
    checked_in: bool


def idempotency_key(*parts: str) -> str:
    return "ntf_" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _name(account_id: str, display_name: str | None) -> str:
    return f"{display_name} ({account_id})" if display_name else account_id


# --- the rules ---------------------------------------------------------------------------------------------
def account_unhealthy(rule: Rule, previous_state: str | None, account: AccountView, reason: str | None) -> Alert | None:
    """An account entered `credentials_expired` or `degraded` (a heartbeat repeating the state is no news)."""
    if rule.kind != "account_unhealthy" or not rule.watches(account.account_id):
        return None
    if account.state not in UNHEALTHY or previous_state == account.state:
        return None
    who = _name(account.account_id, account.display_name)
    if account.state == "credentials_expired":
        title = f"Account {who}: cookie expired"
        body = f"{who} is no longer being read: its Shopee login expired. Reconnect it (QR login or a new cookie)."
    else:
        title = f"Account {who}: degraded"
        body = f"Reading {who} keeps failing" + (f" ({reason})" if reason else "") + "; data may be missing."
    return Alert(
        key=idempotency_key(rule.rule_id, account.account_id, account.state, account.observed_at.isoformat()),
        rule_id=rule.rule_id,
        studio_id=rule.studio_id,
        kind=rule.kind,
        subject=f"{account.account_id}:{account.state}",
        title=title,
        body=body,
        at=account.observed_at,
        data={"account_id": account.account_id, "state": account.state, "reason": reason},
    )


def shift_not_live(
    rule: Rule, windows: Sequence[ScheduledWindow], accounts: dict[str, AccountView], now: datetime
) -> list[Alert]:
    """A scheduled window started `minutes` ago or more, has not ended, and its account is not on air."""
    if rule.kind != "shift_not_live" or not rule.enabled or rule.minutes is None:
        return []
    grace = timedelta(minutes=rule.minutes)
    out: list[Alert] = []
    seen: set[tuple[str, datetime]] = set()
    for w in windows:
        if w.studio_id != rule.studio_id or not rule.watches(w.account_id) or (w.account_id, w.starts_at) in seen:
            continue
        if not (w.starts_at + grace <= now < w.ends_at):
            continue
        account = accounts.get(w.account_id)
        if account is not None and account.on_air:
            continue
        seen.add((w.account_id, w.starts_at))
        who = _name(w.account_id, account.display_name if account else None)
        hosts = f" (hosts: {', '.join(w.host_names)})" if w.host_names else ""
        out.append(
            Alert(
                key=idempotency_key(rule.rule_id, w.account_id, w.starts_at.isoformat()),
                rule_id=rule.rule_id,
                studio_id=rule.studio_id,
                kind=rule.kind,
                subject=w.account_id,
                title=f"Account {who} is not live",
                body=f"A shift on {who} started at {w.starts_at.isoformat()}{hosts} and the account is not on air "
                f"{rule.minutes} minutes later.",
                at=now,
                data={"account_id": w.account_id, "starts_at": w.starts_at.isoformat(), "hosts": list(w.host_names)},
            )
        )
    return out


def host_not_checked_in(rule: Rule, entries: Sequence[RosteredHost], now: datetime) -> list[Alert]:
    """A host rostered on an entry that started `minutes` ago or more, has not ended, and has no check-in for it:
    one alert per host and entry."""
    if rule.kind != "host_not_checked_in" or not rule.enabled or rule.minutes is None:
        return []
    grace = timedelta(minutes=rule.minutes)
    out: list[Alert] = []
    for e in entries:
        if e.studio_id != rule.studio_id or not rule.watches(e.account_id) or e.checked_in:
            continue
        if not (e.starts_at + grace <= now < e.ends_at):
            continue
        who = _name(e.host_id, e.host_name)
        out.append(
            Alert(
                key=idempotency_key(rule.rule_id, e.entry_id, e.host_id),
                rule_id=rule.rule_id,
                studio_id=rule.studio_id,
                kind=rule.kind,
                subject=f"{e.host_id}:{e.entry_id}",
                title=f"{who} has not checked in",
                body=f"{who} is rostered on {e.account_id} from {e.starts_at.isoformat()} and has not checked in "
                f"{rule.minutes} minutes later.",
                at=now,
                data={
                    "host_id": e.host_id,
                    "entry_id": e.entry_id,
                    "account_id": e.account_id,
                    "starts_at": e.starts_at.isoformat(),
                },
            )
        )
    return out


def data_stale(rule: Rule, accounts: Sequence[AccountView], now: datetime) -> list[Alert]:
    """An account that should be read has delivered no data for longer than `minutes` (one alert per episode:
    the key names the last success)."""
    if rule.kind != "data_stale" or not rule.enabled or rule.minutes is None:
        return []
    limit = timedelta(minutes=rule.minutes)
    out: list[Alert] = []
    for a in accounts:
        if a.studio_id != rule.studio_id or not rule.watches(a.account_id) or a.state not in WATCHED_FOR_STALENESS:
            continue
        last = a.last_successful_poll_at or a.observed_at
        if now - last <= limit:
            continue
        who = _name(a.account_id, a.display_name)
        minutes = int((now - last).total_seconds() // 60)
        out.append(
            Alert(
                key=idempotency_key(rule.rule_id, a.account_id, last.isoformat()),
                rule_id=rule.rule_id,
                studio_id=rule.studio_id,
                kind=rule.kind,
                subject=a.account_id,
                title=f"No fresh data for {who}",
                body=f"The last successful read of {who} was {minutes} minutes ago ({last.isoformat()}).",
                at=now,
                data={"account_id": a.account_id, "last_success_at": last.isoformat()},
            )
        )
    return out


def roas(sales: Decimal | None, ad_spend: Decimal | None) -> Decimal | None:
    """Confirmed sales over ad spend; unknown (None) when either is unknown or nothing was spent."""
    if sales is None or ad_spend is None or ad_spend == 0:
        return None
    return (sales / ad_spend).quantize(Decimal("0.0001"))


def roas_below(
    rule: Rule, day: date, subject: str, sales: Decimal | None, ad_spend: Decimal | None, now: datetime
) -> Alert | None:
    """A closed local day's ROAS (studio, or the rule's account) below the rule's threshold. Unknown ROAS (no
    ad spend entered, no sales reported) never alerts."""
    if rule.kind != "roas_below" or not rule.enabled or rule.threshold is None:
        return None
    value = roas(sales, ad_spend)
    if value is None or value >= rule.threshold:
        return None
    return Alert(
        key=idempotency_key(rule.rule_id, subject, day.isoformat()),
        rule_id=rule.rule_id,
        studio_id=rule.studio_id,
        kind=rule.kind,
        subject=subject,
        title=f"ROAS {value} on {day.isoformat()} is below {rule.threshold}",
        body=f"{subject}: confirmed sales {sales} for ad spend {ad_spend} on {day.isoformat()} (ROAS {value}, "
        f"threshold {rule.threshold}).",
        at=now,
        data={"day": day.isoformat(), "roas": str(value), "sales": str(sales), "ad_spend": str(ad_spend)},
    )


DEFAULT_PACE_ELAPSED_PERCENT = 20
"""A target is judged once this much of its month has passed (`elapsed_percent` of a gmv_pace rule)."""


@dataclass(frozen=True)
class TargetView:
    """A month's GMV target with the confirmed GMV of the month so far (None: no figure yet)."""

    studio_id: str
    month: date
    """The month's first day (studio calendar)."""
    scope: str
    scope_id: str
    name: str | None
    amount: Decimal
    confirmed: Decimal | None
    currency: str


def gmv_pace(rule: Rule, targets: Sequence[TargetView], now: datetime, timezone: str) -> list[Alert]:
    """A target of the studio's current month whose pace (progress / expected by now, `livestudio_runtime.targets`)
    is below the rule's `threshold` once `elapsed_percent` of the month has passed. Once per target and month
    (the key names them); unknown progress never alerts. During the rule's quiet hours nothing is decided, so the
    one alert of the month waits for them to end instead of being suppressed. A rule with an `account_id`
    watches that account's target only."""
    if rule.kind != "gmv_pace" or not rule.enabled or rule.threshold is None:
        return []
    if in_quiet_hours(rule.quiet_start, rule.quiet_end, now, timezone):
        return []
    month = month_of(now, timezone)
    clock = month_clock(month, now, timezone)
    after = rule.elapsed_percent if rule.elapsed_percent is not None else DEFAULT_PACE_ELAPSED_PERCENT
    if clock.fraction * 100 < after:
        return []
    out: list[Alert] = []
    for t in targets:
        if t.studio_id != rule.studio_id or t.month != month or t.amount <= 0:
            continue
        if rule.account_id is not None and (t.scope, t.scope_id) != ("account", rule.account_id):
            continue
        p = progress(t.amount, t.confirmed, clock)
        if p.pace is None or p.pace >= rule.threshold:
            continue
        label = format_month(month)
        who = f"{t.scope} {t.name} ({t.scope_id})" if t.name else f"{t.scope} {t.scope_id}"
        out.append(
            Alert(
                key=idempotency_key(rule.rule_id, t.scope, t.scope_id, label),
                rule_id=rule.rule_id,
                studio_id=rule.studio_id,
                kind=rule.kind,
                subject=f"{t.scope}:{t.scope_id}:{label}",
                title=f"GMV of {who} is behind its {label} target (pace {p.pace})",
                body=f"{who}: confirmed GMV {p.progress} {t.currency} of the {p.target} target ({p.percent}%); "
                f"{p.expected} expected by now, pace {p.pace} (floor {rule.threshold}); at this rate the month "
                f"ends at {p.projection}.",
                at=now,
                data={
                    "month": label,
                    "scope": t.scope,
                    "scope_id": t.scope_id,
                    "target": str(p.target),
                    "progress": str(p.progress),
                    "expected": str(p.expected),
                    "pace": str(p.pace),
                    "projection": str(p.projection),
                    "currency": t.currency,
                },
            )
        )
    return out


# --- quiet hours, de-duplication ---------------------------------------------------------------------------
def in_quiet_hours(start: time | None, end: time | None, at: datetime, timezone: str) -> bool:
    """`at` falls in [start, end) local time; end <= start crosses midnight; no quiet hours when either is None."""
    if start is None or end is None or start == end:
        return False
    local = at.astimezone(ZoneInfo(timezone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def decide(
    rule: Rule | None,
    alert: Alert,
    *,
    timezone: str,
    last_sent_at: datetime | None,
    channels: Sequence[str],
) -> Status:
    """What happens to an alert: queued for its channels, or suppressed (quiet hours, de-duplication window)."""
    if rule is not None:
        if in_quiet_hours(rule.quiet_start, rule.quiet_end, alert.at, timezone):
            return "suppressed_quiet"
        if last_sent_at is not None and alert.at - last_sent_at < timedelta(minutes=rule.dedup_minutes):
            return "suppressed_dedup"
    if not channels:
        return "no_channel"
    return "queued"


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """Delay before the next attempt after `attempts` failed ones: exponential, capped."""
    return float(min(max_s, base_s * 2 ** max(0, attempts - 1)))
