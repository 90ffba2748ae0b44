"""One account's poll loop: adaptive cadence, on-air detection, publish-on-change, backoff and status.

Every owned account has an `AccountPoller` (one asyncio task). A cycle reads `sessionList`; for every session on
air, every session whose end it decides, and every ended session whose next settling read is due (`cadence`:
`settle_reads` reads spread over the settle window on the ingest clock) it reads the overview and all pages of
the product list, concurrently and as follow-ups (the client serves them before calls that start other cycles,
so what the cycle read is published while fresh); once a day (`history_interval_s`) it re-reads `liveList/v2`
for the last 7 days, emits a SessionCorrected for figures that changed and queues the ended sessions listed
there for a re-read of their overview and products (`cadence.reread_budget` of them per cycle). The next
cycle is due `live_interval_s` later while something is on air, `idle_interval_s` otherwise (both jittered,
fixed-rate so that lag is visible), sooner when a settling read falls due first (`cadence.cycle_interval`), or
after a backoff when the cycle failed. A failing account only delays itself; AuthExpired parks it until new
credentials arrive.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import structlog
from pydantic import SecretStr

from livestudio_ingest import accounts as rules
from livestudio_ingest.cadence import SettlePolicy, cycle_interval, detail_due, next_settle_read, reread_budget
from livestudio_ingest.liveness import LivenessPolicy, assess, assess_unseen
from livestudio_ingest.metrics import (
    CORRECTIONS,
    CYCLE_SECONDS,
    SCHEDULING_LAG,
    SESSIONS_ENDED,
    STATUS_CHANGES,
    poll_outcome,
    poll_seconds,
)
from livestudio_ingest.observation import (
    SessionContext,
    account_status,
    changed_fields,
    content_hash,
    item_snapshots,
    merge_metrics,
    metrics_from_overview,
    metrics_from_row,
    session_corrected,
    session_ended,
    session_snapshot,
    wrap_items,
    wrap_session_event,
    wrap_status,
)
from livestudio_ingest.outbox import Outbox, Outgoing, Slot
from livestudio_ingest.repository import AccountRow, PollStateRow, RuntimeWrite, SessionStateRow
from livestudio_ingest.sessions import HashKind, TrackedSession
from livestudio_ingest.settings import IngestSettings
from livestudio_runtime.tasks import cancel_and_wait
from livestudio_schemas.account import AccountStatus
from livestudio_schemas.item import ItemMetrics, ItemSnapshots
from livestudio_schemas.session import SessionMetrics, SessionSnapshot
from livestudio_schemas.topics import session_key
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
from shopee_client.client.models import LiveHistoryItem, Page, ProductItem, SessionListItem, SessionOverview

log = structlog.get_logger(__name__)
T = TypeVar("T")
_RUNTIME_WRITE_EVERY_S = 5.0


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

    @property
    def policy(self) -> LivenessPolicy:
        s = self.settings
        return LivenessPolicy(
            stale_after=timedelta(seconds=s.stale_after_s), end_confirm=timedelta(seconds=s.end_confirm_s)
        )

    @property
    def settle(self) -> SettlePolicy:
        s = self.settings
        return SettlePolicy(window=timedelta(seconds=s.settle_window_s), reads=s.settle_reads)

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
    """The cycle cannot go on (auth expired or throttled); the account's state says why."""


@dataclass(slots=True)
class _Detail:
    overview: SessionOverview | None = None
    overview_at: datetime | None = None
    products: list[ProductItem] | None = None
    items_at: datetime | None = None


class AccountPoller:
    def __init__(
        self,
        deps: PollDeps,
        config: AccountConfig,
        poll_state: PollStateRow | None,
        sessions: list[SessionStateRow],
    ) -> None:
        self.deps = deps
        self.config = config
        self.account_id = config.account_id
        self.state = config.state
        self.failures = 0
        self._retry_after: float | None = None
        self.last_error: str | None = config.credentials_error
        self.last_success_at: datetime | None = config.last_successful_poll_at
        self.sessions: dict[int, TrackedSession] = {r.session_id: TrackedSession.from_state(r) for r in sessions}
        loaded_at = asyncio.get_running_loop().time()
        for t in self.sessions.values():  # restored state was published: the heartbeat clock starts now
            t.last_publish_mono = loaded_at
        self.history_read_at: datetime | None = poll_state.history_read_at if poll_state else None
        self.status_published: str | None = poll_state.status_published if poll_state else None
        self.status_sent: str | None = self.status_published
        self.last_status_mono = 0.0
        self.runtime_dirty = False
        self.pollstate_dirty = False
        self._runtime_written = -1e9
        self.next_due = 0.0
        self.next_history_mono = 0.0
        self.rereads: dict[int, LiveHistoryItem] = {}  # ended sessions the history listed, to read in detail
        self.last_observed: datetime | None = None
        self.cycles = 0
        self._task: asyncio.Task[None] | None = None
        self._stopped_at: float | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._ctx: AccountContext | None = None
        self._build_context()
        if config.credentials_error and self.state in rules.POLLABLE:
            self._set_state("credentials_expired")

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

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def update_config(self, config: AccountConfig) -> None:
        """A changed account row (command, CLI or QR login): adopt it and re-plan at once."""
        previous = self.config
        self.config = config
        if config.config_seq != previous.config_seq or config.state != self.state:
            self.state = config.state
            self.failures = 0
            self.last_error = config.credentials_error
            if config.credentials_error and self.state in rules.POLLABLE:
                self._set_state("credentials_expired")
        self._build_context()
        self.next_due = asyncio.get_running_loop().time()
        self._wake()

    def _build_context(self) -> None:
        cookie = self.config.cookie
        self._ctx = (
            AccountContext(account_id=self.account_id, cookie=cookie, region=self.config.region) if cookie else None
        )

    @property
    def pollable(self) -> bool:
        return self.state in rules.POLLABLE and self._ctx is not None

    # --- the loop ----------------------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                if not self.pollable:
                    self._maybe_publish_status()
                    await self._sleep_until(loop.time() + self._jittered(self.deps.settings.heartbeat_interval_s))
                    continue
                await self._sleep_until(self.next_due)
                if not self.pollable:
                    continue
                started = loop.time()
                SCHEDULING_LAG.observe(max(0.0, started - self.next_due))
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
                self._maybe_publish_status()
                self.next_due = self._plan_next(started, planned)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("poll_loop_error", account_id=self.account_id)
                await asyncio.sleep(1.0)

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

    def _plan_next(self, started: float, interval: float | None) -> float:
        loop_now = asyncio.get_running_loop().time()
        if interval is None:  # failed: back off from now
            return loop_now + self.backoff
        due = self.next_due + self._jittered(interval)
        if due < loop_now - interval:  # far behind (e.g. after a long outage): do not try to catch up in a burst
            due = loop_now
        return due

    def _first_history_due(self, loop_now: float) -> float:
        s = self.deps.settings
        if self.history_read_at is None:
            return loop_now + self.deps.rng.uniform(0, s.history_initial_spread_s)
        age = (datetime.now(UTC) - self.history_read_at).total_seconds()
        return (
            loop_now + max(0.0, s.history_interval_s - age) + self.deps.rng.uniform(0, s.jitter * s.history_interval_s)
        )

    # --- one cycle ---------------------------------------------------------------------------------------

    @property
    def backoff(self) -> float:
        s = self.deps.settings
        return rules.backoff_delay(
            max(1, self.failures), initial=s.backoff_initial_s, maximum=s.backoff_max_s, retry_after=self._retry_after
        )

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
                self._auth_expired(exc)
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
        try:
            page = await self._call(
                "session_list", lambda: client.session_list(ctx, page=1, page_size=s.session_page_size)
            )
        except ShopeeClientError as exc:
            self._failed(f"sessionList failed: {exc}")
            raise _CycleAborted from None
        now = self._now()
        self._succeeded()
        loop_now = asyncio.get_running_loop().time()

        rows: dict[int, SessionListItem] = {}
        details: list[TrackedSession] = []
        policy = self.deps.policy
        settle = self.deps.settle
        for row in page.items:
            rows[row.session_id] = row
            t = self.sessions.get(row.session_id)
            if t is None:
                t = TrackedSession.from_row(row)
                self.sessions[row.session_id] = t
            else:
                t.apply_row(row)
            was_on_air = t.on_air
            t.liveness = assess(t.liveness, status=row.status, end=row.end_time, now=now, policy=policy)
            if self._detail_due(t, now, settle, ending=was_on_air and not t.on_air):
                details.append(t)
        for t in self.sessions.values():
            if t.session_id not in rows and not t.ended and t.liveness is not None:
                t.liveness = assess_unseen(t.liveness, now=now, policy=policy)
                if not t.liveness.live:  # ends in this cycle: its products are read once more now
                    details.append(t)

        results: dict[int, _Detail] = {}
        if details:
            # The rest of the cycle is a follow-up: under load the client serves it before calls that start new
            # cycles, so the list just read is published while it is fresh. Sessions are read concurrently.
            with follow_up():
                found = await _all_of([self._detail(ctx, t) for t in details])
            for t, detail in zip(details, found, strict=True):
                results[t.session_id] = detail
                t.detail_read_at = now
                t.detail_read_end = t.end_time

        for sid, row in rows.items():
            self._emit_session(self.sessions[sid], row, now, results.get(sid))
        for t in list(self.sessions.values()):
            if t.session_id not in rows and not t.ended and t.liveness is not None and not t.liveness.live:
                self._emit_items(t, results.get(t.session_id))
                self._end(t, now, source="session_list", observed=now)

        if loop_now >= self.next_history_mono:
            await self._read_history(ctx, skip=results.keys())
        base = s.live_interval_s if any(t.on_air for t in self.sessions.values()) else s.idle_interval_s
        if self.rereads:
            await self._reread_details(ctx, reread_budget(base, rate_per_s=s.shopee_per_account_rate))
        self._prune(now)
        return self._next_interval(base, now, settle)

    def _detail_due(self, t: TrackedSession, now: datetime, settle: SettlePolicy, *, ending: bool) -> bool:
        """`ending`: it was on air and its end is decided in this cycle (a session first seen already ended is
        an ended session: read once if its end is within the settle window)."""
        end = t.end_time or t.ended_at
        moved = t.ended and end is not None and t.detail_read_end is not None and end > t.detail_read_end
        return detail_due(
            on_air=t.on_air,
            ending=ending,
            end=end,
            end_moved=moved,
            last_read=t.detail_read_at,
            now=now,
            policy=settle,
        )

    def _next_interval(self, base_s: float, now: datetime, settle: SettlePolicy) -> float:
        """The base interval, or sooner for the next settling read of an ended session (`cadence`)."""
        upcoming: list[datetime] = []
        reading = 0
        for t in self.sessions.values():
            if t.on_air:
                reading += 1
            elif t.ended and t.detail_read_at is not None and (end := t.end_time or t.ended_at) is not None:
                at = next_settle_read(end, t.detail_read_at, settle)
                if at is not None:
                    upcoming.append(at)
                    reading += 1
        return cycle_interval(
            base_s,
            now=now,
            next_read=min(upcoming, default=None),
            speed=self.deps.clock_speed,
            calls=1 + 2 * reading,
            rate_per_s=self.deps.settings.shopee_per_account_rate,
        )

    async def _detail(self, ctx: AccountContext, t: TrackedSession) -> _Detail:
        """Overview and every product page of one session, read concurrently; a failure of either leaves that
        part out."""
        out = _Detail()
        await _all_of([self._read_overview(ctx, t.session_id, out), self._read_products(ctx, t.session_id, out)])
        return out

    async def _read_overview(self, ctx: AccountContext, session_id: int, out: _Detail) -> None:
        client = self.deps.client
        try:
            out.overview = await self._call("overview", lambda: client.overview(ctx, session_id))
            out.overview_at = self._now()
        except ShopeeClientError as exc:
            log.info("overview_failed", account_id=self.account_id, session_id=session_id, error=str(exc)[:200])

    async def _read_products(self, ctx: AccountContext, session_id: int, out: _Detail) -> None:
        try:
            out.products = await self._all_products(ctx, session_id)
            out.items_at = self._now()
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

    # --- events ------------------------------------------------------------------------------------------

    def _context(self, t: TrackedSession) -> SessionContext:
        region = self.config.region
        return t.context(
            account_id=self.account_id,
            studio_id=self.config.studio_id,
            currency=region.currency,
            timezone=region.timezone_name,
        )

    def _emit_session(self, t: TrackedSession, row: SessionListItem, now: datetime, detail: _Detail | None) -> None:
        on_air = t.on_air
        ending = not t.ended and t.liveness is not None and not t.liveness.live
        has_overview = detail is not None and detail.overview is not None and detail.overview_at is not None
        fingerprint = hash((tuple(row.__dict__.values()), on_air))
        if not has_overview and not ending and fingerprint == t.row_fingerprint:
            t.last_observed_at = now  # the same row as last time: nothing to map, hash or publish
            self._emit_items(t, detail)
            return
        t.row_fingerprint = fingerprint
        ctx = self._context(t)
        row_metrics = metrics_from_row(row)
        row_snapshot = session_snapshot(
            ctx, observed_at=now, source="session_list", metrics=row_metrics, on_air=on_air, shopee_status=row.status
        )
        row_digest = content_hash(row_snapshot)
        snapshot: SessionSnapshot
        observed = now
        if has_overview:
            assert detail is not None and detail.overview is not None and detail.overview_at is not None
            observed = detail.overview_at
            merged = merge_metrics(row_metrics, metrics_from_overview(detail.overview, on_air=on_air))
            snapshot = session_snapshot(
                ctx,
                observed_at=observed,
                source="overview",
                metrics=merged,
                on_air=on_air,
                shopee_status=row.status,
            )
            t.observe(merged)
            digest = content_hash(snapshot)
            if digest != t.sent.get("snapshot"):
                self._send_session(t, "snapshot", snapshot, digest)
            t.sent["list"] = row_digest  # the merged snapshot already carried this row
        else:
            snapshot = row_snapshot
            t.observe(row_metrics)
            if row_digest != t.sent.get("list"):
                self._send_session(t, "list", snapshot, row_digest)
        t.last_observed_at = observed
        if on_air:
            hb = self.deps.settings.heartbeat_interval_s
            if asyncio.get_running_loop().time() - t.last_publish_mono >= hb:
                beat = snapshot.model_copy(update={"heartbeat": True, "observed_at": observed})
                self._send_session(t, "snapshot", beat, content_hash(snapshot))
        self._emit_items(t, detail)
        if ending:
            self._end(t, now, source="overview" if observed != now else "session_list", observed=observed)

    def _emit_items(self, t: TrackedSession, detail: _Detail | None) -> None:
        if detail is None or detail.products is None or detail.items_at is None:
            return
        items, digest = t.map_items(detail.products, keep=t.on_air)
        if digest == t.sent.get("items"):
            return
        payload = self._items_payload(t, items, detail.items_at)
        t.sent["items"] = digest
        self._send(
            ("items", self.account_id, t.session_id),
            self.deps.topics.item,
            wrap_items(payload, digest),
            lambda: t.ack("items", digest, None),
            lambda: t.unsend("items"),
        )

    def _items_payload(self, t: TrackedSession, items: list[ItemMetrics], at: datetime) -> ItemSnapshots:
        return item_snapshots(self._context(t), observed_at=at, items=items)

    def _send_session(self, t: TrackedSession, kind: HashKind, payload: Any, digest: str) -> None:
        metrics: SessionMetrics = payload.metrics
        t.sent[kind] = digest  # before the outbox: a drop (outbox full) undoes it
        self._send(
            (kind, self.account_id, t.session_id),  # type: ignore[arg-type]
            self.deps.topics.session,
            wrap_session_event(payload),
            lambda: t.ack(kind, digest, metrics),
            lambda: t.unsend(kind),
        )
        t.last_publish_mono = asyncio.get_running_loop().time()

    def _end(self, t: TrackedSession, now: datetime, *, source: str, observed: datetime) -> None:
        """Decide once that a session went off air and emit SessionEnded with the last figures seen."""
        t.ended = True
        t.ended_at = t.end_time or (t.liveness.last_end if t.liveness else now)
        t.dirty = True
        SESSIONS_ENDED.inc()
        self._send_ended(t, observed, source)
        log.info("session_ended", account_id=self.account_id, session_id=t.session_id, ended_at=t.ended_at.isoformat())

    def _send_ended(self, t: TrackedSession, observed: datetime, source: str) -> None:
        assert t.ended_at is not None
        payload = session_ended(
            self._context(t),
            observed_at=observed,
            source=source,  # type: ignore[arg-type]
            metrics=t.known or SessionMetrics(),
            ended_at=t.ended_at,
        )

        def acked() -> None:
            t.ended_published = True
            t.dirty = True
            self.deps.mark_dirty(self)

        self._send(
            ("ended", self.account_id, t.session_id),
            self.deps.topics.session,
            wrap_session_event(payload),
            acked,
            None,
            essential=True,
        )

    def forget_published(self) -> None:
        """Everything published so far is lost (broker log reset): send the current state again."""
        for t in self.sessions.values():
            t.sent.clear()
            t.acked.clear()
            t.row_fingerprint = None
            t.detail_read_at = None
            t.last_publish_mono = 0.0
            if t.ended:
                t.ended_published = False
            t.dirty = True
        self.status_sent = None
        self.status_published = None
        self.pollstate_dirty = True
        self.deps.mark_dirty(self)
        self.resend_unpublished_ends()
        self.next_due = min(self.next_due, asyncio.get_running_loop().time())
        self._wake()

    def resend_unpublished_ends(self) -> None:
        """After a restart: SessionEnded decided but never acknowledged goes out again (same id)."""
        for t in self.sessions.values():
            if t.ended and not t.ended_published and t.ended_at is not None:
                self._send_ended(t, t.last_observed_at or t.ended_at, "session_list")

    def _send(
        self,
        slot: Slot,
        topic: str,
        event: Any,
        on_published: Callable[[], None] | None,
        on_dropped: Callable[[], None] | None,
        *,
        essential: bool = False,
    ) -> None:
        poller = self

        def published() -> None:
            if on_published is not None:
                on_published()
            poller.deps.mark_dirty(poller)

        key = self.account_id if slot[0] == "status" else session_key(self.account_id, slot[2])
        item = Outgoing(
            topic=topic,
            key=key,
            body=event.to_json_bytes(),
            event_type=event.type,
            on_published=published,
            on_dropped=on_dropped,
        )
        self.deps.outbox.put(slot, item, essential=essential)

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
        for row in rows:
            self._correct(row, now)
        self.history_read_at = datetime.now(UTC)
        self.pollstate_dirty = True
        self.deps.mark_dirty(self)
        self.next_history_mono = loop.time() + self._jittered(s.history_interval_s)
        if s.history_details:
            for row in rows:
                t = self.sessions.get(row.session_id)
                if row.session_id not in skip and t is not None and t.ended:
                    self.rereads[row.session_id] = row

    async def _reread_details(self, ctx: AccountContext, budget: int) -> None:
        """Overview and products of ended sessions the history listed (`budget` of them in this cycle, the rest
        in the next ones): confirmed figures only the overview and the products carry (confirmed buyers, every
        item's) follow late confirmations the way the session totals do. A failed read, or an empty answer
        (Shopee no longer serves the session), leaves what was published."""
        ended: list[tuple[TrackedSession, LiveHistoryItem]] = []
        for sid in list(self.rereads)[:budget]:
            row = self.rereads.pop(sid)
            t = self.sessions.get(sid)
            if t is not None and t.ended:
                ended.append((t, row))
        if not ended:
            return
        found = await _all_of([self._detail(ctx, t) for t, _row in ended])
        for (t, row), out in zip(ended, found, strict=True):
            if out.overview is not None and out.overview_at is not None:
                merged = merge_metrics(metrics_from_row(row), metrics_from_overview(out.overview, on_air=False))
                snapshot = session_snapshot(
                    self._context(t),
                    observed_at=out.overview_at,
                    source="overview",
                    metrics=merged,
                    on_air=False,
                    shopee_status=row.status,
                )
                t.observe(merged)
                digest = content_hash(snapshot)
                if digest != t.sent.get("snapshot"):
                    self._send_session(t, "snapshot", snapshot, digest)
            if out.products:
                self._emit_items(t, out)

    def _correct(self, row: LiveHistoryItem, now: datetime) -> None:
        t = self.sessions.get(row.session_id)
        backfill = t is None or t.known is None
        if t is None:
            t = TrackedSession.from_row(row)
            t.ended = True  # history only lists ended sessions; no SessionEnded for what ended before we looked
            t.ended_at = row.end_time
            t.ended_published = True
            self.sessions[row.session_id] = t
        metrics = metrics_from_row(row)
        if not backfill and not changed_fields(t.known, metrics):
            return
        payload = session_corrected(
            self._context(t), observed_at=now, metrics=metrics, ended_at=row.end_time, backfill=backfill
        )
        digest = content_hash(payload)
        if digest == t.sent.get("corrected"):
            return
        CORRECTIONS.labels(payload.reason).inc()
        t.observe(metrics)
        self._send_session(t, "corrected", payload, digest)

    # --- account state and status events -----------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self.state:
            log.info("account_state", account_id=self.account_id, previous=self.state, state=state)
            self.state = state
        self.runtime_dirty = True
        self.deps.mark_dirty(self)

    def _succeeded(self) -> None:
        self.failures = 0
        self._retry_after = None
        self.last_error = None
        # wall clock, not the ingest clock: an operational fact compared with "now" by the gateway and SREs (in
        # simulator mode the ingest clock runs on the simulator's accelerated timeline)
        self.last_success_at = datetime.now(UTC)
        new_state = rules.state_after_success(self.state)
        loop_now = asyncio.get_running_loop().time()
        # last_successful_poll_at is written at most every few seconds per account (freshness, not a log)
        if new_state != self.state or loop_now - self._runtime_written >= _RUNTIME_WRITE_EVERY_S:
            self._runtime_written = loop_now
            self._set_state(new_state)

    def _failed(self, error: str, retry_after: float | None = None) -> None:
        self.failures += 1
        self._retry_after = retry_after
        self.last_error = error[:500]
        log.info("poll_failed", account_id=self.account_id, failures=self.failures, error=self.last_error)
        self._set_state(
            rules.state_after_failure(self.state, self.failures, self.deps.settings.degraded_after_failures)
        )

    def _auth_expired(self, exc: AuthExpired) -> None:
        code = f" (code {exc.code})" if exc.code else f" (HTTP {exc.http_status})" if exc.http_status else ""
        self.last_error = f"Shopee rejected the cookie{code}: log in again or send new credentials"
        log.warning("credentials_expired", account_id=self.account_id, endpoint=exc.endpoint)
        self._set_state("credentials_expired")

    @property
    def on_air_session_id(self) -> int | None:
        live = [t for t in self.sessions.values() if t.on_air]
        return max(live, key=lambda t: t.started_at).session_id if live else None

    def _maybe_publish_status(self) -> None:
        loop_now = asyncio.get_running_loop().time()
        heartbeat_due = loop_now - self.last_status_mono >= self.deps.settings.heartbeat_interval_s
        current = self.state
        if not rules.status_needs_publish(current, self.status_sent, heartbeat_due=heartbeat_due):
            return
        event_state = rules.status_event_state(current, self.status_sent)
        if current != self.status_sent:
            STATUS_CHANGES.labels(event_state).inc()
        cfg = self.config
        reason = self.last_error if current in ("credentials_expired", "degraded") else None
        payload: AccountStatus = account_status(
            account_id=self.account_id,
            studio_id=cfg.studio_id,
            display_name=cfg.display_name,
            region=cfg.region.domain,
            shopee_user_id=cfg.shopee_user_id,
            state=event_state,
            reason=reason,
            observed_at=self._now(),
            last_successful_poll_at=self.last_success_at,
            on_air_session_id=self.on_air_session_id if current in rules.POLLABLE else None,
        )

        def acked() -> None:
            self.status_published = current
            self.pollstate_dirty = True

        self._send(
            ("status", self.account_id, 0), self.deps.topics.account, wrap_status(payload), acked, None, essential=True
        )
        self.status_sent = current
        self.last_status_mono = loop_now

    # --- housekeeping ------------------------------------------------------------------------------------

    def _prune(self, now: datetime) -> None:
        horizon = now - timedelta(days=self.deps.settings.session_retention_days)
        for sid in [sid for sid, t in self.sessions.items() if t.started_at < horizon]:
            del self.sessions[sid]

    def runtime_row(self) -> RuntimeWrite:
        return RuntimeWrite(
            account_id=self.account_id,
            config_seq=self.config.config_seq,
            state=self.state if self.state in rules.RUNTIME_STATES | {"connected"} else self.config.state,
            last_successful_poll_at=self.last_success_at,
            last_error=self.last_error,
            on_air_session_id=self.on_air_session_id if self.state in rules.POLLABLE else None,
        )

    def poll_state_row(self) -> PollStateRow:
        return PollStateRow(self.account_id, self.history_read_at, self.status_published)

    def dirty_session_rows(self) -> list[SessionStateRow]:
        out = []
        for t in self.sessions.values():
            if t.dirty:
                out.append(t.to_row(self.account_id))
                t.dirty = False
        return out


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
