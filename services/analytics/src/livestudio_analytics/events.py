"""Decoding of the records the analytics consumer reads into the domain values it applies.

One decoder per topic: session events (snapshot / ended / corrected, chosen by the envelope `type`), item
snapshots and commands. Session and item events, every record of a busy consumer, are decoded by
`livestudio_schemas.fast` (msgspec Structs of the contract models, with pydantic judging anything unusual).
Anything that cannot be applied (invalid JSON, schema violations, impossible values) raises `PoisonMessage` and
goes to the DLQ. Commands are different: those owned by another service are ignored
without looking further, and an `adspend.enter` that fails validation but has a `command_id` becomes a
*rejected* outcome (the gateway shows it) instead of a dead letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from livestudio_analytics import observations as obs
from livestudio_analytics.lww import State
from livestudio_runtime import ownership
from livestudio_runtime.exactly_once import PoisonMessage
from livestudio_schemas.commands import COMMAND, AdSpendEnter, Command, owner_of
from livestudio_schemas.envelope import CloudEvent, RawCloudEvent
from livestudio_schemas.fast import FastDecoder
from livestudio_schemas.item import ItemSnapshotsEvent
from livestudio_schemas.session import SessionCorrectedEvent, SessionEndedEvent, SessionSnapshotEvent

OWNER = "analytics"
SessionKind = obs.SessionKind


# --- decoded values ----------------------------------------------------------------------------------------
class SessionEvent:
    """A checked session observation. Its row and chart point are built on first use: a batch needs them only
    for observations that a newer one in the same batch does not supersede."""

    __slots__ = ("_point", "_states", "account_id", "kind", "observed_at", "payload", "session_id", "started_at")

    def __init__(self, kind: SessionKind, payload: obs.SessionPayload, times: tuple[datetime, datetime]) -> None:
        self.kind = kind
        self.payload = payload
        self.account_id: str = payload.account_id
        self.session_id: int = payload.session_id
        self.observed_at, self.started_at = times  # UTC
        self._states: tuple[State, tuple[datetime, State] | None] | None = None
        self._point: tuple[datetime, State] | Literal[False] | None = False

    def _built(self) -> tuple[State, tuple[datetime, State] | None]:
        if self._states is None:
            self._states = obs.session_states(self.payload, self.kind, self.observed_at, self.started_at)
        return self._states

    @property
    def session(self) -> State:
        return self._built()[0]

    @property
    def point(self) -> tuple[datetime, State] | None:
        """(minute, timeline point) for live figures; None for corrections."""
        if self._states is not None:
            return self._states[1]
        if self._point is False:
            self._point = obs.timeline_point(self.payload, self.kind, self.observed_at, self.started_at)
        return self._point

    @property
    def chart_minute(self) -> datetime:
        """The minute of its chart point (without building it): see `observations.chart_time`."""
        return obs.minute_of(obs.chart_time(self.payload, self.kind, self.observed_at, self.started_at))

    def __repr__(self) -> str:
        return f"SessionEvent({self.kind}, {self.account_id}:{self.session_id} @ {self.observed_at.isoformat()})"


@dataclass(frozen=True, slots=True)
class ItemsEvent:
    account_id: str
    session_id: int
    observed_at: datetime
    items: tuple[tuple[int, State], ...]


@dataclass(frozen=True, slots=True)
class AdSpendEntry:
    command_id: str
    issued_at: datetime
    account_id: str
    studio_id: str
    day: date
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class CommandRejected:
    command_id: str
    kind: str
    error: str


@dataclass(frozen=True, slots=True)
class CommandIgnored:
    """A command for another owner (or of a kind this version does not know)."""

    kind: str
    owner: str


Event = SessionEvent | ItemsEvent | AdSpendEntry | CommandRejected | CommandIgnored


# --- session and item topics -------------------------------------------------------------------------------
_SESSIONS = FastDecoder([SessionSnapshotEvent, SessionEndedEvent, SessionCorrectedEvent], tag_field="type")
_KIND: dict[type[Any], SessionKind] = {
    SessionSnapshotEvent: "snapshot",
    SessionEndedEvent: "ended",
    SessionCorrectedEvent: "corrected",
}


def safe_text(text: str) -> str:
    """Text that Postgres and Kafka headers accept: no NUL, no lone surrogates (they can come from JSON keys)."""
    return text.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode("utf-8")


def _short(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]]
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return safe_text("; ".join(parts) + more)[:1000]


def _bytes(raw: bytes | None) -> bytes:
    if not raw:
        raise PoisonMessage("empty record")
    return raw


def decode_session(raw: bytes | None) -> SessionEvent:
    try:
        event = _SESSIONS.decode(_bytes(raw))
    except ValidationError as exc:
        raise PoisonMessage(f"invalid session event: {_short(exc)}") from None
    kind = _KIND[_SESSIONS.model_of(event)]
    payload = event.data
    return SessionEvent(kind, payload, obs.check_session(payload, kind))


_ITEMS = FastDecoder([ItemSnapshotsEvent])


def decode_items(raw: bytes | None) -> ItemsEvent:
    try:
        event = _ITEMS.decode(_bytes(raw))
    except ValidationError as exc:
        raise PoisonMessage(f"invalid item event: {_short(exc)}") from None
    payload = event.data
    return ItemsEvent(
        account_id=payload.account_id,
        session_id=payload.session_id,
        observed_at=payload.observed_at,
        items=obs.item_states(payload),
    )


# --- commands ----------------------------------------------------------------------------------------------
_COMMAND_ADAPTER: TypeAdapter[CloudEvent[Command]] = TypeAdapter(CloudEvent[Command])


def decode_command(raw: bytes | None) -> AdSpendEntry | CommandRejected | CommandIgnored:
    try:
        envelope = RawCloudEvent.model_validate_json(_bytes(raw))
    except ValidationError as exc:
        raise PoisonMessage(f"invalid command envelope: {_short(exc)}") from None
    if envelope.type != COMMAND:
        raise PoisonMessage(f"unexpected event type {envelope.type!r} on the commands topic")
    body = envelope.data.get("command")
    kind = body.get("kind") if isinstance(body, dict) else None
    if not isinstance(kind, str):
        raise PoisonMessage("command without a kind")
    kind = safe_text(kind)[:100]
    try:
        owner = owner_of(kind)
    except ValueError:
        return CommandIgnored(kind=kind, owner="unknown")
    if owner != OWNER:
        return CommandIgnored(kind=kind, owner=owner)

    command_id = envelope.data.get("command_id")
    if not isinstance(command_id, str) or not command_id:
        raise PoisonMessage(f"{kind} command without a command_id")
    obs.check_text("command_id", command_id)
    try:
        command = _COMMAND_ADAPTER.validate_json(_bytes(raw)).data
    except ValidationError as exc:
        return CommandRejected(command_id=command_id, kind=kind, error=_short(exc))
    inner = command.command
    if not isinstance(inner, AdSpendEnter):
        return CommandRejected(command_id=command_id, kind=kind, error=f"analytics does not apply {kind!r}")
    try:
        obs.check_text("account_id", inner.account_id)
        obs.check_text("studio_id", inner.studio_id)
        obs.check_currency(inner.currency)
        # the one ownership rule's caller checks: the role may write, the command's studio is the caller's; that
        # the account is in that studio is checked by the gateway against ingest.accounts, the account's owner
        ownership.check_role(inner, command.scope)
        ownership.acting_studio(inner, command.scope)
    except (PoisonMessage, ownership.NotFound, ownership.NotAllowed) as exc:
        return CommandRejected(command_id=command_id, kind=kind, error=str(exc))
    return AdSpendEntry(
        command_id=command.command_id,
        issued_at=command.issued_at,
        account_id=inner.account_id,
        studio_id=inner.studio_id,
        day=inner.day,
        amount=inner.amount,
        currency=inner.currency,
    )
