"""Delivering queued notifications: the outbox of `deliveries`, retried with backoff, then reported.

Rows are claimed with `FOR UPDATE SKIP LOCKED` (replicas share the work, never a row) and the lock is held while
the attempt runs, so a row is attempted by one process at a time. An attempt that fails is retried after
`rules.backoff_s` (exponential, capped); after ALERTS_MAX_ATTEMPTS, or at once for an error that cannot
succeed (a 4xx, a missing channel, a secret that does not decrypt), the delivery is `failed`: its status and
`last_error` are shown in the alert history and `livestudio_alerts_deliveries_total{outcome="failed"}` counts it
(the LiveStudioAlertsDeliveryFailing alert fires on it).

A crash after a send and before its row is marked sends it again on restart: at least once at the edge. The
webhook carries the notification id as `Idempotency-Key`, the email its `Message-ID`, so receivers can drop the
repeat; Telegram's sendMessage has no idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import structlog

from livestudio_alerts import metrics
from livestudio_alerts import repository as repo
from livestudio_alerts.channels import Channel, DeliveryError, Notification, Sender
from livestudio_alerts.rules import backoff_s
from livestudio_runtime.secrets import CookieCipher, SecretDecryptionError

log = structlog.get_logger(__name__)


class Dispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        sender: Sender,
        cipher: CookieCipher | None,
        *,
        interval_s: float,
        batch: int,
        retry_base_s: float,
        retry_max_s: float,
        max_attempts: int,
    ) -> None:
        self.pool = pool
        self.sender = sender
        self.cipher = cipher
        self.interval_s = interval_s
        self.batch = batch
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.max_attempts = max_attempts
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alerts-outbox")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Finish the attempts in flight; what is still pending is picked up after the restart."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 15)
            except TimeoutError:
                self._task.cancel()

    async def check(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("outbox dispatcher is not running")

    async def _run(self) -> None:
        rounds = 0
        while not self._stopping.is_set():
            try:
                done = await self.dispatch_once()
                rounds += 1
                if rounds % 20 == 1:
                    async with self.pool.acquire() as conn:
                        backlog, oldest = await repo.outbox_stats(conn)
                    metrics.OUTBOX_BACKLOG.set(backlog)
                    metrics.OLDEST_PENDING.set(oldest if backlog else 0)
                if done:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox_dispatch_failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)

    async def dispatch_once(self) -> int:
        """Attempt one batch of due deliveries; how many were attempted."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await repo.claim_due(conn, self.batch)
            if not rows:
                return 0
            outcomes = await asyncio.gather(*(self._attempt(row) for row in rows))
            for row, (outcome, error) in zip(rows, outcomes, strict=True):
                key, channel_id = row["notification_id"], row["channel_id"]
                kind = row["channel_kind"] or "unknown"
                if outcome == "sent":
                    await repo.mark_sent(conn, key, channel_id)
                elif outcome == "retry":
                    delay = backoff_s(row["attempts"] + 1, base_s=self.retry_base_s, max_s=self.retry_max_s)
                    await repo.mark_retry(conn, key, channel_id, delay, error or "")
                else:
                    await repo.mark_failed(conn, key, channel_id, error or "")
                    log.warning(
                        "delivery_failed", notification_id=key, channel_id=channel_id, channel=kind, error=error
                    )
                if kind in ("webhook", "telegram", "email"):
                    metrics.DELIVERIES.labels(kind, outcome).inc()
        return len(rows)

    async def _attempt(self, row: Any) -> tuple[str, str | None]:
        """('sent' | 'retry' | 'failed', error)"""
        if row["channel_kind"] is None:
            return "failed", "channel removed"
        if not row["enabled"]:
            return "failed", "channel disabled"
        secret: str | None = None
        if row["secret_ciphertext"] is not None:
            if self.cipher is None:
                return "failed", "ALERTS_CREDENTIALS_KEYS is not set"
            try:
                secret = self.cipher.decrypt(row["secret_ciphertext"])
            except SecretDecryptionError:
                return "failed", "the channel secret does not decrypt with the configured keys"
        channel = Channel(row["channel_id"], row["channel_kind"], repo.decode_json(row["config"]), secret)
        notification = Notification(
            notification_id=row["notification_id"],
            studio_id=row["studio_id"],
            kind=row["notification_kind"],
            title=row["title"],
            body=row["body"],
            data=repo.decode_json(row["data"]),
            decided_at=row["decided_at"].isoformat(),
        )
        try:
            await self.sender.send(channel, notification)
        except DeliveryError as exc:
            if exc.retryable and row["attempts"] + 1 < self.max_attempts:
                return "retry", str(exc)
            return "failed", str(exc)
        except Exception as exc:  # e.g. a URL httpx refuses: the type only (a message may hold a token)
            return "failed", f"{channel.kind}: {type(exc).__name__}"
        return "sent", None
