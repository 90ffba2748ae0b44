"""The decision whether a poller paused at a revoke resumes or its account starts again from Postgres
(`handover.py`): only an account that was ours at revoke and that nobody claimed or wrote since resumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from livestudio_ingest.handover import Handover, StateMark, handover, resumable

US = "ingest-a:1"
THEM = "ingest-b:2"
T0 = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
OURS = StateMark(owner=US, written_at=T0)


def test_untouched_since_the_revoke_resumes() -> None:
    assert handover(US, OURS, StateMark(owner=US, written_at=T0)) is Handover.RESUME


def test_another_replica_took_the_account_over_in_between_reloads() -> None:
    assert handover(US, OURS, StateMark(owner=THEM, written_at=T0 + timedelta(seconds=3))) is Handover.RELOAD


def test_a_write_since_the_revoke_reloads_even_without_a_new_claim() -> None:
    # e.g. a broker reset made every replica forget what it published (repository.forget_published)
    assert handover(US, OURS, StateMark(owner=US, written_at=T0 + timedelta(microseconds=1))) is Handover.RELOAD


def test_an_account_claimed_by_another_replica_before_our_revoke_reloads() -> None:
    # we were timed out of the group while still polling: the other replica took it before we paused it
    theirs = StateMark(owner=THEM, written_at=T0)
    assert handover(US, theirs, theirs) is Handover.RELOAD


def test_a_mark_that_could_not_be_read_reloads() -> None:
    assert handover(US, None, OURS) is Handover.RELOAD
    assert handover(US, OURS, None) is Handover.RELOAD
    assert handover(US, None, None) is Handover.RELOAD


def test_resumable_picks_the_untouched_accounts() -> None:
    at_revoke = {"a": OURS, "b": OURS, "c": OURS, "d": None}
    now = {"a": OURS, "b": StateMark(owner=THEM, written_at=T0 + timedelta(seconds=1)), "d": OURS}
    assert resumable(US, at_revoke, now) == {"a"}  # c: its row is gone; d: unknown at revoke
