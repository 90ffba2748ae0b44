"""Decoding records: session/item/command events into states, poison into PoisonMessage, commands by owner."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord

from livestudio_analytics import events as ev
from livestudio_analytics.handlers import Decoder, Topics
from livestudio_analytics.observations import ITEMS, SESSIONS, TERMINAL, TIMELINE
from livestudio_runtime.exactly_once import PoisonMessage
from livestudio_schemas.envelope import CloudEvent
from livestudio_schemas.item import ItemSnapshots
from livestudio_schemas.session import (
    SessionCorrected,
    SessionEnded,
    SessionSnapshot,
)
from tests.analytics import kit

STARTED = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)  # 23:30 in Jakarta
OBSERVED = STARTED + timedelta(minutes=45, seconds=20)


def snapshot(**overrides: Any) -> bytes:
    args: dict[str, Any] = {
        "account_id": "acc-1",
        "studio_id": "st-1",
        "session_id": 77,
        "started_at": STARTED,
        "observed_at": OBSERVED,
        "metrics": {"viewers": 120, "placed_orders": 3, "placed_sales": "450000", "conversion_rate": "0.025"},
        "on_air": True,
        "title": "Flash sale",
    }
    args.update(overrides)
    return kit.session_event("snapshot", **args)


def test_builders_write_events_that_validate_against_the_contract() -> None:
    CloudEvent[SessionSnapshot].model_validate_json(snapshot())
    CloudEvent[SessionEnded].model_validate_json(
        kit.session_event(
            "ended",
            account_id="a",
            studio_id="s",
            session_id=1,
            started_at=STARTED,
            observed_at=OBSERVED,
            ended_at=OBSERVED,
            metrics={},
        )
    )
    CloudEvent[SessionCorrected].model_validate_json(
        kit.session_event(
            "corrected",
            account_id="a",
            studio_id="s",
            session_id=1,
            started_at=STARTED,
            observed_at=OBSERVED,
            metrics={},
        )
    )
    CloudEvent[ItemSnapshots].model_validate_json(
        kit.items_event(account_id="a", studio_id="s", session_id=1, observed_at=OBSERVED, items=[{"item_id": 5}])
    )
    for record in kit.realistic_stream(kit.StreamSpec(accounts=2, sessions_per_account=2, poison=0)):
        if record.topic == "session":
            ev.decode_session(record.value)
        elif record.topic == "item":
            ev.decode_items(record.value)
        else:
            ev.decode_command(record.value)


def test_snapshot_becomes_a_session_row_and_a_timeline_point() -> None:
    event = ev.decode_session(snapshot())
    assert (event.kind, event.account_id, event.session_id, event.observed_at) == ("snapshot", "acc-1", 77, OBSERVED)
    state = event.session
    assert state.value(SESSIONS, "identity") == ("st-1", STARTED, "Asia/Jakarta", "IDR", date(2026, 11, 2))
    assert state.value(SESSIONS, "on_air") == (True,)
    assert state.value(SESSIONS, "placed_sales") == (Decimal("450000"),)
    assert state.value(SESSIONS, "conversion_rate") == (Decimal("0.025"),)
    assert state.value(SESSIONS, "confirmed_sales") is None  # not reported: unknown, not zero
    assert state.maxima == [OBSERVED, None, OBSERVED]
    assert event.point is not None
    minute, point = event.point
    assert minute == datetime(2026, 11, 2, 17, 15, tzinfo=UTC)
    assert point.value(TIMELINE, "viewers") == (120,)
    assert point.value(TIMELINE, "confirmed_sales") is None


def test_local_day_is_the_start_date_in_the_events_timezone() -> None:
    late = STARTED + timedelta(minutes=45)  # 00:15 next day in Jakarta, still 2 Nov in UTC
    event = ev.decode_session(snapshot(started_at=late, observed_at=late + timedelta(minutes=5)))
    assert event.session.value(SESSIONS, "identity")[-1] == date(2026, 11, 3)  # type: ignore[index]
    event = ev.decode_session(snapshot(started_at=late, observed_at=late + timedelta(minutes=5), timezone="UTC"))
    assert event.session.value(SESSIONS, "identity")[-1] == date(2026, 11, 2)  # type: ignore[index]


def test_ended_takes_the_session_off_air_for_good_and_correction_has_no_chart_point() -> None:
    ended = ev.decode_session(
        kit.session_event(
            "ended",
            account_id="acc-1",
            studio_id="st-1",
            session_id=77,
            started_at=STARTED,
            observed_at=OBSERVED,
            ended_at=OBSERVED,
            metrics={"viewers": 130},
            duration_ms=2_720_000,
        )
    )
    assert ended.session.entries[SESSIONS.position("on_air")] == (TERMINAL, (False,))
    assert ended.session.value(SESSIONS, "ended_at") == (OBSERVED,)
    assert ended.session.value(SESSIONS, "duration_ms") == (2_720_000,)
    assert ended.point is not None
    corrected = ev.decode_session(
        kit.session_event(
            "corrected",
            account_id="acc-1",
            studio_id="st-1",
            session_id=77,
            started_at=STARTED,
            observed_at=OBSERVED + timedelta(days=2),
            metrics={"confirmed_sales": "400000"},
        )
    )
    assert corrected.kind == "corrected"
    assert corrected.point is None
    assert corrected.session.value(SESSIONS, "on_air") is None  # a correction without end says nothing about it
    assert corrected.session.maxima == [OBSERVED + timedelta(days=2)] * 2 + [None]


def test_item_snapshot_becomes_item_rows() -> None:
    raw = kit.items_event(
        account_id="acc-1",
        studio_id="st-1",
        session_id=77,
        observed_at=OBSERVED,
        items=[{"item_id": 9, "title": "Lipstick", "placed_sales": "10000", "min_price": "5000"}, {"item_id": 10}],
    )
    event = ev.decode_items(raw)
    assert [item_id for item_id, _ in event.items] == [9, 10]
    state = event.items[0][1]
    assert state.value(ITEMS, "identity") == ("st-1", "IDR")
    assert state.value(ITEMS, "title") == ("Lipstick",)
    assert state.value(ITEMS, "placed_sales") == (Decimal("10000"),)
    assert state.value(ITEMS, "confirmed_sales") is None


def _data(raw: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(raw)
    return body


def _with(raw: bytes, path: tuple[str, ...], value: Any) -> bytes:
    body = _data(raw)
    node = body
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "invalid session event"),
        (b"", "empty record"),
        (_with(snapshot(), ("type",), "livestudio.session.exploded.v1"), "invalid session event"),
        (_with(snapshot(), ("data", "metrics", "viewers"), -1), "invalid session event"),
        (_with(snapshot(), ("data", "observed_at"), "2026-11-02T17:00:00"), "timezone info"),
        (_with(snapshot(), ("data", "metrics", "placed_sales"), "-10"), "negative amount"),
        (_with(snapshot(), ("data", "metrics", "views"), 10**15), "out of range"),
        (_with(snapshot(), ("data", "session_id"), 2**63), "out of range"),
        (_with(snapshot(), ("data", "timezone"), "Mars/Olympus"), "unknown zone"),
        (_with(snapshot(), ("data", "title"), "bad\x00title"), "NUL"),
        (_with(snapshot(), ("data", "currency"), "idr"), "ISO 4217"),
        (_with(snapshot(), ("data", "observed_at"), "2026-11-01T00:00:00Z"), "before the session started"),
    ],
)
def test_impossible_or_invalid_session_events_are_poison(raw: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        ev.decode_session(raw)


def test_end_before_start_is_poison() -> None:
    raw = kit.session_event(
        "ended",
        account_id="a",
        studio_id="s",
        session_id=1,
        started_at=STARTED,
        observed_at=OBSERVED,
        ended_at=STARTED - timedelta(days=1),
        metrics={},
    )
    with pytest.raises(PoisonMessage, match="before the session started"):
        ev.decode_session(raw)


def test_negative_item_sales_are_poison() -> None:
    raw = kit.items_event(
        account_id="a", studio_id="s", session_id=1, observed_at=OBSERVED, items=[{"item_id": 1, "placed_sales": "-1"}]
    )
    with pytest.raises(PoisonMessage, match="negative amount"):
        ev.decode_items(raw)


def test_commands_by_owner() -> None:
    issued = datetime(2026, 11, 3, 9, tzinfo=UTC)
    applied = ev.decode_command(
        kit.adspend_command(
            "c-1", account_id="acc-1", studio_id="st-1", day=date(2026, 11, 2), amount="150000", issued_at=issued
        )
    )
    assert applied == ev.AdSpendEntry("c-1", issued, "acc-1", "st-1", date(2026, 11, 2), Decimal(150000), "IDR")

    rejected = ev.decode_command(
        kit.adspend_command(
            "c-2", account_id="acc-1", studio_id="st-1", day=date(2026, 11, 2), amount="-5", issued_at=issued
        )
    )
    assert isinstance(rejected, ev.CommandRejected)
    assert (rejected.command_id, rejected.kind) == ("c-2", "adspend.enter")
    assert "amount" in rejected.error

    assert ev.decode_command(kit.foreign_command("c-3", issued_at=issued)) == ev.CommandIgnored(
        "host.upsert", "commission"
    )
    unknown = kit.command_event("c-4", {"kind": "teleport.start"}, issued_at=issued)
    assert ev.decode_command(unknown) == ev.CommandIgnored("teleport.start", "unknown")

    with pytest.raises(PoisonMessage):
        ev.decode_command(b"[]")
    no_id = _with(
        kit.adspend_command("c-5", account_id="a", studio_id="s", day=date(2026, 1, 1), amount="1", issued_at=issued),
        ("data", "command_id"),
        "",
    )
    with pytest.raises(PoisonMessage, match="command_id"):
        ev.decode_command(no_id)


def test_decoder_picks_by_configured_topic() -> None:
    decoder = Decoder(Topics("s.topic", "i.topic", "c.topic"))

    def record(topic: str, value: bytes) -> ConsumerRecord[bytes, bytes]:
        return ConsumerRecord(topic, 0, 0, 0, 0, None, value, None, 0, len(value), [])

    assert isinstance(decoder(record("s.topic", snapshot())), ev.SessionEvent)
    with pytest.raises(PoisonMessage, match="does not consume"):
        decoder(record("other", snapshot()))
    with pytest.raises(PoisonMessage):
        decoder(record("i.topic", snapshot()))  # a session event on the item topic


def test_error_texts_are_safe_for_postgres_and_kafka_headers() -> None:
    issued = datetime(2026, 11, 3, 9, tzinfo=UTC)
    raw = kit.adspend_command("c-9", account_id="a", studio_id="s", day=date(2026, 11, 2), amount="1", issued_at=issued)
    nasty = raw.replace(b'"kind":"adspend.enter"', b'"kind":"adspend.enter","x\\u0000":1')
    rejected = ev.decode_command(nasty)
    assert isinstance(rejected, ev.CommandRejected)
    assert "\x00" not in rejected.error

    odd_kind = raw.replace(b'"kind":"adspend.enter"', b'"kind":"adspend.\\u0000"')
    rejected = ev.decode_command(odd_kind)
    assert isinstance(rejected, ev.CommandRejected)
    assert "\x00" not in rejected.kind

    for bad in (
        snapshot().replace(b'"title":"Flash sale"', b'"title":"\\ud800"'),
        snapshot().replace(b'"metrics":{', b'"metrics":{"views":"x\\ud800",'),
    ):
        with pytest.raises(PoisonMessage) as info:  # the JSON parser refuses lone surrogates
            ev.decode_session(bad)
        f"{type(info.value).__name__}: {info.value}".encode()  # what the runtime puts in the x-error header


def test_safe_text() -> None:
    assert ev.safe_text("a\x00b\ud800") == "a\\0b\\ud800"
