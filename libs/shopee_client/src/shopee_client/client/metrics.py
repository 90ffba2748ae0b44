"""Prometheus metrics of the client (default registry, prefix `shopee_client_`).

Labels are bounded: `endpoint` is a name from the endpoint table (never a URL), `outcome`/`kind` come from the
error taxonomy. No account ids, no cookies. Every HTTP attempt (including retries) is counted.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["ERRORS", "IN_FLIGHT", "LATENCY", "REQUESTS", "RETRIES"]

REQUESTS = Counter(
    "shopee_client_requests_total",
    "HTTP attempts to Shopee by endpoint and outcome (ok or an error kind).",
    ["endpoint", "outcome"],
)
LATENCY = Histogram(
    "shopee_client_request_duration_seconds",
    "Latency of one HTTP attempt by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ERRORS = Counter(
    "shopee_client_errors_total",
    "Failed HTTP attempts by endpoint and error kind.",
    ["endpoint", "kind"],
)
RETRIES = Counter(
    "shopee_client_retries_total",
    "Retries scheduled after a transient failure, by endpoint.",
    ["endpoint"],
)
IN_FLIGHT = Gauge("shopee_client_in_flight", "HTTP requests currently in flight (all accounts).")
