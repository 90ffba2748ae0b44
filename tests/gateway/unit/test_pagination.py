"""Opaque keyset cursors: roundtrip, and rejection of anything that is not one of ours for this sort."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from livestudio_gateway import pagination
from livestudio_gateway.problems import BadRequest


def test_session_cursor_roundtrip_for_every_sort() -> None:
    values = {
        "datetime": datetime(2026, 11, 1, 2, 3, 4, 500, tzinfo=UTC),
        "decimal": Decimal("123456.50"),
        "int": 42,
    }
    for sort, spec in pagination.SESSION_SORTS.items():
        value = values[spec.kind]
        cursor = pagination.session_cursor(sort, value, "acc-1", 2**40)
        assert pagination.decode_session_cursor(cursor, sort) == (value, "acc-1", 2**40)
        if spec.nullable:
            null_cursor = pagination.session_cursor(sort, None, "acc-1", 7)
            assert pagination.decode_session_cursor(null_cursor, sort) == (None, "acc-1", 7)


def test_cursor_of_another_sort_or_list_is_refused() -> None:
    cursor = pagination.session_cursor("-started_at", datetime(2026, 1, 1, tzinfo=UTC), "a", 1)
    with pytest.raises(BadRequest):
        pagination.decode_session_cursor(cursor, "started_at")
    with pytest.raises(BadRequest):
        pagination.decode_statement_cursor(cursor)
    # started_at is never null
    with pytest.raises(BadRequest):
        pagination.decode_session_cursor(pagination.session_cursor("-started_at", None, "a", 1), "-started_at")


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "x" * 2000,
        _raw("not json"),
        _raw('{"a": 1}'),
        _raw('["s-started_at", "2026-01-01T00:00:00", "a", 1]'),  # naive timestamp
        _raw('["s-confirmed_sales", "NaN", "a", 1]'),
        _raw('["s-confirmed_sales", "1e999999", "a", 1]'),
        _raw('["s-confirmed_sales", 12.5, "a", 1]'),
        _raw('["s-confirmed_sales", "1", "a", 18446744073709551616]'),
        _raw('["s-confirmed_sales", "1", "a\\u0000", 1]'),
        _raw('["s-confirmed_sales", "1", "a", true]'),
    ],
)
def test_garbage_cursors_are_400(cursor: str) -> None:
    with pytest.raises(BadRequest):
        pagination.decode_session_cursor(cursor, "-confirmed_sales")


def test_statement_and_account_cursors() -> None:
    cursor = pagination.statement_cursor(date(2026, 11, 1), "st-1")
    assert pagination.decode_statement_cursor(cursor) == (date(2026, 11, 1), "st-1")
    assert pagination.decode_account_cursor(pagination.account_cursor("acc-9")) == "acc-9"
