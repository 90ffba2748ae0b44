"""The identity router: the public auth routes and the organisation's routes under `/api/v1`."""

from __future__ import annotations

from litestar import Router

from livestudio_gateway.handlers import reject_unknown_query
from livestudio_gateway.handlers.common import API_PREFIX
from livestudio_gateway.identity import handlers, org_handlers


def identity_router() -> Router:
    return Router(
        path=API_PREFIX,
        before_request=reject_unknown_query,
        route_handlers=[*handlers.ROUTES, *org_handlers.ROUTES],
    )
