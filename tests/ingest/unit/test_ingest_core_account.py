"""An account's health and status events (`core.account`), as pure functions of poll outcomes and the time."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from livestudio_ingest.core import account
from livestudio_ingest.core.emit import StatusPublished

WHO = account.Identity(
    account_id="acct-1", studio_id="studio-1", display_name="Shop", region="shopee.co.id", shopee_user_id=42
)
WALL = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_unusable_credentials_park_a_pollable_account() -> None:
    h = account.initial(
        "active", credentials_error="no credentials stored", last_success_at=None, status_published=None
    )
    assert h.state == "credentials_expired"
    assert not h.pollable
    assert h.runtime_dirty
    paused = account.initial(
        "paused", credentials_error="no credentials stored", last_success_at=None, status_published=None
    )
    assert paused.state == "paused"


def test_failures_degrade_back_off_and_a_success_recovers() -> None:
    h = account.initial("active", credentials_error=None, last_success_at=None, status_published="active")
    for n in range(1, 4):
        h = account.failed(h, "sessionList failed: 503", degraded_after=3)
        assert h.failures == n
    assert h.state == "degraded"
    h, event = account.status_event(h, WHO, observed_at=WALL, mono=10.0, heartbeat_s=240.0, on_air_session_id=None)
    assert event is not None and event.essential
    assert event.event.data.state == "degraded"
    assert event.event.data.reason == "sessionList failed: 503"
    h = account.status_acknowledged(h, StatusPublished("degraded"))
    h = account.succeeded(h, wall_now=WALL, mono=11.0)
    assert (h.state, h.failures, h.last_error, h.last_success_at) == ("active", 0, None, WALL)
    h, event = account.status_event(h, WHO, observed_at=WALL, mono=12.0, heartbeat_s=240.0, on_air_session_id=7)
    assert event is not None
    assert event.event.data.state == "recovered"
    assert event.event.data.on_air_session_id == 7


def test_an_expired_cookie_says_why_without_the_cookie() -> None:
    h = account.auth_expired(account.AccountHealth(state="active"), code=90309999, http_status=None)
    assert h.state == "credentials_expired"
    assert h.last_error is not None and "90309999" in h.last_error and "cookie" in h.last_error
    assert account.succeeded(h, wall_now=WALL, mono=0.0).state == "credentials_expired"  # only new credentials help


def test_the_last_success_is_written_at_most_every_few_seconds() -> None:
    h = account.succeeded(account.AccountHealth(state="connected"), wall_now=WALL, mono=100.0)
    assert h.state == "active" and h.runtime_dirty
    h = account.succeeded(account.AccountHealth(state="active", runtime_written_mono=100.0), wall_now=WALL, mono=101.0)
    assert not h.runtime_dirty
    h = account.succeeded(h, wall_now=WALL, mono=100.0 + account.RUNTIME_WRITE_EVERY_S)
    assert h.runtime_dirty


def test_a_status_heartbeat_comes_when_due_and_a_broker_reset_sends_it_again() -> None:
    h = account.AccountHealth(state="active", status_sent="active", status_published="active", last_status_mono=100.0)
    assert not account.status_due(h, mono=200.0, heartbeat_s=240.0)
    assert account.status_due(h, mono=340.0, heartbeat_s=240.0)
    assert account.status_due(account.forgotten(h), mono=200.0, heartbeat_s=240.0)


_outcome = st.sampled_from(["ok", "fail", "throttled", "expired"])


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["connected", "active", "degraded"]), st.lists(_outcome, max_size=25), st.integers(1, 5))
def test_any_sequence_of_outcomes_follows_the_lifecycle(start: str, outcomes: list[str], degraded_after: int) -> None:
    h = account.AccountHealth(state=start)
    in_a_row = 0
    expired = False
    for i, outcome in enumerate(outcomes):
        before = h
        if outcome == "ok":
            h = account.succeeded(h, wall_now=WALL, mono=float(i))
            in_a_row = 0
        elif outcome == "expired":
            h = account.auth_expired(h, code=None, http_status=401)
            expired = True
        else:
            h = account.failed(
                h, outcome, degraded_after=degraded_after, retry_after=5.0 if outcome == "throttled" else None
            )
            in_a_row += 1
        assert before.state == h.state or h.runtime_dirty  # every change of state is written
        if expired:
            assert h.state == "credentials_expired"
        elif outcome == "ok":
            assert h.state == "active" and h.failures == 0
        elif in_a_row >= degraded_after or (start == "degraded" and in_a_row == h.failures == i + 1):
            assert h.state == "degraded"
        if outcome == "throttled":
            wait = account.backoff(h, initial_s=1.0, maximum_s=60.0, rng=random.Random(i))
            assert 5.0 <= wait <= 60.0  # never sooner than Shopee's Retry-After
