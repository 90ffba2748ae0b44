"""The backfill's event-rate budget (`core.pacing`): a page is taken only when the budget has room for it, the
budget refills at its rate and never above its burst, and what a page did not publish goes back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from livestudio_ingest.core import pacing
from livestudio_ingest.pacing import EventPacer


def test_a_page_waits_until_the_budget_refilled_for_it() -> None:
    budget = pacing.full(rate=10.0, burst=20.0, now=0.0)
    after = pacing.taken(budget, 20, now=0.0)
    assert after is not None and after.tokens == 0
    assert pacing.taken(after, 20, now=1.0) is None  # 10 sessions back after 1 s: not a page
    assert pacing.wait_s(after, 20, now=1.0) == 1.0
    again = pacing.taken(after, 20, now=2.0)
    assert again is not None and again.tokens == 0


def test_an_unused_share_of_a_page_goes_back() -> None:
    budget = pacing.taken(pacing.full(rate=1.0, burst=20.0, now=0.0), 20, now=0.0)
    assert budget is not None
    budget = pacing.returned(budget, 15, now=0.0)  # the page listed 5 sessions
    assert budget.tokens == 15
    assert pacing.returned(budget, 100, now=0.0).tokens == 20  # never above the burst


def test_a_refused_take_changes_nothing_and_time_never_runs_back() -> None:
    budget = pacing.full(rate=5.0, burst=10.0, now=100.0)
    spent = pacing.taken(budget, 10, now=100.0)
    assert spent is not None
    assert pacing.taken(spent, 10, now=101.0) is None
    assert pacing.refilled(spent, now=99.0) == spent  # an earlier reading adds nothing


@given(
    rate=st.floats(min_value=0.5, max_value=100),
    page=st.integers(min_value=1, max_value=100),
    steps=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=60),
)
def test_what_is_taken_never_exceeds_the_burst_plus_the_rate_over_time(
    rate: float, page: int, steps: list[float]
) -> None:
    burst = max(rate, float(page))
    budget = pacing.full(rate=rate, burst=burst, now=0.0)
    now = total = 0.0
    for step in steps:
        now += step
        after = pacing.taken(budget, page, now)
        if after is not None:
            budget = after
            total += page
        assert 0 <= budget.tokens <= burst + 1e-9
        assert total <= burst + rate * now + 1e-6


async def test_the_event_pacer_spreads_a_burst_at_its_rate() -> None:
    """`EventPacer` (the affiliate reader's): a burst beyond the budget waits for it to refill, at its rate."""
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = EventPacer(100.0, burst=100.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(10):  # 500 events in chunks of 50: the first 100 at once, the rest at 100 per second
        await pacer.take(50)
    assert slept and abs(now[0] - 4.0) < 1e-6
    assert abs(pacer.waited_s - 4.0) < 1e-6
