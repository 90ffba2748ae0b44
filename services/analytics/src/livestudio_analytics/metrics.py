"""Prometheus metrics of the analytics service (the consumer loop's own are `livestudio_consumer_*`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OBSERVATIONS = Counter(
    "livestudio_analytics_observations_total",
    "Decoded observations applied, by kind (snapshot, ended, corrected, items)",
    ["kind"],
)
STALE = Counter(
    "livestudio_analytics_stale_observations_total",
    "Observations no newer than what was already applied (duplicates, redeliveries, out of order)",
    ["entity"],
)
LATE_CORRECTIONS = Counter(
    "livestudio_analytics_late_corrections_total", "Settled corrections (SessionCorrected) that changed a session"
)
COMMANDS = Counter("livestudio_analytics_commands_total", "Commands applied by analytics", ["kind", "status"])
COMMANDS_IGNORED = Counter(
    "livestudio_analytics_commands_ignored_total", "Commands on the commands topic owned by others", ["owner"]
)
ROWS_MERGED = Counter(
    "livestudio_analytics_rows_merged_total", "Read-model rows written after collapsing batches", ["table"]
)
DAYS_RECOMPUTED = Histogram(
    "livestudio_analytics_days_recomputed",
    "(account, day) rollup rows recomputed per batch",
    buckets=(0, 1, 5, 10, 50, 100, 250, 500, 1000, 2500),
)
SESSIONS_ON_AIR = Gauge("livestudio_analytics_sessions_on_air", "Sessions currently on air (last observation)")
ROLLUP_DIRTY_KEYS = Gauge(
    "livestudio_analytics_rollup_dirty_keys", "Rollup keys marked dirty and not yet refreshed (after the last round)"
)
ROLLUP_LAG = Gauge(
    "livestudio_analytics_rollup_lag_seconds",
    "Age of the oldest dirty rollup mark after the last refresh (0 when none waits): hourly, product and monthly "
    "rollups are at most this stale",
)
ROLLUP_KEYS_REFRESHED = Counter(
    "livestudio_analytics_rollup_keys_refreshed_total", "Dirty marks taken by the refresher, by kind", ["kind"]
)
ROLLUP_REFRESH_SECONDS = Histogram(
    "livestudio_analytics_rollup_refresh_seconds",
    "Duration of one refresh transaction",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ROLLUP_REFRESH_FAILURES = Counter(
    "livestudio_analytics_rollup_refresh_failures_total", "Refresh rounds that failed (retried on the next tick)"
)
