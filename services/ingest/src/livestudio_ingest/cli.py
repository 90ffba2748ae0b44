"""Operator CLI for accounts and their history backfill: `python -m livestudio_ingest.cli <command>` (add, update,
pause, resume, remove, list, rotate-keys, backfill).

Settings come from the same `INGEST_*` environment as the service (database, credentials keys, Shopee base URL).
A cookie is read from a file (`--cookie-file`) or from standard input, never from an argument (arguments are
visible in process lists and shell history). New cookies are validated with Shopee before they are stored.
Changes go through the same code as the gateway's commands and notify the replica that polls the account.

Everything it prints goes through the logs' redaction (`redacted_output`): a cookie quoted in an account's
`last_error` or in an error message is masked.

History backfill: `backfill [--account ID ...] [--days N]` asks the replicas polling these accounts (every account
by default) to walk their `liveList/v2` history back N days (default `INGEST_BACKFILL_DAYS`) and shows a
progress bar until they are done (`--no-wait`: only ask; `--status`: only show where each account stands).

Key rotation: put the new key first in INGEST_CREDENTIALS_KEYS (keep the old ones), run `rotate-keys`, then
drop the old keys from every replica's environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import asyncpg
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

    back = sub.add_parser("backfill", help="walk accounts' liveList/v2 history back N days, with a progress bar")
    back.add_argument("--account", action="append", dest="accounts", help="account id (repeatable; default: all)")
    back.add_argument("--days", type=int, help="depth in days (default: INGEST_BACKFILL_DAYS)")
    back.add_argument("--no-wait", action="store_true", help="only ask for the backfill, do not show its progress")
    back.add_argument("--status", action="store_true", help="only show each account's backfill, ask for nothing")
    back.add_argument("--timeout", type=float, default=3600.0, help="stop watching after this many seconds")
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
        if args.command == "backfill":
            return await _backfill(pool, args, settings)
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


async def _backfill(pool: asyncpg.Pool, args: argparse.Namespace, settings: IngestSettings) -> int:
    days = settings.backfill_days if args.days is None else args.days
    if not 1 <= days <= 3650:
        raise CliError("--days must be between 1 and 3650")
    async with pool.acquire() as conn:
        known = {r.account_id for r in await repo.fetch_accounts(conn) if r.state != "removed"}
        accounts = sorted(known) if not args.accounts else list(dict.fromkeys(args.accounts))
        unknown = [a for a in accounts if a not in known]
        if unknown:
            raise CliError(f"unknown or removed account(s): {', '.join(unknown)}")
        if not accounts:
            raise CliError("no accounts")
        if args.status:
            rows = await repo.load_backfills(conn, accounts)
            for account_id in accounts:
                print(f"{account_id:<24} {_describe(rows.get(account_id))}")
            return 0
        async with conn.transaction():
            wanted = await repo.request_backfills(conn, accounts, days)
    print(f"backfill of {days} days requested for {len(accounts)} account(s)")
    if args.no_wait:
        return 0
    return await _watch(pool, wanted, timeout=args.timeout)


def _describe(row: repo.BackfillRow | None) -> str:
    if row is None or row.started_at is None:
        return "not started"
    state = "running" if row.next_end_date is not None else "done"
    text = f"{state}: {row.windows_done}/{row.windows_total} windows of {row.days} days, {row.sessions_found} sessions"
    if row.requested_seq > row.applied_seq:
        text += " (a new request is waiting for the poller)"
    return text + (f", last error: {row.last_error}" if row.last_error else "")


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width if total == 0 else width * done // total
    return "[" + "#" * filled + "-" * (width - filled) + "]"


async def _watch(pool: asyncpg.Pool, wanted: dict[str, int], *, timeout: float) -> int:
    """A progress bar over every requested account until each has finished its request (exit 0), or the timeout
    (exit 1; the backfill goes on)."""
    tty = sys.stdout.isatty()
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        async with pool.acquire() as conn:
            rows = await repo.load_backfills(conn, list(wanted))
        started = [r for a, r in rows.items() if r.applied_seq >= wanted[a]]
        finished = [r for r in started if r.next_end_date is None]
        total = sum(r.windows_total for r in started) + sum(
            1 for a in wanted if a not in {r.account_id for r in started}
        )
        done = sum(r.windows_done for r in started)
        sessions = sum(r.sessions_found for r in started)
        errors = sum(1 for r in started if r.last_error)
        line = (
            f"{_bar(done, max(total, 1))} {done}/{total} windows, {len(finished)}/{len(wanted)} accounts done, "
            f"{sessions} sessions" + (f", {errors} retrying" if errors else "")
        )
        if line != last:
            print(("\r" + line) if tty else line, end="" if tty else "\n", flush=True)
            last = line
        if len(finished) == len(wanted):
            if tty:
                print()
            return 0
        if time.monotonic() > deadline:
            print(("\n" if tty else "") + "timed out watching; the backfill goes on", file=sys.stderr)
            return 1
        await asyncio.sleep(0.5)


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
