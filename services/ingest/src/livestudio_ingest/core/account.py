"""An account's health between polls and its status events, as pure functions (any kind of polling).

`AccountHealth` is the stored state (see `livestudio_ingest.accounts`: connected, active, degraded,
credentials_expired, ...), the failures in a row and the last error, the last successful poll (wall clock), and
what the status events carried (`status_sent`: handed to the outbox, `status_published`: acknowledged). The rules
themselves (which state follows which outcome, the backoff curve, when a status event is due) are
`livestudio_ingest.accounts`; this module applies them to the state and builds the events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime

from livestudio_ingest import accounts as rules
from livestudio_ingest.core.emit import Emit, StatusPublished
from livestudio_ingest.observation import account_status, wrap_status

RUNTIME_WRITE_EVERY_S = 5.0
"""`last_successful_poll_at` is written at most this often per account (freshness, not a log)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the account is, as its events say."""

    account_id: str
    studio_id: str
    display_name: str
    region: str
    """Shopee's domain of the account's region."""
    shopee_user_id: int | None


@dataclass(frozen=True, slots=True)
class AccountHealth:
    state: str
    failures: int = 0
    retry_after: float | None = None
    last_error: str | None = None
    last_success_at: datetime | None = None
    """Wall clock, not the ingest clock: an operational fact compared with "now" by the gateway and SREs."""
    runtime_written_mono: float = -1e9
    runtime_dirty: bool = False
    """The runtime columns of the account (state, last success, last error) changed since last written."""
    status_sent: str | None = None
    status_published: str | None = None
    last_status_mono: float = 0.0

    @property
    def pollable(self) -> bool:
        return self.state in rules.POLLABLE

    def with_state(self, state: str) -> AccountHealth:
        return replace(self, state=state, runtime_dirty=True)


def initial(
    state: str, *, credentials_error: str | None, last_success_at: datetime | None, status_published: str | None
) -> AccountHealth:
    """An account as loaded: stored credentials that cannot be used park it as credentials_expired."""
    health = AccountHealth(
        state=state,
        last_error=credentials_error,
        last_success_at=last_success_at,
        status_sent=status_published,
        status_published=status_published,
    )
    if credentials_error and state in rules.POLLABLE:
        health = health.with_state("credentials_expired")
    return health


def reconfigured(health: AccountHealth, *, state: str, credentials_error: str | None) -> AccountHealth:
    """The account row changed (new credentials, pause, resume): start again from its stored state."""
    health = replace(health, state=state, failures=0, last_error=credentials_error)
    if credentials_error and state in rules.POLLABLE:
        health = health.with_state("credentials_expired")
    return health


def succeeded(health: AccountHealth, *, wall_now: datetime, mono: float) -> AccountHealth:
    """A cycle's session list was read."""
    new_state = rules.state_after_success(health.state)
    out = replace(health, failures=0, retry_after=None, last_error=None, last_success_at=wall_now)
    if new_state != health.state or mono - health.runtime_written_mono >= RUNTIME_WRITE_EVERY_S:
        out = replace(out, runtime_written_mono=mono).with_state(new_state)
    return out


def failed(
    health: AccountHealth, error: str, *, degraded_after: int, retry_after: float | None = None
) -> AccountHealth:
    failures = health.failures + 1
    return replace(health, failures=failures, retry_after=retry_after, last_error=error[:500]).with_state(
        rules.state_after_failure(health.state, failures, degraded_after)
    )


def auth_expired(health: AccountHealth, *, code: int | None, http_status: int | None) -> AccountHealth:
    """Shopee rejected the cookie: parked until new credentials arrive (the reason never holds the cookie)."""
    detail = f" (code {code})" if code else f" (HTTP {http_status})" if http_status else ""
    error = f"Shopee rejected the cookie{detail}: log in again or send new credentials"
    return replace(health, last_error=error).with_state("credentials_expired")


def backoff(health: AccountHealth, *, initial_s: float, maximum_s: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after a failed cycle."""
    return rules.backoff_delay(
        max(1, health.failures), initial=initial_s, maximum=maximum_s, retry_after=health.retry_after, rng=rng
    )


def status_due(health: AccountHealth, *, mono: float, heartbeat_s: float) -> bool:
    """Is an account-status event due (a change of state since the last one sent, or a heartbeat)?"""
    heartbeat_due = mono - health.last_status_mono >= heartbeat_s
    return rules.status_needs_publish(health.state, health.status_sent, heartbeat_due=heartbeat_due)


def status_event(
    health: AccountHealth,
    who: Identity,
    *,
    observed_at: datetime,
    mono: float,
    heartbeat_s: float,
    on_air_session_id: int | None,
) -> tuple[AccountHealth, Emit | None]:
    """The account-status event due now (a change, or a heartbeat), if any."""
    current = health.state
    if not status_due(health, mono=mono, heartbeat_s=heartbeat_s):
        return health, None
    event_state = rules.status_event_state(current, health.status_sent)
    payload = account_status(
        account_id=who.account_id,
        studio_id=who.studio_id,
        display_name=who.display_name,
        region=who.region,
        shopee_user_id=who.shopee_user_id,
        state=event_state,
        reason=health.last_error if current in ("credentials_expired", "degraded") else None,
        observed_at=observed_at,
        last_successful_poll_at=health.last_success_at,
        on_air_session_id=on_air_session_id if current in rules.POLLABLE else None,
    )
    emit = Emit(
        slot=("status", who.account_id, 0),
        topic="account",
        key=who.account_id,
        event=wrap_status(payload),
        essential=True,
        on_ack=StatusPublished(current),
    )
    return replace(health, status_sent=current, last_status_mono=mono), emit


def status_acknowledged(health: AccountHealth, ack: StatusPublished) -> AccountHealth:
    return replace(health, status_published=ack.state)


def forgotten(health: AccountHealth) -> AccountHealth:
    """No status counts as published any more (the broker lost its log)."""
    return replace(health, status_sent=None, status_published=None)


def runtime_state(health: AccountHealth, configured: str) -> str:
    """The state written to the account row: the poller's own states, else what the configuration says."""
    return health.state if health.state in rules.RUNTIME_STATES | {"connected"} else configured
