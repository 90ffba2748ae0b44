"""CSV exports: commission statements and their lines (for payroll spreadsheets), and the streamed exports of
sessions, daily figures, products, host performance, attendance and hours (`stream_csv`, rows from a server-side
cursor).

Money stays an exact decimal string; empty cells mean unknown. Cells that a spreadsheet would run as a formula
(starting with = + - @ or a tab/CR) are prefixed with an apostrophe, except plain numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from livestudio_gateway.analytics import Row

_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?\Z")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

STATEMENT_COLUMNS = (
    "statement_id",
    "studio_id",
    "host_id",
    "period_start",
    "period_end",
    "status",
    "currency",
    "total",
    "revision",
    "approved_by",
    "approved_at",
    "paid_by",
    "paid_at",
)
STREAM_CHUNK_ROWS = 500
"""Rows per chunk of a streamed export (one write to the client each)."""

EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "sessions": (
        "account_id",
        "session_id",
        "studio_id",
        "title",
        "local_day",
        "started_at",
        "ended_at",
        "duration_ms",
        "currency",
        "viewers",
        "peak_viewers",
        "placed_orders",
        "placed_sales",
        "confirmed_orders",
        "confirmed_sales",
    ),
    "daily": (
        "account_id",
        "studio_id",
        "day",
        "sessions",
        "streaming_ms",
        "viewers",
        "peak_viewers",
        "placed_orders",
        "placed_sales",
        "confirmed_orders",
        "confirmed_sales",
        "ad_spend",
    ),
    "products": (
        "account_id",
        "session_id",
        "local_day",
        "item_id",
        "title",
        "product_clicks",
        "add_to_cart",
        "placed_orders",
        "placed_sales",
        "confirmed_orders",
        "confirmed_sales",
    ),
    "hosts": (
        "local_day",
        "studio_id",
        "host_id",
        "name",
        "sessions",
        "on_air_ms",
        "placed_orders",
        "placed_sales",
        "confirmed_orders",
        "confirmed_sales",
    ),
    "attendance": (
        "local_day",
        "studio_id",
        "host_id",
        "name",
        "account_id",
        "entry_id",
        "starts_at",
        "ends_at",
        "status",
        "late_minutes",
        "left_early_minutes",
        "arrived_at",
        "left_at",
        "computed_status",
        "correction_reason",
        "corrected_by",
        "corrected_at",
    ),
    "hours": (
        "account_id",
        "studio_id",
        "local_date",
        "hour",
        "sessions",
        "viewers",
        "peak_viewers",
        "placed_orders",
        "placed_sales",
        "confirmed_orders",
        "confirmed_sales",
    ),
}
"""Columns of each streamed export, in order (the repository's export queries return these)."""

LINE_COLUMNS = ("line_id", "line_kind", "rule_id", "account_id", "session_id", "description", "base", "amount")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def to_csv(columns: Sequence[str], rows: Iterable[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row[c]) for c in columns])
    return buffer.getvalue()


async def stream_csv(
    columns: Sequence[str], rows: AsyncIterable[Row], chunk_rows: int = STREAM_CHUNK_ROWS
) -> AsyncIterator[bytes]:
    """The CSV of `rows` (header first) in chunks of `chunk_rows` rows: memory stays that of one chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    pending = 0
    async for row in rows:
        writer.writerow([cell(row[c]) for c in columns])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()
