"""On-air detection: status, the duration still advancing, and the staleness guard (SHOPEE_API.md §3.6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from livestudio_ingest.liveness import LivenessPolicy, assess, assess_unseen

T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
POLICY = LivenessPolicy(stale_after=timedelta(minutes=10), end_confirm=timedelta(minutes=2))


def test_status_one_with_advancing_duration_is_live() -> None:
    lv = assess(None, status=1, end=T0, now=T0 + timedelta(seconds=5), policy=POLICY)
    assert lv.live
    lv = assess(lv, status=1, end=T0 + timedelta(seconds=10), now=T0 + timedelta(seconds=15), policy=POLICY)
    assert lv.live
    assert lv.advanced_at == T0 + timedelta(seconds=10)


def test_status_one_on_a_frozen_duration_goes_stale() -> None:
    lv = assess(None, status=1, end=T0, now=T0, policy=POLICY)
    lv = assess(lv, status=1, end=T0, now=T0 + timedelta(minutes=9), policy=POLICY)
    assert lv.live  # trust the status a while
    lv = assess(lv, status=1, end=T0, now=T0 + timedelta(minutes=11), policy=POLICY)
    assert not lv.live  # the staleness guard


def test_status_two_while_the_duration_advances_is_live() -> None:
    lv = assess(None, status=2, end=T0, now=T0 + timedelta(seconds=3), policy=POLICY)
    assert lv.live  # first sight, end is "now": cannot tell yet, so keep watching it
    for k in range(1, 20):
        lv = assess(
            lv, status=2, end=T0 + timedelta(seconds=30 * k), now=T0 + timedelta(seconds=30 * k + 3), policy=POLICY
        )
        assert lv.live


def test_status_two_with_a_frozen_duration_ends_after_confirmation() -> None:
    lv = assess(None, status=2, end=T0, now=T0 + timedelta(seconds=1), policy=POLICY)
    lv = assess(lv, status=2, end=T0, now=T0 + timedelta(seconds=60), policy=POLICY)
    assert lv.live  # a coarse duration update is not an end yet
    lv = assess(lv, status=2, end=T0, now=T0 + timedelta(seconds=150), policy=POLICY)
    assert not lv.live


def test_a_session_first_seen_long_after_its_end_is_ended() -> None:
    lv = assess(None, status=2, end=T0, now=T0 + timedelta(hours=3), policy=POLICY)
    assert not lv.live
    lv = assess(None, status=1, end=T0, now=T0 + timedelta(hours=3), policy=POLICY)
    assert not lv.live  # status 1 but hours stale


def test_an_end_going_backwards_is_ignored() -> None:
    lv = assess(None, status=1, end=T0, now=T0, policy=POLICY)
    lv = assess(lv, status=1, end=T0 - timedelta(minutes=1), now=T0 + timedelta(seconds=10), policy=POLICY)
    assert lv.last_end == T0
    assert lv.advanced_at == T0


def test_a_tracked_session_missing_from_the_list_ends_when_stale() -> None:
    lv = assess(None, status=1, end=T0, now=T0, policy=POLICY)
    assert assess_unseen(lv, now=T0 + timedelta(minutes=5), policy=POLICY).live
    assert not assess_unseen(lv, now=T0 + timedelta(minutes=11), policy=POLICY).live
