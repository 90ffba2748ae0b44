"""Roster CSV import: rows become host, shift and schedule commands with content-derived ids."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from livestudio_commission.roster_import import RosterImportError, envelope, parse_roster
from livestudio_schemas.commands import HostUpsert, ScheduleEntryUpsert, ShiftTemplateUpsert

CSV = """studio_id,host_id,host_name,role,account_id,date,shift_id,shift_name,shift_start,shift_end,share
st1,h1,Ayu,host,acc-a,2026-03-02,morning,Morning,05:00,10:00,
st1,h2,Budi,leader,acc-a,2026-03-02,day,Day,10:00,15:00,
st1,h3,Citra,,acc-b,2026-03-02,day,,,,3
st1,h1,,,acc-b,2026-03-03,morning,,,,
"""
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_rows_become_commands() -> None:
    commands = parse_roster(CSV, issued_at=NOW)
    kinds = [c.command.kind for _, c in commands]
    assert kinds == [
        "host.upsert",
        "shift.upsert",
        "schedule.upsert",
        "host.upsert",
        "shift.upsert",
        "schedule.upsert",
        "host.upsert",
        "schedule.upsert",
        "schedule.upsert",
    ]
    first_shift = commands[1][1].command
    assert isinstance(first_shift, ShiftTemplateUpsert) and first_shift.start == time(5) and first_shift.end == time(10)
    leader = commands[3][1].command
    assert isinstance(leader, HostUpsert) and leader.role == "leader"
    co_host = commands[7][1].command
    assert isinstance(co_host, ScheduleEntryUpsert)
    assert co_host.share == Decimal(3) and co_host.shift_id == "day" and co_host.shift_date == date(2026, 3, 2)
    assert commands[7][0] == co_host.entry_id == "st1:h3:acc-b:2026-03-02:day"
    # the same file gives the same command ids: importing twice changes nothing
    assert [c.command_id for _, c in parse_roster(CSV, issued_at=NOW)] == [c.command_id for _, c in commands]
    assert envelope(commands[0][1]).type == "livestudio.command.v1"


def test_explicit_windows() -> None:
    text = (
        "studio_id,host_id,account_id,starts_at,ends_at\n"
        "st1,h1,acc-a,2026-03-02T23:00:00+07:00,2026-03-03T01:00:00+07:00\n"
    )
    ((key, cmd),) = parse_roster(text, issued_at=NOW)
    assert isinstance(cmd.command, ScheduleEntryUpsert)
    assert cmd.command.shift_id is None and cmd.command.ends_at is not None
    assert key == cmd.command.entry_id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("studio_id,host_id\nst1,h1\n", "missing columns: account_id"),
        ("studio_id,host_id,account_id\nst1,h1,acc\n", "line 2: give shift_id and date"),
        ("studio_id,host_id,account_id,date,shift_id\nst1,,acc,2026-03-02,day\n", "line 2: host_id is empty"),
        ("studio_id,host_id,account_id,date,shift_id\nst1,h1,acc,03/02/2026,day\n", "line 2"),
        ("studio_id,host_id,account_id,date,shift_id,share\nst1,h1,acc,2026-03-02,day,-1\n", "line 2"),
    ],
)
def test_bad_rows_name_the_line(text: str, message: str) -> None:
    with pytest.raises(RosterImportError, match=message):
        parse_roster(text, issued_at=NOW)
