"""Mint a gateway JWT for operators and demos: `python -m livestudio_gateway.tokens --role owner --sub demo`.

The key comes from the environment as the gateway reads it (never from the command line, so it stays out of shell
history): the first of GATEWAY_JWT_SECRETS, else GATEWAY_JWT_SECRET; the issuer and audience from
GATEWAY_JWT_ISSUER / GATEWAY_JWT_AUDIENCE, else the gateway's defaults. The token is printed on the last line of
stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import cast

from livestudio_gateway.auth import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    ROLES,
    InvalidToken,
    JwtKeys,
    Role,
    mint_token,
    split_keys,
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="livestudio_gateway.tokens", description=__doc__.splitlines()[0])
    parser.add_argument("--role", required=True, choices=sorted(ROLES))
    parser.add_argument("--sub", required=True, help="subject: the user or service id")
    parser.add_argument(
        "--studio",
        action="append",
        default=[],
        help="a studio the token sees (repeat for several; '*' = every studio for role service)",
    )
    parser.add_argument("--host-id", default=None, help="the host's id (role host)")
    parser.add_argument("--ttl-hours", type=float, default=12.0, help="validity in hours (default 12)")
    return parser.parse_args(argv)


def split_keys_single() -> list[str]:
    secret = os.environ.get("GATEWAY_JWT_SECRET", "")
    return [secret] if secret else []


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    secrets = [*split_keys(os.environ.get("GATEWAY_JWT_SECRETS", "")), *split_keys_single()]
    if not secrets:
        print("GATEWAY_JWT_SECRET (or GATEWAY_JWT_SECRETS) is not set", file=sys.stderr)
        return 2
    try:
        keys = JwtKeys(
            secrets,
            issuer=os.environ.get("GATEWAY_JWT_ISSUER") or DEFAULT_ISSUER,
            audience=os.environ.get("GATEWAY_JWT_AUDIENCE") or DEFAULT_AUDIENCE,
        )
    except ValueError as exc:
        print(f"cannot mint with this key: {exc}", file=sys.stderr)
        return 2
    if args.ttl_hours <= 0:
        print("--ttl-hours must be positive", file=sys.stderr)
        return 2
    try:
        token = mint_token(
            keys,
            sub=args.sub,
            role=cast(Role, args.role),
            studios=list(args.studio),
            host_id=args.host_id,
            ttl_s=int(args.ttl_hours * 3600),
        )
    except InvalidToken as exc:
        print(f"cannot mint this token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
