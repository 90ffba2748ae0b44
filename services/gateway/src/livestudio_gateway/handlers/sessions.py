"""Routes of live sessions: the list with keyset pagination, the detail, and the SSE live feed."""

from __future__ import annotations

import functools
from typing import Annotated, Final

from litestar import get
from litestar.params import QueryParameter
from litestar.response import Stream

from livestudio_gateway import analytics, live
from livestudio_gateway.auth import host_filter, studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    AccountQ,
    ApiRequest,
    CursorQ,
    HostQ,
    IdPath,
    OptFromQ,
    OptToQ,
    PageLimitQ,
    SessionIdPath,
    StudioQ,
    caller,
    not_host,
    now,
    token_expiry,
    visible_account,
    visible_host,
)
from livestudio_gateway.models import (
    LiveSession,
    SessionDetail,
    SessionHost,
    SessionMetrics,
    SessionPage,
    SessionProduct,
    SessionSummary,
    TimelinePoint,
)
from livestudio_gateway.pagination import SESSION_SORTS, SessionSort, decode_session_cursor, session_cursor
from livestudio_gateway.problems import BadRequest, NotFound
from livestudio_gateway.repository import HOST_ROW, PRODUCT_ROW, TIMELINE_ROW


# --- sessions -----------------------------------------------------------------------------------------------
@get(
    "/sessions",
    summary="Live sessions, newest first by default",
    description="Keyset pagination: pass `next_cursor` back as `cursor` with the same filters and sort.",
    tags=["sessions"],
    responses=READS,
)
async def list_sessions(
    request: ApiRequest,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    host_id: HostQ = None,
    on_air: Annotated[bool | None, QueryParameter(description="only sessions on / off air")] = None,
    date_from: OptFromQ = None,
    date_to: OptToQ = None,
    sort: Annotated[SessionSort, QueryParameter(description="sort key; '-' for descending; unknown last")] = (
        "-started_at"
    ),
    cursor: CursorQ = None,
    limit: PageLimitQ = 50,
) -> SessionPage:
    principal, gw = caller(request)
    scope = studio_filter(principal, studio_id)
    host = host_filter(principal, host_id)
    if date_from is not None:
        analytics.check_day(date_from, "date_from")
    if date_to is not None:
        analytics.check_day(date_to, "date_to")
    if date_from is not None and date_to is not None and date_to < date_from:
        raise BadRequest("date_to is before date_from")
    if account_id is not None:
        await visible_account(gw, account_id, scope)
    if host_id is not None and not principal.is_host:
        await visible_host(gw, host_id, scope)
    after = decode_session_cursor(cursor, sort) if cursor else None
    rows = await gw.repo.sessions(
        scope,
        sort=sort,
        account_id=account_id,
        on_air=on_air,
        day_from=date_from,
        day_to=date_to,
        host_id=host,
        limit=limit + 1,
        after=after,
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        column = SESSION_SORTS[sort].column
        next_cursor = session_cursor(sort, last[column], last["account_id"], last["session_id"])
    return SessionPage(items=[SessionSummary(**r) for r in rows[:limit]], next_cursor=next_cursor)


_METRIC_FIELDS: Final = tuple(SessionMetrics.__struct_fields__)
_TIMELINE: Final = tuple(name for name, _ in TIMELINE_ROW)
_PRODUCT: Final = tuple(name for name, _ in PRODUCT_ROW)
_HOST: Final = tuple(name for name, _ in HOST_ROW)


@get(
    "/sessions/{account_id:str}/{session_id:int}",
    summary="One session: newest metrics, per-minute timeline, products and hosts",
    tags=["sessions"],
    responses=READS,
)
async def get_session(
    request: ApiRequest,
    account_id: IdPath,
    session_id: SessionIdPath,
) -> SessionDetail:
    principal, gw = caller(request)
    row = await gw.repo.session_detail(
        account_id, session_id, principal.studio_scope, principal.host_id if principal.is_host else None
    )
    if row is None:
        raise NotFound(f"session {account_id}/{session_id} not found")
    return SessionDetail(
        account_id=row["account_id"],
        session_id=row["session_id"],
        studio_id=row["studio_id"],
        title=row["title"],
        on_air=row["on_air"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        duration_ms=row["duration_ms"],
        local_day=row["local_day"],
        timezone=row["timezone"],
        currency=row["currency"],
        observed_at=row["observed_at"],
        metrics=SessionMetrics(**{name: row[name] for name in _METRIC_FIELDS}),
        derived=analytics.session_derived(row),
        timeline=[TimelinePoint(**dict(zip(_TIMELINE, r, strict=True))) for r in row["timeline"]],
        products=[SessionProduct(**dict(zip(_PRODUCT, r, strict=True))) for r in row["products"]],
        hosts=[SessionHost(**dict(zip(_HOST, r, strict=True))) for r in row["hosts"]],
        settling=analytics.settling(row["on_air"], row["local_day"], row["timezone"], now()),
    )


# --- live -----------------------------------------------------------------------------------------------------
@get(
    "/live",
    summary="Server-Sent Events: on-air session changes in the caller's scope",
    description=(
        'First an `event: snapshot` with the sessions on air now (`{"sessions": [...]}`), then one '
        "`event: session` per change (LiveSession JSON), and `: keep-alive` comments. EventSource clients may "
        "pass the token as `?access_token=`."
    ),
    tags=["live"],
    media_type="text/event-stream",
    responses=READS,
)
async def live_sessions(
    request: ApiRequest,
    studio_id: StudioQ = None,
    account_id: AccountQ = None,
    access_token: Annotated[
        str | None, QueryParameter(max_length=4096, description="the bearer token, for EventSource")
    ] = None,
) -> Stream:
    principal, gw = caller(request)
    not_host(principal)
    scope = studio_filter(principal, studio_id)
    if account_id is not None:
        await visible_account(gw, account_id, scope)
    identity = gw.identity
    still_admitted = (
        functools.partial(identity.still_signed_in, principal) if identity is not None and principal.sid else None
    )
    sub = gw.hub.subscribe(
        scope, account_id, caller=principal.sub, expires_at=token_expiry(request), still_admitted=still_admitted
    )
    try:
        rows = await gw.repo.on_air_sessions(scope)
    except BaseException:
        gw.hub.unsubscribe(sub)
        raise
    current = [
        LiveSession(kind="current", **{k: r[k] for k in _LIVE_FIELDS})
        for r in rows
        if account_id is None or r["account_id"] == account_id
    ]
    initial = live.sse_frame("snapshot", live.encode({"sessions": current}))
    return Stream(
        live.stream(sub, gw.hub, initial, gw.settings.sse_keepalive_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


_LIVE_FIELDS: Final = tuple(f for f in LiveSession.__struct_fields__ if f != "kind")


ROUTES = [list_sessions, get_session, live_sessions]
