"""The fast decoder accepts only what the contract models accept, with the same values, and leaves the verdict on
everything else to pydantic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, get_args

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from livestudio_schemas.fast import FastDecoder, digits_within
from livestudio_schemas.item import ITEM_SNAPSHOT, ItemMetrics, ItemSnapshots, ItemSnapshotsEvent
from livestudio_schemas.session import (
    SESSION_CORRECTED,
    SESSION_ENDED,
    SESSION_SNAPSHOT,
    SessionCorrected,
    SessionCorrectedEvent,
    SessionEnded,
    SessionEndedEvent,
    SessionMetrics,
    SessionSnapshot,
    SessionSnapshotEvent,
)

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


SESSION_MODELS = (SessionSnapshotEvent, SessionEndedEvent, SessionCorrectedEvent)
SESSIONS = FastDecoder(SESSION_MODELS, tag_field="type")
ITEMS = FastDecoder([ItemSnapshotsEvent])
_SESSION_UNION: Any = Annotated[
    SessionSnapshotEvent | SessionEndedEvent | SessionCorrectedEvent, Field(discriminator="type")
]
SESSION_JUDGE: TypeAdapter[Any] = TypeAdapter(_SESSION_UNION)

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


def _envelope(model: type[BaseModel], type_: str, data: BaseModel) -> bytes:
    event = model(id="e-1", source="/test", type=type_, time=NOW, dataschema="s", data=data)
    return event.model_dump_json().encode()


SAMPLES: list[tuple[str, FastDecoder, TypeAdapter[Any], bytes]] = [
    (
        "snapshot",
        SESSIONS,
        SESSION_JUDGE,
        _envelope(SessionSnapshotEvent, SESSION_SNAPSHOT, SessionSnapshot(**_COMMON, on_air=True)),
    ),
    (
        "ended",
        SESSIONS,
        SESSION_JUDGE,
        _envelope(SessionEndedEvent, SESSION_ENDED, SessionEnded(**_COMMON, ended_at=NOW)),
    ),
    (
        "corrected",
        SESSIONS,
        SESSION_JUDGE,
        _envelope(SessionCorrectedEvent, SESSION_CORRECTED, SessionCorrected(**_COMMON)),
    ),
    (
        "items",
        ITEMS,
        TypeAdapter(ItemSnapshotsEvent),
        _envelope(
            ItemSnapshotsEvent,
            ITEM_SNAPSHOT,
            ItemSnapshots(
                account_id="acc-1",
                studio_id="st-1",
                session_id=77,
                observed_at=NOW,
                items=[ItemMetrics(item_id=9, title="Lipstick", min_price=Decimal(5000)), ItemMetrics(item_id=10)],
            ),
        ),
    ),
]


def _plain(value: Any) -> Any:
    """A decoded value as plain data: a Struct's fields, a model's declared fields (extras are not compared)."""
    if isinstance(value, msgspec.Struct):
        out = {name: _plain(getattr(value, name)) for name in value.__struct_fields__}
        tag = value.__struct_config__.tag
        return out | ({value.__struct_config__.tag_field: tag} if isinstance(tag, str) else {})
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _outcome(decode: Any, raw: bytes) -> tuple[bool, Any]:
    try:
        return True, decode(raw)
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
    st.sampled_from([0.1, 1.5, 3.0, -0.0, 1e20, 123456789.125]),
    st.text(max_size=4),
    st.sampled_from(
        [
            "2026-11-01T00:00:00",
            "2026-11-01T00:00:00+07:00",
            "2026-11-01T00:00:00Z",
            "2026-11-01 00:00:00Z",
            "2026-11-01T00:00:00.1234567Z",
            "2026-11-01T00:00:60Z",
            "2026-11-01t00:00:00z",
            "2026-11-01",
            "2026-11-01T24:00:00Z",
            "1700000000",
            "+002026-11-01T00:00:00Z",
            "2026-11-01T00:00:00-00:00",
            "1.005",
            "12.5",
            "1.500",
            "0.001",
            "-1",
            "-0",
            "1e3",
            "1E-2",
            "NaN",
            "Infinity",
            " 1",
            "1_000",
            "1234567890123456789",
            "123456789012345678.5",
            "0.0000001",
            "5",
            "5.0",
            "true",
            "IDR",
            "",
            "overview",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["item_id", "views", "x"]), st.integers(min_value=-1, max_value=3), max_size=2),
    st.just("<delete>"),
)


@pytest.mark.parametrize(("name", "decoder", "judge", "raw"), SAMPLES, ids=[s[0] for s in SAMPLES])
@settings(max_examples=300, deadline=None)
@given(choice=st.data())
def test_fast_path_accepts_only_what_the_model_accepts(
    name: str, decoder: FastDecoder, judge: TypeAdapter[Any], raw: bytes, choice: Any
) -> None:
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

    fast_ok, fast = _outcome(decoder.decode, mutated)
    model_ok, model = _outcome(judge.validate_json, mutated)
    assert fast_ok == model_ok, (path, replacement)
    if fast_ok:
        assert _plain(fast) == _plain(model), (path, replacement)
        assert decoder.model_of(fast) is type(model)


@pytest.mark.parametrize(("name", "decoder", "judge", "raw"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_a_plain_event_takes_the_fast_path(
    name: str, decoder: FastDecoder, judge: TypeAdapter[Any], raw: bytes
) -> None:
    fast = decoder.decode(raw)
    assert isinstance(fast, msgspec.Struct)
    assert _plain(fast) == _plain(judge.validate_json(raw))


def test_unusual_but_valid_encodings_are_left_to_pydantic() -> None:
    doc = json.loads(SAMPLES[0][3])
    doc["data"]["metrics"]["views"] = "5"  # pydantic's lax mode accepts numeric strings, msgspec's strict mode not
    value = SESSIONS.decode(json.dumps(doc).encode())
    assert isinstance(value, SessionSnapshotEvent)
    assert value.data.metrics.views == 5

    doc = json.loads(SAMPLES[0][3])
    doc["data"]["observed_at"] = "2026-11-21T03:00:00.1234567Z"  # pydantic truncates, msgspec would round
    value = SESSIONS.decode(json.dumps(doc).encode())
    assert isinstance(value, SessionSnapshotEvent)
    assert value.data.observed_at.microsecond == 123456


@pytest.mark.parametrize(
    ("value", "within"),
    [("1.50", True), ("1.500", True), ("0.001", False), ("0.0010", False), ("123456789012345678", True),
     ("1234567890123456789", False), ("1E+3", True), ("1E+17", True), ("1E+18", False), ("NaN", False),
     ("-12.25", True)],
)  # fmt: skip
def test_digits_within_is_never_laxer_than_pydantic(value: str, within: bool) -> None:
    assert digits_within(Decimal(value), 20, 2) is within
    assert digits_within(Decimal(value), None, 2) is False  # half a constraint: left to pydantic
    if within:  # pydantic agrees
        assert TypeAdapter(Annotated[Decimal, Field(max_digits=20, decimal_places=2)]).validate_python(value)


def test_models_with_their_own_validators_are_refused() -> None:
    class Checked(BaseModel):
        model_config = ConfigDict(extra="allow")
        name: str = Field(min_length=1)

        @field_validator("name")
        @classmethod
        def _upper(cls, value: str) -> str:
            return value.upper()

    with pytest.raises(TypeError, match="validators"):
        FastDecoder([Checked])


@pytest.mark.parametrize(
    ("envelope", "type_"),
    [(SessionSnapshotEvent, SESSION_SNAPSHOT), (SessionEndedEvent, SESSION_ENDED),
     (SessionCorrectedEvent, SESSION_CORRECTED), (ItemSnapshotsEvent, ITEM_SNAPSHOT)],
)  # fmt: skip
def test_pinned_envelope_types_are_the_contracts(envelope: type[BaseModel], type_: str) -> None:
    assert get_args(envelope.model_fields["type"].annotation) == (type_,)
