"""A system run: the whole stack (own embedded PostgreSQL and broker, simulator, the five services) for one scenario.

`SystemRun` starts everything with a fast test cadence, seeds the scenario's studio through the commands topic
(waiting until each phase is applied), runs the simulator's clock over the simulated day (calling a tick
function, which chaos tests use to hurt the system), freezes it, and stops everything. `ProcessWatch`
remembers every process the stack ever started (and their children) so that a test can prove none leaked.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

import httpx
import psutil

from livestudio_devinfra.demo import SimAccount, publish_commands
from livestudio_devinfra.stack import Stack, StackConfig
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import AnyCommand
from shopee_client.simulator.ground_truth import GroundTruth
from tests.system.gateway_client import GatewayClient, mint_token
from tests.system.quiet import diagnose, wait_quiet
from tests.system.scenario import RosterPlan, Scenario, plan_roster, setup_commands
from tests.system.simadmin import ClockReading, SimAdmin

KAFKA_TIMING = {
    "KAFKA_SESSION_TIMEOUT_MS": "3000",
    "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
    "KAFKA_FETCH_MAX_WAIT_MS": "20",
    "TOPIC_PARTITIONS": "4",
}


def fast_env(*, live_interval_s: float = 1.0, history_interval_s: float = 6.0) -> dict[str, dict[str, str]]:
    """Per-service environment for a test cadence: polls every second or so, quick group joins, no rate limit."""
    common = dict(KAFKA_TIMING)
    ingest = {
        **common,
        "LIVE_INTERVAL_S": str(live_interval_s),
        "IDLE_INTERVAL_S": str(max(live_interval_s, 1.0)),
        "HISTORY_INTERVAL_S": str(history_interval_s),
        "HISTORY_INITIAL_SPREAD_S": "2",
        "HEARTBEAT_INTERVAL_S": "60",
        "BACKOFF_INITIAL_S": "0.5",
        "BACKOFF_MAX_S": "3",
        "SIM_CLOCK_REFRESH_S": "0.5",
        "ACCOUNTS_REFRESH_INTERVAL_S": "2",
        "ACCOUNTS_PARTITIONS": "8",
        "STATE_FLUSH_INTERVAL_S": "0.5",
        "SHOPEE_READ_TIMEOUT_S": "5",
        "SHOPEE_PER_ACCOUNT_RATE": "50",
        # history backfill (issue #20): the 7 days the history re-read reaches, so the sessions that ended before
        # the stack started come through the backfill too and are checked against the ground truth (verify.py)
        "BACKFILL_DAYS": "7",
        "BACKFILL_MIN_GAP_S": "0.3",
        "BACKFILL_SESSIONS_PER_S": "500",  # the replica's backfill budget: as fast as the gaps allow at this cadence
        # affiliate report (issue #21): 10 days of backfill cover the compared days; every read re-reads from the
        # oldest pending checkout (same interval), and the freeze gets one more read (tests/system/income.py)
        "AFFILIATE_BACKFILL_DAYS": "10",
        "AFFILIATE_NEW_INTERVAL_S": "7200",
        "AFFILIATE_REREAD_INTERVAL_S": "7200",
        "AFFILIATE_TICK_S": "0.5",
        "AFFILIATE_EVENTS_PER_S": "20000",  # the pace is for many accounts; this stack's few publish at once
    }
    return {
        "ingest": {f"INGEST_{k}": v for k, v in ingest.items()},
        "analytics": {f"ANALYTICS_{k}": v for k, v in common.items()},
        "commission": {f"COMMISSION_{k}": v for k, v in common.items()},
        "gateway": {
            **{f"GATEWAY_{k}": v for k, v in common.items()},
            "GATEWAY_RATE_LIMIT_ENABLED": "false",
        },
    }


class ProcessWatch:
    """Every process the stack started (services, simulator, broker, PostgreSQL) and their descendants."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, float], psutil.Process] = {}

    def _add(self, proc: psutil.Process) -> None:
        try:
            self.seen.setdefault((proc.pid, proc.create_time()), proc)
        except psutil.Error:
            return

    def snapshot(self, stack: Stack) -> None:
        roots: list[int] = [p.proc.pid for p in stack.processes.values() if p.proc is not None and p.running]
        for infra in (stack.kafka, stack.postgres):
            pid = infra.pid if infra is not None else None  # None once it exited
            if pid is not None:
                roots.append(pid)
        for pid in roots:
            try:
                root = psutil.Process(pid)
            except psutil.Error:
                continue
            self._add(root)
            try:
                for child in root.children(recursive=True):
                    self._add(child)
            except psutil.Error:
                continue

    def leaked(self) -> list[psutil.Process]:
        alive: list[psutil.Process] = []
        for proc in self.seen.values():
            try:
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
            except psutil.Error:
                continue
        return alive


def wait_for(what: str, check: Callable[[], bool], timeout: float, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what}: not after {timeout:.0f}s")


class SystemRun:
    """One scenario on its own stack. Use as a context manager; everything stops on exit."""

    def __init__(
        self,
        scenario: Scenario,
        home: Path,
        *,
        env: Mapping[str, Mapping[str, str]] | None = None,
        sim_args: Sequence[str] = (),
    ) -> None:
        self.scenario = scenario
        self.credentials_key = CookieCipher.generate_key()
        self.jwt_secret = secrets.token_urlsafe(32)
        base = fast_env()
        for name, extra in (env or {}).items():
            base.setdefault(name, {}).update(extra)
        self.stack = Stack(
            StackConfig(
                home=home,
                accounts=scenario.accounts,
                speed=0.0,
                seed=scenario.seed,
                sim_start=scenario.sim_start.isoformat(),
                settle_hours=scenario.settle_hours,
                fixed_ports=False,
                credentials_key=self.credentials_key,
                jwt_secret=self.jwt_secret,
                extra_env=base,
                sim_args=list(sim_args),
            )
        )
        self.watch = ProcessWatch()
        self._sim: SimAdmin | None = None
        self._gateway: GatewayClient | None = None
        self.accounts: list[SimAccount] = []
        self.roster: RosterPlan | None = None
        self.frozen: ClockReading | None = None
        self.timings: dict[str, float] = {}

    # --- handles -------------------------------------------------------------------------------------------
    @property
    def sim(self) -> SimAdmin:
        assert self._sim is not None, "not started"
        return self._sim

    @property
    def gateway(self) -> GatewayClient:
        assert self._gateway is not None, "not started"
        return self._gateway

    def account_ids(self) -> dict[int, str]:
        return {a.index: a.account_id for a in self.accounts}

    # --- lifecycle -----------------------------------------------------------------------------------------
    def __enter__(self) -> SystemRun:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = 240.0) -> None:
        t0 = time.monotonic()
        self.stack.start(timeout=timeout)
        self.watch.snapshot(self.stack)
        self._sim = SimAdmin(self.stack.url("simulator"))
        token = mint_token(self.jwt_secret, studios=[self.scenario.studio_id])
        self._gateway = GatewayClient(self.stack.url("gateway"), token)
        self.accounts = [SimAccount(r["index"], r["user_id"], r["user_name"], r["cookie"]) for r in self.sim.accounts()]
        self.timings["start"] = time.monotonic() - t0

    def stop(self) -> None:
        self.watch.snapshot(self.stack)
        self.stack.stop()
        if self._gateway is not None:
            self._gateway.close()
        if self._sim is not None:
            self._sim.close()

    # --- seeding -------------------------------------------------------------------------------------------
    def publish(self, cmds: Sequence[AnyCommand], timeout: float = 120.0) -> None:
        """Publish commands on the commands topic and wait until their owners applied every one."""
        ids = asyncio.run(publish_commands(self.stack.kafka_bootstrap, list(cmds)))
        pending = set(ids)

        def applied() -> bool:
            for command_id in sorted(pending):
                status = self.gateway.command_status(command_id)
                if status is None or status.get("status") == "pending":
                    continue
                if status.get("status") != "applied":
                    raise AssertionError(f"command {command_id} was not applied: {status}")
                pending.discard(command_id)
            return not pending

        wait_for(f"{len(pending)} commands applied", applied, timeout, interval=0.5)

    def seed(self, timeout: float = 180.0) -> None:
        """Studio, hosts, shifts, rules and accounts; then the roster planned from the day's schedule."""
        t0 = time.monotonic()
        cipher = CookieCipher([self.credentials_key])
        for phase in setup_commands(self.scenario, self.accounts, cipher):
            self.publish(phase, timeout)
        sc = self.scenario
        schedule = self.sim.ground_truth(sc.sim_end, first=sc.day, last=sc.day, items=False)
        self.roster = plan_roster(sc, schedule.sessions)
        self.publish(self.roster.entries, timeout)
        self.timings["seed"] = time.monotonic() - t0

    def wait_polled(self, accounts: Iterable[str] | None = None, timeout: float = 120.0) -> None:
        """Until every account has been polled successfully at least once."""
        wanted = set(accounts or self.account_ids().values())

        def polled() -> bool:
            rows = self.gateway.accounts(self.scenario.studio_id)
            done = {r["account_id"] for r in rows if r.get("last_successful_poll_at")}
            return wanted <= done

        wait_for("every account polled", polled, timeout)

    # --- the simulated day ---------------------------------------------------------------------------------
    def run_day(self, tick: Callable[[float, datetime], None] | None = None, poll_s: float = 0.5) -> ClockReading:
        """Run the clock at the scenario's speed from its start to its end, then freeze it.

        `tick(real_seconds_since_start, sim_now)` is called between clock readings (chaos tests act there).
        """
        t0 = time.monotonic()
        self.sim.set_clock(speed=self.scenario.speed)
        while True:
            now = self.sim.clock().sim_now
            if now >= self.scenario.sim_end:
                break
            if tick is not None:
                tick(time.monotonic() - t0, now)
            self.watch.snapshot(self.stack)
            time.sleep(poll_s)
        self.frozen = self.sim.freeze()
        self.timings["day"] = time.monotonic() - t0
        return self.frozen

    def settle(self, frozen: ClockReading) -> tuple[float, GroundTruth]:
        """After `run_day`: wait until the pipeline is quiet for every account (printing a diagnosis when it is
        not), then the simulator's ground truth from a week before the scenario's day to the day after. Returns
        the seconds waited and the truth."""
        accounts = list(range(self.scenario.accounts))
        try:
            quiet_s = wait_quiet(self.stack, self.sim, frozen_at=frozen.sim_now, accounts=accounts)
        except TimeoutError:
            print(diagnose(self.stack, self.sim, frozen.sim_now, accounts, self.gateway))
            raise
        day = self.scenario.day
        truth = self.sim.ground_truth(frozen.sim_now, first=day - timedelta(days=8), last=day + timedelta(days=1))
        return quiet_s, truth

    # --- chaos primitives ----------------------------------------------------------------------------------
    def restart(self, name: str, timeout: float = 120.0) -> float:
        """SIGKILL one process and start it again; seconds until it was ready."""
        t0 = time.monotonic()
        self.watch.snapshot(self.stack)
        self.stack.processes[name].restart(timeout)
        self.watch.snapshot(self.stack)
        return time.monotonic() - t0

    def kill_and_start(self, name: str) -> None:
        """SIGKILL one process and start it again at once, without waiting until it is ready."""
        proc = self.stack.processes[name]
        self.watch.snapshot(self.stack)
        proc.kill()
        proc.restarts += 1
        proc.start()
        self.watch.snapshot(self.stack)

    def is_ready(self, name: str) -> bool:
        url = self.stack.processes[name].ready_url
        try:
            return url is None or httpx.get(url, timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_all_ready(self, timeout: float = 120.0) -> None:
        for proc in self.stack.processes.values():
            proc.wait_ready(timeout)

    def stop_broker(self) -> None:
        broker = self.stack.kafka
        assert broker is not None, "the broker is external"
        broker.stop()

    def start_broker(self) -> None:
        """Start the embedded broker again on the same port (it comes back empty: no topics, records, offsets)."""
        broker = self.stack.kafka
        assert broker is not None, "the broker is external"
        broker.start()
        self.watch.snapshot(self.stack)

    def restart_postgres(self) -> None:
        pg = self.stack.postgres
        assert pg is not None, "PostgreSQL is external"
        self.watch.snapshot(self.stack)
        pg.restart()
        self.watch.snapshot(self.stack)
