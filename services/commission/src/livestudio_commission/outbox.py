"""Publishing the statement events of the transactional outbox to `livestudio.commission.v1`.

Events are written to `outbox` in the same transaction as the statement change, then this publisher sends them
in order (key = host_id) and marks them published. A crash between send and mark re-sends the same event with
the same id (statement_id + revision), which consumers detect as a duplicate; nothing is ever lost. One
publisher at a time holds an advisory lock, so replicas do not interleave.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from livestudio_commission import metrics
from livestudio_commission import repository as repo

log = structlog.get_logger(__name__)


class OutboxPublisher:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        bootstrap: str,
        topic: str,
        interval_s: float = 0.25,
        batch: int = 500,
        keep_days: int = 7,
    ) -> None:
        self.pool = pool
        self.topic = topic
        self.interval_s = interval_s
        self.batch = batch
        self.keep_days = keep_days
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id="livestudio-commission-outbox",
            acks="all",
            linger_ms=5,
            enable_idempotence=False,
        )
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    async def start(self) -> None:
        await self.producer.start()
        self._task = asyncio.create_task(self._run(), name="commission-outbox")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 15)
            except TimeoutError:
                self._task.cancel()
        with contextlib.suppress(Exception):
            await self.publish_pending()  # a last flush
        await self.producer.stop()

    def wake(self) -> None:
        self._wake.set()

    @property
    def healthy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def check(self) -> None:
        if not self.healthy:
            raise RuntimeError("outbox publisher is not running")

    async def publish_pending(self) -> int:
        """Send one batch of pending events and mark them; how many were sent (0 when idle or locked)."""
        async with self.pool.acquire() as conn, conn.transaction():
            if not await repo.try_lock_outbox(conn):
                return 0
            pending = await repo.pending_outbox(conn, self.batch)
            if not pending:
                metrics.OUTBOX_BACKLOG.set(0)
                return 0
            futures = [
                await self.producer.send(self.topic, value=body.encode(), key=key.encode())
                for _, _, key, body in pending
            ]
            await asyncio.gather(*futures)
            await repo.mark_published(conn, [seq for seq, _, _, _ in pending])
        metrics.EVENTS_PUBLISHED.inc(len(pending))
        return len(pending)

    async def _run(self) -> None:
        rounds = 0
        while not self._stopping.is_set():
            try:
                sent = await self.publish_pending()
                rounds += 1
                if rounds % 1000 == 0:
                    async with self.pool.acquire() as conn:
                        await repo.prune_outbox(conn, self.keep_days)
                        metrics.OUTBOX_BACKLOG.set(await repo.outbox_backlog(conn))
                if sent:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox_publish_failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
