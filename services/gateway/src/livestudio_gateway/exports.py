"""CSV exports of commission statements and their lines (for payroll spreadsheets).

Money stays an exact decimal string; empty cells mean unknown. Cells that a spreadsheet would run as a formula
(starting with = + - @ or a tab/CR) are prefixed with an apostrophe, except plain numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
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
