"""Chaos during a system run: a timed plan of faults, run from the simulated day's tick, and its summary table.

A `ChaosPlan` holds actions at real-time offsets from the start of the day (SIGKILL and restart of a service,
a broker outage, a PostgreSQL restart, Shopee faults, an expired cookie). `ChaosPlan.tick` runs every action
that is due (actions block: a restart waits until the process is ready again); `table()` prints what was done,
when, and how long it took, with the Shopee faults the simulator actually served.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tests.system.harness import SystemRun

SERVICES = ("ingest", "analytics", "commission", "gateway")

# 20% of Shopee API requests get a fault (timeouts hang briefly so a poll cycle is not stuck for long).
SHOPEE_FAULTS: dict[str, float] = {
    "rate_5xx": 0.05,
    "rate_429": 0.04,
    "rate_timeout": 0.02,
    "rate_truncated": 0.03,
    "rate_invalid_json": 0.02,
    "rate_wrong_type": 0.02,
    "rate_not_owned": 0.02,
}
NO_FAULTS: dict[str, float] = dict.fromkeys(SHOPEE_FAULTS, 0.0)


@dataclass
class Action:
    at_s: float
    name: str
    run: Callable[[], str]
    done_at_s: float | None = None
    took_s: float | None = None
    sim_time: datetime | None = None
    outcome: str = ""


@dataclass
class ChaosPlan:
    actions: list[Action] = field(default_factory=list)

    def add(self, at_s: float, name: str, run: Callable[[], str]) -> None:
        self.actions.append(Action(at_s, name, run))
        self.actions.sort(key=lambda a: a.at_s)

    def tick(self, elapsed_s: float, sim_now: datetime) -> None:
        for action in self.actions:
            if action.done_at_s is None and action.at_s <= elapsed_s:
                t0 = time.monotonic()
                action.sim_time = sim_now
                action.done_at_s = elapsed_s
                action.outcome = action.run()
                action.took_s = time.monotonic() - t0
                return  # one per tick: the day's clock is read again in between

    @property
    def pending(self) -> list[Action]:
        return [a for a in self.actions if a.done_at_s is None]

    def table(self, served_faults: Counter[str], differences: int) -> str:
        lines = [
            f"{'at (s)':>7} {'sim time (UTC)':<20} {'took (s)':>8}  fault injected",
            f"{'-' * 7} {'-' * 20} {'-' * 8}  {'-' * 50}",
        ]
        for a in self.actions:
            when = f"{a.done_at_s:7.1f}" if a.done_at_s is not None else "    n/a"
            sim = a.sim_time.strftime("%m-%d %H:%M") if a.sim_time else ""
            took = f"{a.took_s:8.1f}" if a.took_s is not None else ""
            lines.append(f"{when} {sim:<20} {took:>8}  {a.name}{(': ' + a.outcome) if a.outcome else ''}")
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(served_faults.items())) or "none"
        lines.append(f"Shopee faults served by the simulator: {faults} (total {sum(served_faults.values())})")
        lines.append(f"differences from the ground truth: {differences}")
        return "\n".join(lines)


def standard_plan(run: SystemRun, *, seed: int, expire_account: int, day_s: float, outage_s: float = 30.0) -> ChaosPlan:
    """Every service killed twice at random moments, a broker outage, a PostgreSQL restart, Shopee faults on
    for most of the day and one account's cookie expired. Times are fractions of the day's real duration."""
    rng = random.Random(seed)
    plan = ChaosPlan()

    def faults_on() -> str:
        run.sim.faults(**SHOPEE_FAULTS, hang_seconds=1.5)
        return f"{sum(SHOPEE_FAULTS.values()):.0%} of requests"

    def faults_off() -> str:
        run.sim.faults(**NO_FAULTS)
        return "rates back to 0 (the cookie stays expired)"

    def expire() -> str:
        run.sim.faults(expired_accounts=[expire_account])
        return f"account #{expire_account}"

    def kill(name: str) -> Callable[[], str]:
        def action() -> str:
            return f"ready again after {run.restart(name):.1f}s"

        return action

    def outage() -> str:
        t0 = time.monotonic()
        run.broker_outage(outage_s)
        return f"down {time.monotonic() - t0:.0f}s, back on the same port, empty"

    def pg() -> str:
        t0 = time.monotonic()
        run.restart_postgres()
        return f"back after {time.monotonic() - t0:.1f}s, data kept"

    plan.add(0.02 * day_s, "Shopee faults on", faults_on)
    plan.add(0.05 * day_s, "cookie expired", expire)
    # Two random kill moments per service: one in each half of the fault window, never during the outage.
    slots: Sequence[tuple[float, float]] = ((0.06, 0.28), (0.58, 0.82))
    for lo, hi in slots:
        for name in rng.sample(SERVICES, len(SERVICES)):
            plan.add(rng.uniform(lo, hi) * day_s, f"SIGKILL + restart {name}", kill(name))
    plan.add(0.30 * day_s, f"broker stopped for {outage_s:.0f}s", outage)
    plan.add(0.50 * day_s, "PostgreSQL restarted", pg)
    plan.add(0.86 * day_s, "Shopee faults off", faults_off)
    return plan


def served_faults(run: SystemRun) -> Counter[str]:
    """Faults the simulator injected into API responses, by kind (its request log survives service restarts)."""
    return Counter(r["fault"] for r in run.sim.requests(0) if r.get("fault"))
