"""A TypedDict twin accepts and rejects exactly what its model does, and holds the same values as plain dicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from livestudio_schemas.envelope import CloudEvent
from livestudio_schemas.item import ItemMetrics, ItemSnapshots
from livestudio_schemas.plain import typed_dict_twin
from livestudio_schemas.session import SessionCorrected, SessionEnded, SessionMetrics, SessionSnapshot

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
_COMMON: dict[str, Any] = {
    "account_id": "acc-1",
    "studio_id": "st-1",
    "session_id": 77,
    "title": "Live",
    "started_at": NOW - timedelta(hours=1),
    "observed_at": NOW,
    "source": "overview",
    "metrics": SessionMetrics(views=10, placed_sales=Decimal("1234.50"), conversion_rate=Decimal("0.012345")),
}
SAMPLES: list[tuple[type[BaseModel], BaseModel]] = [
    (SessionSnapshot, SessionSnapshot(**_COMMON, on_air=True)),
    (SessionEnded, SessionEnded(**_COMMON, ended_at=NOW)),
    (SessionCorrected, SessionCorrected(**_COMMON, reason="backfill")),
    (
        ItemSnapshots,
        ItemSnapshots(
            account_id="acc-1",
            studio_id="st-1",
            session_id=77,
            observed_at=NOW,
            items=[ItemMetrics(item_id=9, title="Lipstick", min_price=Decimal(5000)), ItemMetrics(item_id=10)],
        ),
    ),
]


def _event(model: type[BaseModel], data: BaseModel) -> tuple[type[BaseModel], bytes]:
    envelope = CloudEvent[model]  # type: ignore[valid-type]
    raw = envelope(id="e-1", source="/test", type="t", time=NOW, dataschema="s", data=data).model_dump_json()
    return envelope, raw.encode()


def _declared(value: Any) -> Any:
    """A model's declared fields as plain data (extras left out: twins drop them)."""
    if isinstance(value, BaseModel):
        return {name: _declared(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [_declared(v) for v in value]
    return value


def _outcome(adapter: TypeAdapter[Any], raw: bytes) -> tuple[bool, Any]:
    try:
        return True, adapter.validate_json(raw)
    except ValidationError:
        return False, None


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            out += _paths(child, (*prefix, i))
    return out


_REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.sampled_from(
        ["2026-11-01T00:00:00", "2026-11-01T00:00:00+07:00", "1.005", "12.5", "-1", "1e3", "IDR", "", "overview"]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["item_id", "views", "x"]), st.integers(min_value=-1, max_value=3), max_size=2),
    st.just("<delete>"),
)


@pytest.mark.parametrize(("model", "data"), SAMPLES, ids=lambda x: getattr(x, "__name__", ""))
@settings(max_examples=150, deadline=None)
@given(choice=st.data())
def test_twin_accepts_and_rejects_what_the_model_does(model: type[BaseModel], data: BaseModel, choice: Any) -> None:
    envelope, raw = _event(model, data)
    doc = json.loads(raw)
    path = choice.draw(st.sampled_from(_paths(doc)))
    replacement = choice.draw(_REPLACEMENTS)
    node = doc
    for part in path[:-1]:
        node = node[part]
    if replacement == "<delete>":
        del node[path[-1]]
    else:
        node[path[-1]] = replacement
    mutated = json.dumps(doc).encode()

    model_ok, model_value = _outcome(TypeAdapter(envelope), mutated)
    twin_ok, twin_value = _outcome(TypeAdapter(typed_dict_twin(envelope)), mutated)
    assert model_ok == twin_ok, (path, replacement)
    if model_ok:
        assert twin_value == _declared(model_value)


@pytest.mark.parametrize(("model", "data"), SAMPLES, ids=lambda x: getattr(x, "__name__", ""))
def test_twin_of_a_valid_event_holds_the_model_values(model: type[BaseModel], data: BaseModel) -> None:
    envelope, raw = _event(model, data)
    twin: dict[str, Any] = TypeAdapter(typed_dict_twin(envelope)).validate_json(raw)
    assert twin == _declared(envelope.model_validate_json(raw))
    assert typed_dict_twin(envelope) is typed_dict_twin(envelope)  # built once


def test_defaults_are_filled_and_extras_dropped() -> None:
    raw = json.dumps(
        {
            "account_id": "a",
            "studio_id": "s",
            "session_id": 1,
            "started_at": "2026-11-01T00:00:00Z",
            "observed_at": "2026-11-01T00:00:00Z",
            "source": "overview",
            "metrics": {"gifts": 3},
            "on_air": True,
            "new_field": 1,
        }
    ).encode()
    twin: dict[str, Any] = TypeAdapter(typed_dict_twin(SessionSnapshot)).validate_json(raw)
    assert twin["currency"] == "IDR" and twin["timezone"] == "Asia/Jakarta" and twin["heartbeat"] is False
    assert twin["metrics"]["views"] is None and "gifts" not in twin["metrics"] and "new_field" not in twin


def test_models_with_their_own_validators_cannot_be_twinned() -> None:
    class Checked(BaseModel):
        model_config = ConfigDict(extra="allow")
        name: str = Field(min_length=1)

        @field_validator("name")
        @classmethod
        def _upper(cls, value: str) -> str:
            return value.upper()

    with pytest.raises(TypeError, match="validators"):
        typed_dict_twin(Checked)
