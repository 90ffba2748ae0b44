"""QR login, end to end: generate the code, follow its status, exchange it for a cookie, store the account.

`account.qr_login.start` only records a `new` row in `ingest.qr_logins`; this worker (in every replica) claims
open logins with a lease (`FOR UPDATE SKIP LOCKED`), so each is driven by one replica and resumed by another if
that one dies. Progress (`new` -> `scanned` -> `confirmed`, or `expired` / `failed` with an error) and the QR
image are written to the row for the gateway. On confirmation the cookie is validated and stored like an
`account.connect`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from pydantic import SecretStr

from livestudio_ingest import repository as repo
from livestudio_ingest.accounts import CommandRejected
from livestudio_ingest.commands import AccountCommands
from livestudio_ingest.metrics import QR_LOGINS
from livestudio_ingest.settings import IngestSettings
from shopee_client import ShopeeClient, ShopeeClientError, Transient, get_region
from shopee_client.client.models import QrState
from shopee_client.client.regions import INDONESIA

log = structlog.get_logger(__name__)

_MAX_TRANSIENT = 10


class QrLoginWorker:
    def __init__(
        self, settings: IngestSettings, pool: asyncpg.Pool, client: ShopeeClient, commands: AccountCommands
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.client = client
        self.commands = commands
        self.owner = settings.instance_id
        self.lease_s = max(10.0, settings.qr_poll_interval_s * 10)
        self._task: asyncio.Task[None] | None = None
        self._active: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingest-qr-logins")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._active) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self) -> None:
        while True:
            try:
                while len(self._active) < self.settings.qr_max_concurrent:
                    async with self.pool.acquire() as conn:
                        row = await repo.claim_qr_login(conn, owner=self.owner, lease_s=self.lease_s)
                    if row is None:
                        break
                    task = asyncio.create_task(self._drive(row), name=f"qr:{row.login_id}")
                    self._active.add(task)
                    task.add_done_callback(self._active.discard)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("qr_claim_failed", error=type(exc).__name__)
            await asyncio.sleep(self.settings.qr_scan_interval_s)

    async def _update(self, login_id: str, **fields: object) -> bool:
        async with self.pool.acquire() as conn:
            return await repo.update_qr_login(conn, login_id, owner=self.owner, lease_s=self.lease_s, **fields)  # type: ignore[arg-type]

    async def _finish(self, login_id: str, state: str, error: str | None = None) -> None:
        QR_LOGINS.labels(state).inc()
        log.info("qr_login_finished", login_id=login_id, state=state, error=error)
        await self._update(login_id, state=state, error=error, release=True)

    async def _drive(self, row: repo.QrLoginRow) -> None:
        try:
            region = get_region(row.region)
        except KeyError:
            region = INDONESIA
        try:
            qrcode_id = row.qrcode_id
            expires_at = row.expires_at
            if qrcode_id is None:
                code = await self.client.gen_qrcode(region=region)
                qrcode_id = code.qrcode_id
                expires_at = datetime.now(UTC) + timedelta(seconds=self.settings.qr_timeout_s)
                if not await self._update(
                    row.login_id,
                    state="new",
                    qrcode_id=qrcode_id,
                    qrcode_base64=code.qrcode_base64,
                    expires_at=expires_at,
                ):
                    return
            state = row.state
            transient = 0
            while True:
                if expires_at is not None and datetime.now(UTC) > expires_at:
                    await self._finish(row.login_id, "expired", "the QR code was not confirmed in time")
                    return
                try:
                    status = await self.client.qrcode_status(qrcode_id, region=region)
                except Transient:
                    transient += 1
                    if transient > _MAX_TRANSIENT:
                        raise
                    await asyncio.sleep(self.settings.qr_poll_interval_s)
                    continue
                if status.state is QrState.SCANNED and state != "scanned":
                    state = "scanned"
                    if not await self._update(row.login_id, state="scanned"):
                        return
                elif status.state is QrState.EXPIRED:
                    await self._finish(row.login_id, "expired", "the QR code expired")
                    return
                elif status.state is QrState.CONFIRMED and status.qrcode_token:
                    result = await self.client.qrcode_login(status.qrcode_token, region=region)
                    await self._store(row, result.cookie)
                    return
                elif not await self._update(row.login_id):  # renew the lease
                    return
                await asyncio.sleep(self.settings.qr_poll_interval_s)
        except asyncio.CancelledError:
            raise
        except CommandRejected as exc:
            await self._finish(row.login_id, "failed", str(exc))
        except ShopeeClientError as exc:
            await self._finish(row.login_id, "failed", f"Shopee error during QR login ({exc.kind})")
        except Exception as exc:
            log.exception("qr_login_crashed", login_id=row.login_id)
            with contextlib.suppress(Exception):
                await self._finish(row.login_id, "failed", f"internal error ({type(exc).__name__})")

    async def _store(self, row: repo.QrLoginRow, cookie: SecretStr) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await self.commands.connect(
                conn,
                account_id=row.account_id,
                studio_id=row.studio_id,
                display_name=row.display_name,
                region=row.region,
                cookie=cookie,
            )
            done = await repo.update_qr_login(
                conn, row.login_id, owner=self.owner, lease_s=self.lease_s, state="confirmed", release=True
            )
            if not done:
                raise CommandRejected("the QR login was taken over by another replica")
        QR_LOGINS.labels("confirmed").inc()
        log.info("qr_login_confirmed", login_id=row.login_id, account_id=row.account_id)
