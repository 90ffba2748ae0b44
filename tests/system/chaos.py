"""Chaos during a system run: a timed plan of faults, run from the simulated day's tick, and its summary table.

A `ChaosPlan` holds actions at real-time offsets from the start of the day: SIGKILL and restart of a service
(the process is started again at once; the plan notes when it answers ready again), stopping and starting the
broker, a PostgreSQL restart, Shopee faults on and off, an expired cookie. `tick` runs every action that is due
and checks on restarted processes; `table()` prints what was done, when, and the Shopee faults the simulator
actually served, with the number of differences found afterwards.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
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
    sim_time: datetime | None = None
    outcome: str = ""
    restarted: str | None = None  # a process started again by this action, until it answers ready
    ready_after_s: float | None = None


@dataclass
class ChaosPlan:
    run: SystemRun
    actions: list[Action] = field(default_factory=list)

    def add(self, at_s: float, name: str, action: Callable[[], str], restarted: str | None = None) -> None:
        self.actions.append(Action(at_s, name, action, restarted=restarted))
        self.actions.sort(key=lambda a: a.at_s)

    def tick(self, elapsed_s: float, sim_now: datetime) -> None:
        for action in self.actions:
            if action.done_at_s is None and action.at_s <= elapsed_s:
                action.sim_time = sim_now
                action.done_at_s = elapsed_s
                action.outcome = action.run()
        self._check_ready(elapsed_s)

    def _check_ready(self, elapsed_s: float) -> None:
        waiting = [a for a in self.actions if a.restarted and a.done_at_s is not None and a.ready_after_s is None]
        for action in waiting:
            latest = max(
                (a for a in self.actions if a.restarted == action.restarted and a.done_at_s is not None),
                key=lambda a: a.done_at_s or 0.0,
            )
            if latest is not action:
                action.ready_after_s = -1.0  # killed again before it was ready
            elif action.restarted is not None and self.run.is_ready(action.restarted):
                action.ready_after_s = elapsed_s - (action.done_at_s or 0.0)

    def finish(self, elapsed_s: float) -> None:
        """After the day: every process is ready again (blocking), so the last readiness times are known."""
        self.run.wait_all_ready()
        self._check_ready(elapsed_s)

    @property
    def pending(self) -> list[Action]:
        return [a for a in self.actions if a.done_at_s is None]

    def table(self, served_faults: Counter[str], differences: int) -> str:
        lines = [
            f"{'at (s)':>7} {'sim time (UTC)':<12} {'ready (s)':>9}  fault injected",
            f"{'-' * 7} {'-' * 12} {'-' * 9}  {'-' * 56}",
        ]
        for a in self.actions:
            when = f"{a.done_at_s:7.1f}" if a.done_at_s is not None else "    n/a"
            sim = a.sim_time.strftime("%m-%d %H:%M") if a.sim_time else ""
            ready = ""
            if a.ready_after_s is not None:
                ready = f"{a.ready_after_s:9.1f}" if a.ready_after_s >= 0 else "re-killed"
            lines.append(f"{when} {sim:<12} {ready:>9}  {a.name}{(': ' + a.outcome) if a.outcome else ''}")
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(served_faults.items())) or "none"
        lines.append(f"Shopee faults served by the simulator: {faults} (total {sum(served_faults.values())})")
        lines.append(f"differences from the ground truth: {differences}")
        return "\n".join(lines)


def standard_plan(
    run: SystemRun,
    *,
    seed: int,
    expire_account: int,
    day_s: float,
    outage_s: float = 30.0,
    broker: bool = True,
    postgres: bool = True,
    kills_per_service: int = 2,
) -> ChaosPlan:
    """Every service killed `kills_per_service` times at random moments, a broker outage, a PostgreSQL restart,
    Shopee faults on for most of the day and one account's cookie expired. Times scale with the day's length."""
    rng = random.Random(seed)
    plan = ChaosPlan(run)

    def faults_on() -> str:
        run.sim.faults(**SHOPEE_FAULTS, hang_seconds=1.5)
        return f"{sum(SHOPEE_FAULTS.values()):.0%} of Shopee requests"

    def faults_off() -> str:
        run.sim.faults(**NO_FAULTS)
        return "rates back to 0 (the cookie stays expired)"

    def expire() -> str:
        run.sim.faults(expired_accounts=[expire_account])
        return f"account #{expire_account}"

    def kill(name: str) -> Callable[[], str]:
        def action() -> str:
            run.kill_and_start(name)
            return "started again"

        return action

    def broker_down() -> str:
        run.stop_broker()
        return "SIGKILL"

    def broker_up() -> str:
        run.start_broker()
        return "same port, no topics, records or offsets"

    def pg() -> str:
        t0 = time.monotonic()
        run.restart_postgres()
        return f"back after {time.monotonic() - t0:.1f}s, data kept"

    plan.add(0.02 * day_s, "Shopee faults on", faults_on)
    plan.add(0.04 * day_s, "cookie expired", expire)
    # Kill moments: one per service in each window, in random order at random times.
    span = 0.82 - 0.06
    windows = [
        (0.06 + span * k / kills_per_service, 0.06 + span * (k + 1) / kills_per_service)
        for k in range(kills_per_service)
    ]
    for lo, hi in windows:
        for name in SERVICES:
            plan.add(rng.uniform(lo, hi - 0.04) * day_s, f"SIGKILL {name}", kill(name), restarted=name)
    if broker:
        start = 0.30 * day_s
        plan.add(start, f"broker stopped ({outage_s:.0f}s)", broker_down)
        plan.add(start + outage_s, "broker started", broker_up)
    if postgres:
        plan.add(0.58 * day_s, "PostgreSQL restarted", pg)
    plan.add(0.88 * day_s, "Shopee faults off", faults_off)
    return plan


def served_faults(run: SystemRun) -> Counter[str]:
    """Faults the simulator injected into API responses, by kind (its request log survives service restarts)."""
    return Counter(r["fault"] for r in run.sim.requests(0) if r.get("fault"))
