"""Keyset (cursor) pagination: which sort orders exist, and opaque cursors that carry the last row's sort key.

A cursor is base64url(JSON [sort, value, tie-breakers…]). It only says where the next page starts: scoping and
filters are applied again on every page, so a forged cursor cannot reveal anything. A cursor made for one sort
order is rejected with another.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import msgspec

from livestudio_gateway.problems import BadRequest

ValueKind = Literal["datetime", "date", "decimal", "int", "str"]

SessionSort = Literal[
    "-started_at",
    "started_at",
    "-confirmed_sales",
    "confirmed_sales",
    "-placed_sales",
    "placed_sales",
    "-viewers",
    "viewers",
    "-peak_viewers",
    "peak_viewers",
]


@dataclass(frozen=True)
class SortSpec:
    column: str
    kind: ValueKind
    descending: bool
    nullable: bool


SESSION_SORTS: dict[str, SortSpec] = {}
for _name, _kind, _nullable in (
    ("started_at", "datetime", False),
    ("confirmed_sales", "decimal", True),
    ("placed_sales", "decimal", True),
    ("viewers", "int", True),
    ("peak_viewers", "int", True),
):
    SESSION_SORTS[_name] = SortSpec(_name, _kind, False, _nullable)  # type: ignore[arg-type]
    SESSION_SORTS["-" + _name] = SortSpec(_name, _kind, True, _nullable)  # type: ignore[arg-type]

_MAX_CURSOR = 1024


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode_value(raw: Any, kind: ValueKind) -> Any:
    if raw is None:
        return None
    if kind == "datetime":
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed
    if kind == "date":
        return date.fromisoformat(raw)
    if kind == "decimal":
        if not isinstance(raw, str):
            raise ValueError("decimal must be a string")
        number = Decimal(raw)
        if not number.is_finite() or abs(number.adjusted()) > 30 or len(raw) > 60:
            raise ValueError("not a money amount")
        return number
    if kind == "int":
        if not isinstance(raw, int) or isinstance(raw, bool) or not -(2**63) <= raw < 2**63:
            raise ValueError("not a bigint")
        return raw
    if not isinstance(raw, str) or len(raw) > 200 or "\x00" in raw:
        raise ValueError("not a string")
    return raw


def encode_cursor(tag: str, values: tuple[Any, ...]) -> str:
    raw = msgspec.json.encode([tag, *(_encode_value(v) for v in values)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, tag: str, kinds: tuple[ValueKind, ...], nullable: tuple[bool, ...]) -> tuple[Any, ...]:
    """The values of a cursor made by `encode_cursor(tag, …)`; 400 problem when it is not one."""
    try:
        if len(cursor) > _MAX_CURSOR:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = msgspec.json.decode(raw)
        if not isinstance(decoded, list) or len(decoded) != len(kinds) + 1 or decoded[0] != tag:
            raise ValueError("wrong shape")
        values = tuple(_decode_value(v, k) for v, k in zip(decoded[1:], kinds, strict=True))
        if any(v is None and not ok for v, ok in zip(values, nullable, strict=True)):
            raise ValueError("unexpected null")
        return values
    except (ValueError, TypeError, InvalidOperation, binascii.Error, msgspec.DecodeError):
        raise BadRequest("the cursor is invalid or belongs to another sort order", slug="invalid-cursor") from None


# --- the cursors of each list ------------------------------------------------------------------------------
def session_cursor(sort: str, value: Any, account_id: str, session_id: int) -> str:
    return encode_cursor("s" + sort, (value, account_id, session_id))


def decode_session_cursor(cursor: str, sort: str) -> tuple[Any, str, int]:
    spec = SESSION_SORTS[sort]
    value, account_id, session_id = decode_cursor(
        cursor, "s" + sort, (spec.kind, "str", "int"), (spec.nullable, False, False)
    )
    return value, account_id, session_id


def account_cursor(account_id: str) -> str:
    return encode_cursor("a", (account_id,))


def decode_account_cursor(cursor: str) -> str:
    (account_id,) = decode_cursor(cursor, "a", ("str",), (False,))
    return str(account_id)


def statement_cursor(period_start: date, statement_id: str) -> str:
    return encode_cursor("st", (period_start, statement_id))


def decode_statement_cursor(cursor: str) -> tuple[date, str]:
    period_start, statement_id = decode_cursor(cursor, "st", ("date", "str"), (False, False))
    return period_start, statement_id


def schedule_cursor(starts_at: datetime | None, entry_id: str) -> str:
    return encode_cursor("se", (starts_at, entry_id))


def decode_schedule_cursor(cursor: str) -> tuple[datetime | None, str]:
    starts_at, entry_id = decode_cursor(cursor, "se", ("datetime", "str"), (True, False))
    return starts_at, entry_id


def check_cursor(at: datetime, check_id: str) -> str:
    return encode_cursor("ck", (at, check_id))


def decode_check_cursor(cursor: str) -> tuple[datetime, str]:
    at, check_id = decode_cursor(cursor, "ck", ("datetime", "str"), (False, False))
    return at, check_id


def attendance_cursor(starts_at: datetime, entry_id: str) -> str:
    return encode_cursor("at", (starts_at, entry_id))


def decode_attendance_cursor(cursor: str) -> tuple[datetime, str]:
    starts_at, entry_id = decode_cursor(cursor, "at", ("datetime", "str"), (False, False))
    return starts_at, entry_id


def rule_cursor(rule_id: str, effective_from: date) -> str:
    return encode_cursor("pr", (rule_id, effective_from))


def decode_rule_cursor(cursor: str) -> tuple[str, date]:
    rule_id, effective_from = decode_cursor(cursor, "pr", ("str", "date"), (False, False))
    return rule_id, effective_from


def ad_spend_cursor(day: date, account_id: str) -> str:
    return encode_cursor("ad", (day, account_id))


def decode_ad_spend_cursor(cursor: str) -> tuple[date, str]:
    day, account_id = decode_cursor(cursor, "ad", ("date", "str"), (False, False))
    return day, account_id
