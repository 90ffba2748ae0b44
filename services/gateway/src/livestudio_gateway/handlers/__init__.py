"""The routes of `/api/v1`: thin handlers that check the caller's scope, then call the repository or publish a
command.

Reads answer 404 for anything outside the caller's studios (existence is not revealed) and 403 for a filter that
names a studio outside them. Commands answer 202 with a command id; `GET /api/v1/commands/{id}` shows the
outcome the owning service recorded. One module per area; this one assembles the router.
"""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

from litestar import Request, Router
from litestar.datastructures import State
from litestar.params import QueryParameter

from livestudio_gateway.handlers import (
    accounts,
    alerts,
    attendance,
    exports,
    hours,
    insights,
    live_now,
    pay,
    profit,
    roster,
    roster_reads,
    sessions,
    studios,
    targets,
)
from livestudio_gateway.handlers.common import API_PREFIX
from livestudio_gateway.problems import BadRequest

__all__ = ["API_PREFIX", "api_router"]

_QUERY_NAMES: dict[int, tuple[Any, frozenset[str]]] = {}
"""Declared query names per route handler, by id; the handler is kept with them, so that an id reused by another
handler (apps built and dropped, as tests do) never returns the names of a handler that is gone."""


def declared_query(handler: Any) -> frozenset[str]:
    """The query names a route handler declares: its parameters annotated `Annotated[T, QueryParameter(...)]`
    (by `QueryParameter(name=...)` when it renames one), read from the handler function's public `fn` and its
    type hints, the way Litestar itself reads them."""
    cached = _QUERY_NAMES.get(id(handler))
    if cached is not None and cached[0] is handler:
        return cached[1]
    fn = inspect.unwrap(handler.fn)
    try:
        hints = get_type_hints(fn, include_extras=True)
    except NameError:
        # Litestar's own handlers (OPTIONS, the OpenAPI routes) annotate with names their module imports only for
        # type checking; they declare no query. The gateway's handlers resolve (tests/gateway/unit/test_query_names.py).
        hints = {}
    declared: set[str] = set()
    for name, parameter in inspect.signature(fn).parameters.items():
        kwargs = [m for m in getattr(hints.get(name), "__metadata__", ()) if isinstance(m, QueryParameter)]
        if isinstance(parameter.default, QueryParameter):
            kwargs.append(parameter.default)
        declared.update(kwarg.name or name for kwarg in kwargs)
    names = frozenset(declared)
    _QUERY_NAMES[id(handler)] = (handler, names)
    return names


async def reject_unknown_query(request: Request[Any, Any, State]) -> None:
    """A misspelt filter must not silently widen a query: unknown query parameters are a 400."""
    unknown = set(request.query_params) - declared_query(request.route_handler)
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(sorted(unknown))}", slug="unknown-parameter")


def api_router() -> Router:
    return Router(
        path=API_PREFIX,
        before_request=reject_unknown_query,
        route_handlers=[
            *studios.ROUTES,
            *accounts.ROUTES,
            *roster.ROUTES,
            *roster_reads.ROUTES,
            *attendance.ROUTES,
            *sessions.ROUTES,
            *insights.ROUTES,
            *live_now.ROUTES,
            *hours.ROUTES,
            *exports.ROUTES,
            *pay.ROUTES,
            *profit.ROUTES,
            *alerts.ROUTES,
            *targets.ROUTES,
        ],
    )
