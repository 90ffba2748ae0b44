"""The committed contract matches the models, and the compatibility rule catches breaking changes."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from livestudio_schemas.commands import AccountPause, Command
from livestudio_schemas.compat import breaking_changes
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id
from livestudio_schemas.export import CONTRACT_DIR, asyncapi_document, json_schemas
from livestudio_schemas.registry import EVENTS
from livestudio_schemas.session import SESSION_SNAPSHOT, SessionMetrics, SessionSnapshot
from livestudio_schemas.topics import Topic

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def committed(type_: str) -> dict[str, object]:
    return json.loads((CONTRACT_DIR / f"{type_}.schema.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("spec", EVENTS, ids=lambda s: s.type)
def test_committed_schema_is_current(spec: object) -> None:
    """Run `uv run python -m livestudio_schemas.export` and commit the result after changing a model."""
    type_ = spec.type  # type: ignore[attr-defined]
    assert json_schemas()[type_] == committed(type_), f"{type_}: exported schema is stale"


@pytest.mark.parametrize("spec", EVENTS, ids=lambda s: s.type)
def test_models_are_backward_compatible_with_committed(spec: object) -> None:
    type_ = spec.type  # type: ignore[attr-defined]
    assert breaking_changes(committed(type_), json_schemas()[type_]) == []


def test_asyncapi_document_is_committed_and_lists_every_topic() -> None:
    doc = asyncapi_document()
    assert doc == json.loads((CONTRACT_DIR / "asyncapi.json").read_text())
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {t.value for t in Topic}


def _schema() -> dict[str, object]:
    return copy.deepcopy(json_schemas()[SESSION_SNAPSHOT])


def test_removing_a_field_is_breaking() -> None:
    new = _schema()
    del new["$defs"]["SessionMetrics"]["properties"]["views"]  # type: ignore[index]
    assert any("views" in p for p in breaking_changes(_schema(), new))


def test_making_an_optional_field_required_is_breaking() -> None:
    new = _schema()
    new["$defs"]["SessionSnapshot"]["required"].append("title")  # type: ignore[index]
    assert any("title: became required" in p for p in breaking_changes(_schema(), new))


def test_tightening_a_type_is_breaking() -> None:
    new = _schema()
    new["$defs"]["SessionMetrics"]["properties"]["views"] = {"type": "integer", "minimum": 0}  # type: ignore[index]
    assert any("no longer accepted" in p for p in breaking_changes(_schema(), new))


def test_adding_an_optional_field_is_compatible() -> None:
    new = _schema()
    new["$defs"]["SessionMetrics"]["properties"]["gifts"] = {"anyOf": [{"type": "integer"}, {"type": "null"}]}  # type: ignore[index]
    assert breaking_changes(_schema(), new) == []


def test_money_is_exact_and_unknown_stays_null() -> None:
    snap = SessionSnapshot(
        account_id="a1",
        studio_id="s1",
        session_id=123456789,
        started_at=NOW,
        observed_at=NOW,
        source="overview",
        on_air=True,
        metrics=SessionMetrics(placed_sales=Decimal("1234567.50"), views=None, placed_orders=3),
    )
    event = CloudEvent.wrap(
        snap,
        type_=SESSION_SNAPSHOT,
        source="/livestudio/ingest",
        time=NOW,
        subject="a1:123456789",
        id_=deterministic_event_id("a1", 123456789, NOW),
    )
    raw = json.loads(event.model_dump_json())
    assert raw["data"]["metrics"]["placed_sales"] == "1234567.50"
    assert raw["data"]["metrics"]["views"] is None
    back = CloudEvent[SessionSnapshot].model_validate_json(event.model_dump_json())
    assert back.data.metrics.placed_sales == Decimal("1234567.50")
    assert back.specversion == "1.0"


def test_event_ids_are_deterministic() -> None:
    assert deterministic_event_id("a", 1, NOW) == deterministic_event_id("a", 1, NOW)
    assert deterministic_event_id("a", 1, NOW) != deterministic_event_id("a", 2, NOW)


def test_naive_timestamps_and_negative_counts_are_rejected() -> None:
    with pytest.raises(ValidationError):
        SessionMetrics(views=-1)
    with pytest.raises(ValidationError):
        SessionSnapshot(
            account_id="a",
            studio_id="s",
            session_id=1,
            started_at=datetime(2026, 1, 1),
            observed_at=NOW,
            source="overview",
            on_air=True,
            metrics=SessionMetrics(),
        )


def test_commands_are_a_discriminated_union() -> None:
    cmd = Command.model_validate(
        {
            "command_id": "c1",
            "actor": "u1",
            "issued_at": NOW.isoformat(),
            "command": {"kind": "account.pause", "account_id": "a1"},
        }
    )
    assert isinstance(cmd.command, AccountPause)
    with pytest.raises(ValidationError):
        Command.model_validate(
            {
                "command_id": "c1",
                "actor": "u1",
                "issued_at": NOW.isoformat(),
                "command": {"kind": "account.explode", "account_id": "a1"},
            }
        )


def test_command_inputs_are_bounded() -> None:
    """#17: ids anchored (no trailing newline), no control characters, no far-future times."""
    from livestudio_schemas.commands import HostCheckIn, HostUpsert

    HostUpsert(host_id="host-1", studio_id="studio-a", name="Ayu")
    for bad in (
        {"host_id": "host-1\n"},
        {"studio_id": "studio-a\n"},
        {"host_id": "-x"},
        {"host_id": "x" * 129},
        {"name": "Ayu\x00"},
        {"name": "Ayu\n"},
        {"role": "host\n"},
    ):
        with pytest.raises(ValidationError):
            HostUpsert(**{"host_id": "host-1", "studio_id": "studio-a", "name": "Ayu", **bad})
    with pytest.raises(ValidationError):
        HostCheckIn.model_validate({"host_id": "h", "account_id": "a", "at": "9999-12-31T23:00:00Z"})
    HostCheckIn.model_validate({"host_id": "h", "account_id": "a", "at": "2026-12-07T10:00:00+07:00"})
