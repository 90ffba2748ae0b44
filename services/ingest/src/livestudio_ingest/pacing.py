"""Paces on one replica: the history backfill's budget of sessions per second shared by its pollers
(`BackfillPacer`), and the affiliate reader's budget of checkout events per second (`EventPacer`).

`BackfillPacer` holds the budget (`core.pacing`, pure) and the monotonic clock; a poller asks it for a page's worth
of sessions before reading a backfill page (`try_take`) and gives back what the page did not publish
(`give_back`). It also keeps which accounts it held back (`livestudio_ingest_backfill_waiting_accounts`) and logs
`backfill_paced` once when it starts holding pages back (again only after a minute without).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog

from livestudio_ingest.core import pacing
from livestudio_ingest.metrics import BACKFILL_PAGES, BACKFILL_WAITING

log = structlog.get_logger(__name__)

QUIET_S = 60.0
"""Seconds without a page held back after which the next one is logged again."""


class BackfillPacer:
    def __init__(self, sessions_per_s: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._budget = pacing.full(sessions_per_s, max(burst, 1.0), clock())
        self._waiting: set[str] = set()
        self._last_held: float | None = None

    @property
    def rate(self) -> float:
        return self._budget.rate

    @property
    def waiting(self) -> int:
        """Accounts whose last page was held back."""
        return len(self._waiting)

    def try_take(self, account_id: str, sessions: int) -> bool:
        """Take `sessions` from the budget for one page of `account_id`; False: no room now (read it later)."""
        now = self._clock()
        budget = pacing.taken(self._budget, sessions, now)
        if budget is None:
            self._held(account_id, now)
            return False
        self._budget = budget
        self._waiting.discard(account_id)
        BACKFILL_WAITING.set(len(self._waiting))
        return True

    def give_back(self, sessions: int) -> None:
        """Sessions taken and not published (a short page, a page cut short)."""
        if sessions > 0:
            self._budget = pacing.returned(self._budget, sessions, self._clock())

    def forget(self, account_id: str) -> None:
        """The account no longer waits (its backfill finished, or the poller stopped)."""
        if account_id in self._waiting:
            self._waiting.discard(account_id)
            BACKFILL_WAITING.set(len(self._waiting))

    def _held(self, account_id: str, now: float) -> None:
        BACKFILL_PAGES.labels("paced").inc()
        self._waiting.add(account_id)
        BACKFILL_WAITING.set(len(self._waiting))
        if self._last_held is None or now - self._last_held >= QUIET_S:
            log.info(
                "backfill_paced",
                sessions_per_s=self._budget.rate,
                waiting_accounts=len(self._waiting),
                next_page_in_s=round(pacing.wait_s(self._budget, 1, now), 2),
            )
        self._last_held = now


class EventPacer:
    """A budget of events per second for a producer that must not flood the outbox (the affiliate reader: a 30-day
    backfill of an account is about 2,300 events, and a replica connecting many accounts at once would queue them
    all ahead of the live snapshots). `await take(n)` returns once `n` events fit the budget."""

    def __init__(
        self,
        per_s: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._budget = pacing.full(per_s, max(burst, 1.0), clock())
        self.waited_s = 0.0
        """Seconds spent waiting for the budget so far."""

    async def take(self, events: int) -> None:
        while True:
            now = self._clock()
            budget = pacing.taken(self._budget, events, now)
            if budget is not None:
                self._budget = budget
                return
            wait = pacing.wait_s(self._budget, events, now)
            self.waited_s += wait
            await self._sleep(wait)
