"""Prometheus metrics of the commission service (default registry, prefix livestudio_commission_).

The exactly-once consumer reports its own `livestudio_consumer_*` metrics (batches, lag, DLQ).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OBSERVATIONS = Counter(
    "livestudio_commission_observations_total",
    "Session events seen, by outcome (attributed, ignored_old, no_change)",
    ["outcome"],
)
INCREMENTS = Counter(
    "livestudio_commission_increments_total", "Increments attributed, by kind (time, settle)", ["kind"]
)
UNASSIGNED_INCREMENTS = Counter(
    "livestudio_commission_unassigned_increments_total",
    "Increments of which some part went to the unassigned bucket (sold outside any rostered window)",
)
SESSIONS_REATTRIBUTED = Counter(
    "livestudio_commission_sessions_reattributed_total", "Sessions re-attributed after a roster change"
)
COMMANDS = Counter("livestudio_commission_commands_total", "Commands applied by kind and status", ["kind", "status"])
STATEMENTS_RECOMPUTED = Counter(
    "livestudio_commission_statements_recomputed_total", "Statements whose lines were recomputed"
)
EVENTS_WRITTEN = Counter(
    "livestudio_commission_outbox_written_total", "Statement events written to the outbox", ["type"]
)
EVENTS_PUBLISHED = Counter("livestudio_commission_outbox_published_total", "Statement events published to Kafka")
OUTBOX_BACKLOG = Gauge("livestudio_commission_outbox_backlog", "Outbox events not yet published")
DIRTY_BACKLOG = Gauge(
    "livestudio_commission_statement_backlog", "Pending (host, day) marks waiting for statement recomputation"
)
ATTENDANCE_COMPUTED = Counter(
    "livestudio_commission_attendance_computed_total", "Attendance records computed, by status", ["status"]
)

# Children resolved once: `labels()` is a dictionary lookup under a lock, per event on the hot path.
OBSERVED = {outcome: OBSERVATIONS.labels(outcome) for outcome in ("attributed", "ignored_old", "no_change")}
INCREMENTS_BY_KIND = {kind: INCREMENTS.labels(kind) for kind in ("time", "settle")}
CHECKOUT_EVENTS = Counter(
    "livestudio_commission_affiliate_checkouts_total", "Affiliate checkout events by outcome", ["outcome"]
)
CHECKOUTS = {outcome: CHECKOUT_EVENTS.labels(outcome) for outcome in ("applied", "ignored_old")}
HOURS_BACKFILL_BACKLOG = Gauge(
    "livestudio_commission_hours_backfill_backlog",
    "Sessions attributed before the host-hours migration still waiting for their hours of the day",
)
HOURS_BACKFILLED = Counter(
    "livestudio_commission_hours_backfilled_total", "Sessions whose hours of the day the backfill recomputed"
)
