"""CSV export of a studio's pay period: one row per statement line (statements without lines get one row).

    uv run python -m livestudio_commission.export --studio STUDIO --period 2026-03-01 [-o FILE.csv]

`--period` is any local day inside the period (monthly or weekly, per the studio). Reads
`COMMISSION_DATABASE_URL`. Void statements are left out; amounts are exact decimals as stored.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import structlog

from livestudio_commission import repository as repo
from livestudio_commission.periods import period_of
from livestudio_runtime.db import DbConnection, create_pool
from livestudio_runtime.logging import redacted_output

COLUMNS = (
    "studio_id",
    "period_start",
    "period_end",
    "statement_id",
    "host_id",
    "host_name",
    "role",
    "status",
    "revision",
    "currency",
    "statement_total",
    "approved_by",
    "approved_at",
    "paid_by",
    "paid_at",
    "line_id",
    "line_kind",
    "source_period_start",
    "rule_id",
    "account_id",
    "session_id",
    "description",
    "base",
    "amount",
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


async def export_period_csv(conn: DbConnection, studio_id: str, day: date) -> str:
    studio = await repo.get_studio(conn, studio_id)
    period = period_of(day, studio.pay_period if studio else "monthly")
    rows = await repo.period_lines(conn, studio_id, period.start)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        record = {**r, "statement_total": r["total"]}
        writer.writerow([_text(record.get(c)) for c in COLUMNS])
    return out.getvalue()


async def _export(database_url: str, studio_id: str, day: date) -> str:
    pool = await create_pool(database_url, schema=repo.SCHEMA, application_name="livestudio-commission-export")
    try:
        async with pool.acquire() as conn:
            return await export_period_csv(conn, studio_id, day)
    finally:
        await pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    with redacted_output():  # what it prints is redacted like the logs
        return _main(argv)


def _main(argv: Sequence[str] | None = None) -> int:
    from livestudio_commission.settings import CommissionSettings

    parser = argparse.ArgumentParser(
        prog="python -m livestudio_commission.export", description="Export a pay period as CSV."
    )
    parser.add_argument("--studio", required=True)
    parser.add_argument("--period", required=True, type=date.fromisoformat, help="a local day inside the period")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout is the result
    text = asyncio.run(_export(CommissionSettings().database_url, args.studio, args.period))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
