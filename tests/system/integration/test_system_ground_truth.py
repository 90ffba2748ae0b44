"""A simulated day through the whole stack equals the simulator's ground truth, figure for figure.

The stack (own PostgreSQL and broker, the simulator, the five services as processes) runs one day of the
scenario at 720x: the ingest polls, analytics and commission aggregate, the gateway serves. Then the clock
freezes, the pipeline goes quiet, and every ended session (metrics, products, host attribution), every
account-day, every host's figures and every statement must equal what the simulator says really happened.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.system.compare import summarise
from tests.system.harness import SystemRun
from tests.system.quiet import until_no_differences
from tests.system.scenario import Scenario
from tests.system.verify import verify

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), pytest.mark.xdist_group("stack")]


def test_a_simulated_day_matches_the_ground_truth(tmp_path: Path) -> None:
    scenario = Scenario()
    t0 = time.monotonic()
    with SystemRun(scenario, tmp_path / "stack") as run:
        run.seed()
        run.wait_polled()
        quiet_s, truth = run.settle(run.run_day())
        checked, attempts = until_no_differences(lambda: verify(run, truth), timeout=30)
        print(
            f"\nstart {run.timings['start']:.0f}s, seed {run.timings['seed']:.0f}s, day {run.timings['day']:.0f}s, "
            f"quiet after {quiet_s:.0f}s, comparisons {attempts}, total {time.monotonic() - t0:.0f}s\n"
            f"{checked.line()}\n{summarise(checked.differences)}"
        )
    # Checked after the stack stopped, so that a leak is reported even when the figures are wrong too.
    assert run.watch.leaked() == []
    assert checked.sessions_strict >= 10, checked.line()
    assert checked.statements >= 3, checked.line()
    assert checked.differences == [], summarise(checked.differences)
