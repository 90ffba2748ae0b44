"""Operator CLI for accounts: `python -m livestudio_ingest.cli add|update|pause|resume|remove|list|rotate-keys`.

Settings come from the same `INGEST_*` environment as the service (database, credentials keys, Shopee base URL).
A cookie is read from a file (`--cookie-file`) or from standard input, never from an argument (arguments are
visible in process lists and shell history). New cookies are validated with Shopee before they are stored.
Changes go through the same code as the gateway's commands and notify the replica that polls the account.

Everything it prints goes through the logs' redaction (`redacted_output`): a cookie quoted in an account's
`last_error` or in an error message is masked.

Key rotation: put the new key first in INGEST_CREDENTIALS_KEYS (keep the old ones), run `rotate-keys`, then
drop the old keys from every replica's environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import SecretStr

from livestudio_ingest import repository as repo
from livestudio_ingest.accounts import CommandRejected
from livestudio_ingest.commands import AccountCommands, CookieValidator
from livestudio_ingest.credentials import CredentialVault
from livestudio_ingest.settings import MIGRATIONS, SCHEMA, IngestSettings, client_settings
from livestudio_runtime.db import create_pool
from livestudio_runtime.logging import redacted_output
from livestudio_runtime.migrations import migrate
from shopee_client import ShopeeClient


class CliError(Exception):
    """Printed to stderr; exit code 2."""


def _read_cookie(args: argparse.Namespace) -> SecretStr:
    if args.cookie_file:
        raw = Path(args.cookie_file).read_text()
    else:
        if sys.stdin.isatty():
            print("paste the cookie string, then press Enter:", file=sys.stderr)
        raw = sys.stdin.readline()
    cookie = raw.strip()
    if not cookie:
        raise CliError("no cookie given (use --cookie-file or standard input)")
    return SecretStr(cookie)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="livestudio_ingest.cli", description="Manage the Shopee accounts the ingest polls")
    sub = p.add_subparsers(dest="command", required=True)

    add = sub.add_parser("add", help="connect an account (validates the cookie with Shopee)")
    add.add_argument("--account-id", required=True)
    add.add_argument("--studio-id", required=True)
    add.add_argument("--display-name", required=True)
    add.add_argument("--region", default="co.id")
    add.add_argument("--cookie-file", help="file holding the cookie string (default: read standard input)")

    upd = sub.add_parser("update", help="change the display name and/or the cookie")
    upd.add_argument("--account-id", required=True)
    upd.add_argument("--display-name")
    upd.add_argument("--cookie-file")
    upd.add_argument("--new-cookie", action="store_true", help="read a new cookie from standard input")

    for name, text in (("pause", "stop polling"), ("resume", "poll again"), ("remove", "remove and forget the cookie")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--account-id", required=True)

    lst = sub.add_parser("list", help="list accounts (never shows cookies)")
    lst.add_argument("--json", action="store_true")

    sub.add_parser("rotate-keys", help="re-encrypt every stored cookie with the first INGEST_CREDENTIALS_KEYS key")
    return p


async def _main(args: argparse.Namespace, settings: IngestSettings) -> int:
    await migrate(settings.database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(
        settings.database_url, schema=SCHEMA, application_name="ingest-cli", min_size=1, max_size=2
    )
    try:
        if args.command == "list":
            async with pool.acquire() as conn:
                rows = await repo.fetch_accounts(conn)
            _print_accounts(rows, as_json=args.json)
            return 0
        vault = CredentialVault.from_setting(settings.credentials_keys)
        if args.command == "rotate-keys":
            async with pool.acquire() as conn, conn.transaction():
                pairs = await repo.all_ciphertexts(conn)
                rotated = vault.rotate(pairs)
                await repo.replace_ciphertexts(conn, rotated)
            print(f"re-encrypted {len(rotated)} stored cookie(s) with the primary key")
            return 0
        async with ShopeeClient(client_settings(settings)) as client:
            commands = AccountCommands(vault, CookieValidator(client))
            async with pool.acquire() as conn, conn.transaction():
                if args.command == "add":
                    user = await commands.connect(
                        conn,
                        account_id=args.account_id,
                        studio_id=args.studio_id,
                        display_name=args.display_name,
                        region=args.region,
                        cookie=_read_cookie(args),
                    )
                    print(f"connected {args.account_id} (Shopee user {user.user_id}, {user.user_name})")
                elif args.command == "update":
                    cookie = _read_cookie(args) if (args.cookie_file or args.new_cookie) else None
                    if cookie is None and args.display_name is None:
                        raise CliError("nothing to update: give --display-name and/or a new cookie")
                    await commands.update(
                        conn, account_id=args.account_id, display_name=args.display_name, cookie=cookie
                    )
                    print(f"updated {args.account_id}")
                elif args.command == "pause":
                    await commands.pause(conn, args.account_id)
                    print(f"paused {args.account_id}")
                elif args.command == "resume":
                    await commands.resume(conn, args.account_id)
                    print(f"resumed {args.account_id}")
                elif args.command == "remove":
                    await commands.remove(conn, args.account_id)
                    print(f"removed {args.account_id}")
        return 0
    finally:
        await pool.close()


def _print_accounts(rows: Sequence[repo.AccountRow], *, as_json: bool) -> None:
    records = [
        {
            "account_id": r.account_id,
            "studio_id": r.studio_id,
            "display_name": r.display_name,
            "region": r.region,
            "shopee_user_id": r.shopee_user_id,
            "state": r.state,
            "last_successful_poll_at": r.last_successful_poll_at.isoformat() if r.last_successful_poll_at else None,
            "last_error": r.last_error,
            "on_air_session_id": r.on_air_session_id,
        }
        for r in rows
    ]
    if as_json:
        print(json.dumps(records, indent=2))
        return
    for rec in records:
        print(
            f"{rec['account_id']:<24} {rec['state']:<20} studio={rec['studio_id']} "
            f"user={rec['shopee_user_id']} last_poll={rec['last_successful_poll_at']} {rec['display_name']}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    with redacted_output():
        args = _parser().parse_args(argv)
        settings = IngestSettings()
        try:
            return asyncio.run(_main(args, settings))
        except (CommandRejected, CliError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    raise SystemExit(main())
