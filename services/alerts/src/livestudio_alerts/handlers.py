"""The consumer's decode and apply functions: account, session and command records in, decisions out.

One exactly-once consumer (group `livestudio-alerts`) reads `shopee.account.v1`, `shopee.live.session.v1` and
`livestudio.commands.v1`. `decode` runs outside the transaction and raises `PoisonMessage` for records that can
never be applied (they go to the DLQ); other event types and other services' commands decode to `Ignored`.
`apply` runs inside the transaction that also stores the offsets, so a notification an account event causes
(its idempotency key, its outbox rows) commits exactly when the offsets do: a crash before the commit replays
the event and decides again, a crash after it never decides twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka.structs import ConsumerRecord
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from livestudio_alerts import commands, notify
from livestudio_alerts import repository as repo
from livestudio_alerts.egress import EgressPolicy
from livestudio_alerts.rules import AccountView, account_unhealthy
from livestudio_runtime.db import DbConnection
from livestudio_runtime.exactly_once import Decoded, PoisonMessage
from livestudio_runtime.kafka import decode_envelope
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.account import ACCOUNT_STATUS, AccountStatus
from livestudio_schemas.commands import COMMAND, Command
from livestudio_schemas.session import SESSION_ENDED, SESSION_SNAPSHOT
from livestudio_schemas.types import AwareDatetime


class _LiveView(BaseModel):
    """The few fields of a session event this service needs (the rest is not validated here)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    account_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    session_id: int = Field(gt=0)
    observed_at: AwareDatetime
    on_air: bool = False


@dataclass(frozen=True)
class AccountEvent:
    status: AccountStatus


@dataclass(frozen=True)
class LiveEvent:
    account_id: str
    studio_id: str
    session_id: int
    on_air: bool
    observed_at: datetime


@dataclass(frozen=True)
class CommandEvent:
    command: Command


@dataclass(frozen=True)
class InvalidCommand:
    command_id: str
    kind: str
    error: str


@dataclass(frozen=True)
class Ignored:
    reason: str


Message = AccountEvent | LiveEvent | CommandEvent | InvalidCommand | Ignored


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PoisonMessage(f"{model.__name__}: {exc}") from exc


@dataclass(frozen=True)
class Handlers:
    account_topic: str
    session_topic: str
    commands_topic: str
    default_timezone: str
    cipher: CookieCipher | None
    egress: EgressPolicy = field(default_factory=EgressPolicy)
    notify_max_age: timedelta = timedelta(hours=1)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> Message:
        try:
            envelope = decode_envelope(record.value or b"")
        except ValidationError as exc:
            raise PoisonMessage(f"not a CloudEvent: {exc}") from exc
        if record.topic == self.commands_topic:
            return self._decode_command(envelope.type, envelope.data)
        if envelope.type == ACCOUNT_STATUS:
            return AccountEvent(_validate(AccountStatus, envelope.data))
        if envelope.type in (SESSION_SNAPSHOT, SESSION_ENDED):
            view: _LiveView = _validate(_LiveView, envelope.data)
            on_air = view.on_air if envelope.type == SESSION_SNAPSHOT else False
            return LiveEvent(view.account_id, view.studio_id, view.session_id, on_air, view.observed_at)
        return Ignored(f"event type {envelope.type}")

    def _decode_command(self, type_: str, data: dict[str, Any]) -> Message:
        if type_ != COMMAND:
            return Ignored(f"event type {type_}")
        body = data.get("command")
        kind = body.get("kind") if isinstance(body, dict) else None
        if not isinstance(kind, str):
            raise PoisonMessage("command without a kind")
        if not commands.owned(kind) and kind not in commands.STUDIO_KINDS:
            return Ignored(f"command {kind} is not ours")
        try:
            return CommandEvent(Command.model_validate(data))
        except ValidationError as exc:
            command_id = data.get("command_id")
            if not commands.owned(kind):
                return Ignored(f"invalid {kind} (the commission records it)")
            if isinstance(command_id, str) and command_id:
                return InvalidCommand(command_id, kind, f"invalid command: {exc}")
            raise PoisonMessage(f"invalid command without an id: {exc}") from exc

    async def apply(self, conn: DbConnection, batch: Sequence[Decoded[Message]]) -> None:
        """Commands and account events in order; session events (the bulk of the traffic) reduced to the newest per
        account and written in one pipelined statement."""
        timezones = await repo.studio_timezones(conn)
        live: dict[str, LiveEvent] = {}
        for d in batch:
            value = d.value
            if isinstance(value, LiveEvent):
                seen = live.get(value.account_id)
                if seen is None or seen.observed_at <= value.observed_at:
                    live[value.account_id] = value
            elif isinstance(value, AccountEvent):
                await self._account(conn, value.status, timezones)
            elif isinstance(value, CommandEvent):
                await commands.apply_command(conn, value.command, self.cipher, self.egress)
                if value.command.command.kind in commands.STUDIO_KINDS:
                    timezones = await repo.studio_timezones(conn)
            elif isinstance(value, InvalidCommand):
                await commands.record_invalid(conn, value.command_id, value.kind, value.error)
        await repo.observe_live(
            conn, [(e.account_id, e.studio_id, e.session_id, e.on_air, e.observed_at) for e in live.values()]
        )

    async def _account(self, conn: DbConnection, s: AccountStatus, timezones: dict[str, str]) -> None:
        previous = await repo.lock_account(conn, s.account_id)
        observed_at = s.observed_at.astimezone(UTC)
        if previous is not None and previous.observed_at > observed_at:
            return  # an older observation than the one applied: nothing new
        current = AccountView(
            account_id=s.account_id,
            studio_id=s.studio_id,
            display_name=s.display_name,
            state=s.state,
            observed_at=observed_at,
            last_successful_poll_at=s.last_successful_poll_at,
            on_air=s.on_air_session_id is not None,
        )
        await repo.save_account(conn, current, reason=s.reason, on_air_session_id=s.on_air_session_id)
        if current.display_name is None and previous is not None:
            current = replace(current, display_name=previous.display_name)
        if self.clock() - observed_at > self.notify_max_age:
            return  # old history (a first start, a replay): the state is kept, nobody is told about the past
        timezone = timezones.get(s.studio_id, self.default_timezone)
        for rule in await repo.rules_of_studio(conn, s.studio_id, "account_unhealthy"):
            alert = account_unhealthy(rule, previous.state if previous else None, current, s.reason)
            if alert is not None:
                await notify.record(conn, alert, rule, timezone=timezone, channel_ids=rule.channel_ids)
