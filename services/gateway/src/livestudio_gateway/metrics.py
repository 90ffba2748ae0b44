"""Prometheus metrics of the gateway (default registry, prefix livestudio_gateway_).

HTTP request counts and latencies per route template are recorded by `httpmetrics.HttpMetricsMiddleware`
(`livestudio_gateway_http_*`, labelled by path template, never by raw path).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

COMMANDS_PUBLISHED = Counter(
    "livestudio_gateway_commands_published_total", "Commands published to the commands topic", ["kind"]
)
COMMAND_PUBLISH_FAILURES = Counter(
    "livestudio_gateway_command_publish_failures_total", "Commands that could not be published (answered 503)"
)
RATE_LIMITED = Counter("livestudio_gateway_rate_limited_total", "Requests answered 429")
SSE_CLIENTS = Gauge("livestudio_gateway_sse_clients", "Browsers connected to the live endpoint")
SSE_EVENTS_RECEIVED = Counter(
    "livestudio_gateway_sse_events_received_total", "Session events read from the session topic", ["type"]
)
SSE_EVENTS_SENT = Counter("livestudio_gateway_sse_events_sent_total", "Events queued to connected browsers")
SSE_EVENTS_DROPPED = Counter(
    "livestudio_gateway_sse_events_dropped_total", "Events dropped because a browser's queue was full"
)
SSE_EVENTS_INVALID = Counter(
    "livestudio_gateway_sse_events_invalid_total", "Session-topic records that could not be decoded (skipped)"
)
SSE_FEED_RESTARTS = Counter("livestudio_gateway_sse_feed_restarts_total", "Restarts of the session-topic consumer")

# --- HTTP (httpmetrics.HttpMetricsMiddleware; the names and labels of Litestar's Prometheus middleware) -------
HTTP_APP_NAME = "livestudio-gateway"
# names and labels spelled out (not built): the deploy tests read metric definitions from the source
HTTP_REQUESTS = Counter(
    "livestudio_gateway_http_requests_total", "Total requests", ["method", "path", "status_code", "app_name"]
)
HTTP_REQUEST_DURATION = Histogram(
    "livestudio_gateway_http_request_duration_seconds",
    "Request duration, in seconds",
    ["method", "path", "status_code", "app_name"],
)
HTTP_REQUESTS_IN_PROGRESS = Gauge(
    "livestudio_gateway_http_requests_in_progress",
    "Total requests currently in progress",
    ["method", "path", "status_code", "app_name"],
    multiprocess_mode="livesum",
)
HTTP_REQUESTS_ERRORS = Counter(
    "livestudio_gateway_http_requests_error_total",
    "Total errors in requests",
    ["method", "path", "status_code", "app_name"],
)
