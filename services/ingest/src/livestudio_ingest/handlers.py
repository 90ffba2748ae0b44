"""Thin Kafka handlers: the `livestudio.commands.v1` consumer (exactly-once effect through `command_results`).

`decode_command` keeps only the ingest's commands (`account.*`): other owners' commands are ignored, a broken
ingest command with a readable id is recorded as rejected with the reason, and a record that is not even an
envelope goes to the DLQ. `make_apply` applies a batch in the consumer's transaction, in order, after validating
the batch's new cookies concurrently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from livestudio_ingest.commands import AccountCommands
from livestudio_ingest.prevalidation import BatchCookieValidator
from livestudio_runtime.db import DbConnection
from livestudio_runtime.exactly_once import Decoded, PoisonMessage
from livestudio_runtime.kafka import decode_envelope
from livestudio_schemas.commands import COMMAND, Command, owner_of


@dataclass(frozen=True, slots=True)
class InvalidCommand:
    command_id: str
    kind: str
    reason: str


IngestCommand = Command | InvalidCommand | None
"""None: not ours (another owner's command, or another event type)."""


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}")
    return "invalid command: " + "; ".join(parts)


def decode_command(record: ConsumerRecord[bytes, bytes]) -> IngestCommand:
    try:
        envelope = decode_envelope(record.value or b"")
    except ValidationError as exc:
        raise PoisonMessage(f"not a CloudEvent: {exc.error_count()} validation error(s)") from None
    if envelope.type != COMMAND:
        return None
    data = envelope.data
    inner = data.get("command")
    kind = inner.get("kind") if isinstance(inner, dict) else None
    if not isinstance(kind, str):
        raise PoisonMessage("command without a kind")
    try:
        if owner_of(kind) != "ingest":
            return None
    except ValueError:
        return None
    try:
        return Command.model_validate(data)
    except ValidationError as exc:
        command_id = data.get("command_id")
        if isinstance(command_id, str) and command_id:
            return InvalidCommand(command_id, kind, _reason(exc))
        raise PoisonMessage(_reason(exc)) from None


def make_apply(
    commands: AccountCommands, prevalidator: BatchCookieValidator | None = None
) -> Callable[[DbConnection, Sequence[Decoded[IngestCommand]]], Awaitable[None]]:
    """Apply a batch in order; with a `prevalidator`, the batch's new cookies are validated concurrently first."""

    async def apply(conn: DbConnection, batch: Sequence[Decoded[IngestCommand]]) -> None:
        if prevalidator is not None:
            valid = [r.value for r in batch if isinstance(r.value, Command)]
            if len(valid) > 1:
                await prevalidator.prefetch(await commands.cookies_to_validate(conn, valid))
        try:
            for record in batch:
                value = record.value
                if value is None:
                    continue
                if isinstance(value, InvalidCommand):
                    await commands.reject(conn, value.command_id, value.kind, value.reason)
                else:
                    await commands.apply(conn, value)
        finally:
            if prevalidator is not None:
                prevalidator.clear()

    return apply
