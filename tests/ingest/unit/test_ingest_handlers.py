"""Decoding the commands topic: ours, others', broken ones (rejected with a reason) and garbage (DLQ)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord

from livestudio_ingest.handlers import InvalidCommand, decode_command
from livestudio_runtime.exactly_once import PoisonMessage
from livestudio_schemas.commands import AccountPause, Command, HostUpsert
from tests.ingest.kit import command_event


def _record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="c",
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value),
        headers=(),
    )


def test_account_commands_are_decoded() -> None:
    cid, body = command_event(AccountPause(account_id="a1"))
    decoded = decode_command(_record(body))
    assert isinstance(decoded, Command)
    assert decoded.command_id == cid


def test_other_owners_commands_are_ignored() -> None:
    _, body = command_event(HostUpsert(host_id="h1", studio_id="s1", name="Ana"))
    assert decode_command(_record(body)) is None


def test_a_broken_ingest_command_is_rejected_with_a_reason_and_no_secret() -> None:
    _, body = command_event(AccountPause(account_id="a1"), command_id="cmd-broken")
    event: dict[str, Any] = json.loads(body)
    event["data"]["command"] = {
        "kind": "account.connect",
        "account_id": "a1",
        "encrypted_cookie": "gAAAAA-secret-token",
    }
    decoded = decode_command(_record(json.dumps(event).encode()))
    assert isinstance(decoded, InvalidCommand)
    assert decoded.command_id == "cmd-broken"
    assert "studio_id" in decoded.reason
    assert "secret-token" not in decoded.reason


def test_garbage_goes_to_the_dead_letter_queue() -> None:
    with pytest.raises(PoisonMessage):
        decode_command(_record(b"not json at all"))
