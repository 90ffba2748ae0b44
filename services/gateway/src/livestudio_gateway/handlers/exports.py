"""Streamed CSV exports (issue #20): sessions, daily figures, products, host performance, attendance and hours.

Rows come from a server-side cursor in one transaction and leave as CSV chunks as they are read, so a year of
data exports in constant memory; cells are escaped like every export (`exports.cell`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import get
from litestar.params import PathParameter
from litestar.response import Stream

from livestudio_gateway import analytics, exports
from livestudio_gateway.auth import studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    AccountQ,
    ApiRequest,
    FromQ,
    StudioQ,
    ToQ,
    caller,
    not_host,
    visible_account,
)

ExportKind = Literal["sessions", "daily", "products", "hosts", "attendance", "hours"]


@get(
    "/exports/{kind:str}",
    summary="A CSV export of sessions, daily figures, products, host performance, attendance or hours over a range",
    description="Streamed as it is read (a year of data in constant memory). Days are studio-local; empty cells "
    "are unknown figures; cells a spreadsheet would run as a formula are prefixed with an apostrophe.",
    tags=["exports"],
    media_type="text/csv",
    responses=READS,
)
async def export_csv(
    request: ApiRequest,
    kind: Annotated[ExportKind, PathParameter(description="what to export")],
    date_from: FromQ,
    date_to: ToQ,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
) -> Stream:
    principal, gw = caller(request)
    not_host(principal)
    analytics.check_range(date_from, date_to)
    scope = studio_filter(principal, studio_id)
    if account_id is not None:
        await visible_account(gw, account_id, scope)
    rows = gw.repo.export_rows(kind, scope, date_from, date_to, account_id)
    return Stream(
        exports.stream_csv(exports.EXPORT_COLUMNS[kind], rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{kind}-{date_from}-{date_to}.csv"'},
    )


ROUTES = [export_csv]
