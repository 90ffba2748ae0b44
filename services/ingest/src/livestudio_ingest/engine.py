"""The poll engine of one replica: which accounts it polls, their pollers, and the poll state they persist.

Ownership comes from the membership (Kafka group: the partitions of the accounts topic this replica is assigned;
or every account in static mode). `assign()` starts pollers for the owned accounts (claiming them in `poll_state`),
`revoke()` stops them and writes their state before the rebalance goes on, so the next owner starts from it.
Revoked pollers are kept paused until the next assignment: the ones given back resume where they were (schedule,
caches) instead of starting cold if nobody claimed or wrote the account since (`handover.py`). Account changes
arrive through `reload()` (Postgres NOTIFY from commands, CLI and QR logins) and a periodic full refresh. Dirty
poll state is written in one batched transaction every `state_flush_interval_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from pydantic import SecretStr

from livestudio_ingest import repository as repo
from livestudio_ingest.accounts import POLLABLE
from livestudio_ingest.credentials import CredentialVault
from livestudio_ingest.handover import StateMark, resumable
from livestudio_ingest.metrics import (
    ACCOUNTS,
    ACCOUNTS_ASSIGNED,
    OLDEST_SUCCESS_AGE,
    ON_AIR,
    PARTITIONS_ASSIGNED,
    STATE_FLUSH_ERRORS,
    STATE_FLUSH_SECONDS,
)
from livestudio_ingest.outbox import Outbox
from livestudio_ingest.pacing import BackfillPacer
from livestudio_ingest.poller import AccountConfig, AccountPoller, PersistRows, PollDeps, Topics, account_config
from livestudio_ingest.settings import IngestSettings
from livestudio_runtime.secrets import SecretDecryptionError
from livestudio_runtime.tasks import cancel_and_wait
from shopee_client import Clock, ShopeeClient, get_region
from shopee_client.client.regions import INDONESIA, Region

log = structlog.get_logger(__name__)

_STATES = ("connected", "active", "paused", "credentials_expired", "degraded")


def partition_for(account_id: str, partitions: int) -> int:
    """Stable account -> partition of the membership topic (same in every replica and every release)."""
    return zlib.crc32(account_id.encode()) % partitions


def region_of(domain: str) -> Region:
    try:
        return get_region(domain)
    except KeyError:
        log.warning("unknown_region", region=domain)
        return INDONESIA


class PollEngine:
    def __init__(
        self,
        settings: IngestSettings,
        pool: asyncpg.Pool,
        client: ShopeeClient,
        clock: Clock,
        outbox: Outbox,
        vault: CredentialVault,
        *,
        rng: random.Random | None = None,
        recent_reset: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.vault = vault
        self.deps = PollDeps(
            settings=settings,
            client=client,
            clock=clock,
            outbox=outbox,
            topics=Topics(session=settings.session_topic, item=settings.item_topic, account=settings.account_topic),
            mark_dirty=self._mark_dirty,
            rng=rng or random.Random(),
            pacer=BackfillPacer(
                settings.backfill_sessions_per_s,
                burst=max(settings.backfill_sessions_per_s, settings.backfill_page_size),
            ),
        )
        self.pollers: dict[str, AccountPoller] = {}
        self.owned: set[int] = set()
        self.partition_count = settings.accounts_partitions
        self._recent_reset = recent_reset
        """True shortly after a broker log reset (`log_reset.LogResetRecovery.recent`)."""
        self._dirty: set[str] = set()
        self._parked: dict[str, AccountPoller] = {}
        self._parked_marks: dict[str, StateMark | None] = {}
        self.token = f"{settings.instance_id}:{uuid.uuid4().hex[:12]}"
        """Names this engine in `poll_state.owner` (a restarted process is another owner)."""
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    # --- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._flush_loop(), name="ingest-state-flush"),
            asyncio.create_task(self._refresh_loop(), name="ingest-accounts-refresh"),
        ]

    async def stop(self) -> None:
        self._stopping = True
        self._forget_parked()
        async with self._lock:
            await self._stop_pollers(list(self.pollers))
        await cancel_and_wait(*self._tasks)
        await self.flush()

    async def check(self) -> None:
        if any(t.done() for t in self._tasks):
            raise RuntimeError("poll engine background task stopped")

    # --- ownership -------------------------------------------------------------------------------------------

    def owns(self, account_id: str) -> bool:
        return partition_for(account_id, self.partition_count) in self.owned

    async def assign(self, partitions: Iterable[int], total: int | None = None) -> None:
        """These partitions (of `total` in the membership topic) are ours now, in addition to any already owned.

        The modulus is the topic's real partition count, not the configured one: every replica reads the same
        metadata, so they agree even if the topic was created with another count (e.g. auto-created by a broker
        that lost it). The pollers paused at the last revocation whose accounts are ours again resume where they
        were if nobody claimed or wrote the account since (`handover.py`); the rest start again from Postgres.
        """
        async with self._lock:
            if total is not None and total != self.partition_count:
                log.warning("accounts_partition_count", configured=self.partition_count, actual=total)
                self.partition_count = total
            self.owned |= set(partitions)
            PARTITIONS_ASSIGNED.set(len(self.owned))
            parked, marks = self._parked, self._parked_marks
            self._forget_parked()
            if parked and not self._stopping:
                await self._resume(parked, marks)
            if self.owned:
                await self._sync()
        self._gauges()

    async def revoke(self, partitions: Iterable[int]) -> None:
        """Stop polling the accounts of these partitions and persist their state before anyone else starts.
        The stopped pollers are kept (paused) until the next assignment says whether they come back."""
        gone = set(partitions)
        async with self._lock:
            self.owned -= gone
            PARTITIONS_ASSIGNED.set(len(self.owned))
            leaving = [a for a in self.pollers if not self.owns(a)]
            await self._stop_pollers(leaving, park=True)
            paused = [a for a in leaving if a in self._parked]
            # read after their last write: what the next assignment compares with
            marks = await self._marks(paused)
            self._parked_marks.update({a: marks.get(a) for a in paused})
        self._gauges()

    async def _marks(self, account_ids: list[str]) -> dict[str, StateMark]:
        """The accounts' poll-state marks now; none if they cannot be read (their paused pollers do not resume)."""
        if not account_ids:
            return {}
        try:
            async with self.pool.acquire() as conn:
                return await repo.poll_state_marks(conn, account_ids)
        except Exception as exc:
            log.warning("poll_state_marks_failed", accounts=len(account_ids), error=type(exc).__name__)
            return {}

    async def _resume(self, parked: dict[str, AccountPoller], marks: dict[str, StateMark | None]) -> None:
        back = [a for a in parked if self.owns(a) and a not in self.pollers]
        now = await self._marks(back)
        go = resumable(self.token, {a: marks.get(a) for a in back}, now)
        for account_id in back:
            if account_id in go:
                poller = parked[account_id]
                self.pollers[account_id] = poller
                self._dirty.add(account_id)
                poller.resume()
        log.info("pollers_resumed", count=len(go), reloaded=len(back) - len(go), paused=len(parked))

    def _forget_parked(self) -> None:
        self._parked = {}
        self._parked_marks = {}

    async def assign_all(self) -> None:
        await self.assign(range(self.partition_count))

    async def reload(self, account_ids: Iterable[str]) -> None:
        """Account rows changed (NOTIFY): adopt the changes of the accounts that are ours."""
        ours = [a for a in account_ids if self.owns(a)]
        if self._stopping or not ours:
            return
        async with self._lock:
            async with self.pool.acquire() as conn:
                rows = await repo.fetch_accounts(conn, with_credentials=True, account_ids=ours)
            await self._apply_rows(rows, full=False)
            await self._backfill_requests(ours)

    async def refresh(self) -> None:
        async with self._lock:
            await self._sync()

    async def _sync(self) -> None:
        async with self.pool.acquire() as conn:
            rows = await repo.fetch_accounts(conn, with_credentials=True)
        await self._apply_rows([r for r in rows if self.owns(r.account_id)], full=True)
        await self._backfill_requests(list(self.pollers))

    async def _backfill_requests(self, account_ids: list[str]) -> None:
        """Hand on-demand backfill requests (the CLI's, in `backfill_state`) to the pollers of these accounts."""
        if not account_ids:
            return
        async with self.pool.acquire() as conn:
            rows = await repo.load_backfills(conn, account_ids)
        for account_id, row in rows.items():
            poller = self.pollers.get(account_id)
            if poller is not None and row.requested_seq > poller.backfill.applied_seq:
                poller.request_backfill(row)

    async def _apply_rows(self, rows: list[repo.AccountRow], *, full: bool) -> None:
        if self._stopping:
            return
        fresh: list[repo.AccountRow] = []
        for row in rows:
            poller = self.pollers.get(row.account_id)
            if poller is None:
                if row.state != "removed":
                    fresh.append(row)
                continue
            if row.config_seq != poller.config.config_seq:
                poller.update_config(self._config(row))
            if row.state == "removed" and poller.status_sent == "removed" and poller.status_published == "removed":
                await self._stop_pollers([row.account_id])
        if full:
            present = {r.account_id for r in rows}
            await self._stop_pollers([a for a in self.pollers if a not in present])
        if fresh:
            await self._start_pollers(fresh)
        self._gauges()

    def _config(self, row: repo.AccountRow) -> AccountConfig:
        cookie: SecretStr | None = None
        error: str | None = None
        if row.cookie_ciphertext is not None:
            try:
                cookie = self.vault.open(row.cookie_ciphertext)
            except SecretDecryptionError:
                error = "stored credentials do not decrypt with the configured keys"
                log.error("credentials_undecryptable", account_id=row.account_id)
        elif row.state in POLLABLE:
            error = "no credentials stored"
        return account_config(row, cookie=cookie, credentials_error=error, region=region_of(row.region))

    async def _start_pollers(self, rows: list[repo.AccountRow]) -> None:
        ids = [r.account_id for r in rows]
        horizon = self.deps.clock.now() - timedelta(
            days=self.settings.session_retention_days
        )  # sessions live in the ingest clock's timeline
        async with self.pool.acquire() as conn:
            await repo.claim_accounts(conn, ids, owner=self.token)  # before reading: a later claim is someone else's
            states = await repo.load_poll_states(conn, ids)
            backfills = await repo.load_backfills(conn, ids)
            sessions = await repo.load_session_states(conn, ids, started_after=horizon)
        by_account: dict[str, list[repo.SessionStateRow]] = {}
        for s in sessions:
            by_account.setdefault(s.account_id, []).append(s)
        for row in rows:
            poller = AccountPoller(
                self.deps,
                self._config(row),
                states.get(row.account_id),
                by_account.get(row.account_id, []),
                backfills.get(row.account_id),
            )
            self.pollers[row.account_id] = poller
            if poller.backfill.dirty:
                self._dirty.add(row.account_id)
            poller.start()
            if self._recent_reset():
                poller.forget_published()
            else:
                poller.resend_unpublished_ends()
        log.info("pollers_started", count=len(rows), owned=len(self.pollers))

    async def _stop_pollers(self, account_ids: list[str], *, park: bool = False) -> None:
        if not account_ids:
            return
        stopping = [self.pollers[a] for a in account_ids if a in self.pollers]
        await asyncio.gather(*(p.stop() for p in stopping))
        await self.flush(only=[p.account_id for p in stopping])
        for p in stopping:
            if self.pollers.get(p.account_id) is p:
                del self.pollers[p.account_id]
                if park:
                    self._parked[p.account_id] = p
        log.info("pollers_stopped", count=len(stopping), owned=len(self.pollers))

    def on_broker_reset(self) -> None:
        """The broker lost its log: what we published is gone, so publish the current state again. Pollers
        started shortly after (a rebalance follows a broker restart) forget too, whatever Postgres still says
        (`recent_reset`)."""
        self._forget_parked()  # paused pollers remember what the broker lost: they start again from Postgres
        for poller in self.pollers.values():
            poller.forget_published()
        log.warning("republishing_after_broker_reset", accounts=len(self.pollers))

    # --- poll state ------------------------------------------------------------------------------------------

    def _mark_dirty(self, poller: AccountPoller) -> None:
        if self.pollers.get(poller.account_id) is poller:
            self._dirty.add(poller.account_id)

    async def flush(self, only: list[str] | None = None) -> None:
        """Write the dirty poll state (runtime columns of accounts, poll_state, session_state) in one transaction."""
        ids = [a for a in (only if only is not None else list(self._dirty)) if a in self._dirty]
        if not ids:
            return
        taken: list[tuple[AccountPoller, PersistRows]] = []
        for account_id in ids:
            self._dirty.discard(account_id)
            poller = self.pollers.get(account_id)
            if poller is not None:
                taken.append((poller, poller.unwritten_rows()))
        runtime = [rows.runtime for _, rows in taken if rows.runtime is not None]
        poll_states = [rows.poll_state for _, rows in taken if rows.poll_state is not None]
        sessions = [s for _, rows in taken for s in rows.sessions]
        backfills = [rows.backfill for _, rows in taken if rows.backfill is not None]
        started = time.perf_counter()
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await repo.write_runtime(conn, runtime)
                await repo.upsert_poll_states(conn, poll_states)
                await repo.upsert_session_states(conn, sessions)
                await repo.upsert_backfills(conn, backfills)
        except Exception as exc:
            STATE_FLUSH_ERRORS.inc()
            log.warning("state_flush_failed", error=type(exc).__name__, accounts=len(taken))
            for poller, rows in taken:  # everything taken is written again next tick
                self._dirty.add(poller.account_id)
                poller.write_failed(rows)
            return
        STATE_FLUSH_SECONDS.observe(time.perf_counter() - started)

    async def _flush_loop(self) -> None:
        last_prune = 0.0
        while True:
            await asyncio.sleep(self.settings.state_flush_interval_s)
            try:
                await self.flush()
                self._gauges()
                if time.monotonic() - last_prune > 3600:
                    last_prune = time.monotonic()
                    await self._prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("state_flush_loop_error")

    async def _prune(self) -> None:
        horizon = self.deps.clock.now() - timedelta(days=self.settings.session_retention_days + 1)
        async with self.pool.acquire() as conn:
            pruned = await repo.prune_session_states(conn, started_before=horizon)
        if pruned:
            log.info("session_state_pruned", rows=pruned)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.accounts_refresh_interval_s)
            try:
                if self.owned:
                    await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("accounts_refresh_failed", error=type(exc).__name__)

    def _gauges(self) -> None:
        counts = dict.fromkeys(_STATES, 0)
        on_air = 0
        oldest = 0.0
        now = datetime.now(UTC)  # last_success_at is wall-clock time
        for p in self.pollers.values():
            if p.state in counts:
                counts[p.state] += 1
            on_air += sum(1 for t in p.live.sessions.values() if t.on_air)
            if p.state in POLLABLE and p.last_success_at is not None:
                oldest = max(oldest, (now - p.last_success_at).total_seconds())
        for state, n in counts.items():
            ACCOUNTS.labels(state).set(n)
        ACCOUNTS_ASSIGNED.set(len(self.pollers))
        ON_AIR.set(on_air)
        OLDEST_SUCCESS_AGE.set(oldest)


class AccountChangeListener:
    """LISTEN on a dedicated connection: account changes (reload the account) and broker resets detected by
    another replica (publish the current state again). Reconnects; the engine's refresh covers gaps."""

    def __init__(self, dsn: str, engine: PollEngine, *, instance_id: str, on_reset: Callable[[], object]) -> None:
        self.dsn = dsn
        self.engine = engine
        self.instance_id = instance_id
        self.on_reset = on_reset
        self._task: asyncio.Task[None] | None = None
        self._changed: set[str] = set()
        self._drain: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingest-accounts-listen")

    async def stop(self) -> None:
        await cancel_and_wait(self._task, self._drain)

    def _on_reset_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        if str(payload) != self.instance_id:
            log.warning("broker_reset_reported", by=str(payload))
            self.on_reset()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        # coalesce: a burst of changes (bulk connect, key rotation) becomes one query
        self._changed.add(str(payload))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._reload_changed())

    async def _reload_changed(self) -> None:
        await asyncio.sleep(0.05)
        while self._changed:
            batch, self._changed = self._changed, set()
            try:
                await self.engine.reload(batch)
            except Exception as exc:
                log.warning("account_reload_failed", accounts=len(batch), error=type(exc).__name__)

    async def _run(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn)
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _c, ev=closed: ev.set())
                await conn.add_listener(repo.NOTIFY_CHANNEL, self._on_notify)
                await conn.add_listener(repo.RESET_CHANNEL, self._on_reset_notify)
                if self.engine.owned:
                    await self.engine.refresh()  # anything missed while not listening
                await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("accounts_listen_failed", error=type(exc).__name__)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close()
            await asyncio.sleep(2.0)
