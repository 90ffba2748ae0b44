"""The affiliate reader of one replica: reads the report of every account this replica polls, when due.

Every `tick_s` it looks at the accounts the poll engine owns and can poll (their cookie, region and studio come
from the engine's account configuration) and starts the reads `schedule.due_reads` says are due, at most
`concurrency` accounts at once. A read walks every page of every window, maps each checkout to its event
(`mapping`), and puts the ones whose content changed since they were last published into the outbox (slot
`("affiliate", "<account>:<checkout>", 0)`, key `<account>:<checkout>`), at most `events_per_s` per replica
(`pacing.EventPacer`): a backfill of many accounts must not queue ahead of the live snapshots.

Nothing is recorded as read before it is published: the fingerprints of the acknowledged events and the account's
new read state are written together (`repository`) once every event of the read was acknowledged. An account with
a read in flight is not read again; a read that failed (Shopee error, an event the full outbox dropped) leaves the
state as it was, so the same windows are read again later (what was published meanwhile is not sent twice).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

import asyncpg
import structlog
from pydantic import SecretStr

from livestudio_ingest.affiliate import repository as repo
from livestudio_ingest.affiliate.mapping import checkout_event, fingerprint, wrap
from livestudio_ingest.affiliate.schedule import Read, ReadPolicy, ReadState, after_reads, due_reads, windows
from livestudio_ingest.affiliate.settings import AffiliateSettings
from livestudio_ingest.outbox import Outbox, Outgoing
from livestudio_ingest.pacing import EventPacer
from livestudio_runtime.kafka import encode
from livestudio_runtime.tasks import cancel_and_wait
from livestudio_schemas.affiliate import AFFILIATE_CHECKOUT
from livestudio_schemas.topics import affiliate_key
from shopee_client import AccountContext, AuthExpired, Clock, Region, ShopeeClient, ShopeeClientError
from shopee_client.client.models import AffiliateCheckout as ShopeeCheckout

log = structlog.get_logger(__name__)
_RETRY_S = 30.0
_PACE_CHUNK = 50
"""Events taken from the replica's budget at a time."""


class AccountConfigLike(Protocol):
    @property
    def studio_id(self) -> str: ...
    @property
    def region(self) -> Region: ...
    @property
    def cookie(self) -> SecretStr | None: ...


class PolledAccount(Protocol):
    """What the reader needs of a poll engine's account (`poller.AccountPoller` has it)."""

    @property
    def account_id(self) -> str: ...
    @property
    def config(self) -> AccountConfigLike: ...
    @property
    def pollable(self) -> bool: ...


@dataclass
class _Batch:
    account_id: str
    state: ReadState
    outstanding: int = 0
    failed: bool = False
    closed: bool = False
    rows: list[repo.PublishedCheckout] = field(default_factory=list)


def policy_of(s: AffiliateSettings) -> ReadPolicy:
    return ReadPolicy(
        backfill=timedelta(days=s.backfill_days),
        new_interval=timedelta(seconds=s.new_interval_s),
        overlap=timedelta(seconds=s.new_overlap_s),
        reread_interval=timedelta(seconds=s.reread_interval_s),
        horizon=timedelta(days=s.reread_horizon_days),
    )


class AffiliateReader:
    def __init__(
        self,
        settings: AffiliateSettings,
        pool: asyncpg.Pool,
        client: ShopeeClient,
        clock: Clock,
        outbox: Outbox,
        accounts: Callable[[], Iterable[PolledAccount]],
    ) -> None:
        self.settings = settings
        self.policy = policy_of(settings)
        self.pool = pool
        self.client = client
        self.clock = clock
        self.outbox = outbox
        self.accounts = accounts
        self._states: dict[str, ReadState] = {}
        self._busy: dict[str, _Batch | None] = {}
        self._retry_at: dict[str, float] = {}
        self._finished: list[_Batch] = []
        self._acked: list[repo.PublishedCheckout] = []
        self._slots = asyncio.Semaphore(settings.concurrency)
        self.pacer = EventPacer(settings.events_per_s, burst=max(settings.events_per_s, _PACE_CHUNK))
        self._task: asyncio.Task[None] | None = None
        self._reads: set[asyncio.Task[None]] = set()
        self.reads_done = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingest-affiliate")

    async def stop(self) -> None:
        await cancel_and_wait(self._task, *self._reads)
        with contextlib.suppress(Exception):
            await self.flush()

    async def check(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("affiliate reader is not running")

    def forget(self) -> None:
        """The broker lost its log: forget what was read (the tables are cleared by `repository.forget_all`)."""
        self._states.clear()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self.flush()
                await self._start_due(loop.time())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("affiliate_tick_failed")
            await asyncio.sleep(self.settings.tick_s)

    async def _start_due(self, loop_now: float) -> None:
        ready = [
            a
            for a in self.accounts()
            if a.pollable
            and a.config.cookie is not None
            and a.account_id not in self._busy
            and self._retry_at.get(a.account_id, 0.0) <= loop_now
        ]
        if not ready:
            return
        now = self.clock.now()
        unknown = [a.account_id for a in ready if a.account_id not in self._states]
        if unknown:
            async with self.pool.acquire() as conn:
                self._states.update(await repo.load_states(conn, unknown, now - self.policy.horizon))
        stopped = float(getattr(self.clock, "speed", 1.0)) == 0.0
        for account in ready:
            state = self._states.get(account.account_id, ReadState())
            reads = due_reads(state, now, self.policy, clock_stopped=stopped)
            if not reads:
                continue
            self._busy[account.account_id] = None
            task = asyncio.create_task(self._read(account, state, reads, now), name="ingest-affiliate-read")
            self._reads.add(task)
            task.add_done_callback(self._reads.discard)

    async def _read(self, account: PolledAccount, state: ReadState, reads: list[Read], now: datetime) -> None:
        account_id = account.account_id
        config = account.config
        assert config.cookie is not None
        ctx = AccountContext(account_id=account_id, cookie=config.cookie, region=config.region)
        try:
            async with self._slots:
                found: dict[str, ShopeeCheckout] = {}
                for read in reads:
                    for lo, hi in windows(read.start, read.end):
                        for c in await self._window(ctx, lo, hi):
                            found[str(c.checkout_id)] = c
            async with self.pool.acquire() as conn:
                known = await repo.fingerprints(conn, account_id, list(found))
        except asyncio.CancelledError:
            self._busy.pop(account_id, None)
            raise
        except (AuthExpired, ShopeeClientError) as exc:
            log.warning("affiliate_read_failed", account_id=account_id, error=type(exc).__name__)
            self._fail(account_id)
            return
        except Exception:
            log.exception("affiliate_read_failed", account_id=account_id)
            self._fail(account_id)
            return
        batch = _Batch(account_id, after_reads(state, reads, now))
        self._busy[account_id] = batch
        region = config.region
        allowed = 0  # events taken from the pace budget and not yet put
        for checkout_id, c in found.items():
            event = checkout_event(
                c,
                account_id=account_id,
                studio_id=config.studio_id,
                currency=region.currency,
                timezone=region.timezone_name,
                observed_at=now,
            )
            digest = fingerprint(event)
            if known.get(checkout_id) == digest:
                continue
            row = repo.PublishedCheckout(account_id, checkout_id, event.purchased_at, event.status, digest)
            if allowed == 0:
                await self.pacer.take(_PACE_CHUNK)
                allowed = _PACE_CHUNK
            allowed -= 1
            batch.outstanding += 1
            accepted = self.outbox.put(
                ("affiliate", f"{account_id}:{checkout_id}", 0),
                Outgoing(
                    topic=self.settings.topic,
                    key=affiliate_key(account_id, checkout_id),
                    body=encode(wrap(event, digest)),
                    event_type=AFFILIATE_CHECKOUT,
                    on_published=partial(self._published, batch, row),
                    on_dropped=partial(self._dropped, batch),
                ),
            )
            if not accepted:
                break
        batch.closed = True
        self._maybe_finished(batch)

    async def _window(self, ctx: AccountContext, lo: datetime, hi: datetime) -> list[ShopeeCheckout]:
        out: list[ShopeeCheckout] = []
        page = 1
        while True:
            report = await self.client.affiliate_report(
                ctx, purchase_time_start=lo, purchase_time_end=hi, page_num=page, page_size=self.settings.page_size
            )
            out += report.items
            if not report.items or len(out) >= report.total_count:
                return out
            page += 1

    def _fail(self, account_id: str) -> None:
        self._busy.pop(account_id, None)
        self._retry_at[account_id] = asyncio.get_running_loop().time() + _RETRY_S

    def _published(self, batch: _Batch, row: repo.PublishedCheckout) -> None:
        self._acked.append(row)
        batch.outstanding -= 1
        self._maybe_finished(batch)

    def _dropped(self, batch: _Batch) -> None:
        batch.failed = True
        batch.outstanding -= 1
        self._maybe_finished(batch)

    def _maybe_finished(self, batch: _Batch) -> None:
        if batch.closed and batch.outstanding <= 0:
            self._finished.append(batch)

    async def flush(self) -> None:
        """Write the acknowledged events' fingerprints and the read state of every read wholly published."""
        acked, self._acked = self._acked, []
        finished, self._finished = self._finished, []
        if not acked and not finished:
            return
        done = [b for b in finished if not b.failed]
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                if acked:
                    await repo.save_published(conn, acked)
                if done:
                    await repo.save_states(conn, [(b.account_id, b.state) for b in done])
                states = await repo.load_states(
                    conn, [b.account_id for b in finished], self.clock.now() - self.policy.horizon
                )
        except Exception:
            self._acked = acked + self._acked
            self._finished = finished + self._finished
            raise
        self._states.update(states)
        for b in finished:
            self._busy.pop(b.account_id, None)
            if not b.failed:
                self.reads_done += 1
