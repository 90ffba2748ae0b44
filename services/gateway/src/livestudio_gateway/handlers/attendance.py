"""Attendance of schedule entries (issue #20): the records per host and period, and a manager's correction.

The commission computes a record once an entry's window has closed (on time, late by N minutes, absent, left
early) and keeps a manager's correction beside it. Reads are scoped like the other roster reads: a studio outside
the caller's scope is a 403 as a filter and a 404 as a named host or account; a host sees only their own records.
A correction is a command (202), for managers and owners of the entry's studio; the audit trail records it like
every command the gateway forwards.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Response, get, post
from litestar.params import JSONBody, QueryParameter

from livestudio_gateway import analytics, commands
from livestudio_gateway.auth import require_writer
from livestudio_gateway.handlers.common import (
    READS,
    WRITES,
    AccountQ,
    ApiRequest,
    CursorQ,
    FromQ,
    HostQ,
    IdPath,
    PageLimitQ,
    StudioQ,
    ToQ,
    caller,
    now,
    roster_scope,
    submit,
)
from livestudio_gateway.models import (
    AttendanceCorrection,
    AttendanceCorrectionBody,
    AttendancePage,
    AttendanceRecord,
    CommandAccepted,
)
from livestudio_gateway.pagination import attendance_cursor, decode_attendance_cursor
from livestudio_gateway.problems import Conflict, NotFound
from livestudio_schemas.commands import AttendanceCorrect

StatusQ = Annotated[
    Literal["on_time", "late", "left_early", "absent"] | None,
    QueryParameter(description="only records with this status (corrections applied)"),
]
MAX_DAYS = 62


def record(row: Any) -> AttendanceRecord:
    corrected = row["corrected_status"] is not None
    return AttendanceRecord(
        entry_id=row["entry_id"],
        studio_id=row["studio_id"],
        host_id=row["host_id"],
        account_id=row["account_id"],
        local_day=row["local_day"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        status=row["corrected_status"] if corrected else row["status"],
        late_minutes=row["corrected_late_minutes"] if corrected else row["late_minutes"],
        left_early_minutes=row["corrected_left_early_minutes"] if corrected else row["left_early_minutes"],
        computed_status=row["status"],
        computed_late_minutes=row["late_minutes"],
        computed_left_early_minutes=row["left_early_minutes"],
        arrived_at=row["arrived_at"],
        left_at=row["left_at"],
        on_air_known=row["on_air_known"],
        grace_minutes=row["grace_minutes"],
        computed_at=row["computed_at"],
        correction=AttendanceCorrection(
            status=row["corrected_status"],
            late_minutes=row["corrected_late_minutes"],
            left_early_minutes=row["corrected_left_early_minutes"],
            reason=row["correction_reason"],
            corrected_by=row["corrected_by"],
            corrected_at=row["corrected_at"],
        )
        if corrected
        else None,
    )


@get(
    "/attendance",
    summary="Attendance of schedule entries per host and period",
    description=(
        "One record per schedule entry whose window has closed (or that a manager corrected), on the entry's local "
        "day: on time, late by N minutes, absent or left early, from check-ins and the account's on-air time with "
        "the studio's grace period. `status` and the minutes are the manager's correction when there is one "
        "(`correction`), else the computed ones (`computed_*`). Oldest first; at most 62 days. A host sees only "
        "their own. Keyset pagination: pass `next_cursor` back as `cursor` with the same filters."
    ),
    tags=["roster"],
    responses=READS,
)
async def list_attendance(
    request: ApiRequest,
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    host_id: HostQ = None,
    account_id: AccountQ = None,
    status: StatusQ = None,
    cursor: CursorQ = None,
    limit: PageLimitQ = 200,
) -> AttendancePage:
    principal, gw = caller(request)
    analytics.check_range(date_from, date_to, max_days=MAX_DAYS)
    scope, host = await roster_scope(gw, principal, studio_id, host_id, account_id)
    after = decode_attendance_cursor(cursor) if cursor else None
    rows = await gw.repo.attendance(
        scope,
        host_id=host,
        account_id=account_id,
        day_from=date_from,
        day_to=date_to,
        status=status,
        after=after,
        limit=limit + 1,
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = attendance_cursor(last["starts_at"], last["entry_id"])
    return AttendancePage(
        date_from=date_from, date_to=date_to, items=[record(r) for r in rows[:limit]], next_cursor=next_cursor
    )


@post(
    "/studios/{studio_id:str}/attendance/{entry_id:str}/correction",
    summary="Correct a schedule entry's attendance, with a reason (command)",
    description=(
        "Managers and owners. The correction (status, minutes, reason, who, when) is kept beside the computed record "
        "and never overwritten when it is recomputed; a later correction replaces it. `late` needs `late_minutes` > "
        "0, `left_early` needs `left_early_minutes` > 0, `absent` carries no minutes. The entry must have started "
        "(409 otherwise). Recorded in the audit trail."
    ),
    tags=["roster", "commands"],
    status_code=202,
    responses=WRITES,
)
async def correct_attendance(
    request: ApiRequest, studio_id: IdPath, entry_id: IdPath, data: JSONBody[AttendanceCorrectionBody]
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = commands.make(
        AttendanceCorrect,
        entry_id=entry_id,
        studio_id=studio_id,
        status=data.status,
        late_minutes=data.late_minutes,
        left_early_minutes=data.left_early_minutes,
        reason=data.reason,
    )
    window = await gw.repo.entry_window(entry_id)
    if window is None or window["studio_id"] != studio_id:
        raise NotFound(f"schedule entry {entry_id!r} not found in studio {studio_id!r}")
    if window["starts_at"] is None or window["starts_at"] > now():
        raise Conflict(f"schedule entry {entry_id!r} has not started yet", slug="not-started")
    return await submit(gw, principal, command)


ROUTES = [list_attendance, correct_attendance]
