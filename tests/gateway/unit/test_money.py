"""Money leaves the gateway as a plain decimal string, whatever shape the Decimal had (no database here; the
property over values from PostgreSQL is tests/security/integration/test_gateway_edge.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
from hypothesis import given
from hypothesis import strategies as st
from litestar.serialization import encode_json, get_serializer

from livestudio_gateway import live
from livestudio_gateway.models import LiveSession, PlainDecimal, plain_money, plain_text

PLAIN = re.compile(r'^"-?[0-9]+(\.[0-9]+)?"$')
T = datetime(2026, 11, 20, 3, tzinfo=UTC)
APP_SERIALIZER = get_serializer({PlainDecimal: plain_text})


def _live(amount: Decimal) -> LiveSession:
    return LiveSession(
        kind="current",
        account_id="a",
        session_id=1,
        studio_id="s",
        title=None,
        on_air=True,
        started_at=T,
        ended_at=None,
        observed_at=T,
        currency="IDR",
        viewers=None,
        current_viewers=None,
        peak_viewers=None,
        placed_orders=None,
        placed_sales=amount,
        confirmed_orders=None,
        confirmed_sales=None,
    )


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**20), max_value=10**20, places=None).map(
        lambda d: d.normalize() if d.is_finite() else d
    )
)
def test_any_decimal_is_written_plain(value: Decimal) -> None:
    for encoded in (live.encode(_live(value)), encode_json(_live(value), APP_SERIALIZER)):
        text = msgspec.json.decode(encoded)["placed_sales"]
        assert PLAIN.match(f'"{text}"'), text
        assert Decimal(text) == value


def test_examples() -> None:
    assert str(plain_money(Decimal("7E+4"))) == "70000" and isinstance(plain_money(Decimal("7E+4")), PlainDecimal)
    assert plain_money(Decimal("70000.00")).__class__ is Decimal  # already plain: untouched
    assert msgspec.json.decode(live.encode(_live(Decimal("1E-7"))))["placed_sales"] == "0.0000001"
