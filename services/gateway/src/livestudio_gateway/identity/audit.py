"""The audit trail: who did what and when, per organisation, readable by its owners (JSON pages and CSV).

Identity's own actions (sign-in, invitations, role changes, keys) are recorded by `service.Identity`. Every
command the gateway forwards (rules, roster, ad spend, approve/pay/void, account connect/reconnect, …) is
recorded here, in one place: `AuditedPublisher` records it once the broker has acknowledged it, under the
caller's organisation (for an operator's token, the organisation of the command's studio). A studio created
through the API by an organisation's owner is registered to that organisation at the same time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import structlog
from asyncpg import Record

from livestudio_gateway import exports
from livestudio_gateway.identity.service import CURRENT_CALLER, Identity
from livestudio_gateway.publisher import CommandPublisher
from livestudio_gateway.repository import Repository
from livestudio_schemas.commands import Command
from livestudio_schemas.envelope import CloudEvent

log = structlog.get_logger(__name__)

CSV_COLUMNS = ("audit_id", "at", "actor", "actor_role", "action", "target", "studio_id", "address", "detail")
_SECRET_FIELDS = frozenset({"encrypted_cookie", "cookie", "password"})


def command_detail(command: Any) -> dict[str, Any]:
    """A command's fields for the trail, without secrets (encrypted cookies are only said to be present)."""
    data: dict[str, Any] = command.model_dump(mode="json")
    for name in _SECRET_FIELDS & data.keys():
        data[name] = "(set)" if data[name] else None
    return data


class AuditedPublisher(CommandPublisher):
    """The command publisher, recording each published command in the audit trail."""

    identity: Identity | None = None
    reads: Repository | None = None
    """The gateway's read repository, to name the studio of a command that carries only an account or statement."""

    async def publish(self, key: str, event: CloudEvent[Command]) -> None:
        await super().publish(key, event)
        if self.identity is not None:
            try:
                await self._record(key, event)
            except Exception as exc:  # the command is out; a lost trail entry must not turn it into an error
                log.error("audit_not_recorded", command_id=event.id, error=f"{type(exc).__name__}: {exc}")

    async def _studio_of(self, command: Any) -> str | None:
        studio_id = getattr(command, "studio_id", None)
        if isinstance(studio_id, str):
            return studio_id
        return await _studio_of_reads(self.reads, command) if self.reads is not None else None

    async def _record(self, key: str, event: CloudEvent[Command]) -> None:
        assert self.identity is not None
        repo = self.identity.repo
        command = event.data.command
        caller = CURRENT_CALLER.get()
        principal, address = caller if caller is not None else (None, None)
        studio_id = await self._studio_of(command)
        if (
            command.kind == "studio.upsert"
            and principal is not None
            and principal.org is not None
            and await repo.register_studio(key, principal.org)
        ):
            self.identity.forget()  # the owner's sessions see the new studio on their next request
        org = principal.org if principal is not None else None
        if org is None and studio_id is not None:
            org = await repo.studio_org(studio_id)
        await self.identity.audit(
            org_id=org,
            actor=event.data.actor,
            role=principal.role if principal is not None else None,
            action=f"command.{command.kind}",
            target=key,
            studio_id=studio_id,
            detail={"command_id": event.id, **command_detail(command)},
            address=address,
        )


async def _studio_of_reads(reads: Repository, command: Any) -> str | None:
    account_id = getattr(command, "account_id", None)
    if isinstance(account_id, str):
        return await reads.account_studio(account_id)
    statement_id = getattr(command, "statement_id", None)
    if isinstance(statement_id, str):
        row = await reads.statement(statement_id, None, None)
        return None if row is None else str(row["studio_id"])
    return None


def to_csv(rows: Iterable[Record]) -> str:
    """The entries as CSV (spreadsheet formulas neutralised by `exports.cell`)."""
    return exports.to_csv(
        CSV_COLUMNS,
        ({**dict(r), "detail": json.dumps(json.loads(r["detail"]), sort_keys=True)} for r in rows),
    )
