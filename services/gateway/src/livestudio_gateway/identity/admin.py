"""Operators' identity commands (the bootstrap of an organisation, and `make up`'s demo):

    GATEWAY_DATABASE_URL=… LIVESTUDIO_PASSWORD=… python -m livestudio_gateway.identity.admin \\
        add-user --org acme --org-name "Acme Studios" --email boss@acme.id --role owner --studio acme-jkt

creates the organisation if needed, registers the studios to it (a studio another organisation owns is refused)
and creates the user with that password (from the environment, never the command line). `--role manager` needs
`--studio`, `--role host` needs `--host-id`. The schema is migrated first. Everyone else joins by invitation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from livestudio_gateway.identity import credentials
from livestudio_gateway.identity.passwords import Passwords
from livestudio_gateway.identity.repository import SCHEMA, IdentityRepository, create_pool
from livestudio_gateway.settings import GatewaySettings
from livestudio_gateway.state import MIGRATIONS
from livestudio_runtime.logging import redacted_output
from livestudio_runtime.migrations import migrate


def default_passwords() -> Passwords:
    """Hashing with the gateway's settings (GATEWAY_ARGON2_*), so that every stored hash costs the same to check."""
    fields = GatewaySettings.model_fields

    def setting(name: str) -> int:
        return int(os.environ.get(f"GATEWAY_{name.upper()}", fields[name].default))

    return Passwords(
        time_cost=setting("argon2_time_cost"),
        memory_kib=setting("argon2_memory_kib"),
        parallelism=setting("argon2_parallelism"),
    )


class AdminError(Exception):
    """The command cannot be carried out (message for the operator)."""


async def add_user(
    dsn: str,
    *,
    org_id: str,
    org_name: str,
    email: str,
    password: str,
    role: str,
    studios: Sequence[str],
    host_id: str | None = None,
    name: str = "",
    passwords: Passwords | None = None,
) -> str:
    """Creates (or finds) the organisation, registers the studios, creates the user; returns the user id."""
    if role == "host" and not host_id:
        raise AdminError("--role host needs --host-id")
    if role == "manager" and not studios:
        raise AdminError("--role manager needs --studio")
    await migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(dsn, max_size=1)
    try:
        repo = IdentityRepository(pool)
        await repo.create_org(org_id, org_name)
        for studio in studios:
            if not await repo.register_studio(studio, org_id):
                raise AdminError(f"studio {studio!r} belongs to another organisation")
        existing = await repo.user_by_email(email.strip().lower())
        if existing is not None:
            if existing["org_id"] != org_id:
                raise AdminError(f"{email} belongs to another organisation")
            user_id: str = existing["user_id"]
            return user_id
        hashed = (passwords or default_passwords()).hash_sync(password)
        user_id = credentials.new_id("usr")
        await repo.create_user(
            user_id=user_id,
            org_id=org_id,
            email=email.strip().lower(),
            name=name,
            password_hash=hashed,
            role=role,
            studios=sorted(set(studios)) if role != "owner" else [],
            host_id=host_id if role == "host" else None,
        )
        return user_id
    finally:
        await pool.close()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="livestudio_gateway.identity.admin", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-user", help="create an organisation's user (and the organisation)")
    add.add_argument("--org", required=True)
    add.add_argument("--org-name", default="")
    add.add_argument("--email", required=True)
    add.add_argument("--name", default="")
    add.add_argument("--role", required=True, choices=["owner", "manager", "host"])
    add.add_argument("--studio", action="append", default=[], help="a studio of the organisation (repeat)")
    add.add_argument("--host-id", default=None)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    with redacted_output():  # what it prints is redacted like the logs
        return _main(argv)


def _main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    dsn = os.environ.get("GATEWAY_DATABASE_URL", "")
    password = os.environ.get("LIVESTUDIO_PASSWORD", "")
    if not dsn or len(password) < 10:
        print("set GATEWAY_DATABASE_URL and LIVESTUDIO_PASSWORD (at least 10 characters)", file=sys.stderr)
        return 2
    try:
        user_id = asyncio.run(
            add_user(
                dsn,
                org_id=args.org,
                org_name=args.org_name or args.org,
                email=args.email,
                password=password,
                role=args.role,
                studios=args.studio,
                host_id=args.host_id,
                name=args.name,
            )
        )
    except AdminError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(user_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
