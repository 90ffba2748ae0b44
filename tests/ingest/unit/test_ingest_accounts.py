"""Account rules: state transitions, backoff, status events."""

from __future__ import annotations

import random

import pytest

from livestudio_ingest import accounts as rules
from livestudio_ingest.accounts import AccountView, CommandRejected


def test_poll_outcomes_move_between_connected_active_and_degraded() -> None:
    assert rules.state_after_success("connected") == "active"
    assert rules.state_after_success("degraded") == "active"
    assert rules.state_after_success("paused") == "paused"
    assert rules.state_after_failure("active", 2, 3) == "active"
    assert rules.state_after_failure("active", 3, 3) == "degraded"
    assert rules.state_after_failure("credentials_expired", 9, 3) == "credentials_expired"


def test_new_credentials_resume_polling_unless_paused() -> None:
    assert rules.state_after_new_credentials("credentials_expired") == "connected"
    assert rules.state_after_new_credentials("degraded") == "connected"
    assert rules.state_after_new_credentials("paused") == "paused"
    assert rules.state_after_resume("paused") == "connected"
    assert rules.state_after_resume("active") is None


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    rng = random.Random(1)
    delays = [rules.backoff_delay(n, initial=1, maximum=30, rng=rng) for n in range(1, 9)]
    assert all(0.5 * min(30, 2 ** (n - 1)) <= d <= min(30, 2 ** (n - 1)) for n, d in enumerate(delays, 1))
    assert delays[-1] <= 30
    assert rules.backoff_delay(1, initial=1, maximum=30, retry_after=12, rng=rng) == 12


def test_status_events() -> None:
    assert rules.status_event_state("active", "degraded") == "recovered"
    assert rules.status_event_state("active", "connected") == "active"
    assert rules.status_needs_publish("active", "active", heartbeat_due=False) is False
    assert rules.status_needs_publish("active", "active", heartbeat_due=True) is True
    assert rules.status_needs_publish("credentials_expired", "active", heartbeat_due=False) is True
    assert rules.status_needs_publish("removed", "removed", heartbeat_due=True) is False


def test_connect_rules() -> None:
    mine = AccountView("a1", "studio-1", "active", 42)
    rules.check_connect(mine, studio_id="studio-1")
    with pytest.raises(CommandRejected, match="not found in studio 'studio-2'"):
        rules.check_connect(mine, studio_id="studio-2")
    # an id never moves to another studio, not even once removed (#17)
    with pytest.raises(CommandRejected, match="not found in studio 'studio-1'"):
        rules.check_connect(AccountView("a1", "studio-2", "removed", 42), studio_id="studio-1")
    # re-connecting an account checks that the cookie is the same Shopee user's, as a PATCH does
    rules.check_same_account_user(mine, 42)
    rules.check_same_account_user(None, 7)
    with pytest.raises(CommandRejected, match="different Shopee user"):
        rules.check_same_account_user(mine, 7)
    with pytest.raises(CommandRejected, match="already connected as account a1"):
        rules.check_same_shopee_user("a2", 42, [mine])
    rules.check_same_shopee_user("a1", 42, [mine])
    with pytest.raises(CommandRejected, match="unknown account"):
        rules.require_existing(AccountView("a1", "s", "removed", None), "a1")
