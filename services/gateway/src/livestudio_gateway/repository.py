"""All SQL of the gateway: read-only, parameterised SELECTs on the owners' read models (schema-qualified).

The gateway owns no table. It reads `analytics.*` (sessions, timelines, items, daily rollups, ad spend),
`commission.*` (studios, hosts, shifts, schedule, check-ins, pay rules, attributions and their per-day rollup
`host_days`, statements, targets), `alerts.*` (channels without secrets, rules, summaries, notifications) and
`ingest.*` (accounts, QR logins, never credentials), plus each owner's
`command_results`. Connections are read-only (`default_transaction_read_only`), bounded by a statement timeout,
and plan every execution with its actual parameters (`plan_cache_mode=force_custom_plan`), so the optional
filters below (`$n IS NULL OR …`) fold away and the right index is used for each call.

Every query takes the caller's studio scope as a `text[]` (NULL = every studio). The only SQL text assembled
in Python is the session-list statement per sort order, from a fixed whitelist (`pagination.SESSION_SORTS`);
values are always bind parameters.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import asyncpg
from asyncpg import Record

from livestudio_gateway.analytics import full_months
from livestudio_gateway.pagination import SESSION_SORTS, SortSpec
from livestudio_runtime.targets import PROGRESS_SQL

Scope = Sequence[str] | None

_BIND: Final = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class Named:
    """A statement written with named binds (`:studio_id`), compiled once to asyncpg's `$n`: `args(**values)` puts
    the values in the order of the numbers, so a bind is never matched to a value by counting."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def compile(cls, text: str) -> Named:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        return cls(_BIND.sub(number, text), tuple(names))

    def args(self, **values: Any) -> tuple[Any, ...]:
        if values.keys() != set(self.names):
            raise TypeError(f"binds {sorted(self.names)}, given {sorted(values)}")
        return tuple(values[name] for name in self.names)


async def _keep_session(_: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool: the gateway never changes session state (no SET,
    LISTEN, advisory lock, cursor or temporary table), and asyncpg's default reset costs a round trip per query."""


async def create_pool(dsn: str, *, min_size: int, max_size: int, statement_timeout_ms: int) -> asyncpg.Pool:
    """A pool for reads across schemas: no search_path pinned, read-only, with a statement timeout."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        reset=_keep_session,
        server_settings={
            "application_name": "livestudio-gateway",
            "default_transaction_read_only": "on",
            "plan_cache_mode": "force_custom_plan",
            "statement_timeout": str(statement_timeout_ms),
            "jit": "off",
        },
    )
    assert pool is not None
    return pool


def _scope(scope: Scope) -> list[str] | None:
    return None if scope is None else list(scope)


def _split_scope(scope: Scope) -> tuple[list[str] | None, str | None]:
    """(array, single): one studio is passed as an equality so that an index on (studio_id, sort key) gives the
    order of a list directly; `= ANY(array)` would make PostgreSQL collect and sort the whole studio."""
    if scope is not None and len(scope) == 1:
        return None, scope[0]
    return _scope(scope), None


# --- statements --------------------------------------------------------------------------------------------
_STUDIOS = """
SELECT s.studio_id, s.name, s.timezone::text AS timezone, s.currency, s.pay_period::text AS pay_period, s.holidays,
  coalesce(g.grace_minutes, 5) AS attendance_grace_minutes,
  coalesce((SELECT p.policy FROM commission.attribution_policies p
            WHERE p.studio_id = s.studio_id AND p.effective_from <= now()
            ORDER BY p.effective_from DESC LIMIT 1), 'schedule') AS attribution_policy
FROM commission.studios s
LEFT JOIN commission.studio_attendance g ON g.studio_id = s.studio_id
WHERE ($1::text[] IS NULL OR s.studio_id = ANY($1::text[]))
  AND ($2::text IS NULL OR s.studio_id = $2)
ORDER BY s.studio_id
"""

_STUDIO_CURRENCIES = """
SELECT DISTINCT currency FROM commission.studios
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
"""

_ACCOUNT_COLUMNS = """a.account_id, a.studio_id, a.display_name, a.region, a.shopee_user_id, a.state,
  a.last_successful_poll_at, a.last_error, a.on_air_session_id, a.updated_at,
  b.started_at AS backfill_started_at, b.finished_at AS backfill_finished_at, b.days AS backfill_days,
  b.target_date AS backfill_target_date, b.windows_done AS backfill_windows_done,
  b.windows_total AS backfill_windows_total, b.sessions_found AS backfill_sessions_found,
  b.next_end_date AS backfill_next_end_date, b.last_error AS backfill_last_error,
  COALESCE(b.requested_seq > b.applied_seq, false) AS backfill_requested"""
"""An account and its history backfill (`ingest.backfill_state`, written by the ingest's pollers)."""

_ACCOUNT_FROM = "ingest.accounts a LEFT JOIN ingest.backfill_state b ON b.account_id = a.account_id"

_ACCOUNTS = f"""
SELECT {_ACCOUNT_COLUMNS}
FROM {_ACCOUNT_FROM}
WHERE ($1::text[] IS NULL OR a.studio_id = ANY($1::text[]))
  AND ($2::text IS NULL OR a.state = $2)
  AND ($3::boolean OR a.state <> 'removed' OR $2::text IS NOT NULL)
  AND ($4::text IS NULL OR a.account_id > $4)
ORDER BY a.account_id
LIMIT $5
"""

_ACCOUNT = f"""
SELECT {_ACCOUNT_COLUMNS}
FROM {_ACCOUNT_FROM}
WHERE a.account_id = $1 AND ($2::text[] IS NULL OR a.studio_id = ANY($2::text[]))
"""

_ACCOUNT_STUDIO = "SELECT studio_id FROM ingest.accounts WHERE account_id = $1"

_HOSTS = """
SELECT host_id, studio_id, name, role, active
FROM commission.hosts
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
  AND ($2::boolean IS NULL OR active = $2)
  AND ($3::text IS NULL OR host_id = $3)
ORDER BY studio_id, name, host_id
"""

_HOST_STUDIO = "SELECT studio_id FROM commission.hosts WHERE host_id = $1"

# (entity, id) -> studio of the entities a command names (`livestudio_runtime.ownership`); '' = a global rule
_ENTITY_STUDIOS = """
SELECT 'studio' AS entity, studio_id AS id, studio_id FROM commission.studios WHERE studio_id = ANY($1::text[])
UNION ALL SELECT 'host', host_id, studio_id FROM commission.hosts WHERE host_id = ANY($2::text[])
UNION ALL SELECT 'shift', shift_id, studio_id FROM commission.shifts WHERE shift_id = ANY($3::text[])
UNION ALL SELECT 'schedule entry', entry_id, studio_id FROM commission.schedule_entries
  WHERE entry_id = ANY($4::text[])
UNION ALL SELECT DISTINCT 'rule', rule_id, coalesce(studio_id, '') FROM commission.pay_rules
  WHERE rule_id = ANY($5::text[])
UNION ALL SELECT 'account', account_id, studio_id FROM ingest.accounts WHERE account_id = ANY($6::text[])
UNION ALL SELECT 'statement', statement_id, studio_id FROM commission.statements
  WHERE statement_id = ANY($7::text[])
"""
_ALERT_ENTITY_STUDIOS = """
SELECT 'alert channel' AS entity, channel_id AS id, studio_id FROM alerts.channels WHERE channel_id = ANY($1::text[])
UNION ALL SELECT 'alert rule', rule_id, studio_id FROM alerts.rules WHERE rule_id = ANY($2::text[])
"""
_HOST_ROSTERED = """
SELECT EXISTS (SELECT 1 FROM commission.schedule_entries WHERE host_id = $1 AND account_id = $2
  AND starts_at <= $4 AND ends_at >= $3)
"""
_ENTITIES = ("studio", "host", "shift", "schedule entry", "rule", "account", "statement")
_ALERT_ENTITIES = ("alert channel", "alert rule")

_SESSION_COLUMNS = """s.account_id, s.session_id, s.studio_id, s.title, s.on_air, s.started_at, s.ended_at,
  s.duration_ms, s.local_day, s.timezone, s.currency, s.observed_at, s.views, s.viewers, s.peak_viewers,
  s.current_viewers, s.placed_orders, s.placed_sales, s.confirmed_orders, s.confirmed_sales"""

_HOST_ATTRIBUTED = """EXISTS (
    SELECT 1 FROM commission.attributions a
    WHERE a.host_id = {param} AND a.account_id = s.account_id AND a.session_id = s.session_id)"""

# A day range in UTC instants wide enough for every timezone (UTC-12..+14): the session list's started_at bounds.
STARTED_FROM: Final = "(:day_from::date - 1)::timestamp AT TIME ZONE 'UTC'"
STARTED_BEFORE: Final = "(:day_to::date + 2)::timestamp AT TIME ZONE 'UTC'"

_SQL_TYPES: Final = {"datetime": "timestamptz", "decimal": "numeric", "int": "bigint", "date": "date", "str": "text"}


def _session_list_sql(spec: SortSpec) -> Named:
    """The session list for one sort. Besides `local_day` (the studio's day), a day range also bounds
    `started_at` in UTC from a day before to two days after (every timezone is within UTC-12..+14), so the
    started_at indexes start their scan at the range instead of at the studio's newest session."""
    col = f"s.{spec.column}"
    op = "<" if spec.descending else ">"
    direction = "DESC" if spec.descending else "ASC"
    typ = _SQL_TYPES[spec.kind]
    # NOT NULL keys keep the index's own order (a backward scan gives DESC NULLS FIRST)
    nulls = " NULLS LAST" if spec.nullable else ""
    after = "(:after_account::text, :after_session::bigint)"
    if spec.nullable:
        # NULLs (unknown) sort last in both directions; the cursor says whether it stopped among them.
        keyset = f"""(NOT :has_after::boolean
       OR (:after_value::{typ} IS NOT NULL AND ({col} {op} :after_value::{typ}
            OR ({col} = :after_value::{typ} AND (s.account_id, s.session_id) {op} {after})
            OR {col} IS NULL))
       OR (:after_value::{typ} IS NULL AND {col} IS NULL AND (s.account_id, s.session_id) {op} {after}))"""
    else:
        keyset = f"""(NOT :has_after::boolean
       OR ({col}, s.account_id, s.session_id) {op} (:after_value::{typ}, {after.strip("()")}))"""
    return Named.compile(f"""
SELECT {_SESSION_COLUMNS}
FROM analytics.sessions s
WHERE (:studios::text[] IS NULL OR s.studio_id = ANY(:studios::text[]))
  AND (:studio::text IS NULL OR s.studio_id = :studio)
  AND (:account_id::text IS NULL OR s.account_id = :account_id)
  AND (:on_air::boolean IS NULL OR s.on_air = :on_air)
  AND (:day_from::date IS NULL OR s.local_day >= :day_from)
  AND (:day_to::date IS NULL OR s.local_day <= :day_to)
  AND (:day_from::date IS NULL OR s.started_at >= {STARTED_FROM})
  AND (:day_to::date IS NULL OR s.started_at < {STARTED_BEFORE})
  AND (:host_id::text IS NULL OR {_HOST_ATTRIBUTED.format(param=":host_id")})
  AND {keyset}
ORDER BY {col} {direction}{nulls}, s.account_id {direction}, s.session_id {direction}
LIMIT :limit
""")


SESSION_LIST_SQL: Final = {name: _session_list_sql(spec) for name, spec in SESSION_SORTS.items()}

# The rows of a session's timeline, products and hosts come back as arrays of anonymous rows (tuples): each is
# built from one (field name, expression) list, and the handler names the values with the same list.
TIMELINE_ROW: Final = tuple(
    (name, f"t.{name}")
    for name in (
        "minute",
        "viewers",
        "current_viewers",
        "placed_orders",
        "confirmed_orders",
        "placed_sales",
        "confirmed_sales",
    )
)
PRODUCT_ROW: Final = tuple(
    (name, f"i.{name}")
    for name in (
        "item_id",
        "title",
        "min_price",
        "max_price",
        "product_clicks",
        "add_to_cart",
        "placed_orders",
        "placed_items_sold",
        "confirmed_orders",
        "confirmed_items_sold",
        "placed_sales",
        "confirmed_sales",
        "observed_at",
    )
)
HOST_ROW: Final = (
    ("host_id", "a.host_id"),
    ("name", "h.name"),
    ("on_air_ms", "sum(a.on_air_ms)::bigint"),
    ("placed_orders", "sum(a.placed_orders)::bigint"),
    ("placed_sales", "sum(a.placed_sales)"),
    ("confirmed_orders", "sum(a.confirmed_orders)::bigint"),
    ("confirmed_sales", "sum(a.confirmed_sales)"),
)


def _row(fields: tuple[tuple[str, str], ...]) -> str:
    return f"ROW({', '.join(expression for _, expression in fields)})"


_SESSION_DETAIL = f"""
SELECT {_SESSION_COLUMNS}, s.comments, s.likes, s.shares, s.add_to_cart, s.product_clicks, s.buyers,
  s.placed_items_sold, s.confirmed_items_sold, s.paid_orders, s.paid_sales, s.conversion_rate,
  ARRAY(
    SELECT {_row(TIMELINE_ROW)}
    FROM analytics.session_timeline t
    WHERE t.account_id = $1 AND t.session_id = $2
    ORDER BY t.minute
    LIMIT 10000
  ) AS timeline,
  ARRAY(
    SELECT {_row(PRODUCT_ROW)}
    FROM analytics.session_items i
    WHERE i.account_id = $1 AND i.session_id = $2
    ORDER BY i.confirmed_sales DESC NULLS LAST, i.placed_sales DESC NULLS LAST, i.item_id
    LIMIT 1000
  ) AS products,
  ARRAY(
    SELECT {_row(HOST_ROW)}
    FROM commission.attributions a
    LEFT JOIN commission.hosts h ON h.host_id = a.host_id
    WHERE a.account_id = $1 AND a.session_id = $2 AND ($4::text IS NULL OR a.host_id = $4)
    GROUP BY a.host_id, h.name
    ORDER BY sum(a.confirmed_sales) DESC NULLS LAST, a.host_id NULLS LAST
  ) AS hosts
FROM analytics.sessions s
WHERE s.account_id = $1 AND s.session_id = $2
  AND ($3::text[] IS NULL OR s.studio_id = ANY($3::text[]))
  AND ($4::text IS NULL OR {_HOST_ATTRIBUTED.format(param="$4")})
"""

_ROLLUP_SUMS = """sum(d.sessions)::bigint AS sessions, sum(d.streaming_ms)::bigint AS streaming_ms,
  sum(d.viewers)::bigint AS viewers, max(d.peak_viewers)::bigint AS peak_viewers,
  sum(d.placed_orders)::bigint AS placed_orders, sum(d.confirmed_orders)::bigint AS confirmed_orders,
  sum(d.placed_sales) AS placed_sales, sum(d.confirmed_sales) AS confirmed_sales, sum(d.ad_spend) AS ad_spend"""

_DAILY_ACCOUNT = f"""
SELECT d.day, {_ROLLUP_SUMS}
FROM analytics.daily_account d
WHERE d.account_id = $1 AND ($2::text[] IS NULL OR d.studio_id = ANY($2::text[])) AND d.day BETWEEN $3 AND $4
GROUP BY d.day
ORDER BY d.day
"""

_DAILY_STUDIOS = f"""
SELECT d.day, {_ROLLUP_SUMS}
FROM analytics.daily_studio d
WHERE ($1::text[] IS NULL OR d.studio_id = ANY($1::text[])) AND d.day BETWEEN $2 AND $3
GROUP BY d.day
ORDER BY d.day
"""

_SUMMARY_ACCOUNT = f"""
SELECT d.day >= $4 AS is_current, {_ROLLUP_SUMS}
FROM analytics.daily_account d
WHERE d.account_id = $1 AND ($2::text[] IS NULL OR d.studio_id = ANY($2::text[])) AND d.day BETWEEN $3 AND $5
GROUP BY 1
"""

_SUMMARY_STUDIOS = f"""
SELECT d.day >= $3 AS is_current, {_ROLLUP_SUMS}
FROM analytics.daily_studio d
WHERE ($1::text[] IS NULL OR d.studio_id = ANY($1::text[])) AND d.day BETWEEN $2 AND $4
GROUP BY 1
"""

# Aggregated per account first (a hash over the range's rows, then the top `limit`), named only then: grouping by the
# joined display name too sorted all of the range's rows (about 2x the time per request). The whole calendar months
# [$5, $6) of the range come from `monthly_account` (one row per account, month and studio, kept by the analytics
# refresher from daily_account), the partial months at both ends ([$2, $5) and [$6, $3]) from `daily_account`
# (`analytics.full_months` computes $5 and $6): a studio's year is ~300 monthly plus at most ~60 days x accounts
# daily rows instead of ~9,100. Sums and max over the union equal those over the daily rows (NULL when every day is
# NULL), so the answer is the daily one exactly for ranges without a whole month and for months the refresher has
# caught up with; a whole month's figures lag the facts by at most the refresher's period (a fraction of a second
# to seconds; its lag is `livestudio_analytics_rollup_lag_seconds`).
_BREAKDOWN_ROWS = """account_id, studio_id, sessions, streaming_ms, viewers, peak_viewers, placed_orders,
      confirmed_orders, placed_sales, confirmed_sales, ad_spend"""
_ACCOUNT_BREAKDOWN = f"""
WITH d AS (
    SELECT {_BREAKDOWN_ROWS} FROM analytics.daily_account
    WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[])) AND day >= $2 AND day < $5
    UNION ALL
    SELECT {_BREAKDOWN_ROWS} FROM analytics.monthly_account
    WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[])) AND month >= $5 AND month < $6
    UNION ALL
    SELECT {_BREAKDOWN_ROWS} FROM analytics.daily_account
    WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[])) AND day >= $6 AND day <= $3
), totals AS (
    SELECT d.account_id, max(d.studio_id COLLATE "C") AS studio_id, {_ROLLUP_SUMS}
    FROM d
    GROUP BY d.account_id
    ORDER BY sum(d.confirmed_sales) DESC NULLS LAST, d.account_id
    LIMIT $4
)
SELECT t.*, a.display_name
FROM totals t
LEFT JOIN ingest.accounts a ON a.account_id = t.account_id
ORDER BY t.confirmed_sales DESC NULLS LAST, t.account_id
"""

# Products over a range from the product rollups kept by the analytics refresher: per studio and day
# (`daily_studio_items`) for studios, per account and day (`daily_items`) for one account. Both hold, per product,
# the sums of its session rows of that day (sessions = rows), so summing days equals the scan of the raw rows.
_TOP_PRODUCTS = """
SELECT i.item_id, max(i.title) AS title, sum(i.sessions)::bigint AS sessions,
  sum(i.product_clicks)::bigint AS product_clicks, sum(i.add_to_cart)::bigint AS add_to_cart,
  sum(i.placed_orders)::bigint AS placed_orders, sum(i.placed_items_sold)::bigint AS placed_items_sold,
  sum(i.confirmed_orders)::bigint AS confirmed_orders, sum(i.confirmed_items_sold)::bigint AS confirmed_items_sold,
  sum(i.placed_sales) AS placed_sales, sum(i.confirmed_sales) AS confirmed_sales
FROM {source}
GROUP BY i.item_id
ORDER BY {order} DESC NULLS LAST, i.item_id
LIMIT $4
"""
_PRODUCT_SOURCES: Final = {
    "studios": """analytics.daily_studio_items i
WHERE ($1::text[] IS NULL OR i.studio_id = ANY($1::text[])) AND i.day BETWEEN $2 AND $3""",
    "account": """analytics.daily_items i
WHERE i.account_id = $5 AND ($1::text[] IS NULL OR i.studio_id = ANY($1::text[])) AND i.day BETWEEN $2 AND $3""",
}

PRODUCT_ORDERS: Final = {
    "confirmed_sales": "sum(i.confirmed_sales)",
    "placed_sales": "sum(i.placed_sales)",
    "confirmed_items_sold": "sum(i.confirmed_items_sold)",
    "placed_items_sold": "sum(i.placed_items_sold)",
    "product_clicks": "sum(i.product_clicks)",
}
_TOP_PRODUCTS_SQL: Final = {
    (source, key): _TOP_PRODUCTS.format(source=where, order=expr)
    for source, where in _PRODUCT_SOURCES.items()
    for key, expr in PRODUCT_ORDERS.items()
}

_HOUR_SUMS = """count(*)::bigint AS hours, sum(x.sessions)::bigint AS session_hours,
  sum(x.viewers)::bigint AS viewers, max(x.peak_viewers)::bigint AS peak_viewers,
  sum(x.placed_orders)::bigint AS placed_orders, sum(x.confirmed_orders)::bigint AS confirmed_orders,
  sum(x.placed_sales) AS placed_sales, sum(x.confirmed_sales) AS confirmed_sales"""
_HOUR_SOURCES: Final = {
    "account": "analytics.hourly_account x WHERE x.account_id = $4 AND ($1::text[] IS NULL OR x.studio_id = ANY($1))",
    "studios": "analytics.hourly_studio x WHERE ($1::text[] IS NULL OR x.studio_id = ANY($1)) AND $4::text IS NULL",
}
_IN_SHIFT = """(CASE WHEN sh.start_local < sh.end_local
   THEN make_time(x.hour, 0, 0) >= sh.start_local AND make_time(x.hour, 0, 0) < sh.end_local
   ELSE make_time(x.hour, 0, 0) >= sh.start_local OR make_time(x.hour, 0, 0) < sh.end_local END)"""
_HOUR_GROUPS: Final = {
    "hour": ("NULL::int AS weekday, x.hour::int AS hour, NULL::text AS shift_id, NULL::text AS shift_name", "", "2"),
    "weekday_hour": (
        "extract(isodow FROM x.local_date)::int AS weekday, x.hour::int AS hour, NULL::text AS shift_id, "
        "NULL::text AS shift_name",
        "",
        "1, 2",
    ),
    "shift": (
        "NULL::int AS weekday, NULL::int AS hour, sh.shift_id, sh.name AS shift_name",
        f"JOIN commission.shifts sh ON sh.studio_id = x.studio_id AND {_IN_SHIFT}",
        "3, 4",
    ),
}


def _hours_sql(source: str, group: str) -> str:
    select, join, keys = _HOUR_GROUPS[group]
    table, where = _HOUR_SOURCES[source].split(" WHERE ", 1)
    return (
        f"SELECT {select}, {_HOUR_SUMS}\nFROM {table} {join}\n"
        f"WHERE {where} AND x.local_date BETWEEN $2 AND $3\nGROUP BY {keys}\nORDER BY {keys}"
    )


_HOURS_SQL: Final = {(src, grp): _hours_sql(src, grp) for src in _HOUR_SOURCES for grp in _HOUR_GROUPS}
"""(account | studios, hour | weekday_hour | shift) -> the query over the hourly rollups"""

# One host's hours: commission's rollup `host_hours` (per account-hour and host, what attribution gave the host,
# exact), with the account-hour's viewers apportioned by the host's share of that account-hour's on-air time (the
# host's on_air_ms over every host's and the unassigned bucket's; integers, round half to even; NULL when the
# account-hour has no viewers figure or no on-air time) and its peak viewers where the host was on air.
# $1 scope, $2/$3 range, $4 host, $5 account or NULL.
# `account_on_air_ms` is that denominator, kept on every row of the account-hour by commission.
_SHARE = "(a.viewers * coalesce(h.on_air_ms, 0))"
_TOTAL = "h.account_on_air_ms"
_HOST_HOUR_ROWS = f"""(
  SELECT h.studio_id, h.account_id, h.local_date, h.hour, h.sessions, h.placed_orders, h.placed_sales,
    h.confirmed_orders, h.confirmed_sales,
    CASE WHEN a.viewers IS NULL OR coalesce({_TOTAL}, 0) = 0 THEN NULL
      ELSE {_SHARE} / {_TOTAL} + CASE
        WHEN 2 * ({_SHARE} % {_TOTAL}) > {_TOTAL} THEN 1
        WHEN 2 * ({_SHARE} % {_TOTAL}) = {_TOTAL} AND ({_SHARE} / {_TOTAL}) % 2 = 1 THEN 1
        ELSE 0 END
    END AS viewers,
    CASE WHEN h.on_air_ms > 0 THEN a.peak_viewers END AS peak_viewers
  FROM commission.host_hours h
  LEFT JOIN analytics.hourly_account a
    ON a.account_id = h.account_id AND a.local_date = h.local_date AND a.hour = h.hour
  WHERE h.host_id = $4 AND ($1::text[] IS NULL OR h.studio_id = ANY($1)) AND h.local_date BETWEEN $2 AND $3
    AND ($5::text IS NULL OR h.account_id = $5)
) x"""


def _host_hours_sql(group: str) -> str:
    select, join, keys = _HOUR_GROUPS[group]
    return f"SELECT {select}, {_HOUR_SUMS}\nFROM {_HOST_HOUR_ROWS} {join}\nGROUP BY {keys}\nORDER BY {keys}"


_HOST_HOURS_SQL: Final = {grp: _host_hours_sql(grp) for grp in _HOUR_GROUPS}
"""(hour | weekday_hour | shift) -> the query over one host's hours"""

# Host reads sum commission's per-day rollup `host_days` (one row per studio, host and local day; host NULL = the
# unassigned bucket) instead of a studio's raw `attributions`: a host's `sessions` per day add up to its distinct
# sessions over a range (one attribution row per host and session), and sums of the days' sums are the raw sums.
_HOST_SUMS = """sum(d.sessions)::bigint AS sessions, sum(d.on_air_ms)::bigint AS on_air_ms,
  sum(d.placed_orders)::bigint AS placed_orders, sum(d.placed_sales) AS placed_sales,
  sum(d.confirmed_orders)::bigint AS confirmed_orders, sum(d.confirmed_sales) AS confirmed_sales"""

# The hosts export filters by account, which host_days does not keep: it sums the attributions of the range.
_ATTRIBUTION_SUMS = """count(DISTINCT (a.account_id, a.session_id))::bigint AS sessions,
  sum(a.on_air_ms)::bigint AS on_air_ms, sum(a.placed_orders)::bigint AS placed_orders,
  sum(a.placed_sales) AS placed_sales, sum(a.confirmed_orders)::bigint AS confirmed_orders,
  sum(a.confirmed_sales) AS confirmed_sales"""

_HOST_PERFORMANCE = f"""
SELECT d.host_id, h.name, d.studio_id, {_HOST_SUMS}
FROM commission.host_days d
LEFT JOIN commission.hosts h ON h.host_id = d.host_id
WHERE ($1::text[] IS NULL OR d.studio_id = ANY($1::text[]))
  AND d.local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR d.host_id = $4)
GROUP BY d.host_id, h.name, d.studio_id
ORDER BY d.studio_id, h.name NULLS LAST, d.host_id NULLS LAST
"""

LEADERBOARD_ORDERS: Final = {
    "confirmed_sales": "sum(d.confirmed_sales)",
    "placed_sales": "sum(d.placed_sales)",
    "confirmed_orders": "sum(d.confirmed_orders)",
    "placed_orders": "sum(d.placed_orders)",
    "gmv_per_hour": "sum(d.confirmed_sales) / NULLIF(sum(d.on_air_ms), 0)",
    "on_air_ms": "sum(d.on_air_ms)",
}
_LEADERBOARD = """
SELECT d.host_id, h.name, d.studio_id, {sums}
FROM commission.host_days d
LEFT JOIN commission.hosts h ON h.host_id = d.host_id
WHERE ($1::text[] IS NULL OR d.studio_id = ANY($1::text[]))
  AND d.local_day BETWEEN $2 AND $3
  AND d.host_id IS NOT NULL
GROUP BY d.host_id, h.name, d.studio_id
ORDER BY {order} DESC NULLS LAST, d.host_id
LIMIT $4
"""
_LEADERBOARD_SQL: Final = {
    key: _LEADERBOARD.format(sums=_HOST_SUMS, order=expr) for key, expr in LEADERBOARD_ORDERS.items()
}

_HOST_DAYS = f"""
SELECT d.local_day AS day, {_HOST_SUMS}
FROM commission.host_days d
WHERE d.host_id = $1 AND d.local_day BETWEEN $2 AND $3
GROUP BY d.local_day
ORDER BY d.local_day
"""

_STATEMENT_COLUMNS = """statement_id::text AS statement_id, studio_id, host_id, period_start, period_end,
  status::text AS status, currency, total, revision::bigint AS revision, approved_by, approved_at, paid_by,
  paid_at, updated_at"""

_STATEMENTS = Named.compile(f"""
SELECT {_STATEMENT_COLUMNS}
FROM commission.statements
WHERE (:studios::text[] IS NULL OR studio_id = ANY(:studios::text[]))
  AND (:studio::text IS NULL OR studio_id = :studio)
  AND (:host_id::text IS NULL OR host_id = :host_id)
  AND (:status::text IS NULL OR status::text = :status)
  AND (:period_from::date IS NULL OR period_end >= :period_from)
  AND (:period_to::date IS NULL OR period_start <= :period_to)
  AND (NOT :has_after::boolean OR (period_start, statement_id::text) < (:after_start::date, :after_id::text))
ORDER BY period_start DESC, statement_id::text DESC
LIMIT :limit
""")

_STATEMENT = f"""
SELECT {_STATEMENT_COLUMNS}
FROM commission.statements
WHERE statement_id::text = $1
  AND ($2::text[] IS NULL OR studio_id = ANY($2::text[]))
  AND ($3::text IS NULL OR host_id = $3)
"""

_STATEMENT_LINES = """
SELECT line_id::text AS line_id, line_kind::text AS line_kind, rule_id, account_id, session_id, description,
  base, amount, rule_version
FROM commission.statement_lines
WHERE statement_id::text = $1
ORDER BY line_id
LIMIT 100000
"""

# --- roster reads (commission) and ad spend (analytics) -------------------------------------------------------
_SHIFTS = """
SELECT shift_id, studio_id, name, start_local, end_local, updated_at
FROM commission.shifts
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
ORDER BY studio_id, start_local, shift_id
LIMIT 1000
"""

# NULL starts_at (a shift entry whose shift is not known yet) sorts last; the cursor says whether it stopped there
_SCHEDULE = """
SELECT entry_id, studio_id, host_id, account_id, shift_id, shift_date, starts_at, ends_at, local_day,
  share, updated_at
FROM commission.schedule_entries
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
  AND ($2::text IS NULL OR host_id = $2)
  AND ($3::text IS NULL OR account_id = $3)
  AND ($4::date IS NULL OR local_day >= $4)
  AND ($5::date IS NULL OR local_day <= $5)
  AND (NOT $6::boolean
       OR ($7::timestamptz IS NOT NULL AND (starts_at > $7 OR (starts_at = $7 AND entry_id > $8) OR starts_at IS NULL))
       OR ($7::timestamptz IS NULL AND starts_at IS NULL AND entry_id > $8))
ORDER BY starts_at NULLS LAST, entry_id
LIMIT $9
"""

# attendance records (issue #20): the status is the manager's correction when there is one
_ATTENDANCE = """
SELECT entry_id, studio_id, host_id, account_id, local_day, starts_at, ends_at, status, arrived_at, left_at,
  late_minutes, left_early_minutes, on_air_known, grace_minutes, computed_at, corrected_status,
  corrected_late_minutes, corrected_left_early_minutes, correction_reason, corrected_by, corrected_at
FROM commission.attendance
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
  AND ($2::text IS NULL OR host_id = $2)
  AND ($3::text IS NULL OR account_id = $3)
  AND local_day BETWEEN $4 AND $5
  AND ($6::text IS NULL OR coalesce(corrected_status, status) = $6)
  AND (NOT $7::boolean OR (starts_at, entry_id) > ($8::timestamptz, $9::text))
ORDER BY starts_at, entry_id
LIMIT $10
"""

_ATTENDANCE_SUMMARY = """
SELECT count(*) FILTER (WHERE coalesce(corrected_status, status) = 'on_time') AS on_time,
  count(*) FILTER (WHERE coalesce(corrected_status, status) = 'late') AS late,
  count(*) FILTER (WHERE coalesce(corrected_status, status) = 'left_early') AS left_early,
  count(*) FILTER (WHERE coalesce(corrected_status, status) = 'absent') AS absent,
  count(*) FILTER (WHERE coalesce(corrected_status, status) IS NULL) AS pending,
  coalesce(sum(CASE WHEN corrected_status IS NOT NULL THEN corrected_late_minutes ELSE late_minutes END), 0)
    AS late_minutes,
  count(*) FILTER (WHERE corrected_status IS NOT NULL) AS corrected
FROM commission.attendance
WHERE studio_id = $1 AND host_id = $2 AND local_day BETWEEN $3 AND $4
"""

_ENTRY_WINDOW = """
SELECT studio_id, starts_at, ends_at FROM commission.schedule_entries WHERE entry_id = $1
"""

# check events carry no studio: a check belongs to its host's studio; days are the studio's local days
_CHECK_INS = """
SELECT c.check_id, c.host_id, h.studio_id, c.account_id, c.kind, c.at
FROM commission.host_checks c
JOIN commission.hosts h ON h.host_id = c.host_id
JOIN commission.studios s ON s.studio_id = h.studio_id
WHERE ($1::text[] IS NULL OR h.studio_id = ANY($1::text[]))
  AND ($2::text IS NULL OR c.host_id = $2)
  AND ($3::text IS NULL OR c.account_id = $3)
  AND ($4::date IS NULL OR (c.at AT TIME ZONE s.timezone)::date >= $4)
  AND ($5::date IS NULL OR (c.at AT TIME ZONE s.timezone)::date <= $5)
  AND (NOT $6::boolean OR (c.at, c.check_id) > ($7::timestamptz, $8::text))
ORDER BY c.at, c.check_id
LIMIT $9
"""

# the studio's own rules and the global ones (studio_id NULL), every version or the one in force on a day ($3)
_PAY_RULES = """
SELECT rule_id, effective_from, effective_to, studio_id, account_id, role, rule_kind, basis, percent,
  tiers::text AS tiers, amount, day_type, shift_id, min_threshold, cap, updated_at
FROM commission.pay_rules p
WHERE ($1::text[] IS NULL OR studio_id IS NULL OR studio_id = ANY($1::text[]))
  AND ($2::text IS NULL OR rule_id = $2)
  AND ($3::date IS NULL OR (effective_from <= $3 AND (effective_to IS NULL OR effective_to >= $3)
       AND NOT EXISTS (SELECT 1 FROM commission.pay_rules n
                       WHERE n.rule_id = p.rule_id AND n.effective_from > p.effective_from AND n.effective_from <= $3)))
  AND (NOT $4::boolean OR (rule_id, effective_from) > ($5::text, $6::date))
ORDER BY rule_id, effective_from
LIMIT $7
"""

_AD_SPEND_ROWS = """
SELECT account_id, studio_id, day, amount, currency, issued_at
FROM analytics.ad_spend
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
  AND ($2::text IS NULL OR account_id = $2)
  AND day BETWEEN $3 AND $4
  AND (NOT $5::boolean OR (day, account_id) > ($6::date, $7::text))
ORDER BY day, account_id
LIMIT $8
"""

# what history depends on an entity a command would remove (the commission checks it again when applying)
_HOST_HISTORY = """
SELECT (SELECT count(*) FROM commission.schedule_entries WHERE host_id = $1) AS schedule_entries,
       (SELECT count(*) FROM commission.host_checks WHERE host_id = $1) AS check_ins,
       (SELECT count(*) FROM commission.attributions WHERE host_id = $1) AS sessions,
       (SELECT count(*) FROM commission.statements WHERE host_id = $1) AS statements
"""
_SHIFT_USERS = """
SELECT (SELECT count(*) FROM commission.schedule_entries WHERE shift_id = $1) AS schedule_entries,
       (SELECT count(*) FROM commission.pay_rules WHERE shift_id = $1) AS pay_rules
"""
_RULE_PAID_LINES = "SELECT count(*) AS statement_lines FROM commission.statement_lines WHERE rule_id = $1"
_STUDIO_HISTORY = """
SELECT (SELECT count(*) FROM ingest.accounts WHERE studio_id = $1) AS accounts,
       (SELECT count(*) FROM commission.hosts WHERE studio_id = $1) AS hosts,
       (SELECT count(*) FROM commission.shifts WHERE studio_id = $1) AS shifts,
       (SELECT count(*) FROM commission.schedule_entries WHERE studio_id = $1) AS schedule_entries,
       (SELECT count(DISTINCT rule_id) FROM commission.pay_rules WHERE studio_id = $1) AS pay_rules,
       (SELECT count(*) FROM commission.host_checks c JOIN commission.hosts h ON h.host_id = c.host_id
        WHERE h.studio_id = $1) AS check_ins,
       (SELECT count(*) FROM commission.statements WHERE studio_id = $1) AS statements,
       (SELECT count(*) FROM commission.targets WHERE studio_id = $1) AS targets
"""
"""What a studio holds (accounts in any state, removed ones included), in the words of the commission's check;
`_STUDIO_OTHERS` adds what the analytics and alerts services hold (read once they have migrated)."""
_STUDIO_OTHERS = {
    "analytics": """
SELECT (SELECT count(*) FROM analytics.sessions WHERE studio_id = $1) AS sessions,
       (SELECT count(*) FROM analytics.ad_spend WHERE studio_id = $1) AS ad_spend
""",
    "alerts": """
SELECT (SELECT count(*) FROM alerts.channels WHERE studio_id = $1) AS alert_channels,
       (SELECT count(*) FROM alerts.rules WHERE studio_id = $1) AS alert_rules
""",
}

# Streamed exports: $1 scope, $2/$3 local-day range, $4 account (or NULL); columns as in exports.EXPORT_COLUMNS.
_EXPORTS: Final = {
    "sessions": """
SELECT account_id, session_id, studio_id, title, local_day, started_at, ended_at, duration_ms, currency, viewers,
  peak_viewers, placed_orders, placed_sales, confirmed_orders, confirmed_sales
FROM analytics.sessions
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[])) AND local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR account_id = $4)
ORDER BY local_day, started_at, account_id, session_id
""",
    "daily": """
SELECT account_id, studio_id, day, sessions, streaming_ms, viewers, peak_viewers, placed_orders, placed_sales,
  confirmed_orders, confirmed_sales, ad_spend
FROM analytics.daily_account
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[])) AND day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR account_id = $4)
ORDER BY day, account_id
""",
    "products": """
SELECT i.account_id, i.session_id, s.local_day, i.item_id, i.title, i.product_clicks, i.add_to_cart,
  i.placed_orders, i.placed_sales, i.confirmed_orders, i.confirmed_sales
FROM analytics.sessions s
JOIN analytics.session_items i ON i.account_id = s.account_id AND i.session_id = s.session_id
WHERE ($1::text[] IS NULL OR s.studio_id = ANY($1::text[])) AND s.local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR s.account_id = $4)
ORDER BY s.local_day, i.account_id, i.session_id, i.item_id
""",
    "hosts": f"""
SELECT a.local_day, a.studio_id, a.host_id, h.name, {_ATTRIBUTION_SUMS}
FROM commission.attributions a
LEFT JOIN commission.hosts h ON h.host_id = a.host_id
WHERE ($1::text[] IS NULL OR a.studio_id = ANY($1::text[])) AND a.local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR a.account_id = $4)
GROUP BY a.local_day, a.studio_id, a.host_id, h.name
ORDER BY a.local_day, a.studio_id, a.host_id NULLS LAST
""",
    "attendance": """
SELECT a.local_day, a.studio_id, a.host_id, h.name, a.account_id, a.entry_id, a.starts_at, a.ends_at,
  coalesce(a.corrected_status, a.status) AS status,
  CASE WHEN a.corrected_status IS NOT NULL THEN a.corrected_late_minutes ELSE a.late_minutes END AS late_minutes,
  CASE WHEN a.corrected_status IS NOT NULL THEN a.corrected_left_early_minutes ELSE a.left_early_minutes END
    AS left_early_minutes,
  a.arrived_at, a.left_at, a.status AS computed_status, a.correction_reason, a.corrected_by, a.corrected_at
FROM commission.attendance a
LEFT JOIN commission.hosts h ON h.host_id = a.host_id
WHERE ($1::text[] IS NULL OR a.studio_id = ANY($1::text[])) AND a.local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR a.account_id = $4)
ORDER BY a.local_day, a.starts_at, a.entry_id
""",
    "hours": """
SELECT account_id, studio_id, local_date, hour, sessions, viewers, peak_viewers, placed_orders, placed_sales,
  confirmed_orders, confirmed_sales
FROM analytics.hourly_account
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[])) AND local_date BETWEEN $2 AND $3
  AND ($4::text IS NULL OR account_id = $4)
ORDER BY local_date, hour, account_id
""",
}

_COMMAND_RESULT = {
    owner: f"""
SELECT command_id, kind, status, error, applied_at FROM {owner}.command_results WHERE command_id = $1
"""
    for owner in ("ingest", "analytics", "commission", "alerts")
}

_QR_LOGIN = """
SELECT login_id, account_id, studio_id, state, qrcode_base64, error, updated_at
FROM ingest.qr_logins
WHERE login_id = $1 AND ($2::text[] IS NULL OR studio_id = ANY($2::text[]))
"""

_ON_AIR = f"""
SELECT {_SESSION_COLUMNS}
FROM analytics.sessions s
WHERE s.on_air AND ($1::text[] IS NULL OR s.studio_id = ANY($1::text[]))
ORDER BY s.started_at DESC
LIMIT $2
"""

# A local day's sessions as of a cutoff, per (studio, account, period): the figures of a session whose newest
# observation is before the cutoff, or that ended by then (placed figures are final at the end), else its last
# per-minute point at or before the cutoff (NULL without one: unknown, not zero).
_SO_FAR = """
SELECT p.studio_id, s.account_id, p.is_today, count(*)::bigint AS sessions,
  sum(CASE WHEN known.now THEN s.placed_orders ELSE t.placed_orders END)::bigint AS placed_orders,
  sum(CASE WHEN known.now THEN s.placed_sales ELSE t.placed_sales END) AS placed_sales
FROM unnest($1::text[], $2::boolean[], $3::date[], $4::timestamptz[]) AS p(studio_id, is_today, day, cutoff)
JOIN analytics.sessions s ON s.studio_id = p.studio_id AND s.local_day = p.day AND s.started_at <= p.cutoff
CROSS JOIN LATERAL (SELECT s.observed_at <= p.cutoff OR (NOT s.on_air AND coalesce(
    s.ended_at, s.started_at + s.duration_ms * interval '1 millisecond') <= p.cutoff) AS now) AS known
LEFT JOIN LATERAL (
  SELECT t.placed_orders, t.placed_sales FROM analytics.session_timeline t
  WHERE NOT known.now AND t.account_id = s.account_id AND t.session_id = s.session_id AND t.minute <= p.cutoff
  ORDER BY t.minute DESC
  LIMIT 1
) t ON true
WHERE ($5::text IS NULL OR s.account_id = $5)
GROUP BY p.studio_id, s.account_id, p.is_today
"""

_HOSTS_ON_AIR = """
SELECT e.account_id, e.studio_id, e.host_id, h.name, e.starts_at, e.ends_at
FROM commission.schedule_entries e
LEFT JOIN commission.hosts h ON h.host_id = e.host_id
WHERE ($1::text[] IS NULL OR e.studio_id = ANY($1::text[]))
  AND e.starts_at <= $2 AND e.ends_at > $2
  AND ($3::text IS NULL OR e.account_id = $3)
ORDER BY e.account_id, e.starts_at, e.host_id
LIMIT 1000
"""


# --- profit (issue #21): affiliate income, ad spend and host pay per group ----------------------------------
_INCOME_SUMS = """coalesce(sum(p.estimated), 0) AS estimated,
  coalesce(sum(p.estimated_with_mcn), 0) AS estimated_with_mcn,
  coalesce(sum(p.final), 0) AS final, coalesce(sum(p.final_with_mcn), 0) AS final_with_mcn,
  coalesce(sum(p.estimated) FILTER (WHERE p.source = 'live'), 0) AS live_estimated,
  coalesce(sum(p.final) FILTER (WHERE p.source = 'live'), 0) AS live_final,
  coalesce(sum(p.estimated) FILTER (WHERE p.source = 'video'), 0) AS video_estimated,
  coalesce(sum(p.final) FILTER (WHERE p.source = 'video'), 0) AS video_final,
  coalesce(sum(p.estimated) FILTER (WHERE p.source = 'other'), 0) AS other_estimated,
  coalesce(sum(p.final) FILTER (WHERE p.source = 'other'), 0) AS other_final,
  count(DISTINCT (p.account_id, p.checkout_id))::bigint AS checkouts,
  count(DISTINCT (p.account_id, p.checkout_id)) FILTER (WHERE p.status = 'pending')::bigint AS pending,
  count(DISTINCT (p.account_id, p.checkout_id)) FILTER (WHERE p.status = 'completed')::bigint AS completed,
  count(DISTINCT (p.account_id, p.checkout_id)) FILTER (WHERE p.status = 'cancelled')::bigint AS cancelled"""

PROFIT_GROUPS: Final = ("total", "day", "account", "host")
_INCOME_KEYS: Final = {"total": "'all'", "day": "p.local_day", "account": "p.account_id", "host": "p.host_id"}
_AD_KEYS: Final = {"total": "'all'", "day": "a.day", "account": "a.account_id"}  # a: analytics.daily_account
_PAY_KEYS: Final = {
    "total": "'all'",
    "day": "coalesce(d.local_day, s.period_start)",
    "account": "l.account_id",
    "host": "s.host_id",
}

_INCOME = """
SELECT {key} AS key, min(p.studio_id) AS studio_id, {sums}
FROM commission.affiliate_parts p
WHERE ($1::text[] IS NULL OR p.studio_id = ANY($1::text[])) AND p.local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR p.account_id = $4) AND ($5::text IS NULL OR p.host_id = $5)
GROUP BY 1
"""

_AD_SPEND = """
SELECT {key} AS key, sum(a.ad_spend) AS ad_spend
FROM analytics.daily_account a
WHERE ($1::text[] IS NULL OR a.studio_id = ANY($1::text[])) AND a.day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR a.account_id = $4)
GROUP BY 1
"""

# A statement line counts on the local day of its session (lines without a session: the statement's first day).
_HOST_PAY = """
SELECT {key} AS key, sum(l.amount) AS host_pay
FROM commission.statement_lines l
JOIN commission.statements s ON s.statement_id = l.statement_id
LEFT JOIN LATERAL (
  SELECT a.local_day FROM commission.attributions a
  WHERE a.account_id = l.account_id AND a.session_id = l.session_id LIMIT 1
) d ON true
WHERE s.status <> 'void' AND ($1::text[] IS NULL OR s.studio_id = ANY($1::text[]))
  AND coalesce(d.local_day, s.period_start) BETWEEN $2 AND $3
  AND ($4::text IS NULL OR l.account_id = $4) AND ($5::text IS NULL OR s.host_id = $5)
GROUP BY 1
"""

_INCOME_SQL: Final = {g: _INCOME.format(key=k, sums=_INCOME_SUMS) for g, k in _INCOME_KEYS.items()}
_AD_SPEND_SQL: Final = {g: _AD_SPEND.format(key=k) for g, k in _AD_KEYS.items()}
_HOST_PAY_SQL: Final = {g: _HOST_PAY.format(key=k) for g, k in _PAY_KEYS.items()}

_SESSION_INCOME = f"""
SELECT p.account_id, p.session_id, s.studio_id, s.local_day, {_INCOME_SUMS}
FROM commission.affiliate_parts p
JOIN analytics.sessions s ON s.account_id = p.account_id AND s.session_id = p.session_id
WHERE ($1::text[] IS NULL OR s.studio_id = ANY($1::text[])) AND s.local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR p.account_id = $4) AND ($5::text IS NULL OR p.host_id = $5)
GROUP BY p.account_id, p.session_id, s.studio_id, s.local_day
ORDER BY s.local_day, p.account_id, p.session_id
LIMIT $6
"""

_SESSION_PAY = """
SELECT l.account_id, l.session_id, sum(l.amount) AS host_pay
FROM commission.statement_lines l
JOIN commission.statements st ON st.statement_id = l.statement_id
JOIN analytics.sessions s ON s.account_id = l.account_id AND s.session_id = l.session_id
WHERE st.status <> 'void' AND ($1::text[] IS NULL OR s.studio_id = ANY($1::text[]))
  AND s.local_day BETWEEN $2 AND $3
  AND ($4::text IS NULL OR l.account_id = $4) AND ($5::text IS NULL OR st.host_id = $5)
GROUP BY l.account_id, l.session_id
"""

# Monthly GMV targets (`commission.targets`) with the month's confirmed GMV of each: the studio's and an account's
# from analytics' daily rollups, a host's from commission's per-day rollup `host_days` (attributed sales only, the
# unassigned bucket excluded; sums of its days' sums are the sums of the raw attributions, to the digit).
_TARGETS = f"""
SELECT t.studio_id, t.month, t.scope, t.scope_id, t.amount, t.set_at, t.set_by,
  s.timezone::text AS timezone, s.currency,
  CASE t.scope
    WHEN 'studio' THEN s.name
    WHEN 'account' THEN (SELECT a.display_name FROM ingest.accounts a WHERE a.account_id = t.scope_id)
    ELSE (SELECT h.name FROM commission.hosts h WHERE h.host_id = t.scope_id)
  END AS name,
  {PROGRESS_SQL} AS confirmed
FROM commission.targets t
LEFT JOIN commission.studios s ON s.studio_id = t.studio_id
WHERE ($1::text[] IS NULL OR t.studio_id = ANY($1::text[])) AND t.month = $2
  AND ($3::text IS NULL OR (t.scope = 'host' AND t.scope_id = $3))
ORDER BY t.studio_id, CASE t.scope WHEN 'studio' THEN 0 WHEN 'account' THEN 1 ELSE 2 END, t.scope_id
LIMIT 2000
"""
_TARGET_EXISTS = """
SELECT EXISTS (SELECT 1 FROM commission.targets WHERE studio_id = $1 AND month = $2 AND scope = $3 AND scope_id = $4)
  AS found
"""

# The alerts service's settings and history (`alerts.*`); channel secrets never leave it (only whether one is set).
_ALERT_CHANNELS = """
SELECT channel_id, studio_id, name, kind, enabled, config, secret_ciphertext IS NOT NULL AS has_secret, updated_at
FROM alerts.channels
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
ORDER BY studio_id, channel_id
LIMIT 1000
"""
_ALERT_RULES = """
SELECT rule_id, studio_id, kind, enabled, channel_ids, account_id, minutes, threshold::text AS threshold,
  elapsed_percent, dedup_minutes, quiet_start, quiet_end, updated_at
FROM alerts.rules
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
ORDER BY studio_id, rule_id
LIMIT 1000
"""
_ALERT_SUMMARIES = """
SELECT studio_id, enabled, local_time, channel_ids, last_day::text AS last_day, updated_at
FROM alerts.summaries
WHERE ($1::text[] IS NULL OR studio_id = ANY($1::text[]))
ORDER BY studio_id
"""
_ALERT_HISTORY = """
SELECT n.notification_id, n.studio_id, n.rule_id, n.kind, n.subject, n.status, n.title, n.body, n.decided_at,
  coalesce(
    (SELECT json_agg(json_build_object('channel_id', d.channel_id, 'status', d.status, 'attempts', d.attempts,
                                       'last_error', d.last_error, 'sent_at', d.sent_at) ORDER BY d.channel_id)
     FROM alerts.deliveries d WHERE d.notification_id = n.notification_id), '[]'::json) AS deliveries
FROM alerts.notifications n
WHERE ($1::text[] IS NULL OR n.studio_id = ANY($1::text[]))
  AND ($2::timestamptz IS NULL OR n.decided_at < $2)
  AND ($3::text IS NULL OR n.kind = $3)
ORDER BY n.decided_at DESC, n.notification_id
LIMIT $4
"""

_ACCOUNT_NAMES = "SELECT account_id, studio_id, display_name FROM ingest.accounts WHERE account_id = ANY($1::text[])"
_HOST_NAMES = "SELECT host_id, studio_id, name FROM commission.hosts WHERE host_id = ANY($1::text[])"


class Repository:
    """Read queries of the API; each method is one round trip (or a few on one connection).

    Queries take their turn in arrival order. asyncpg's pool hands a released connection to whichever task asks
    next, so under overload a request that was already waiting can lose it again and again (MagicStack/asyncpg#1247).
    A FIFO semaphore of the pool's size in front of it (asyncio's hands a released permit to the first waiter)
    bounds that; `bench/gateway_latency.py` measures both at saturation (figures: the gateway's README).
    Uncontended, the turns cost a counter. `fair=False` queries the pool directly, for that comparison."""

    def __init__(self, pool: asyncpg.Pool, *, fair: bool = True) -> None:
        self.pool = pool
        self._turns: AbstractAsyncContextManager[Any] = (
            asyncio.Semaphore(pool.get_max_size()) if fair else contextlib.nullcontext()
        )

    async def _fetch(self, query: str, *args: Any) -> list[Record]:
        async with self._turns:
            return await self.pool.fetch(query, *args)

    async def _fetchrow(self, query: str, *args: Any) -> Record | None:
        async with self._turns:
            return await self.pool.fetchrow(query, *args)

    async def _fetchval(self, query: str, *args: Any) -> Any:
        async with self._turns:
            return await self.pool.fetchval(query, *args)

    # --- studios, accounts, hosts ---------------------------------------------------------------------------
    async def studios(self, scope: Scope, studio_id: str | None = None) -> list[Record]:
        return await self._fetch(_STUDIOS, _scope(scope), studio_id)

    async def studio_currencies(self, scope: Scope) -> list[str]:
        rows = await self._fetch(_STUDIO_CURRENCIES, _scope(scope))
        return [r["currency"] for r in rows]

    async def accounts(
        self, scope: Scope, *, state: str | None, include_removed: bool, after: str | None, limit: int
    ) -> list[Record]:
        return await self._fetch(_ACCOUNTS, _scope(scope), state, include_removed, after, limit)

    async def account(self, account_id: str, scope: Scope) -> Record | None:
        return await self._fetchrow(_ACCOUNT, account_id, _scope(scope))

    async def account_studio(self, account_id: str) -> str | None:
        """The studio of an account whatever the caller's scope (commands check it against the scope)."""
        value: str | None = await self._fetchval(_ACCOUNT_STUDIO, account_id)
        return value

    async def entity_studios(self, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(entity, id) -> studio of each named entity that exists, whatever the caller's scope."""
        if not refs:
            return {}
        ids = [[i for e, i in refs if e == entity] for entity in _ENTITIES]
        rows = list(await self._fetch(_ENTITY_STUDIOS, *ids))
        alert_ids = [[i for e, i in refs if e == entity] for entity in _ALERT_ENTITIES]
        if any(alert_ids):
            # before the alerts service has created its schema, no alert entity exists
            with contextlib.suppress(asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
                rows += await self._fetch(_ALERT_ENTITY_STUDIOS, *alert_ids)
        return {(r["entity"], r["id"]): r["studio_id"] for r in rows}

    async def host_rostered(self, host_id: str, account_id: str, lo: datetime, hi: datetime) -> bool:
        """Whether a schedule entry puts the host on the account at some time in [lo, hi]."""
        found: bool = await self._fetchval(_HOST_ROSTERED, host_id, account_id, lo, hi)
        return found

    async def hosts(self, scope: Scope, *, active: bool | None = None, host_id: str | None = None) -> list[Record]:
        return await self._fetch(_HOSTS, _scope(scope), active, host_id)

    async def host_studio(self, host_id: str) -> str | None:
        value: str | None = await self._fetchval(_HOST_STUDIO, host_id)
        return value

    # --- sessions -----------------------------------------------------------------------------------------
    async def sessions(
        self,
        scope: Scope,
        *,
        sort: str,
        account_id: str | None,
        on_air: bool | None,
        day_from: date | None,
        day_to: date | None,
        host_id: str | None,
        limit: int,
        after: tuple[Any, str, int] | None,
    ) -> list[Record]:
        value, after_account, after_session = after if after is not None else (None, None, None)
        studios, studio = _split_scope(scope)
        query = SESSION_LIST_SQL[sort]
        return await self._fetch(
            query.sql,
            *query.args(
                studios=studios,
                studio=studio,
                account_id=account_id,
                on_air=on_air,
                day_from=day_from,
                day_to=day_to,
                host_id=host_id,
                has_after=after is not None,
                after_value=value,
                after_account=after_account,
                after_session=after_session,
                limit=limit,
            ),
        )

    async def session_detail(
        self, account_id: str, session_id: int, scope: Scope, host_id: str | None
    ) -> Record | None:
        """The session with its timeline, products and hosts (arrays of rows: `TIMELINE_ROW`, `PRODUCT_ROW`,
        `HOST_ROW` name their values)."""
        return await self._fetchrow(_SESSION_DETAIL, account_id, session_id, _scope(scope), host_id)

    async def on_air_sessions(self, scope: Scope, limit: int = 1000) -> list[Record]:
        return await self._fetch(_ON_AIR, _scope(scope), limit)

    # --- analytics ----------------------------------------------------------------------------------------
    async def daily_account(self, account_id: str, scope: Scope, day_from: date, day_to: date) -> list[Record]:
        return await self._fetch(_DAILY_ACCOUNT, account_id, _scope(scope), day_from, day_to)

    async def daily_studios(self, scope: Scope, day_from: date, day_to: date) -> list[Record]:
        return await self._fetch(_DAILY_STUDIOS, _scope(scope), day_from, day_to)

    async def summary_account(
        self, account_id: str, scope: Scope, prev_from: date, cur_from: date, cur_to: date
    ) -> list[Record]:
        return await self._fetch(_SUMMARY_ACCOUNT, account_id, _scope(scope), prev_from, cur_from, cur_to)

    async def summary_studios(self, scope: Scope, prev_from: date, cur_from: date, cur_to: date) -> list[Record]:
        return await self._fetch(_SUMMARY_STUDIOS, _scope(scope), prev_from, cur_from, cur_to)

    async def account_breakdown(self, scope: Scope, day_from: date, day_to: date, limit: int) -> list[Record]:
        months_from, months_to = full_months(day_from, day_to)
        return await self._fetch(_ACCOUNT_BREAKDOWN, _scope(scope), day_from, day_to, limit, months_from, months_to)

    async def hours(
        self, scope: Scope, account_id: str | None, day_from: date, day_to: date, group: str
    ) -> list[Record]:
        """Figures of the hourly rollups over a range, grouped by hour, weekday and hour, or the studio's shifts."""
        source = "studios" if account_id is None else "account"
        return await self._fetch(_HOURS_SQL[(source, group)], _scope(scope), day_from, day_to, account_id)

    async def host_hours(
        self, scope: Scope, host_id: str, account_id: str | None, day_from: date, day_to: date, group: str
    ) -> list[Record]:
        """One host's attributed figures per hour, weekday and hour, or shift, with apportioned viewers."""
        return await self._fetch(_HOST_HOURS_SQL[group], _scope(scope), day_from, day_to, host_id, account_id)

    async def top_products(
        self, scope: Scope, account_id: str | None, day_from: date, day_to: date, by: str, limit: int
    ) -> list[Record]:
        if account_id is None:
            return await self._fetch(_TOP_PRODUCTS_SQL["studios", by], _scope(scope), day_from, day_to, limit)
        return await self._fetch(_TOP_PRODUCTS_SQL["account", by], _scope(scope), day_from, day_to, limit, account_id)

    # --- profit -------------------------------------------------------------------------------------------
    async def profit_rows(
        self,
        group: str,
        scope: Scope,
        day_from: date,
        day_to: date,
        account_id: str | None,
        host_id: str | None,
    ) -> tuple[list[Record], list[Record], list[Record]]:
        """Income, ad spend and host pay rows grouped by `group` (one of `PROFIT_GROUPS`), column `key`."""
        args = (_scope(scope), day_from, day_to, account_id)
        incomes = await self._fetch(_INCOME_SQL[group], *args, host_id)
        ad_spend = await self._fetch(_AD_SPEND_SQL[group], *args) if group in _AD_SPEND_SQL and not host_id else []
        host_pay = await self._fetch(_HOST_PAY_SQL[group], *args, host_id)
        return incomes, ad_spend, host_pay

    async def profit_sessions(
        self, scope: Scope, day_from: date, day_to: date, account_id: str | None, host_id: str | None, limit: int
    ) -> tuple[list[Record], list[Record]]:
        args = (_scope(scope), day_from, day_to, account_id, host_id)
        return await self._fetch(_SESSION_INCOME, *args, limit), await self._fetch(_SESSION_PAY, *args)

    async def account_names(self, account_ids: Sequence[str]) -> list[Record]:
        return await self._fetch(_ACCOUNT_NAMES, list(account_ids))

    async def host_names(self, host_ids: Sequence[str]) -> list[Record]:
        return await self._fetch(_HOST_NAMES, list(host_ids))

    # --- hosts --------------------------------------------------------------------------------------------
    async def host_performance(self, scope: Scope, day_from: date, day_to: date, host_id: str | None) -> list[Record]:
        return await self._fetch(_HOST_PERFORMANCE, _scope(scope), day_from, day_to, host_id)

    async def leaderboard(self, scope: Scope, day_from: date, day_to: date, by: str, limit: int) -> list[Record]:
        return await self._fetch(_LEADERBOARD_SQL[by], _scope(scope), day_from, day_to, limit)

    async def host_days(self, host_id: str, day_from: date, day_to: date) -> list[Record]:
        return await self._fetch(_HOST_DAYS, host_id, day_from, day_to)

    # --- commission ---------------------------------------------------------------------------------------
    async def statements(
        self,
        scope: Scope,
        *,
        host_id: str | None,
        status: str | None,
        period_from: date | None,
        period_to: date | None,
        after: tuple[date, str] | None,
        limit: int,
    ) -> list[Record]:
        after_start, after_id = after if after is not None else (None, None)
        studios, studio = _split_scope(scope)
        return await self._fetch(
            _STATEMENTS.sql,
            *_STATEMENTS.args(
                studios=studios,
                studio=studio,
                host_id=host_id,
                status=status,
                period_from=period_from,
                period_to=period_to,
                has_after=after is not None,
                after_start=after_start,
                after_id=after_id,
                limit=limit,
            ),
        )

    async def statement(self, statement_id: str, scope: Scope, host_id: str | None) -> Record | None:
        return await self._fetchrow(_STATEMENT, statement_id, _scope(scope), host_id)

    async def statement_lines(self, statement_id: str) -> list[Record]:
        return await self._fetch(_STATEMENT_LINES, statement_id)

    # --- roster -------------------------------------------------------------------------------------------
    async def shifts(self, scope: Scope) -> list[Record]:
        return await self._fetch(_SHIFTS, _scope(scope))

    async def schedule(
        self,
        scope: Scope,
        *,
        host_id: str | None,
        account_id: str | None,
        day_from: date | None,
        day_to: date | None,
        after: tuple[datetime | None, str] | None,
        limit: int,
    ) -> list[Record]:
        at, entry_id = after if after is not None else (None, None)
        return await self._fetch(
            _SCHEDULE, _scope(scope), host_id, account_id, day_from, day_to, after is not None, at, entry_id, limit
        )

    async def check_ins(
        self,
        scope: Scope,
        *,
        host_id: str | None,
        account_id: str | None,
        day_from: date | None,
        day_to: date | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Record]:
        at, check_id = after if after is not None else (None, None)
        return await self._fetch(
            _CHECK_INS, _scope(scope), host_id, account_id, day_from, day_to, after is not None, at, check_id, limit
        )

    async def attendance(
        self,
        scope: Scope,
        *,
        host_id: str | None,
        account_id: str | None,
        day_from: date,
        day_to: date,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Record]:
        at, entry_id = after if after is not None else (None, None)
        return await self._fetch(
            _ATTENDANCE,
            _scope(scope),
            host_id,
            account_id,
            day_from,
            day_to,
            status,
            after is not None,
            at,
            entry_id,
            limit,
        )

    async def attendance_summary(self, studio_id: str, host_id: str, day_from: date, day_to: date) -> Record:
        row = await self._fetchrow(_ATTENDANCE_SUMMARY, studio_id, host_id, day_from, day_to)
        assert row is not None  # an aggregate always answers one row
        return row

    async def entry_window(self, entry_id: str) -> Record | None:
        """The studio and window of a schedule entry whatever the caller's scope (writes check it)."""
        return await self._fetchrow(_ENTRY_WINDOW, entry_id)

    async def pay_rules(
        self, scope: Scope, *, rule_id: str | None, on: date | None, after: tuple[str, date] | None, limit: int
    ) -> list[Record]:
        after_id, after_from = after if after is not None else (None, None)
        return await self._fetch(_PAY_RULES, _scope(scope), rule_id, on, after is not None, after_id, after_from, limit)

    async def ad_spend(
        self,
        scope: Scope,
        *,
        account_id: str | None,
        day_from: date,
        day_to: date,
        after: tuple[date, str] | None,
        limit: int,
    ) -> list[Record]:
        after_day, after_account = after if after is not None else (None, None)
        return await self._fetch(
            _AD_SPEND_ROWS,
            _scope(scope),
            account_id,
            day_from,
            day_to,
            after is not None,
            after_day,
            after_account,
            limit,
        )

    async def dependents(self, entity: str, entity_id: str) -> dict[str, int]:
        """What history names a host, shift, rule or studio (counts per kind), before a removal is published."""
        queries = {"host": _HOST_HISTORY, "shift": _SHIFT_USERS, "rule": _RULE_PAID_LINES, "studio": _STUDIO_HISTORY}
        row = await self._fetchrow(queries[entity], entity_id)
        counts = {} if row is None else {key: int(value) for key, value in row.items()}
        for other in _STUDIO_OTHERS.values() if entity == "studio" else ():
            # before a service has created its schema, it holds nothing of the studio
            with contextlib.suppress(asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
                more = await self._fetchrow(other, entity_id)
                counts |= {} if more is None else {key: int(value) for key, value in more.items()}
        return counts

    # --- commands -----------------------------------------------------------------------------------------
    async def command_result(self, command_id: str) -> tuple[str, Record] | None:
        """The outcome recorded by whichever owner applied the command (None while pending)."""
        async with self._turns, self.pool.acquire() as conn:
            for owner, sql in _COMMAND_RESULT.items():
                try:
                    row = await conn.fetchrow(sql, command_id)
                except asyncpg.UndefinedTableError:
                    continue  # that owner has not migrated yet
                if row is not None:
                    return owner, row
        return None

    # --- targets and alerts: tables of services that may not have migrated yet (no rows until they have) -----
    async def _fetch_optional(self, query: str, *args: Any) -> list[Record]:
        try:
            return await self._fetch(query, *args)
        except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
            return []

    async def targets(self, scope: Scope, month: date, host_id: str | None = None) -> list[Record]:
        """The month's targets in `scope` with their confirmed GMV so far (`confirmed`, NULL when no figure); with
        `host_id`, only that host's own targets (no studio or account target)."""
        return await self._fetch_optional(_TARGETS, _scope(scope), month, host_id)

    async def target_exists(self, studio_id: str, month: date, scope: str, scope_id: str) -> bool:
        rows = await self._fetch_optional(_TARGET_EXISTS, studio_id, month, scope, scope_id)
        return bool(rows and rows[0]["found"])

    async def alert_channels(self, scope: Scope) -> list[Record]:
        return await self._fetch_optional(_ALERT_CHANNELS, _scope(scope))

    async def alert_rules(self, scope: Scope) -> list[Record]:
        return await self._fetch_optional(_ALERT_RULES, _scope(scope))

    async def alert_summaries(self, scope: Scope) -> list[Record]:
        return await self._fetch_optional(_ALERT_SUMMARIES, _scope(scope))

    async def alert_history(self, scope: Scope, before: datetime | None, kind: str | None, limit: int) -> list[Record]:
        """Notifications decided before `before` (all when None), newest first, `deliveries` as a JSON array."""
        return await self._fetch_optional(_ALERT_HISTORY, _scope(scope), before, kind, limit)

    async def qr_login(self, login_id: str, scope: Scope) -> Record | None:
        return await self._fetchrow(_QR_LOGIN, login_id, _scope(scope))

    # --- live now -----------------------------------------------------------------------------------------------
    async def so_far(self, periods: Sequence[tuple[str, bool, date, datetime]], account_id: str | None) -> list[Record]:
        """Per (studio, account, is_today): sessions and placed figures of each period's day up to its cutoff;
        `periods` are (studio_id, is_today, local day, cutoff)."""
        columns = list(zip(*periods, strict=True)) if periods else [(), (), (), ()]
        return await self._fetch(_SO_FAR, *(list(c) for c in columns), account_id)

    async def hosts_on_air(self, scope: Scope, at: datetime, account_id: str | None) -> list[Record]:
        """Schedule entries (the on-air windows attribution uses) covering `at`."""
        return await self._fetch(_HOSTS_ON_AIR, _scope(scope), at, account_id)

    async def export_rows(
        self, kind: str, scope: Scope, day_from: date, day_to: date, account_id: str | None, prefetch: int = 500
    ) -> AsyncIterator[Record]:
        """Rows of a streamed export from a server-side cursor, `prefetch` rows at a time in memory whatever the
        range, in one read-only repeatable-read transaction (a consistent snapshot). Holds a connection (and a
        turn) until the caller stops iterating."""
        async with (
            self._turns,
            self.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            async for row in conn.cursor(
                _EXPORTS[kind], _scope(scope), day_from, day_to, account_id, prefetch=prefetch
            ):
                yield row

    async def ping(self) -> None:
        """Readiness: one connection within 2 s (it does not queue behind the requests' turns)."""
        async with self.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
