"""Chaos during the simulated day, and still the ground truth exactly.

While the day runs (540x), every service is SIGKILLed and restarted twice at random moments, the broker is
stopped for 30 s and comes back empty on the same port, PostgreSQL restarts, 20% of Shopee requests fail in
assorted ways and one account's cookie expires. Afterwards every ended session, account-day, host and
statement still equals the ground truth (the expired account aside, which must be reported as such), and no
process outlives the stack.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.system.chaos import served_faults, standard_plan
from tests.system.compare import summarise
from tests.system.harness import SystemRun
from tests.system.quiet import until_no_differences, wait_quiet
from tests.system.scenario import Scenario, account_id
from tests.system.verify import verify

pytestmark = pytest.mark.slow

EXPIRED = 7  # not rostered: its sessions are unassigned, so no host's pay depends on it


def test_chaos_leaves_the_ground_truth_intact(tmp_path: Path) -> None:
    scenario = Scenario(speed=540)
    assert EXPIRED not in scenario.rostered
    t0 = time.monotonic()
    with SystemRun(scenario, tmp_path / "stack") as run:
        run.seed()
        run.wait_polled()
        plan = standard_plan(run, seed=scenario.seed, expire_account=EXPIRED, day_s=scenario.real_seconds)
        frozen = run.run_day(plan.tick)
        assert plan.pending == [], f"chaos actions left when the day ended: {[a.name for a in plan.pending]}"
        plan.finish(run.timings["day"])
        polled = [i for i in range(scenario.accounts) if i != EXPIRED]
        quiet_s = wait_quiet(run.stack, run.sim, frozen_at=frozen.sim_now, accounts=polled, timeout=240)
        truth = run.sim.ground_truth(
            frozen.sim_now, first=scenario.day - timedelta(days=8), last=scenario.day + timedelta(days=1)
        )
        checked, attempts = until_no_differences(lambda: verify(run, truth, exclude={EXPIRED}), timeout=60)
        expired = run.gateway.account(account_id(EXPIRED))
        print(
            f"\n{plan.table(served_faults(run), len(checked.differences))}\n"
            f"start {run.timings['start']:.0f}s, day {run.timings['day']:.0f}s, quiet after {quiet_s:.0f}s, "
            f"comparisons {attempts}, total {time.monotonic() - t0:.0f}s\n"
            f"{checked.line()}\n{summarise(checked.differences)}\n"
            f"account {account_id(EXPIRED)}: {expired and expired['state']}"
        )
        assert expired is not None
        assert expired["state"] == "credentials_expired"
        assert checked.sessions_strict >= 8, checked.line()
        assert checked.differences == [], summarise(checked.differences)
    assert run.watch.leaked() == []
