"""Prometheus metrics of the ingest service (default registry, prefix `livestudio_ingest_`).

Labels are bounded: endpoint names, outcomes (error kinds), event types and account states. Never an account
id or a cookie; per-account freshness lives in `ingest.accounts.last_successful_poll_at` and the status events.
Shopee request latency per attempt is the client's `shopee_client_request_duration_seconds`.
"""

from __future__ import annotations

import functools

from prometheus_client import Counter, Gauge, Histogram

POLLS = Counter(
    "livestudio_ingest_polls_total",
    "Shopee calls made by the poller, by endpoint and outcome (ok or an error kind)",
    ["endpoint", "outcome"],
)
POLL_SECONDS = Histogram(
    "livestudio_ingest_poll_seconds",
    "Duration of one Shopee call made by the poller (including client retries), by endpoint",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CYCLE_SECONDS = Histogram(
    "livestudio_ingest_cycle_seconds",
    "Duration of one account poll cycle (sessionList and, when due, overview/products/history)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
SCHEDULING_LAG = Histogram(
    "livestudio_ingest_scheduling_lag_seconds",
    "How late an account's poll cycle started compared with its schedule",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ACCOUNTS = Gauge("livestudio_ingest_accounts", "Accounts owned by this replica, by state", ["state"])
ACCOUNTS_ASSIGNED = Gauge("livestudio_ingest_accounts_assigned", "Accounts this replica owns (any state)")
PARTITIONS_ASSIGNED = Gauge(
    "livestudio_ingest_partitions_assigned", "Partitions of the membership topic assigned to this replica"
)
ON_AIR = Gauge("livestudio_ingest_on_air_sessions", "Sessions currently on air among the owned accounts")
EVENTS_PUBLISHED = Counter(
    "livestudio_ingest_events_published_total", "Events acknowledged by the broker, by event type", ["type"]
)
EVENTS_ENQUEUED = Counter(
    "livestudio_ingest_events_enqueued_total", "Events handed to the outbox (before conflation), by type", ["type"]
)
EVENTS_CONFLATED = Counter(
    "livestudio_ingest_events_conflated_total",
    "Unpublished events replaced by a newer one for the same session (skipped intermediate snapshots)",
    ["type"],
)
EVENTS_DROPPED = Counter(
    "livestudio_ingest_events_dropped_total", "Events dropped because the outbox was full", ["type"]
)
PUBLISH_FAILURES = Counter("livestudio_ingest_publish_failures_total", "Publish attempts that failed")
PUBLISH_DELAY = Histogram(
    "livestudio_ingest_publish_delay_seconds",
    "From an event entering the outbox to the broker acknowledging it",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BACKLOG = Gauge("livestudio_ingest_unpublished_backlog", "Events waiting in the outbox (conflated, bounded)")
OLDEST_SUCCESS_AGE = Gauge(
    "livestudio_ingest_oldest_successful_poll_age_seconds",
    "Age of the stalest last successful poll among the owned polling accounts (ingest clock)",
)
STATUS_CHANGES = Counter(
    "livestudio_ingest_account_status_changes_total", "Account status transitions published", ["state"]
)
SESSIONS_ENDED = Counter("livestudio_ingest_sessions_ended_total", "Sessions detected as ended")
CORRECTIONS = Counter("livestudio_ingest_corrections_total", "Late corrections found in the history", ["reason"])
COMMANDS = Counter("livestudio_ingest_commands_total", "Commands applied, by kind and status", ["kind", "status"])
QR_LOGINS = Counter("livestudio_ingest_qr_logins_total", "QR logins finished, by outcome", ["outcome"])
STATE_FLUSH_SECONDS = Histogram(
    "livestudio_ingest_state_flush_seconds",
    "Time to write dirty poll state to Postgres",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
STATE_FLUSH_ERRORS = Counter("livestudio_ingest_state_flush_errors_total", "Failed poll-state writes")


@functools.cache
def poll_outcome(endpoint: str, outcome: str) -> Counter:
    """The labelled child of `POLLS` (looked up once: a `labels()` call per poll adds up at thousands of accounts)."""
    return POLLS.labels(endpoint, outcome)


@functools.cache
def poll_seconds(endpoint: str) -> Histogram:
    """The labelled child of `POLL_SECONDS`."""
    return POLL_SECONDS.labels(endpoint)


BACKFILL_PAGES = Counter(
    "livestudio_ingest_backfill_pages_total",
    "liveList/v2 pages of the history backfill, by outcome (ok, failed, deferred: cut short by a live poll due, "
    "paced: held back by the replica's backfill budget, INGEST_BACKFILL_SESSIONS_PER_S)",
    ["outcome"],
)
BACKFILL_SESSIONS = Counter(
    "livestudio_ingest_backfill_sessions_total", "Sessions the history backfill found in liveList/v2"
)
BACKFILL_WAITING = Gauge(
    "livestudio_ingest_backfill_waiting_accounts",
    "Accounts of this replica whose last backfill page was held back by the backfill budget (queued behind it)",
)
