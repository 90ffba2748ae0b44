"""The consumer's decode and apply functions: Kafka records in, calls into attribution and commands out.

One exactly-once consumer (group `livestudio-commission`) reads the session, affiliate and commands topics.
`decode` runs outside the transaction and raises `PoisonMessage` for records that can never be applied (they
go to the DLQ); unknown event types and other services' commands decode to `Ignored`. `apply` runs inside the
transaction that also stores the offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka.structs import ConsumerRecord
from pydantic import BaseModel, ValidationError

from livestudio_commission import checkouts, commands, income, sessions
from livestudio_commission.attribution import Observation, ObservationKind
from livestudio_runtime.db import DbConnection
from livestudio_runtime.exactly_once import Decoded, PoisonMessage
from livestudio_runtime.kafka import decode_envelope
from livestudio_schemas.affiliate import AFFILIATE_CHECKOUT, AffiliateCheckout
from livestudio_schemas.commands import COMMAND, Command
from livestudio_schemas.session import (
    SESSION_CORRECTED,
    SESSION_ENDED,
    SESSION_SNAPSHOT,
    SessionCorrected,
    SessionEnded,
    SessionObservation,
    SessionSnapshot,
)
from livestudio_schemas.topics import Topic

_SESSION_MODELS: dict[str, tuple[type[SessionObservation], ObservationKind]] = {
    SESSION_SNAPSHOT: (SessionSnapshot, "snapshot"),
    SESSION_ENDED: (SessionEnded, "ended"),
    SESSION_CORRECTED: (SessionCorrected, "corrected"),
}


@dataclass(frozen=True)
class SessionEvent:
    observation: Observation


@dataclass(frozen=True)
class CheckoutEvent:
    checkout: income.Checkout


@dataclass(frozen=True)
class CommandEvent:
    command: Command


@dataclass(frozen=True)
class InvalidCommand:
    """One of our commands whose payload does not validate: recorded as rejected, not dead-lettered."""

    command_id: str
    kind: str
    error: str


@dataclass(frozen=True)
class Ignored:
    reason: str


Message = SessionEvent | CheckoutEvent | CommandEvent | InvalidCommand | Ignored


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def observation_of(event: SessionObservation, kind: ObservationKind) -> Observation:
    """The event reduced to attribution's input; times in UTC (comparisons then need no zone arithmetic)."""
    m = event.metrics
    return Observation(
        kind=kind,
        account_id=event.account_id,
        session_id=event.session_id,
        studio_id=event.studio_id,
        started_at=event.started_at.astimezone(UTC),
        observed_at=event.observed_at.astimezone(UTC),
        values={
            "placed_orders": m.placed_orders,
            "placed_sales": m.placed_sales,
            "confirmed_orders": m.confirmed_orders,
            "confirmed_sales": m.confirmed_sales,
        },
        ended_at=_utc(event.ended_at) if isinstance(event, SessionEnded | SessionCorrected) else None,
        on_air=event.on_air if isinstance(event, SessionSnapshot) else None,
        duration_ms=event.duration_ms,
        timezone=event.timezone,
        currency=event.currency,
    )


def checkout_of(event: AffiliateCheckout) -> income.Checkout:
    """The event reduced to income attribution's input; times in UTC."""
    return income.Checkout(
        account_id=event.account_id,
        checkout_id=event.checkout_id,
        studio_id=event.studio_id,
        source=event.source,
        status=event.status,
        purchased_at=event.purchased_at.astimezone(UTC),
        observed_at=event.observed_at.astimezone(UTC),
        currency=event.currency,
        timezone=event.timezone,
        figures={
            "estimated": event.estimated_commission,
            "estimated_with_mcn": event.estimated_commission_with_mcn,
            "final": event.final_commission,
            "final_with_mcn": event.final_commission_with_mcn,
            "gmv": event.gmv,
        },
    )


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PoisonMessage(f"{model.__name__}: {exc}") from exc


@dataclass(frozen=True)
class Handlers:
    session_topic: str
    commands_topic: str
    default_timezone: str = "Asia/Jakarta"
    affiliate_topic: str = Topic.AFFILIATE.value

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> Message:
        try:
            envelope = decode_envelope(record.value or b"")
        except ValidationError as exc:
            raise PoisonMessage(f"not a CloudEvent: {exc}") from exc
        if record.topic == self.commands_topic:
            return self._decode_command(envelope.type, envelope.data)
        if record.topic == self.affiliate_topic:
            if envelope.type != AFFILIATE_CHECKOUT:
                return Ignored(f"event type {envelope.type}")
            return CheckoutEvent(checkout_of(_validate(AffiliateCheckout, envelope.data)))
        spec = _SESSION_MODELS.get(envelope.type)
        if spec is None:
            return Ignored(f"event type {envelope.type}")
        model, kind = spec
        return SessionEvent(observation_of(_validate(model, envelope.data), kind))

    def _decode_command(self, type_: str, data: dict[str, Any]) -> Message:
        if type_ != COMMAND:
            return Ignored(f"event type {type_}")
        body = data.get("command")
        kind = body.get("kind") if isinstance(body, dict) else None
        if not isinstance(kind, str):
            raise PoisonMessage("command without a kind")
        if not commands.owned(kind):
            return Ignored(f"command {kind} is not ours")
        try:
            return CommandEvent(Command.model_validate(data))
        except ValidationError as exc:
            command_id = data.get("command_id")
            if isinstance(command_id, str) and command_id:
                return InvalidCommand(command_id, kind, f"invalid command: {exc}")
            raise PoisonMessage(f"invalid command without an id: {exc}") from exc

    async def apply(self, conn: DbConnection, batch: Sequence[Decoded[Message]]) -> None:
        await sessions.apply_observations(
            conn, [d.value.observation for d in batch if isinstance(d.value, SessionEvent)]
        )
        await checkouts.apply_checkouts(conn, [d.value.checkout for d in batch if isinstance(d.value, CheckoutEvent)])
        for d in batch:
            if isinstance(d.value, CommandEvent):
                await commands.apply_command(conn, d.value.command, default_timezone=self.default_timezone)
            elif isinstance(d.value, InvalidCommand):
                await commands.record_invalid(conn, d.value.command_id, d.value.kind, d.value.error)
