"""HTTP request metrics per route template: counts, latency histogram, in-progress gauge, server errors.

The same series as Litestar's PrometheusMiddleware with `group_path=True` (`livestudio_gateway_http_requests_total`,
`…_request_duration_seconds`, `…_requests_in_progress`, `…_requests_error_total`, labelled `method`, `path` (the
route template, never the raw path), `status_code`, `app_name`), at a fraction of its cost per request: a plain
ASGI middleware (no path-pattern checks per request), no `Request`/URL objects are built, and the labelled children
are looked up once per (method, route, status).
"""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from livestudio_gateway.metrics import (
    HTTP_APP_NAME,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    HTTP_REQUESTS_ERRORS,
    HTTP_REQUESTS_IN_PROGRESS,
)


class _Route:
    """The labelled children of one (method, route template)."""

    __slots__ = ("by_status", "in_progress", "method", "path")

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = path
        # as Litestar's middleware does, the gauge carries the status a request starts with (200)
        self.in_progress = HTTP_REQUESTS_IN_PROGRESS.labels(method, path, "200", HTTP_APP_NAME)
        self.by_status: dict[int, tuple[Any, Any, Any | None]] = {}

    def finished(self, status: int) -> tuple[Any, Any, Any | None]:
        children = self.by_status.get(status)
        if children is None:
            labels = (self.method, self.path, str(status), HTTP_APP_NAME)
            error = HTTP_REQUESTS_ERRORS.labels(*labels) if status >= 500 else None
            children = (HTTP_REQUESTS.labels(*labels), HTTP_REQUEST_DURATION.labels(*labels), error)
            self.by_status[status] = children
        return children


class HttpMetricsMiddleware:
    """Counts every routed request but `/metrics`; the duration ends with the last body message sent. Litestar
    runs it per route (after routing), where `scope["path_template"]` names the route."""

    EXCLUDED_PATH = "/metrics"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[tuple[str, str], _Route] = {}

    def _route(self, scope: Scope) -> _Route:
        method = scope["method"] if scope["type"] == ScopeType.HTTP else scope["type"]
        path = scope["path_template"]
        route = self._routes.get((method, path))
        if route is None:
            route = self._routes[(method, path)] = _Route(method, path)
        return route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in (ScopeType.HTTP, ScopeType.WEBSOCKET) or scope["path"] == self.EXCLUDED_PATH:
            await self.app(scope, receive, send)
            return
        route = self._route(scope)
        started = time.perf_counter()
        span = [200, 0.0]  # status, duration

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                span[0] = message["status"]
            elif message["type"] == "http.response.body":
                span[1] = time.perf_counter() - started
            await send(message)

        route.in_progress.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            route.in_progress.dec()
            count, duration, error = route.finished(int(span[0]))
            if error is not None:
                error.inc()
            count.inc()
            duration.observe(span[1])
