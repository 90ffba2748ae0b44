"""Roster import from CSV: one schedule assignment per row, turned into the same commands the gateway sends.

    uv run python -m livestudio_commission.roster_import ROSTER.csv            # publish to the commands topic
    uv run python -m livestudio_commission.roster_import ROSTER.csv --apply    # apply directly to Postgres

Publishing (the default) sends the commands to `COMMISSION_COMMANDS_TOPIC` on `COMMISSION_KAFKA_BOOTSTRAP`, so
they reach the service like any command and stay in the audit log. `--apply` runs them through the same
`commands.apply_command` code path against `COMMISSION_DATABASE_URL` (each recorded in `command_results`).
Command ids are derived from the file's content and row, so importing the same file twice changes nothing.

CSV columns (a header row is required; column order is free; empty cells mean "not given"):

| column | required | meaning |
|---|---|---|
| studio_id | yes | the studio |
| host_id | yes | the host on air |
| account_id | yes | the Shopee account streamed on |
| date | with shift_id | local date of the shift (YYYY-MM-DD) |
| shift_id | one of shift_id / starts_at+ends_at | a shift template |
| starts_at, ends_at | see above | explicit window, ISO 8601 with offset (2026-03-02T10:00:00+07:00) |
| share | no | weight among co-hosts of the same window (default 1) |
| entry_id | no | schedule entry id (default: studio:host:account:date:shift, or the explicit start) |
| host_name | no | when given, the host is created/updated (host.upsert) with `role` |
| role | no | host, leader, ... (default host) |
| shift_name, shift_start, shift_end | no | when given (HH:MM), the shift template is created/updated (shift.upsert) |

Rows that define the same host or shift twice must agree; the first definition is used.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import io
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import structlog
from pydantic import ValidationError

from livestudio_runtime.logging import redacted_output
from livestudio_schemas.commands import (
    COMMAND,
    Command,
)
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id

SOURCE = "/livestudio/commission/roster-import"
REQUIRED = ("studio_id", "host_id", "account_id")


class RosterImportError(ValueError):
    """A row that cannot become a command; the message names the line."""


def _cell(row: dict[str, str | None], name: str) -> str | None:
    value = (row.get(name) or "").strip()
    return value or None


def _parse_time(value: str, line: int, column: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise RosterImportError(f"line {line}: {column} {value!r} is not HH:MM") from None


def parse_roster(
    text: str, *, actor: str = "roster-import", issued_at: datetime | None = None
) -> list[tuple[str, Command]]:
    """(Kafka key, command) for every host, shift and schedule entry the CSV defines, in file order."""
    issued_at = issued_at or datetime.now(UTC)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise RosterImportError(f"missing columns: {', '.join(missing)}")
    out: list[tuple[str, Command]] = []
    hosts: set[str] = set()
    shifts: set[str] = set()

    def command(line: int, what: str, key: str, body: object) -> None:
        try:
            cmd = Command.model_validate(
                {
                    "command_id": f"roster:{digest}:{line}:{what}",
                    "actor": actor,
                    "issued_at": issued_at,
                    "command": body,
                }
            )
        except ValidationError as exc:
            raise RosterImportError(f"line {line}: {exc}") from exc
        out.append((key, cmd))

    for line, row in enumerate(reader, start=2):
        values = {k: _cell(row, k) for k in row if k is not None}
        for column in REQUIRED:
            if values.get(column) is None:
                raise RosterImportError(f"line {line}: {column} is empty")
        studio_id, host_id, account_id = (str(values[c]) for c in REQUIRED)
        host_name = values.get("host_name")
        if host_name and host_id not in hosts:
            hosts.add(host_id)
            host = {
                "kind": "host.upsert",
                "host_id": host_id,
                "studio_id": studio_id,
                "name": host_name,
                "role": values.get("role") or "host",
            }
            command(line, "host", host_id, host)
        shift_id = values.get("shift_id")
        shift_start, shift_end = values.get("shift_start"), values.get("shift_end")
        if shift_id and shift_start and shift_end and shift_id not in shifts:
            shifts.add(shift_id)
            shift = {
                "kind": "shift.upsert",
                "shift_id": shift_id,
                "studio_id": studio_id,
                "name": values.get("shift_name") or shift_id,
                "start": _parse_time(shift_start, line, "shift_start"),
                "end": _parse_time(shift_end, line, "shift_end"),
            }
            command(line, "shift", shift_id, shift)
        day_text, starts_text, ends_text = values.get("date"), values.get("starts_at"), values.get("ends_at")
        try:
            share = Decimal(values.get("share") or "1")
            day = date.fromisoformat(day_text) if day_text else None
            starts = datetime.fromisoformat(starts_text) if starts_text else None
            ends = datetime.fromisoformat(ends_text) if ends_text else None
        except (ValueError, InvalidOperation) as exc:
            raise RosterImportError(f"line {line}: {exc}") from None
        if starts is None and (shift_id is None or day is None):
            raise RosterImportError(f"line {line}: give shift_id and date, or starts_at and ends_at")
        anchor = starts.isoformat() if starts is not None else f"{day}:{shift_id}"
        entry_id = values.get("entry_id") or f"{studio_id}:{host_id}:{account_id}:{anchor}"
        entry = {
            "kind": "schedule.upsert",
            "entry_id": entry_id,
            "studio_id": studio_id,
            "host_id": host_id,
            "account_id": account_id,
            "starts_at": starts,
            "ends_at": ends,
            "shift_id": shift_id if starts is None else None,
            "shift_date": day if starts is None else None,
            "share": share,
        }
        command(line, "entry", entry_id, entry)
    return out


def envelope(command: Command) -> CloudEvent[Command]:
    return CloudEvent[Command].wrap(
        command,
        type_=COMMAND,
        source=SOURCE,
        time=command.issued_at,
        subject=command.command.kind,
        id_=deterministic_event_id("command", command.command_id),
    )


async def publish(commands: Sequence[tuple[str, Command]], *, bootstrap: str, topic: str) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        for key, command in commands:
            await producer.send_and_wait(topic, envelope(command).to_json_bytes(), key=key.encode())
    finally:
        await producer.stop()


async def apply_directly(
    commands: Sequence[tuple[str, Command]], *, database_url: str, default_timezone: str
) -> dict[str, int]:
    """Apply through the service's own command path; counts of applied / rejected / skipped."""
    from livestudio_commission import commands as command_path
    from livestudio_commission import statements
    from livestudio_commission.service import prepare_database
    from livestudio_commission.settings import CommissionSettings

    pool = await prepare_database(CommissionSettings(database_url=database_url))
    counts = {"applied": 0, "rejected": 0, "skipped": 0}
    try:
        for _, command in commands:
            async with pool.acquire() as conn, conn.transaction():
                status = await command_path.apply_command(conn, command, default_timezone=default_timezone)
            counts[status or "skipped"] += 1
        await statements.drain(pool)
    finally:
        await pool.close()
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    with redacted_output():  # what it prints is redacted like the logs
        return _main(argv)


def _main(argv: Sequence[str] | None = None) -> int:
    from livestudio_commission.settings import CommissionSettings

    parser = argparse.ArgumentParser(
        prog="python -m livestudio_commission.roster_import", description="Import a roster CSV as commands."
    )
    parser.add_argument("file", type=Path, help="roster CSV")
    parser.add_argument("--apply", action="store_true", help="apply to Postgres directly instead of publishing")
    parser.add_argument("--actor", default="roster-import", help="recorded as the commands' actor")
    args = parser.parse_args(argv)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout is the result
    settings = CommissionSettings()
    try:
        commands = parse_roster(args.file.read_text(encoding="utf-8-sig"), actor=args.actor)
    except RosterImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.apply:
        counts = asyncio.run(
            apply_directly(commands, database_url=settings.database_url, default_timezone=settings.default_timezone)
        )
        print(", ".join(f"{k} {v}" for k, v in counts.items()))
    else:
        asyncio.run(publish(commands, bootstrap=settings.kafka_bootstrap, topic=settings.commands_topic))
        print(f"published {len(commands)} commands to {settings.commands_topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
