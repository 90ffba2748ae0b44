"""One account's poll loop: the driver of the functional core (`core`) for I/O and timing.

Every owned account has an `AccountPoller` (one asyncio task). It sleeps until the next cycle is due, calls
Shopee, hands every answer to the core (`core.live`, `core.account`), installs the state the core returns, puts
the core's events into the outbox, records metrics and logs. What a cycle reads and publishes and when the next
one is due is decided by the core; what is left here is how: the calls (with `follow_up` and concurrency),
the clocks, the jitter and the backoff sleep, and turning the outbox's acknowledgements back into core calls.

A failing account only delays itself; AuthExpired parks it until new credentials arrive.

The history backfill (`core.backfill`) is read in the gaps between cycles: one `liveList/v2` page when the next
cycle is at least `backfill_min_gap_s` away, cut short if it is still running when the cycle is due, through the
same client (so the same per-account rate limit), never while the outbox is filling up, and at most as many
sessions per second as the replica's backfill budget (`pacing.BackfillPacer`) allows.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import structlog
from pydantic import SecretStr

from livestudio_ingest.cadence import SettlePolicy
from livestudio_ingest.core import account as health_rules
from livestudio_ingest.core import backfill as backfill_rules
from livestudio_ingest.core import live
from livestudio_ingest.core.account import AccountHealth, Identity
from livestudio_ingest.core.emit import Emit, EndPublished, Published, StatusPublished, Unsent
from livestudio_ingest.core.session import SessionState
from livestudio_ingest.liveness import LivenessPolicy
from livestudio_ingest.metrics import (
    BACKFILL_PAGES,
    BACKFILL_SESSIONS,
    CORRECTIONS,
    CYCLE_SECONDS,
    SCHEDULING_LAG,
    SESSIONS_ENDED,
    STATUS_CHANGES,
    poll_outcome,
    poll_seconds,
)
from livestudio_ingest.outbox import Outbox, Outgoing
from livestudio_ingest.pacing import BackfillPacer
from livestudio_ingest.repository import AccountRow, BackfillRow, PollStateRow, RuntimeWrite, SessionStateRow
from livestudio_ingest.settings import IngestSettings
from livestudio_runtime.tasks import cancel_and_wait
from shopee_client import (
    AccountContext,
    AuthExpired,
    Clock,
    RateLimited,
    Region,
    ShopeeClient,
    ShopeeClientError,
    follow_up,
)
from shopee_client.client.models import Page, ProductItem

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Topics:
    session: str
    item: str
    account: str


@dataclass(slots=True)
class AccountConfig:
    """An account as configured (from `ingest.accounts`), with its cookie decrypted (or None)."""

    account_id: str
    studio_id: str
    display_name: str
    region: Region
    shopee_user_id: int | None
    state: str
    config_seq: int
    cookie: SecretStr | None
    credentials_error: str | None = None
    last_successful_poll_at: datetime | None = None


@dataclass(slots=True)
class PollDeps:
    """What every poller shares: settings, the one Shopee client, the clock, the outbox."""

    settings: IngestSettings
    client: ShopeeClient
    clock: Clock
    outbox: Outbox
    topics: Topics
    mark_dirty: Callable[[AccountPoller], None]
    rng: random.Random
    pacer: BackfillPacer | None = None
    """The replica's backfill budget (None: unpaced, as in tests that read pages directly)."""

    @property
    def policy(self) -> live.Policy:
        s = self.settings
        return live.Policy(
            liveness=LivenessPolicy(
                stale_after=timedelta(seconds=s.stale_after_s), end_confirm=timedelta(seconds=s.end_confirm_s)
            ),
            settle=SettlePolicy(window=timedelta(seconds=s.settle_window_s), reads=s.settle_reads),
            live_interval_s=s.live_interval_s,
            idle_interval_s=s.idle_interval_s,
            heartbeat_s=s.heartbeat_interval_s,
            rate_per_s=s.shopee_per_account_rate,
            history_details=s.history_details,
            retention=timedelta(days=s.session_retention_days),
        )

    @property
    def clock_speed(self) -> float:
        """Ingest-clock seconds per real second: the simulator's speed (0 while frozen), 1 for real time."""
        return float(getattr(self.clock, "speed", 1.0))


async def _all_of(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines concurrently (as tasks, unless there is only one); if one raises, cancel the rest, re-raise."""
    if len(coros) == 1:
        return [await coros[0]]
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class _CycleAborted(Exception):
    """The cycle cannot go on (auth expired or throttled); the account's health says why."""


@dataclass(frozen=True, slots=True)
class PersistRows:
    """What a poller has to write (`AccountPoller.unwritten_rows`); handed back on failure (`write_failed`)."""

    runtime: RuntimeWrite | None
    poll_state: PollStateRow | None
    sessions: list[SessionStateRow]
    backfill: BackfillRow | None = None


class AccountPoller:
    def __init__(
        self,
        deps: PollDeps,
        config: AccountConfig,
        poll_state: PollStateRow | None,
        sessions: list[SessionStateRow],
        backfill: BackfillRow | None = None,
    ) -> None:
        self.deps = deps
        self.config = config
        self.account_id = config.account_id
        loaded_at = asyncio.get_running_loop().time()  # restored state was published: the heartbeat starts now
        self.live = live.restored(
            sessions, loaded_mono=loaded_at, history_read_at=poll_state.history_read_at if poll_state else None
        )
        self.health = health_rules.initial(
            config.state,
            credentials_error=config.credentials_error,
            last_success_at=config.last_successful_poll_at,
            status_published=poll_state.status_published if poll_state else None,
        )
        self.pollstate_dirty = False
        self.next_due = 0.0
        self.next_history_mono = 0.0
        self.last_observed: datetime | None = None
        self.cycles = 0
        self._task: asyncio.Task[None] | None = None
        self._stopped_at: float | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._ctx: AccountContext | None = None
        self._owner = self._owner_of(config)
        self._build_context()
        self.backfill = self._restored_backfill(backfill)
        if self.health.runtime_dirty or self.backfill.dirty:
            self.deps.mark_dirty(self)

    # --- what the engine and the benchmarks read ---------------------------------------------------------------

    @property
    def state(self) -> str:
        return self.health.state

    @property
    def failures(self) -> int:
        return self.health.failures

    @property
    def last_error(self) -> str | None:
        return self.health.last_error

    @property
    def last_success_at(self) -> datetime | None:
        return self.health.last_success_at

    @property
    def status_sent(self) -> str | None:
        return self.health.status_sent

    @property
    def status_published(self) -> str | None:
        return self.health.status_published

    @property
    def sessions(self) -> dict[int, SessionState]:
        return dict(self.live.sessions)

    @property
    def on_air_session_id(self) -> int | None:
        return self.live.on_air_session_id

    @property
    def pollable(self) -> bool:
        return self.health.pollable and self._ctx is not None

    @property
    def backoff(self) -> float:
        s = self.deps.settings
        return health_rules.backoff(self.health, initial_s=s.backoff_initial_s, maximum_s=s.backoff_max_s)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # --- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        s = self.deps.settings
        first = min(s.idle_interval_s, s.live_interval_s * 3)
        self.next_due = loop.time() + self.deps.rng.uniform(0, first)
        self.next_history_mono = self._first_history_due(loop.time())
        self._task = asyncio.create_task(self._run(), name=f"poll:{self.account_id}")

    def resume(self) -> None:
        """Poll again after a pause (a rebalance gave the account back): the schedule goes on, shifted by the
        pause, so resumed accounts keep their spread instead of all polling at once."""
        loop_now = asyncio.get_running_loop().time()
        paused = max(0.0, loop_now - self._stopped_at) if self._stopped_at is not None else 0.0
        self.next_due += paused
        self.next_history_mono += paused
        self._stopped_at = None
        self._task = asyncio.create_task(self._run(), name=f"poll:{self.account_id}")

    async def stop(self) -> None:
        self._stopped_at = asyncio.get_running_loop().time()
        task, self._task = self._task, None
        await cancel_and_wait(task)
        if self.deps.pacer is not None:
            self.deps.pacer.forget(self.account_id)

    def update_config(self, config: AccountConfig) -> None:
        """A changed account row (command, CLI or QR login): adopt it and re-plan at once."""
        previous = self.config
        self.config = config
        self._owner = self._owner_of(config)
        if config.config_seq != previous.config_seq or config.state != self.health.state:
            self.health = health_rules.reconfigured(
                self.health, state=config.state, credentials_error=config.credentials_error
            )
            if self.health.runtime_dirty:
                self.deps.mark_dirty(self)
        self._build_context()
        self.next_due = asyncio.get_running_loop().time()
        self._wake()

    def _build_context(self) -> None:
        cookie = self.config.cookie
        self._ctx = (
            AccountContext(account_id=self.account_id, cookie=cookie, region=self.config.region) if cookie else None
        )

    @staticmethod
    def _owner_of(config: AccountConfig) -> live.Owner:
        return live.Owner(
            account_id=config.account_id,
            studio_id=config.studio_id,
            currency=config.region.currency,
            timezone=config.region.timezone_name,
        )

    def _identity(self) -> Identity:
        cfg = self.config
        return Identity(
            account_id=self.account_id,
            studio_id=cfg.studio_id,
            display_name=cfg.display_name,
            region=cfg.region.domain,
            shopee_user_id=cfg.shopee_user_id,
        )

    # --- the loop ----------------------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                if not self.pollable:
                    self.publish_status()
                    await self._sleep_until(loop.time() + self._jittered(self.deps.settings.heartbeat_interval_s))
                    continue
                await self._sleep_until(self.next_due)
                if not self.pollable:
                    continue
                started = loop.time()
                SCHEDULING_LAG.observe(max(0.0, started - self.next_due))
                planned = await self.poll_once()
                self.next_due = self._plan_next(planned)
                if planned is not None:
                    await self._backfill_in_gap()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("poll_loop_error", account_id=self.account_id)
                await asyncio.sleep(1.0)

    async def poll_once(self) -> float | None:
        """One poll cycle now, and the account-status event if one is due: the real seconds until the next
        cycle, or None when it failed (the loop then backs off)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        planned: float | None
        try:
            planned = await self._cycle()
        except _CycleAborted:
            planned = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or a payload we cannot map: never kill the account's loop
            log.exception("poll_cycle_crashed", account_id=self.account_id)
            self._failed(f"internal error: {type(exc).__name__}")
            planned = None
        CYCLE_SECONDS.observe(loop.time() - started)
        self.cycles += 1
        self.publish_status()
        return planned

    async def _sleep_until(self, when: float) -> None:
        """Sleep until `when` (loop time) or until `_wake()`: one future and one timer handle, no extra task
        (at thousands of accounts `wait_for` on an event costs a task and two callbacks per sleep)."""
        loop = asyncio.get_running_loop()
        if when <= loop.time():
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiter = waiter
        timer = loop.call_at(when, _release, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            if self._waiter is waiter:
                self._waiter = None

    def _wake(self) -> None:
        """End the current sleep now (the plan changed)."""
        if self._waiter is not None:
            _release(self._waiter)

    def _jittered(self, seconds: float) -> float:
        j = self.deps.settings.jitter
        return seconds * self.deps.rng.uniform(1 - j, 1 + j)

    def _plan_next(self, interval: float | None) -> float:
        loop_now = asyncio.get_running_loop().time()
        if interval is None:  # failed: back off from now
            return loop_now + self.backoff
        due = self.next_due + self._jittered(interval)
        if due < loop_now - interval:  # far behind (e.g. after a long outage): do not try to catch up in a burst
            due = loop_now
        return due

    def _first_history_due(self, loop_now: float) -> float:
        s = self.deps.settings
        read_at = self.live.history_read_at
        if read_at is None:
            return loop_now + self.deps.rng.uniform(0, s.history_initial_spread_s)
        age = (datetime.now(UTC) - read_at).total_seconds()
        return (
            loop_now + max(0.0, s.history_interval_s - age) + self.deps.rng.uniform(0, s.jitter * s.history_interval_s)
        )

    # --- one cycle ---------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        """The ingest clock, never going backwards for this account."""
        now = self.deps.clock.now()
        if self.last_observed is not None and now <= self.last_observed:
            now = self.last_observed + timedelta(microseconds=1)
        self.last_observed = now
        return now

    async def _call(self, endpoint: str, make: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        try:
            result = await make()
        except ShopeeClientError as exc:
            poll_outcome(endpoint, exc.kind).inc()
            poll_seconds(endpoint).observe(time.perf_counter() - started)
            if isinstance(exc, AuthExpired):
                log.warning("credentials_expired", account_id=self.account_id, endpoint=exc.endpoint)
                self._set_health(health_rules.auth_expired(self.health, code=exc.code, http_status=exc.http_status))
                raise _CycleAborted from None
            if isinstance(exc, RateLimited):
                self._failed(f"rate limited by Shopee on {endpoint}", retry_after=exc.retry_after)
                raise _CycleAborted from None
            raise
        poll_outcome(endpoint, "ok").inc()
        poll_seconds(endpoint).observe(time.perf_counter() - started)
        return result

    async def _cycle(self) -> float:
        """One poll cycle; returns the interval until the next one (raises _CycleAborted on auth/throttling)."""
        ctx = self._ctx
        assert ctx is not None
        s = self.deps.settings
        client = self.deps.client
        policy = self.deps.policy
        asked_at = self._now()
        try:
            page = await self._call(
                "session_list", lambda: client.session_list(ctx, page=1, page_size=s.session_page_size)
            )
        except ShopeeClientError as exc:
            self._failed(f"sessionList failed: {exc}")
            raise _CycleAborted from None
        now = self._now()
        loop = asyncio.get_running_loop()
        self._set_health(health_rules.succeeded(self.health, wall_now=datetime.now(UTC), mono=loop.time()))
        listed_mono = loop.time()
        listed = live.listed(self.live, page.items, now, policy, asked_at=asked_at)
        self.live = listed.state

        details: dict[int, live.Detail] = {}
        if listed.read:
            # The rest of the cycle is a follow-up: under load the client serves it before calls that start new
            # cycles, so the list just read is published while it is fresh. Sessions are read concurrently.
            with follow_up():
                found = await _all_of([self._detail(ctx, sid) for sid in listed.read])
            details = dict(zip(listed.read, found, strict=True))
        self._apply(
            live.published(self.live, page.items, details, now=now, mono=loop.time(), owner=self._owner, policy=policy)
        )
        if listed_mono >= self.next_history_mono:
            await self._read_history(ctx, skip=details.keys())
        base = self.live.base_interval(policy)
        if self.live.rereads:
            await self._reread_details(ctx, live.reread_budget_of(self.live, policy))
        self.live, interval = live.finished(self.live, now=now, base_s=base, speed=self.deps.clock_speed, policy=policy)
        return interval

    async def _detail(self, ctx: AccountContext, session_id: int) -> live.Detail:
        """Overview and every product page of one session, read concurrently; a failure of either leaves that
        part out."""
        overview: list[Any] = [None, None]
        products: list[Any] = [None, None]
        await _all_of([self._read_overview(ctx, session_id, overview), self._read_products(ctx, session_id, products)])
        return live.Detail(overview=overview[0], overview_at=overview[1], products=products[0], items_at=products[1])

    async def _read_overview(self, ctx: AccountContext, session_id: int, out: list[Any]) -> None:
        client = self.deps.client
        try:
            out[0] = await self._call("overview", lambda: client.overview(ctx, session_id))
            out[1] = self._now()
        except ShopeeClientError as exc:
            log.info("overview_failed", account_id=self.account_id, session_id=session_id, error=str(exc)[:200])

    async def _read_products(self, ctx: AccountContext, session_id: int, out: list[Any]) -> None:
        try:
            out[0] = await self._all_products(ctx, session_id)
            out[1] = self._now()
        except ShopeeClientError as exc:
            log.info("products_failed", account_id=self.account_id, session_id=session_id, error=str(exc)[:200])

    async def _all_products(self, ctx: AccountContext, session_id: int) -> list[ProductItem]:
        client = self.deps.client
        size = self.deps.settings.product_page_size

        def page(number: int) -> Callable[[], Awaitable[Page[ProductItem]]]:
            return lambda: client.product_list(ctx, session_id, page=number, page_size=size)

        first = await self._call("product_list", page(1))
        seen: dict[int, ProductItem] = {p.item_id: p for p in first.items}
        for number in range(2, first.total_page + 1):
            more = await self._call("product_list", page(number))
            for p in more.items:
                seen.setdefault(p.item_id, p)  # the order can shift between pages while live
        return list(seen.values())

    # --- history and corrections -------------------------------------------------------------------------

    async def _read_history(self, ctx: AccountContext, skip: Collection[int] = ()) -> None:
        s = self.deps.settings
        client = self.deps.client
        loop = asyncio.get_running_loop()
        today = self.deps.clock.now().astimezone(self.config.region.tz).date()
        try:
            rows = await self._call(
                "live_list", lambda: client.all_live_history(ctx, end_date=today, time_dim="7d", page_size=100)
            )
        except ShopeeClientError as exc:
            log.info("history_failed", account_id=self.account_id, error=str(exc)[:200])
            self.next_history_mono = loop.time() + min(s.history_interval_s, max(s.idle_interval_s, 1.0))
            return
        now = self._now()
        self._apply(
            live.history(
                self.live,
                rows,
                now=now,
                wall_now=datetime.now(UTC),
                mono=loop.time(),
                owner=self._owner,
                policy=self.deps.policy,
                skip=skip,
            )
        )
        self.pollstate_dirty = True
        self.deps.mark_dirty(self)
        self.next_history_mono = loop.time() + self._jittered(s.history_interval_s)

    async def _reread_details(self, ctx: AccountContext, budget: int) -> None:
        """Overview and products of ended sessions the history listed, `budget` of them in this cycle."""
        self.live, taken = live.take_rereads(self.live, budget)
        if not taken:
            return
        found = await _all_of([self._detail(ctx, sid) for sid, _row in taken])
        pairs = [(row, detail) for (_sid, row), detail in zip(taken, found, strict=True)]
        self._apply(live.reread(self.live, pairs, mono=asyncio.get_running_loop().time(), owner=self._owner))

    # --- the history backfill ----------------------------------------------------------------------------

    def _today(self) -> date:
        """Shop-local date on the ingest clock."""
        return self.deps.clock.now().astimezone(self.config.region.tz).date()

    def _restored_backfill(self, row: BackfillRow | None) -> backfill_rules.Backfill:
        """The backfill the last owner left; an account never backfilled starts one (`backfill_days` deep)."""
        days = self.deps.settings.backfill_days
        if row is None or row.started_at is None:
            if days <= 0:
                return backfill_rules.Backfill()
            state = backfill_rules.started(self._today(), days, wall_now=datetime.now(UTC))
            return state if row is None else self._with_request(state, row)
        state = backfill_rules.Backfill(
            days=row.days,
            target=row.target_date,
            next_end=row.next_end_date,
            page=row.next_page,
            applied_seq=row.applied_seq,
            windows_done=row.windows_done,
            windows_total=row.windows_total,
            sessions_found=row.sessions_found,
            started_at=row.started_at,
            finished_at=row.finished_at,
            last_error=row.last_error,
        )
        return self._with_request(state, row)

    def _with_request(self, state: backfill_rules.Backfill, row: BackfillRow) -> backfill_rules.Backfill:
        if row.requested_seq <= state.applied_seq:
            return state
        days = row.requested_days if row.requested_days is not None else self.deps.settings.backfill_days
        return backfill_rules.requested(
            state, seq=row.requested_seq, days=days, today=self._today(), wall_now=datetime.now(UTC)
        )

    def request_backfill(self, row: BackfillRow) -> None:
        """An on-demand backfill (the CLI's request row): a new walk unless this request was applied already."""
        state = self._with_request(self.backfill, row)
        if state is not self.backfill:
            log.info("backfill_requested", account_id=self.account_id, days=state.days, seq=state.applied_seq)
            self.backfill = state
            self.deps.mark_dirty(self)

    def _backfill_room(self) -> bool:
        outbox = self.deps.outbox
        return len(outbox) < outbox.max_entries * self.deps.settings.backfill_outbox_share

    async def _backfill_in_gap(self) -> None:
        """One backfill page if the next cycle is far enough away; cut short when the cycle comes due."""
        if not self.backfill.running or not self.pollable or not self._backfill_room():
            return
        loop = asyncio.get_running_loop()
        if self.next_due - loop.time() < self.deps.settings.backfill_min_gap_s:
            return
        pacer = self.deps.pacer
        size = self.deps.settings.backfill_page_size
        if pacer is not None and not pacer.try_take(self.account_id, size):
            return  # the replica's backfill budget has no room: a later gap reads the page
        found = self.backfill.sessions_found
        page = asyncio.ensure_future(self.backfill_once())
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiter = waiter  # `_wake()` (a new config, a broker reset) ends the page too
        timer = loop.call_at(self.next_due, _release, waiter)
        try:
            await asyncio.wait((page, waiter), return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if self._waiter is waiter:
                self._waiter = None
            if not page.done():  # the cycle is due (or the poller stops): the page is read again later
                page.cancel()
                await asyncio.gather(page, return_exceptions=True)
                BACKFILL_PAGES.labels("deferred").inc()
            if pacer is not None:  # what the page did not publish goes back to the budget
                published = self.backfill.sessions_found - found if page.done() and not page.cancelled() else 0
                pacer.give_back(size - max(0, published))
                if not self.backfill.running:
                    pacer.forget(self.account_id)
        if not page.cancelled() and (error := page.exception()) is not None:  # a bug: never kill the loop
            log.error("backfill_page_crashed", account_id=self.account_id, error=repr(error)[:200])
            self.backfill = backfill_rules.failed(self.backfill, f"internal error: {type(error).__name__}")

    async def backfill_once(self) -> bool:
        """Read the backfill's next page now and publish what it lists: False when there is nothing to read."""
        call = backfill_rules.next_call(self.backfill)
        ctx = self._ctx
        if call is None or ctx is None:
            return False
        client = self.deps.client
        try:
            page = await self._call(
                "live_list",
                lambda: client.live_list(
                    ctx,
                    end_date=call.end_date,
                    time_dim=call.time_dim,
                    page=call.page,
                    page_size=self.deps.settings.backfill_page_size,
                ),
            )
        except (ShopeeClientError, _CycleAborted) as exc:
            BACKFILL_PAGES.labels("failed").inc()
            reason = self.health.last_error if isinstance(exc, _CycleAborted) else str(exc)
            self.backfill = backfill_rules.failed(self.backfill, reason or "liveList/v2 failed")
            self.deps.mark_dirty(self)
            return True
        rows = backfill_rules.in_depth(self.backfill, page.items, self.config.region.tz)
        loop = asyncio.get_running_loop()
        self._apply(
            live.backfilled(
                self.live, rows, now=self._now(), mono=loop.time(), owner=self._owner, policy=self.deps.policy
            )
        )
        self.backfill = backfill_rules.advanced(
            self.backfill, call, total_pages=page.total_page, listed=len(rows), wall_now=datetime.now(UTC)
        )
        BACKFILL_PAGES.labels("ok").inc()
        BACKFILL_SESSIONS.inc(len(rows))
        if not self.backfill.running:
            log.info("backfill_finished", account_id=self.account_id, sessions=self.backfill.sessions_found)
        self.deps.mark_dirty(self)
        return True

    def backfill_row(self) -> BackfillRow:
        b = self.backfill
        return BackfillRow(
            account_id=self.account_id,
            applied_seq=b.applied_seq,
            days=b.days,
            target_date=b.target,
            next_end_date=b.next_end,
            next_page=b.page,
            windows_done=b.windows_done,
            windows_total=b.windows_total,
            sessions_found=b.sessions_found,
            started_at=b.started_at,
            finished_at=b.finished_at,
            last_error=b.last_error,
        )

    # --- what the core returned ----------------------------------------------------------------------------

    def _apply(self, step: live.Step) -> None:
        """Install the core's new state, then hand its events to the outbox (a drop, when the outbox is full, is
        applied to the installed state at once)."""
        self.live = step.state
        for reason in step.corrections:
            CORRECTIONS.labels(reason).inc()
        for sid in step.ended:
            SESSIONS_ENDED.inc()
            t = self.live.sessions.get(sid)
            ended_at = t.ended_at.isoformat() if t is not None and t.ended_at is not None else None
            log.info("session_ended", account_id=self.account_id, session_id=sid, ended_at=ended_at)
        if step.ended:
            self.deps.mark_dirty(self)
        self._emit(step.events)

    def _emit(self, events: tuple[Emit, ...]) -> None:
        topics = self.deps.topics
        names = {"session": topics.session, "item": topics.item, "account": topics.account}
        outbox = self.deps.outbox
        for e in events:
            item = Outgoing(
                topic=names[e.topic],
                key=e.key,
                body=e.event.to_json_bytes(),
                event_type=e.event.type,
                on_published=self._published_callback(e),
                on_dropped=self._dropped_callback(e.on_drop) if e.on_drop is not None else None,
            )
            outbox.put(e.slot, item, essential=e.essential)

    def _published_callback(self, e: Emit) -> Callable[[], None]:
        ack = e.on_ack

        def published() -> None:
            if isinstance(ack, Published | EndPublished):
                self.live = live.acknowledged(self.live, ack)
            elif isinstance(ack, StatusPublished):
                self.health = health_rules.status_acknowledged(self.health, ack)
                self.pollstate_dirty = True
            self.deps.mark_dirty(self)

        return published

    def _dropped_callback(self, drop: Unsent) -> Callable[[], None]:
        def dropped() -> None:
            self.live = live.dropped(self.live, drop)

        return dropped

    def forget_published(self) -> None:
        """Everything published so far is lost (broker log reset): send the current state again, and walk the
        history back again as deep as the last backfill went."""
        self.live = live.forgotten(self.live)
        if self.backfill.days > 0:
            self.backfill = backfill_rules.started(
                self._today(), self.backfill.days, wall_now=datetime.now(UTC), seq=self.backfill.applied_seq
            )
        self.health = health_rules.forgotten(self.health)
        self.pollstate_dirty = True
        self.deps.mark_dirty(self)
        self.resend_unpublished_ends()
        self.next_due = min(self.next_due, asyncio.get_running_loop().time())
        self._wake()

    def resend_unpublished_ends(self) -> None:
        """After a restart: SessionEnded decided but never acknowledged goes out again (same id)."""
        self._emit(live.unpublished_ends(self.live, self._owner))

    # --- account health and status events -----------------------------------------------------------------

    def _set_health(self, health: AccountHealth) -> None:
        previous = self.health.state
        self.health = health
        if health.state != previous:
            log.info("account_state", account_id=self.account_id, previous=previous, state=health.state)
        if health.runtime_dirty:
            self.deps.mark_dirty(self)

    def _failed(self, error: str, retry_after: float | None = None) -> None:
        health = health_rules.failed(
            self.health, error, degraded_after=self.deps.settings.degraded_after_failures, retry_after=retry_after
        )
        log.info("poll_failed", account_id=self.account_id, failures=health.failures, error=health.last_error)
        self._set_health(health)

    def publish_status(self) -> None:
        """Hand the account-status event to the outbox if one is due (a change of state, or a heartbeat)."""
        mono = asyncio.get_running_loop().time()
        heartbeat_s = self.deps.settings.heartbeat_interval_s
        if not health_rules.status_due(self.health, mono=mono, heartbeat_s=heartbeat_s):
            return
        previous = self.health.status_sent
        health, event = health_rules.status_event(
            self.health,
            self._identity(),
            observed_at=self._now(),
            mono=mono,
            heartbeat_s=heartbeat_s,
            on_air_session_id=self.live.on_air_session_id,
        )
        if event is None:
            return
        if health.state != previous:
            STATUS_CHANGES.labels(event.event.data.state).inc()  # the state the event carries
        self.health = health
        self._emit((event,))

    # --- persistence -------------------------------------------------------------------------------------

    def unwritten_rows(self) -> PersistRows:
        """What changed since last written (and from now on counts as written)."""
        runtime = poll_state = None
        if self.health.runtime_dirty:
            runtime = self.runtime_row()
            self.health = replace(self.health, runtime_dirty=False)
        if self.pollstate_dirty:
            poll_state = self.poll_state_row()
            self.pollstate_dirty = False
        self.live, sessions = live.dirty_rows(self.live, self.account_id)
        backfill = None
        if self.backfill.dirty:
            backfill = self.backfill_row()
            self.backfill = replace(self.backfill, dirty=False)
        return PersistRows(runtime, poll_state, sessions, backfill)

    def write_failed(self, rows: PersistRows) -> None:
        """Writing `rows` failed: they are written again next time."""
        if rows.runtime is not None:
            self.health = replace(self.health, runtime_dirty=True)
        if rows.poll_state is not None:
            self.pollstate_dirty = True
        if rows.backfill is not None:
            self.backfill = replace(self.backfill, dirty=True)
        self.live = live.unwritten(self.live, {r.session_id for r in rows.sessions})

    def runtime_row(self) -> RuntimeWrite:
        h = self.health
        return RuntimeWrite(
            account_id=self.account_id,
            config_seq=self.config.config_seq,
            state=health_rules.runtime_state(h, self.config.state),
            last_successful_poll_at=h.last_success_at,
            last_error=h.last_error,
            on_air_session_id=self.live.on_air_session_id if h.pollable else None,
        )

    def poll_state_row(self) -> PollStateRow:
        return PollStateRow(self.account_id, self.live.history_read_at, self.health.status_published)


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def account_config(
    row: AccountRow, *, cookie: SecretStr | None, credentials_error: str | None, region: Region
) -> AccountConfig:
    return AccountConfig(
        account_id=row.account_id,
        studio_id=row.studio_id,
        display_name=row.display_name,
        region=region,
        shopee_user_id=row.shopee_user_id,
        state=row.state,
        config_seq=row.config_seq,
        cookie=cookie,
        credentials_error=credentials_error,
        last_successful_poll_at=row.last_successful_poll_at,
    )
