"""Applying the `target.set` / `target.remove` commands: monthly confirmed-GMV targets of a studio, an account or
a host (issue #20), stored in `commission.targets`.

The commission owns targets because it owns what a target is checked against: the studio (its timezone and
currency, which define the month and the amount) and its hosts; the ownership check (`commands._check_ownership`)
has already refused a studio, account or host of another studio. Progress is not stored here: the gateway and
the alerts service compute it when read from the analytics rollups and the attributions
(`livestudio_runtime.targets`).

Idempotent: a command is applied once (its id in `command_results`); a target keeps the newest command's amount
(`issued_at`), so a set and a removal of the same target apply in issue order even if replayed.
"""

from __future__ import annotations

from datetime import date

from livestudio_commission import repository as repo
from livestudio_runtime.db import DbConnection
from livestudio_runtime.targets import TargetError, check_amount, parse_month
from livestudio_schemas.commands import Command, TargetRemove, TargetSet


class TargetRejected(Exception):
    """The target command cannot be applied (recorded as `rejected` with this message)."""


def _key(c: TargetSet | TargetRemove) -> tuple[str, date, str, str]:
    try:
        month = parse_month(c.month)
    except TargetError as exc:
        raise TargetRejected(str(exc)) from None
    return (c.studio_id, month, c.scope, c.scope_id)


def describe(c: TargetSet | TargetRemove) -> str:
    """`host 'h1' in 2026-11` (the studio's own target: `studio 's1' in 2026-11`)."""
    return f"{c.scope} {c.scope_id!r} in {c.month}"


async def apply(conn: DbConnection, command: Command, c: TargetSet | TargetRemove) -> None:
    key = _key(c)
    if isinstance(c, TargetSet):
        try:
            check_amount(c.amount)
        except TargetError as exc:
            raise TargetRejected(str(exc)) from None
        await repo.set_target(
            conn, key, c.amount, set_at=command.issued_at, set_by=command.actor, command_id=command.command_id
        )
        return
    if await repo.target_set_at(conn, key) is None:
        raise TargetRejected(f"no target for {describe(c)} in studio {c.studio_id!r}")
    await repo.delete_target(conn, key, issued_at=command.issued_at)
