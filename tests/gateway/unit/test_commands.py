"""Building contract commands from validated bodies: rules, schedules, cookies, envelopes, statement states."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from livestudio_gateway import commands
from livestudio_gateway.models import RuleBody, ScheduleBody
from livestudio_gateway.problems import BadRequest, Conflict, Unavailable
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import (
    COMMAND,
    AccountPause,
    HostUpsert,
    ShiftTemplateUpsert,
    StatementPay,
    StudioUpsert,
)

NOW = datetime(2026, 11, 20, 3, tzinfo=UTC)


def _rule(**fields: Any) -> RuleBody:
    return msgspec.convert({"rule_kind": "gmv_percent", "effective_from": "2026-11-01", **fields}, RuleBody)


def test_rule_with_tiers() -> None:
    rule = commands.build_rule(
        "r1",
        _rule(studio_id="s1", tiers=[{"up_to": "1000000", "percent": "2"}, {"percent": "3.25"}], cap="500000"),
    )
    assert rule.tiers[0].up_to == Decimal("1000000") and rule.tiers[1].up_to is None
    assert rule.tiers[1].percent == Decimal("3.25") and rule.cap == Decimal("500000")


@pytest.mark.parametrize(
    "fields",
    [
        {},  # gmv_percent without percent or tiers
        {"percent": "2", "tiers": [{"percent": "3"}]},
        {"percent": "2", "amount": "5"},
        {"rule_kind": "per_order"},
        {"rule_kind": "per_hour", "amount": "5", "percent": "1"},
        {"tiers": [{"percent": "2"}, {"up_to": "10", "percent": "3"}]},
        {"tiers": [{"up_to": "10", "percent": "2"}, {"up_to": "5", "percent": "3"}]},
        {"percent": "2", "effective_to": "2026-10-01"},
        {"percent": "2", "account_id": "acc-1"},
        {"percent": "2", "effective_from": "1990-01-01"},
    ],
)
def test_invalid_rules(fields: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        commands.build_rule("r1", _rule(**fields))


def _schedule(**fields: Any) -> ScheduleBody:
    return msgspec.convert({"host_id": "h1", "account_id": "a1", **fields}, ScheduleBody)


def test_schedule_entries() -> None:
    by_shift = commands.build_schedule("e1", "s1", _schedule(shift_id="pagi", shift_date="2026-11-20", share="2"))
    assert by_shift.shift_date == date(2026, 11, 20) and by_shift.share == Decimal("2")
    window = commands.build_schedule(
        "e2", "s1", _schedule(starts_at="2026-11-20T01:00:00Z", ends_at="2026-11-20T09:00:00+07:00")
    )
    assert window.ends_at is not None and window.starts_at is not None
    assert (window.ends_at - window.starts_at).total_seconds() == 3600


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"shift_id": "pagi"},
        {"starts_at": "2026-11-20T01:00:00Z"},
        {"starts_at": "2026-11-20T01:00:00Z", "ends_at": "2026-11-20T01:00:00Z"},
        {"starts_at": "2026-11-20T01:00:00Z", "ends_at": "2026-11-23T01:00:00Z"},
        {
            "starts_at": "2026-11-20T01:00:00Z",
            "ends_at": "2026-11-20T02:00:00Z",
            "shift_id": "pagi",
            "shift_date": "2026-11-20",
        },
        {"shift_id": "pagi", "shift_date": "2026-11-20", "share": "0"},
        {"shift_id": "pagi", "shift_date": "2026-11-20", "share": "1000.5"},
    ],
)
def test_invalid_schedules(fields: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        commands.build_schedule("e1", "s1", _schedule(**fields))


def test_cookie_is_checked_then_encrypted() -> None:
    cipher = CookieCipher([CookieCipher.generate_key()])
    token = commands.encrypt_cookie(cipher, "  SPC_EC=abc; SPC_ST=.def  ")
    assert "abc" not in token and cipher.decrypt(token) == "SPC_EC=abc; SPC_ST=.def"
    for bad in ("hello", "SPC_ST=", "a=b; c=d", "SPC_ST=x\r\nInjected: 1"):
        with pytest.raises(BadRequest):
            commands.encrypt_cookie(cipher, bad)
    with pytest.raises(Unavailable):
        commands.encrypt_cookie(None, "SPC_ST=x")


def test_envelope_and_subject() -> None:
    event = commands.envelope(AccountPause(account_id="acc-1"), actor="u1", command_id="c1", now=NOW)
    assert event.type == COMMAND and event.id == "c1" and event.subject == "acc-1"
    assert event.source == "/livestudio/gateway" and event.data.issued_at == NOW
    assert commands.subject_of(HostUpsert(host_id="h1", studio_id="s1", name="x")) == "h1"
    assert commands.subject_of(StudioUpsert(studio_id="s1", name="x")) == "s1"
    assert (
        commands.subject_of(ShiftTemplateUpsert(shift_id="p", studio_id="s1", name="p", start=time(5), end=time(9)))
        == "s1"
    )
    assert commands.owner(StatementPay(statement_id="st")) == "commission"


def test_make_turns_contract_errors_into_400() -> None:
    with pytest.raises(BadRequest) as err:
        commands.make(StudioUpsert, studio_id="s1", name="x", currency="RUPIAH")
    assert err.value.errors and err.value.errors[0].key == "currency"


def test_statement_actions() -> None:
    commands.check_statement_action("calculated", "approve")
    commands.check_statement_action("approved", "pay")
    commands.check_statement_action("calculated", "pay")  # the read model may lag behind an approval
    for status, action in (("paid", "approve"), ("paid", "void"), ("void", "pay")):
        with pytest.raises(Conflict):
            commands.check_statement_action(status, action)  # type: ignore[arg-type]


def test_timezones_and_days() -> None:
    commands.check_timezone("Asia/Jakarta")
    for bad in ("Mars/Olympus", "Asia", "../../etc/passwd"):
        with pytest.raises(BadRequest):
            commands.check_timezone(bad)
    commands.check_not_future(date(2026, 11, 21), date(2026, 11, 20), "day")
    with pytest.raises(BadRequest):
        commands.check_not_future(date(2026, 11, 23), date(2026, 11, 20), "day")
