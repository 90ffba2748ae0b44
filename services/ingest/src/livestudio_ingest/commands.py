"""Applying account commands (gateway, CLI, QR logins) to `ingest.accounts` and `ingest.account_credentials`.

`AccountCommands.apply()` runs inside the caller's transaction: the effect and the `command_results` row commit
together, and a command id already recorded is skipped, so a replay never applies twice. A new cookie is
validated with Shopee's `userInfo` before anything is stored; a rejection stores nothing and records why
(never the cookie). Every change bumps the account's config version and NOTIFYs the replica that polls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from pydantic import SecretStr

from livestudio_ingest import accounts as rules
from livestudio_ingest import repository as repo
from livestudio_ingest.accounts import AccountView, CommandRejected
from livestudio_ingest.credentials import CredentialVault
from livestudio_ingest.metrics import COMMANDS
from livestudio_runtime import ownership
from livestudio_runtime.db import DbConnection
from livestudio_schemas.commands import (
    AccountConnect,
    AccountPause,
    AccountRemove,
    AccountResume,
    AccountUpdate,
    Command,
    QrLoginStart,
)
from shopee_client import AccountContext, AuthExpired, ShopeeClient, ShopeeClientError, get_region
from shopee_client.client.models import UserInfo

log = structlog.get_logger(__name__)

AccountCommand = AccountConnect | AccountUpdate | AccountPause | AccountResume | AccountRemove | QrLoginStart


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # applied | rejected
    error: str | None = None


class CookieCheck(Protocol):
    async def validate(self, account_id: str, cookie: SecretStr, region: str) -> UserInfo:
        """The Shopee user behind the cookie; raises `CommandRejected` when the cookie does not work."""
        ...


class CookieValidator:
    """Asks Shopee whether a cookie works (`userInfo`, the cheap probe)."""

    def __init__(self, client: ShopeeClient) -> None:
        self.client = client

    async def validate(self, account_id: str, cookie: SecretStr, region: str) -> UserInfo:
        try:
            reg = get_region(region)
        except KeyError:
            raise CommandRejected(f"unknown Shopee region {region!r}") from None
        ctx = AccountContext(account_id=account_id, cookie=cookie, region=reg)
        try:
            return await self.client.user_info(ctx)
        except AuthExpired as exc:
            code = f" (code {exc.code})" if exc.code else ""
            raise CommandRejected(f"Shopee rejected the cookie{code}: it is expired or invalid") from None
        except ShopeeClientError as exc:
            raise CommandRejected(f"the cookie could not be validated with Shopee ({exc.kind}); try again") from None


def _view(row: repo.AccountRow | None) -> AccountView | None:
    if row is None:
        return None
    return AccountView(row.account_id, row.studio_id, row.state, row.shopee_user_id)


class AccountCommands:
    def __init__(self, vault: CredentialVault, validator: CookieCheck) -> None:
        self.vault = vault
        self.validator = validator

    async def cookies_to_validate(
        self, conn: DbConnection, commands: Sequence[Command]
    ) -> list[tuple[str, SecretStr, str]]:
        """(account id, cookie, region) of the new cookies these commands would validate, skipping commands
        applied before and cookies that do not even decrypt (applying the command rejects those)."""
        seen = await repo.commands_seen(conn, [c.command_id for c in commands])
        out: list[tuple[str, SecretStr, str]] = []
        updates: list[tuple[str, SecretStr]] = []
        for command in commands:
            inner = command.command
            if command.command_id in seen:
                continue
            try:
                if isinstance(inner, AccountConnect):
                    out.append((inner.account_id, self.vault.open_command_token(inner.encrypted_cookie), inner.region))
                elif isinstance(inner, AccountUpdate) and inner.encrypted_cookie:
                    updates.append((inner.account_id, self.vault.open_command_token(inner.encrypted_cookie)))
            except CommandRejected:
                continue
        if updates:
            rows = await repo.fetch_accounts(conn, account_ids=sorted({a for a, _ in updates}))
            regions = {r.account_id: r.region for r in rows}
            out.extend((a, cookie, regions[a]) for a, cookie in updates if a in regions)
        return out

    async def apply(self, conn: DbConnection, command: Command) -> Outcome | None:
        """Apply one command in `conn`'s transaction; None if it was applied before (replay)."""
        inner = command.command
        if await repo.command_seen(conn, command.command_id):
            return None
        try:
            async with conn.transaction():  # a savepoint: a failing effect leaves only the rejection
                await self._check_ownership(conn, command)
                outcome = await self._apply(conn, inner)  # type: ignore[arg-type]
        except (CommandRejected, ownership.NotFound, ownership.NotAllowed) as exc:
            outcome = Outcome("rejected", str(exc))
        except Exception as exc:
            log.exception("command_failed", command_id=command.command_id, kind=inner.kind)
            outcome = Outcome("rejected", f"internal error while applying the command ({type(exc).__name__})")
        await repo.record_command(conn, command.command_id, inner.kind, outcome.status, outcome.error)
        COMMANDS.labels(inner.kind, outcome.status).inc()
        log.info(
            "command_applied",
            command_id=command.command_id,
            kind=inner.kind,
            status=outcome.status,
            error=outcome.error,
            actor=command.actor,
        )
        return outcome

    async def _check_ownership(self, conn: DbConnection, command: Command) -> None:
        """The one ownership rule (`livestudio_runtime.ownership`) against the accounts table."""
        refs = ownership.references(command.command)
        studios = await repo.account_studios(conn, [r.id for r in refs if r.entity == "account"])
        ownership.check(command.command, command.scope, {("account", a): s for a, s in studios.items()})

    async def reject(self, conn: DbConnection, command_id: str, kind: str, error: str) -> None:
        """A command of ours that failed validation: record why (once)."""
        if await repo.record_command(conn, command_id, kind, "rejected", error):
            COMMANDS.labels(kind if kind.startswith("account.") else "invalid", "rejected").inc()
            log.info("command_rejected", command_id=command_id, kind=kind, error=error)

    async def _apply(self, conn: DbConnection, cmd: AccountCommand) -> Outcome:
        if isinstance(cmd, AccountConnect):
            cookie = self.vault.open_command_token(cmd.encrypted_cookie)
            await self.connect(
                conn,
                account_id=cmd.account_id,
                studio_id=cmd.studio_id,
                display_name=cmd.display_name,
                region=cmd.region,
                cookie=cookie,
            )
        elif isinstance(cmd, AccountUpdate):
            await self.update(
                conn,
                account_id=cmd.account_id,
                display_name=cmd.display_name,
                cookie=self.vault.open_command_token(cmd.encrypted_cookie) if cmd.encrypted_cookie else None,
            )
        elif isinstance(cmd, AccountPause):
            await self.pause(conn, cmd.account_id)
        elif isinstance(cmd, AccountResume):
            await self.resume(conn, cmd.account_id)
        elif isinstance(cmd, AccountRemove):
            await self.remove(conn, cmd.account_id)
        elif isinstance(cmd, QrLoginStart):
            existing = _view(await repo.fetch_account(conn, cmd.account_id))
            rules.check_connect(existing, studio_id=cmd.studio_id)
            await repo.insert_qr_login(
                conn,
                login_id=cmd.login_id,
                account_id=cmd.account_id,
                studio_id=cmd.studio_id,
                display_name=cmd.display_name,
                region=cmd.region,
            )
        else:  # pragma: no cover - the decoder only lets account commands through
            raise CommandRejected(f"not an ingest command: {cmd.kind}")
        return Outcome("applied")

    # --- the operations (also used by the CLI and the QR login worker) -------------------------------------

    async def connect(
        self,
        conn: DbConnection,
        *,
        account_id: str,
        studio_id: str,
        display_name: str,
        region: str,
        cookie: SecretStr,
    ) -> UserInfo:
        existing = await repo.fetch_account(conn, account_id, for_update=True)
        rules.check_connect(_view(existing), studio_id=studio_id)
        user = await self.validator.validate(account_id, cookie, region)
        rules.check_same_account_user(_view(existing), user.user_id)
        holders = [v for v in map(_view, await repo.accounts_of_shopee_user(conn, user.user_id)) if v is not None]
        rules.check_same_shopee_user(account_id, user.user_id, holders)
        state = "connected"
        if existing is not None and existing.state != "removed":
            state = rules.state_after_new_credentials(existing.state)
        await repo.upsert_account(
            conn,
            account_id=account_id,
            studio_id=studio_id,
            display_name=display_name,
            region=region,
            shopee_user_id=user.user_id,
            shopee_user_name=user.user_name,
            state=state,
        )
        await repo.store_credentials(conn, account_id, self.vault.seal(cookie))
        return user

    async def update(
        self, conn: DbConnection, *, account_id: str, display_name: str | None, cookie: SecretStr | None
    ) -> None:
        existing = rules.require_existing(
            _view(await repo.fetch_account(conn, account_id, for_update=True)), account_id
        )
        if cookie is None:
            await repo.update_account_config(conn, account_id, display_name=display_name)
            return
        row = await repo.fetch_account(conn, account_id)
        assert row is not None
        user = await self.validator.validate(account_id, cookie, row.region)
        rules.check_same_account_user(existing, user.user_id)
        holders = [v for v in map(_view, await repo.accounts_of_shopee_user(conn, user.user_id)) if v is not None]
        rules.check_same_shopee_user(account_id, user.user_id, holders)
        await repo.update_account_config(
            conn,
            account_id,
            display_name=display_name,
            state=rules.state_after_new_credentials(existing.state),
            shopee_user_id=user.user_id,
            shopee_user_name=user.user_name,
            clear_error=True,
        )
        await repo.store_credentials(conn, account_id, self.vault.seal(cookie))

    async def pause(self, conn: DbConnection, account_id: str) -> None:
        rules.require_existing(_view(await repo.fetch_account(conn, account_id, for_update=True)), account_id)
        await repo.update_account_config(conn, account_id, state="paused")

    async def resume(self, conn: DbConnection, account_id: str) -> None:
        existing = rules.require_existing(
            _view(await repo.fetch_account(conn, account_id, for_update=True)), account_id
        )
        state = rules.state_after_resume(existing.state)
        if state is not None:
            await repo.update_account_config(conn, account_id, state=state, clear_error=True)

    async def remove(self, conn: DbConnection, account_id: str) -> None:
        rules.require_existing(_view(await repo.fetch_account(conn, account_id, for_update=True)), account_id)
        await repo.delete_credentials(conn, account_id)
        await repo.update_account_config(conn, account_id, state="removed")
