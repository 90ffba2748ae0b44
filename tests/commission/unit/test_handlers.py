"""Decoding consumer records: session events, our commands, other services' commands, invalid ones, poison."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aiokafka.structs import ConsumerRecord

from livestudio_commission.handlers import CommandEvent, Handlers, Ignored, InvalidCommand, SessionEvent
from livestudio_runtime.exactly_once import PoisonMessage
from tests.commission.kit import command, local, session_event

SESSIONS, COMMANDS = "s.topic", "c.topic"
HANDLERS = Handlers(SESSIONS, COMMANDS)
DAY = datetime(2026, 3, 2).date()


def record(topic: str, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 0, 0, 0, 0, b"k", value, None, 1, len(value), ())


def test_session_events_become_observations_in_utc() -> None:
    _, value = session_event(
        "ended", "acc", 1, local(DAY, 9), local(DAY, 11), placed=10, confirmed=None, ended_at=local(DAY, 11)
    )
    decoded = HANDLERS.decode(record(SESSIONS, value))
    assert isinstance(decoded, SessionEvent)
    obs = decoded.observation
    assert obs.kind == "ended" and obs.observed_at == datetime(2026, 3, 2, 4, tzinfo=UTC)
    assert obs.observed_at.tzinfo is UTC and obs.ended_at is not None and obs.ended_at.tzinfo is UTC
    assert obs.values["placed_sales"] == 10 and obs.values["confirmed_sales"] is None
    _, snapshot = session_event("snapshot", "acc", 1, local(DAY, 9), local(DAY, 10), on_air=False)
    decoded = HANDLERS.decode(record(SESSIONS, snapshot))
    assert isinstance(decoded, SessionEvent) and decoded.observation.on_air is False


def test_commands_are_ours_or_ignored_or_rejected() -> None:
    _, ours = command({"kind": "schedule.remove", "entry_id": "e1"}, command_id="c1")
    assert isinstance(HANDLERS.decode(record(COMMANDS, ours)), CommandEvent)
    _, theirs = command({"kind": "account.pause", "account_id": "a"}, command_id="c2")
    assert isinstance(HANDLERS.decode(record(COMMANDS, theirs)), Ignored)
    broken = json.loads(ours)
    broken["data"]["command"]["entry_id"] = ""
    invalid = HANDLERS.decode(record(COMMANDS, json.dumps(broken).encode()))
    assert isinstance(invalid, InvalidCommand) and invalid.command_id == "c1" and invalid.kind == "schedule.remove"
    unknown = json.loads(ours)
    unknown["data"]["command"] = {"kind": "teleport.now"}
    assert isinstance(HANDLERS.decode(record(COMMANDS, json.dumps(unknown).encode())), Ignored)


def test_other_event_types_are_ignored() -> None:
    _, value = session_event("snapshot", "acc", 1, local(DAY, 9), local(DAY, 10))
    other = json.loads(value)
    other["type"] = "livestudio.session.something_new.v1"
    assert isinstance(HANDLERS.decode(record(SESSIONS, json.dumps(other).encode())), Ignored)


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        (SESSIONS, b"{not json"),
        (SESSIONS, b"{}"),
        (COMMANDS, b'{"specversion": "1.0"}'),
    ],
)
def test_poison_goes_to_the_dlq(topic: str, value: bytes) -> None:
    with pytest.raises(PoisonMessage):
        HANDLERS.decode(record(topic, value))


def test_invalid_session_payload_is_poison() -> None:
    _, value = session_event("snapshot", "acc", 1, local(DAY, 9), local(DAY, 10))
    broken = json.loads(value)
    broken["data"]["session_id"] = -5
    with pytest.raises(PoisonMessage, match="SessionSnapshot"):
        HANDLERS.decode(record(SESSIONS, json.dumps(broken).encode()))
    no_kind = json.loads(command({"kind": "schedule.remove", "entry_id": "e1"})[1])
    no_kind["data"]["command"] = "nope"
    with pytest.raises(PoisonMessage, match="kind"):
        HANDLERS.decode(record(COMMANDS, json.dumps(no_kind).encode()))
