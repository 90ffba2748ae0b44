"""A simulated day through the whole stack equals the simulator's ground truth, figure for figure.

The stack (own PostgreSQL and broker, the simulator, the five services as processes) runs one day of the
scenario at 720x: the ingest polls, analytics and commission aggregate, the gateway serves. Then the clock
freezes, the pipeline goes quiet, and every ended session (metrics, products, host attribution), every
account-day, every host's figures and every statement must equal what the simulator says really happened; so
must the affiliate commission income per account, day and source, per session and per host (issue #21).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.system.compare import summarise
from tests.system.harness import SystemRun
from tests.system.income import verify_income
from tests.system.quiet import until_no_differences
from tests.system.scenario import Scenario
from tests.system.verify import verify

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), pytest.mark.xdist_group("stack")]


def test_a_simulated_day_matches_the_ground_truth(tmp_path: Path) -> None:
    scenario = Scenario()
    t0 = time.monotonic()
    # affiliate commission final 2 h after an order's confirmation: completions happen during the run
    with SystemRun(scenario, tmp_path / "stack", sim_args=["--affiliate-complete-hours", "2"]) as run:
        run.seed()
        run.wait_polled()
        quiet_s, truth = run.settle(run.run_day())
        checked, attempts = until_no_differences(lambda: verify(run, truth), timeout=30)
        income, _ = until_no_differences(lambda: verify_income(run, truth.from_date, truth.to_date), timeout=30)
        print(
            f"\nstart {run.timings['start']:.0f}s, seed {run.timings['seed']:.0f}s, day {run.timings['day']:.0f}s, "
            f"quiet after {quiet_s:.0f}s, comparisons {attempts}, total {time.monotonic() - t0:.0f}s\n"
            f"{checked.line()}\n{summarise(checked.differences)}\n{income.line()}\n{summarise(income.differences)}"
        )
    # Checked after the stack stopped, so that a leak is reported even when the figures are wrong too.
    assert run.watch.leaked() == []
    assert checked.sessions_strict >= 10, checked.line()
    assert checked.statements >= 3, checked.line()
    assert checked.differences == [], summarise(checked.differences)
    assert income.sessions >= 10 and income.hosts >= 3 and income.checkouts > 1000, income.line()
    assert income.differences == [], summarise(income.differences)
