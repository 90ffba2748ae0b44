"""Prometheus metrics of the alerts service (default registry, prefix livestudio_alerts_).

The exactly-once consumer reports its own `livestudio_consumer_*` metrics (batches, lag, DLQ).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

DECISIONS = Counter(
    "livestudio_alerts_notifications_total",
    "Notifications decided, by kind (rule kind or daily_summary) and status (queued, suppressed_quiet, …)",
    ["kind", "status"],
)
DELIVERIES = Counter(
    "livestudio_alerts_deliveries_total",
    "Delivery attempts by channel kind and outcome (sent, retry, failed)",
    ["channel", "outcome"],
)
OUTBOX_BACKLOG = Gauge("livestudio_alerts_outbox_backlog", "Deliveries pending (not yet sent nor reported failed)")
OLDEST_PENDING = Gauge(
    "livestudio_alerts_outbox_oldest_pending_seconds", "Age of the oldest pending delivery (0 when none)"
)
COMMANDS = Counter("livestudio_alerts_commands_total", "Commands applied by kind and status", ["kind", "status"])
EVALUATIONS = Counter(
    "livestudio_alerts_evaluations_total", "Rounds of the time-based rules and summaries, by outcome", ["outcome"]
)

for _channel in ("webhook", "telegram", "email"):
    for _outcome in ("sent", "retry", "failed"):
        DELIVERIES.labels(_channel, _outcome)
for _outcome in ("ok", "error"):
    EVALUATIONS.labels(_outcome)
