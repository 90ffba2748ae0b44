"""The cadence of detail reads (issue #24): read at the end, then spread over the settle window at any speed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from livestudio_ingest.cadence import SettlePolicy, cycle_interval, detail_due, next_settle_read, reread_budget

END = datetime(2025, 6, 11, 12, 0, tzinfo=UTC)
SIX_HOURS = SettlePolicy(window=timedelta(hours=6), reads=12)


def test_on_air_and_ending_sessions_are_read_whatever_their_last_read() -> None:
    just_now = END - timedelta(seconds=1)
    for on_air, ending in ((True, False), (False, True)):
        assert detail_due(
            on_air=on_air, ending=ending, end=None, last_read=just_now, now=END, policy=SettlePolicy(reads=0)
        )


def test_a_session_decided_ended_whose_end_still_moves_is_read_every_cycle() -> None:
    """Its status said ended (or it lagged), but Shopee's end keeps moving: it is streaming."""
    last = END + timedelta(minutes=4)
    assert detail_due(
        on_air=False,
        ending=False,
        end=END,
        end_moved=True,
        last_read=last,
        now=last + timedelta(seconds=10),
        policy=SIX_HOURS,
    )
    assert not detail_due(
        on_air=False,
        ending=False,
        end=END,
        end_moved=False,
        last_read=last,
        now=last + timedelta(seconds=10),
        policy=SIX_HOURS,
    )


def test_ended_sessions_are_read_at_evenly_spaced_moments_of_the_window() -> None:
    step = timedelta(minutes=30)
    ending_read = END + timedelta(minutes=4)
    assert next_settle_read(END, ending_read, SIX_HOURS) == END + step
    assert next_settle_read(END, END + step, SIX_HOURS) == END + 2 * step
    assert next_settle_read(END, END + 2 * step - timedelta(microseconds=1), SIX_HOURS) == END + 2 * step
    assert next_settle_read(END, END + 12 * step, SIX_HOURS) is None  # the window's last read was done
    assert next_settle_read(END, END + timedelta(days=3), SIX_HOURS) is None
    assert next_settle_read(END, END + step, SettlePolicy(reads=0)) is None

    def due(last: datetime, now: datetime) -> bool:
        return detail_due(on_air=False, ending=False, end=END, last_read=last, now=now, policy=SIX_HOURS)

    assert not due(ending_read, END + step - timedelta(seconds=1))
    assert due(ending_read, END + step)
    assert due(ending_read, END + 5 * step)  # late (the ingest was down): read once, then on the next slot
    assert not due(END + 5 * step, END + 5 * step + timedelta(minutes=29))


def test_a_session_not_read_since_a_restart_is_read_once_if_still_in_the_window() -> None:
    def due(now: datetime) -> bool:
        return detail_due(on_air=False, ending=False, end=END, last_read=None, now=now, policy=SIX_HOURS)

    assert due(END + timedelta(hours=5))
    assert not due(END + timedelta(hours=7))
    assert not detail_due(on_air=False, ending=False, end=None, last_read=None, now=END, policy=SIX_HOURS)


def test_the_cycle_comes_early_for_a_settling_read_on_the_ingest_clock() -> None:
    due_in_30_min = END + timedelta(minutes=30)
    # Real Shopee (1x): half an hour away, the idle interval comes first.
    assert cycle_interval(30, now=END, next_read=due_in_30_min, speed=1, calls=3, rate_per_s=5) == 30
    # 300x: half an hour of the ingest clock is 6 real seconds.
    assert cycle_interval(30, now=END, next_read=due_in_30_min, speed=300, calls=3, rate_per_s=5) == 6
    # 10,000x: 0.18 s, but three calls at 5 per second take 0.6 s.
    assert cycle_interval(30, now=END, next_read=due_in_30_min, speed=10_000, calls=3, rate_per_s=5) == 0.6
    # A frozen clock, or nothing to settle: the base interval.
    assert cycle_interval(30, now=END, next_read=due_in_30_min, speed=0, calls=3, rate_per_s=5) == 30
    assert cycle_interval(30, now=END, next_read=None, speed=300, calls=3, rate_per_s=5) == 30


@dataclass
class Run:
    reads: list[datetime] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)


def settle_one_session(speed: float, base_s: float, rate: float, policy: SettlePolicy, ending_after_s: float) -> Run:
    """One ended session through the cycle rule and the read rule, with the ingest clock `speed` times real time
    (no jitter, no other sessions): the reads after the one that decided the end, and the real cycle gaps."""
    run = Run()
    now = END + timedelta(seconds=ending_after_s)
    last = now  # the read in the cycle that decided the end
    horizon = END + policy.window + timedelta(seconds=2 * base_s * speed)
    while now <= horizon:
        gap = cycle_interval(
            base_s, now=now, next_read=next_settle_read(END, last, policy), speed=speed, calls=3, rate_per_s=rate
        )
        run.gaps.append(gap)
        now += timedelta(seconds=gap * speed)
        if detail_due(on_air=False, ending=False, end=END, last_read=last, now=now, policy=policy):
            run.reads.append(now)
            last = now
    return run


@settings(max_examples=150, deadline=None)
@given(
    speed=st.sampled_from([1.0, 5.0, 60.0, 120.0, 300.0, 720.0, 3000.0]) | st.floats(1.0, 3000.0),
    base_s=st.sampled_from([10.0, 30.0]) | st.floats(1.0, 60.0),
    rate=st.floats(1.0, 50.0),
    reads=st.integers(1, 24),
    ending_after_s=st.floats(0.0, 900.0),
)
def test_settling_reads_cover_the_window_at_any_speed_within_the_rate_limit(
    speed: float, base_s: float, rate: float, reads: int, ending_after_s: float
) -> None:
    policy = SettlePolicy(window=timedelta(hours=6), reads=reads)
    run = settle_one_session(speed, base_s, rate, policy, ending_after_s)
    floor_s = 3 / rate
    # Never faster than the account's rate limit allows for a cycle's calls (nor slower than the base interval).
    assert all(min(base_s, floor_s) - 1e-9 <= gap <= base_s for gap in run.gaps)
    # Never more reads than the window has slots, and none after its last one was taken.
    assert len(run.reads) <= reads
    # Each read comes at most one rate-limited cycle after its slot (in real time): the slots are met at any speed.
    step = policy.step
    lag_limit = timedelta(seconds=max(floor_s, 1e-6) * speed) + timedelta(microseconds=10)
    for at in run.reads:
        slot = END + step * math.floor((at - END) / step)
        assert at - slot <= lag_limit
    # As many reads inside the window as the rate limit allows, up to the number asked for.
    window_real_s = policy.window.total_seconds() / speed
    in_window = [at for at in run.reads if at <= END + policy.window + lag_limit]
    assert len(in_window) >= min(reads - math.ceil(ending_after_s / step.total_seconds()), window_real_s // floor_s - 1)


def test_a_few_reads_per_window_even_at_high_speed() -> None:
    """The demo's speeds and beyond, at the production rate limit (5 calls per second per account)."""
    for speed in (60.0, 300.0, 720.0, 3000.0):
        run = settle_one_session(speed, 30.0, 5.0, SIX_HOURS, ending_after_s=180.0)
        assert len(run.reads) >= 4, speed
        assert run.reads[-1] >= END + SIX_HOURS.window - SIX_HOURS.step, speed


def test_history_re_reads_take_at_most_half_a_cycle_of_the_rate_limit() -> None:
    assert reread_budget(10, rate_per_s=5) == 12  # production, on air: 24 calls in 10 s at 5 per second
    assert reread_budget(30, rate_per_s=5) == 37
    assert reread_budget(2, rate_per_s=5) == 2
    assert reread_budget(0.1, rate_per_s=1) == 1  # at least one: the queue always drains
