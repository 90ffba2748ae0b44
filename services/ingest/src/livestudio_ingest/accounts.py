"""Account lifecycle rules as plain functions: commands -> decisions, poll outcomes -> states, status events.

States stored in `ingest.accounts.state`:
  connected            credentials accepted, not yet polled successfully
  active               polled successfully
  degraded             several poll cycles in a row failed (still polled, with backoff)
  credentials_expired  Shopee rejected the cookie: not polled until new credentials arrive
  paused               an operator paused it: not polled
  removed              gone (credentials deleted); kept for history

Commands (gateway or CLI) set connected / paused / removed; the poller sets active / degraded /
credentials_expired. `recovered` exists only as an event: degraded -> active.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from livestudio_schemas.account import AccountState

StoredState = Literal["connected", "active", "paused", "credentials_expired", "degraded", "removed"]
POLLABLE: frozenset[str] = frozenset({"connected", "active", "degraded"})
RUNTIME_STATES: frozenset[str] = frozenset({"active", "degraded", "credentials_expired"})


class CommandRejected(Exception):
    """A command that cannot be applied; the message is shown to the user (never contains a secret)."""


@dataclass(frozen=True, slots=True)
class AccountView:
    """The parts of an account row the rules look at."""

    account_id: str
    studio_id: str
    state: str
    shopee_user_id: int | None


def check_connect(existing: AccountView | None, *, studio_id: str) -> None:
    """An account id never moves to another studio (not even once removed); refused as if it did not exist."""
    if existing is not None and existing.studio_id != studio_id:
        raise CommandRejected(f"account {existing.account_id!r} not found in studio {studio_id!r}")


def check_same_account_user(existing: AccountView | None, shopee_user_id: int) -> None:
    """New credentials of an existing account must be the same Shopee user's (its history is that user's)."""
    if existing is not None and existing.shopee_user_id is not None and existing.shopee_user_id != shopee_user_id:
        raise CommandRejected("the new cookie belongs to a different Shopee user than this account")


def check_same_shopee_user(account_id: str, shopee_user_id: int, holders: list[AccountView]) -> None:
    """One Shopee user is polled under one account id only (two would double every figure downstream)."""
    for other in holders:
        if other.account_id != account_id and other.state != "removed" and other.shopee_user_id == shopee_user_id:
            raise CommandRejected(f"this Shopee user is already connected as account {other.account_id}")


def require_existing(existing: AccountView | None, account_id: str) -> AccountView:
    if existing is None or existing.state == "removed":
        raise CommandRejected(f"unknown account {account_id}")
    return existing


def state_after_new_credentials(current: str) -> StoredState:
    """New valid credentials: polling resumes unless an operator paused the account."""
    return "paused" if current == "paused" else "connected"


def state_after_resume(current: str) -> StoredState | None:
    """None: nothing to change (resuming an account that is not paused is a no-op)."""
    return "connected" if current == "paused" else None


# --- poll outcomes ------------------------------------------------------------------------------------------


def state_after_success(current: str) -> str:
    return "active" if current in POLLABLE else current


def state_after_failure(current: str, failures: int, degraded_after: int) -> str:
    if current in ("connected", "active") and failures >= degraded_after:
        return "degraded"
    return current


def backoff_delay(
    failures: int,
    *,
    initial: float,
    maximum: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with jitter (50-100% of the step), never shorter than Shopee's Retry-After."""
    step = min(maximum, initial * 2.0 ** max(0, failures - 1))
    draw = rng.random() if rng is not None else random.random()
    jittered = step * (0.5 + 0.5 * draw)
    return max(jittered, retry_after or 0.0)


# --- status events --------------------------------------------------------------------------------------------


def status_event_state(current: str, published: str | None) -> AccountState:
    """The state an account-status event carries: `recovered` on degraded -> active."""
    if current == "active" and published == "degraded":
        return "recovered"
    state: AccountState = current  # type: ignore[assignment]
    return state


def status_needs_publish(current: str, published: str | None, *, heartbeat_due: bool) -> bool:
    if current == "removed":
        return published != "removed"
    return current != published or heartbeat_due
