"""Decoding records: ours, the commission's studio.upsert/remove (for the timezone), others ignored, garbage to the
DLQ."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aiokafka.structs import ConsumerRecord

from livestudio_alerts.handlers import AccountEvent, CommandEvent, Handlers, Ignored, InvalidCommand, LiveEvent
from livestudio_runtime.exactly_once import PoisonMessage
from tests.alerts.kit import account_event, command

H = Handlers("acc", "ses", "cmd", "Asia/Jakarta", None)


def record(topic: str, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 0, 0, 0, 0, None, value, None, 0, len(value), [])


def test_account_and_session_events() -> None:
    decoded = H.decode(record("acc", account_event("a1", "degraded", datetime.now(UTC))[1]))
    assert isinstance(decoded, AccountEvent) and decoded.status.state == "degraded"
    snapshot = {
        "specversion": "1.0",
        "id": "x",
        "source": "/t",
        "type": "livestudio.session.snapshot.v1",
        "dataschema": "x",
        "time": "2026-03-04T05:00:00Z",
        "data": {
            "account_id": "a1",
            "studio_id": "st1",
            "session_id": 7,
            "observed_at": "2026-03-04T05:00:00Z",
            "on_air": True,
            "metrics": {},
        },
    }
    live = H.decode(record("ses", json.dumps(snapshot).encode()))
    assert isinstance(live, LiveEvent) and live.on_air and live.session_id == 7


def test_commands() -> None:
    ours = H.decode(record("cmd", command({"kind": "alert.rule.remove", "rule_id": "r", "studio_id": "st1"})[1]))
    assert isinstance(ours, CommandEvent)
    studio = H.decode(record("cmd", command({"kind": "studio.upsert", "studio_id": "st1", "name": "S"})[1]))
    assert isinstance(studio, CommandEvent)
    removed = H.decode(record("cmd", command({"kind": "studio.remove", "studio_id": "st1"})[1]))
    assert isinstance(removed, CommandEvent)
    raw = json.loads(command({"kind": "alert.rule.remove", "rule_id": "r", "studio_id": "st1"})[1])
    raw["data"]["command"]["rule_id"] = ""
    invalid = H.decode(record("cmd", json.dumps(raw).encode()))
    assert isinstance(invalid, InvalidCommand) and invalid.kind == "alert.rule.remove"
    raw["data"]["command"] = {"kind": "host.upsert", "host_id": "h", "studio_id": "s", "name": "n"}
    assert isinstance(H.decode(record("cmd", json.dumps(raw).encode())), Ignored)


def test_garbage_goes_to_the_dlq() -> None:
    with pytest.raises(PoisonMessage):
        H.decode(record("acc", b"{not json"))
    bad = json.loads(account_event("a1", "degraded", datetime.now(UTC))[1])
    bad["data"]["state"] = "exploded"
    with pytest.raises(PoisonMessage):
        H.decode(record("acc", json.dumps(bad).encode()))
