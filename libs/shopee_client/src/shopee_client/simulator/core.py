"""`Simulator`: the in-memory simulated Shopee (world + clock + auth + faults + QR + request log).

This is the Python API tests use directly (ground truth, cookies, faults, request log). `app.py` serves it
over HTTP; `runner.py` starts it in-process or as a subprocess.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shopee_client.clock import SimulatedClock
from shopee_client.simulator.config import FaultConfig, SimulatorConfig
from shopee_client.simulator.faults import FaultInjector
from shopee_client.simulator.ground_truth import GroundTruth, compute_ground_truth
from shopee_client.simulator.qr import QrRegistry
from shopee_client.simulator.requestlog import RequestLog, RequestRecord
from shopee_client.simulator.world import Account, World, make_cookie

__all__ = ["AuthResult", "Simulator"]


class AuthResult:
    __slots__ = ("account", "status")

    def __init__(self, account: int | None, status: str) -> None:
        self.account = account  # account index when identified (even if expired)
        self.status = status  # "ok" | "missing" | "unknown" | "expired"


def _parse_cookie(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name] = value
    return out


class Simulator:
    """A deterministic simulated Shopee for `config.accounts` accounts."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        c = self.config
        self.world = World(
            seed=c.seed,
            accounts=c.accounts,
            timezone=c.timezone,
            settle_delay=c.settle_delay,
            status_lie_fraction=c.status_lie_fraction,
            history_null_fraction=c.history_null_fraction,
            session_cache_size=c.session_cache_size,
        )
        start = c.start or datetime.now(UTC).replace(microsecond=0)
        self.clock = SimulatedClock(sim_anchor=start, speed=c.speed)
        self.faults = FaultInjector(c.seed, c.faults)
        self.qr = QrRegistry(c.seed, auto_advance=c.qr_auto_advance)
        self.log = RequestLog(c.request_log_size)
        self._fresh_tokens: dict[str, int] = {}
        self._lock = threading.Lock()

    # --- accounts and cookies ------------------------------------------------------------------------------

    @property
    def accounts(self) -> list[Account]:
        return self.world.accounts

    def cookie(self, account: int) -> str:
        """The original cookie string of account `account` (index)."""
        return self.world.accounts[account].cookie

    def account_index(self, user_id: int) -> int | None:
        acct = self.world.account_by_user_id(user_id)
        return None if acct is None else acct.index

    def authenticate(self, cookie_header: str | None) -> AuthResult:
        if not cookie_header:
            return AuthResult(None, "missing")
        parts = _parse_cookie(cookie_header)
        uid_raw = parts.get("SPC_U", "")
        st = parts.get("SPC_ST", "").lstrip(".")
        acct = self.world.account_by_user_id(int(uid_raw)) if uid_raw.isdigit() else None
        if acct is None:
            return AuthResult(None, "unknown")
        if self._fresh_tokens.get(st) == acct.index:
            return AuthResult(acct.index, "ok")
        if st != acct.spc_st:
            return AuthResult(acct.index, "unknown")
        if self.faults.is_expired(acct.index):
            return AuthResult(acct.index, "expired")
        return AuthResult(acct.index, "ok")

    def issue_login(self, account: int) -> str:
        """A new cookie for `account` (what qrcode_login sets); valid even if the old cookie was expired."""
        with self._lock:
            n = len(self._fresh_tokens)
            token = hashlib.sha256(f"{self.config.seed}:login:{account}:{n}".encode()).hexdigest()[:48]
            self._fresh_tokens[token] = account
        return make_cookie(self.world.accounts[account], token)

    # --- time ----------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def set_time(self, sim_now: datetime) -> None:
        self.clock.set(sim_now)

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    def set_speed(self, speed: float) -> None:
        self.clock.set_speed(speed)

    # --- faults --------------------------------------------------------------------------------------------

    def set_faults(self, config: FaultConfig | None = None, **changes: Any) -> FaultConfig:
        """Replace the fault config, or apply keyword changes to it."""
        if config is not None:
            self.faults.set_config(config)
        if changes:
            self.faults.update(changes)
        return self.faults.config

    # --- request log ---------------------------------------------------------------------------------------

    def requests(
        self, since: int = 0, *, account: int | None = None, endpoint: str | None = None
    ) -> list[RequestRecord]:
        return self.log.records(since, account=account, endpoint=endpoint)

    # --- ground truth --------------------------------------------------------------------------------------

    def ground_truth(
        self,
        at: datetime | None = None,
        *,
        from_date: date | None = None,
        to_date: date | None = None,
        accounts: list[int] | None = None,
        include_items: bool = True,
    ) -> GroundTruth:
        """Exact totals as of `at` (default: simulated now); see `shopee_client.simulator.ground_truth`."""
        return compute_ground_truth(
            self.world,
            at or self.now(),
            from_date=from_date,
            to_date=to_date,
            accounts=accounts,
            include_items=include_items,
            affiliate_complete_delay=self.config.affiliate_complete_delay,
        )

    def prewarm(self, days: int = 3) -> int:
        """Generate every account's sessions started in the last `days` days (so first polls are fast).
        Returns the number of sessions generated."""
        t = self.now_ms()
        count = 0
        for account in range(self.config.accounts):
            for plan in self.world.plans_started_within(account, t - days * 86_400_000, t):
                self.world.session_of(plan)
                count += 1
        return count

    def sessions_of(self, account: int, at: datetime | None = None, *, days: int = 3) -> list[int]:
        """Ids of the sessions an account started in the `days` days before `at` (newest first)."""
        t = int((at or self.now()).timestamp() * 1000)
        return [p.session_id for p in self.world.plans_started_within(account, t - days * 86_400_000, t)]
