"""All SQL of the analytics service (asyncpg, parameterised; set-based: one statement per table and batch).

* `merge_*`: a collapsed batch is COPYed (binary) into a per-connection staging temp table and merges into
  the stored rows with the same last-writer-wins rule as `lww` (the upsert is generated from the `TableSpec`,
  so Python and SQL agree). Staging is typed for a cheap COPY, not like the table: asyncpg's binary encoders
  of decimals and timestamps cost the consumer more CPU than their text and an integer, so decimals are staged as
  their text and timestamps as microseconds since the epoch, both converted back in the merge (the measured costs
  are in the analytics README, "Staging types").
* `recompute_days`: the daily rollups of the (account, day) keys a batch touched are recomputed from
  `sessions` (and `ad_spend`), then the touched (studio, day) rows from `daily_account`. Exact, idempotent,
  and the cost depends on the rows of those days, not on history. Transaction-scoped advisory locks on the
  keys' hash buckets, taken in order before the recomputing statement reads, keep concurrent consumers (other
  partitions, commands) from overwriting each other's rollups.
* `mark_dirty`: the consumer records, in its own transaction, which keys of the refresher's rollups a batch made
  stale (`rollup_dirty_days`: (account, day) of products; `rollup_dirty_sessions`: a session's hours from a
  minute on; `rollup_dirty_months`: (account, month) of the days it recomputed in daily_account).
  `pending_marks` / `recompute_*` / `clear_marks` are the refresher's round (`rollups.py`): marks are read without
  locks, the rollups recomputed from the facts, and only the marks whose `seq` did not change
  meanwhile are deleted (locked in key order, like the consumer's upsert of them).
* `recompute_hours`: the hourly rollups (studio-local date and hour) of marked sessions, from each one's first
  stale hour on, are recomputed from `session_timeline`: per session the last cumulative value of the hour minus
  the last one before it; then the touched studio hours from `hourly_account`.
* `recompute_items`: products per (account, day) (`daily_items`) from `sessions` joined with `session_items`,
  then per (studio, day) (`daily_studio_items`).
* `recompute_months`: `monthly_account` per (account, month) from the month's `daily_account` rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from livestudio_analytics.events import AdSpendEntry
from livestudio_analytics.lww import Column, State, TableSpec
from livestudio_analytics.observations import EPOCH, ITEMS, SESSIONS, TIMELINE
from livestudio_runtime.db import DbConnection

READ_MODELS = (
    "sessions",
    "session_timeline",
    "session_items",
    "daily_account",
    "daily_studio",
    "hourly_account",
    "hourly_studio",
    "daily_items",
    "daily_studio_items",
    "monthly_account",
    "ad_spend",
)
"""Tables rebuilt from the topics (command_results is kept: it records when each command was first applied)."""

ROLLUP_MARKS = ("rollup_dirty_days", "rollup_dirty_sessions", "rollup_dirty_months")
"""The refresher's work queue: emptied with the read models (the replay marks every key again)."""


async def begin_batch(conn: DbConnection) -> None:
    """Per-transaction settings and the connection's staging tables (one round trip).

    Plans must see the batch's real sizes: a generic plan guesses a few rows per unnest and may pick nested
    loops that are quadratic in the batch size.
    """
    await conn.execute(_BEGIN_BATCH)


# --- generated last-writer-wins upserts --------------------------------------------------------------------
def _sort_expr(prefix: str, col: Column) -> str:
    ref = f"{prefix}.{col.name}"
    if col.is_text:
        return f'{ref} COLLATE "C"'
    if col.descending:
        return f"(NOT {ref})"
    return ref


def _stage(spec: TableSpec) -> str:
    return f"stage_{spec.table}"


_MICROSECOND = timedelta(microseconds=1)


def _micros(ts: datetime) -> int:
    """A staged timestamp: microseconds since the epoch (exact; fast for `datetime.UTC` values)."""
    return (ts - EPOCH) // _MICROSECOND


def _staged_type(pg_type: str) -> str:
    if pg_type.startswith("numeric"):
        return "text"
    if pg_type == "timestamptz":
        return "bigint"
    return pg_type


def _unstaged(ref: str, pg_type: str) -> str:
    """A staged value as the merge reads it, with its table type back."""
    if pg_type.startswith("numeric"):
        return f"{ref}::{pg_type}"
    if pg_type == "timestamptz":
        return f"(timestamptz 'epoch' + {ref} * interval '1 microsecond')"
    return ref


def _stage_ddl(spec: TableSpec) -> str:
    """A per-connection temp table the batch is COPYed into (emptied at every commit)."""
    columns = [f"{c.name} {_staged_type(c.pg_type)}" for c in (*spec.keys, *spec.value_columns)]
    columns += [f"_ts{i} bigint" for i in range(len(spec.registers))]
    columns += [f"{m} bigint" for m in spec.maxima]
    return f"CREATE TEMP TABLE IF NOT EXISTS {_stage(spec)} ({', '.join(columns)}) ON COMMIT DELETE ROWS"


def _merge_sql(spec: TableSpec, old: Sequence[str], new: Sequence[str]) -> str:
    keys = [c.name for c in spec.keys]
    values = list(spec.value_columns)
    ts_names = [f"_ts{i}" for i in range(len(spec.registers))]
    newest = spec.maxima[0]
    # A register's timestamp is staged only when it differs from the row's newest observed_at (rarely).
    ts_exprs_src = [
        f"CASE WHEN s.{reg.columns[0].name} IS NULL THEN NULL "
        f"ELSE {_unstaged(f'coalesce(s._ts{i}, s.{newest})', 'timestamptz')} END AS _ts{i}"
        for i, reg in enumerate(spec.registers)
    ]
    src_select = ", ".join(
        [
            *(f"{_unstaged(f's.{k.name}', k.pg_type)} AS {k.name}" for k in spec.keys),
            *(f"{_unstaged(f's.{c.name}', c.pg_type)} AS {c.name}" for c in values),
            *ts_exprs_src,
            *(f"{_unstaged(f's.{m}', 'timestamptz')} AS {m}" for m in spec.maxima),
        ]
    )

    sets: list[str] = []
    ts_exprs: list[str] = []
    for i, reg in enumerate(spec.registers):
        pos = i + 1
        new_key = ", ".join([f"EXCLUDED.field_observed_at[{pos}]", *(_sort_expr("EXCLUDED", c) for c in reg.columns)])
        old_key = ", ".join([f"t.field_observed_at[{pos}]", *(_sort_expr("t", c) for c in reg.columns)])
        cond = (
            f"EXCLUDED.field_observed_at[{pos}] IS NOT NULL AND "
            f"(t.field_observed_at[{pos}] IS NULL OR ({new_key}) > ({old_key}))"
        )
        for c in reg.columns:
            sets.append(f"{c.name} = CASE WHEN {cond} THEN EXCLUDED.{c.name} ELSE t.{c.name} END")
        ts_exprs.append(f"CASE WHEN {cond} THEN EXCLUDED.field_observed_at[{pos}] ELSE t.field_observed_at[{pos}] END")
    sets.append(f"field_observed_at = ARRAY[{', '.join(ts_exprs)}]::timestamptz[]")
    sets += [f"{m} = GREATEST(t.{m}, EXCLUDED.{m})" for m in spec.maxima]

    key_join = " AND ".join(f"t.{k} = src.{k}" for k in keys)
    types = {c.name: c.pg_type for c in values} | dict.fromkeys(spec.maxima, "timestamptz")
    # Before and after come back as separate rows (tagged), not joined: a join of two CTEs has no statistics
    # and may be planned as a quadratic nested loop.
    # Every column is named (`new_<c>` after the merge, `old_<c>` before it): callers read the rows by name.
    nulls_old = [f"NULL::{types[c]} AS old_{c}" for c in old]
    nulls_new = [f"NULL::{types[c]} AS new_{c}" for c in new]
    old_cols = ", ".join(["false AS after", *(f"t.{k}" for k in keys), *nulls_new, *(f"t.{c} AS old_{c}" for c in old)])
    returning = ", ".join(["true AS after", *(f"t.{k}" for k in keys), *(f"t.{c} AS new_{c}" for c in new), *nulls_old])
    columns = ", ".join([*keys, *(c.name for c in values), "field_observed_at", *spec.maxima])
    set_list = ",\n        ".join(sets)
    select = ", ".join([*keys, *(c.name for c in values), f"ARRAY[{', '.join(ts_names)}]::timestamptz[]", *spec.maxima])
    upsert = f"""
    INSERT INTO {spec.table} AS t ({columns})
    SELECT {select} FROM src ORDER BY {", ".join(keys)}  -- rows locked in key order: no deadlock between members
    ON CONFLICT ({", ".join(keys)}) DO UPDATE SET
        {set_list}"""
    src = f"""
WITH src AS (
    SELECT {src_select} FROM {_stage(spec)} s
)"""
    if not old and not new:
        return src + upsert + "\n"
    return f"""{src}, old AS (
    SELECT {old_cols} FROM {spec.table} t JOIN src ON {key_join}
), up AS ({upsert}
    RETURNING {returning}
)
SELECT * FROM up UNION ALL SELECT * FROM old
"""


def copy_records(spec: TableSpec, rows: Mapping[tuple[Any, ...], State]) -> list[tuple[Any, ...]]:
    """COPY records: keys, values, register timestamps (None when equal to the row's newest), maxima; decimals as
    text and timestamps as epoch microseconds (see `_staged_type`)."""
    blanks = [(None,) * len(reg.columns) for reg in spec.registers]
    scalars = all(len(reg.columns) == 1 for reg in spec.registers)  # e.g. the timeline: one value per entry
    columns = (*spec.keys, *spec.value_columns)
    as_text = [i for i, c in enumerate(columns) if c.pg_type.startswith("numeric")]
    as_micros = [i for i, c in enumerate(columns) if c.pg_type == "timestamptz"]
    out: list[tuple[Any, ...]] = []
    for key, state in rows.items():
        entries = state.entries
        newest = state.maxima[0]
        if scalars:
            values: list[Any] = [*key, *[None if e is None else e[1][0] for e in entries]]
        else:
            values = list(key)
            for blank, entry in zip(blanks, entries, strict=True):
                values.extend(blank if entry is None else entry[1])
        times = [None if e is None or e[0] == newest else _micros(e[0]) for e in entries]
        for i in as_text:
            if values[i] is not None:
                values[i] = str(values[i])
        for i in as_micros:
            if values[i] is not None:
                values[i] = _micros(values[i])
        out.append((*values, *times, *[None if m is None else _micros(m) for m in state.maxima]))
    return out


async def _stage_rows(conn: DbConnection, spec: TableSpec, records: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(_stage(spec), records=records)


@dataclass(frozen=True, slots=True)
class StagedBatch:
    """A collapsed batch as COPY records per staging table: pure, so built before its transaction opens."""

    sessions: list[tuple[Any, ...]]
    timeline: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]
    item_keys: list[tuple[str, int, int]]

    @classmethod
    def of(
        cls,
        sessions: Mapping[tuple[str, int], State],
        timeline: Mapping[tuple[str, int, datetime], State],
        items: Mapping[tuple[str, int, int], State],
    ) -> StagedBatch:
        return cls(
            copy_records(SESSIONS, sessions),
            copy_records(TIMELINE, timeline),
            copy_records(ITEMS, items),
            list(items),
        )


_BEGIN_BATCH = ";\n".join(
    ["SET LOCAL plan_cache_mode = force_custom_plan", *(_stage_ddl(spec) for spec in (SESSIONS, TIMELINE, ITEMS))]
)
_MERGE_SESSIONS = _merge_sql(SESSIONS, old=("local_day", "studio_id", "observed_at"), new=("local_day", "studio_id"))
_MERGE_TIMELINE = _merge_sql(TIMELINE, old=(), new=())
_MERGE_ITEMS = _merge_sql(ITEMS, old=("observed_at",), new=())


@dataclass(frozen=True, slots=True)
class MergedSession:
    account_id: str
    session_id: int
    local_day: date
    old_local_day: date | None
    old_observed_at: datetime | None
    studio_id: str | None = None
    old_studio_id: str | None = None

    @property
    def moved(self) -> bool:
        """New, or now on another local day or studio: the product rollups of its days change."""
        return (
            self.old_local_day is None or self.old_local_day != self.local_day or self.old_studio_id != self.studio_id
        )


async def merge_sessions(conn: DbConnection, staged: StagedBatch) -> list[MergedSession]:
    if not staged.sessions:
        return []
    before: dict[tuple[str, int], tuple[date, datetime, str]] = {}
    after: list[tuple[str, int, date, str]] = []
    await _stage_rows(conn, SESSIONS, staged.sessions)
    for r in await conn.fetch(_MERGE_SESSIONS):
        if r["after"]:
            after.append((r["account_id"], r["session_id"], r["new_local_day"], r["new_studio_id"]))
        else:
            before[(r["account_id"], r["session_id"])] = (r["old_local_day"], r["old_observed_at"], r["old_studio_id"])
    out: list[MergedSession] = []
    for account_id, session_id, day, studio in after:
        old_day, old_observed_at, old_studio = before.get((account_id, session_id), (None, None, None))
        out.append(MergedSession(account_id, session_id, day, old_day, old_observed_at, studio, old_studio))
    return out


async def merge_timeline(conn: DbConnection, staged: StagedBatch) -> None:
    if staged.timeline:
        await _stage_rows(conn, TIMELINE, staged.timeline)
        await conn.execute(_MERGE_TIMELINE)


async def merge_items(conn: DbConnection, staged: StagedBatch) -> dict[tuple[str, int, int], datetime | None]:
    """Merge item rows; returns each row's observed_at before the merge (None for new rows)."""
    if not staged.items:
        return {}
    prior: dict[tuple[str, int, int], datetime | None] = dict.fromkeys(staged.item_keys)
    await _stage_rows(conn, ITEMS, staged.items)
    for r in await conn.fetch(_MERGE_ITEMS):
        if not r["after"]:
            prior[(r["account_id"], r["session_id"], r["item_id"])] = r["old_observed_at"]
    return prior


# --- commands ----------------------------------------------------------------------------------------------
_UPSERT_AD_SPEND = """
INSERT INTO ad_spend AS t (account_id, day, studio_id, amount, currency, command_id, issued_at)
SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::numeric[], $5::text[], $6::text[], $7::timestamptz[])
ON CONFLICT (account_id, day) DO UPDATE SET
    studio_id = EXCLUDED.studio_id, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
    command_id = EXCLUDED.command_id, issued_at = EXCLUDED.issued_at
WHERE (EXCLUDED.issued_at, EXCLUDED.command_id COLLATE "C") > (t.issued_at, t.command_id COLLATE "C")
"""


async def upsert_ad_spend(conn: DbConnection, rows: Sequence[AdSpendEntry]) -> None:
    """Keyed by (account, day); the newest (issued_at, command_id) wins whatever the order of arrival."""
    if not rows:
        return
    await conn.execute(
        _UPSERT_AD_SPEND,
        [r.account_id for r in rows],
        [r.day for r in rows],
        [r.studio_id for r in rows],
        [r.amount for r in rows],
        [r.currency for r in rows],
        [r.command_id for r in rows],
        [r.issued_at for r in rows],
    )


_RECORD_RESULTS = """
INSERT INTO command_results (command_id, kind, status, error)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (command_id) DO NOTHING
"""


async def record_command_results(conn: DbConnection, results: Sequence[tuple[str, str, str, str | None]]) -> None:
    """(command_id, kind, status, error); the first recorded outcome of a command id stays."""
    if results:
        await conn.execute(_RECORD_RESULTS, *(list(col) for col in zip(*results, strict=True)))


# --- rollups -----------------------------------------------------------------------------------------------
LOCK_BUCKETS = 128
"""Rollup keys are locked by bucket (hash of the key): a batch holds at most this many advisory locks per kind,
whatever its size, so it never exhausts Postgres' shared lock table (max_locks_per_transaction)."""

_LOCK_KEYS = f"""
SELECT pg_advisory_xact_lock(hashtext($1), bucket) FROM (
    SELECT DISTINCT (hashtextextended(a, d - DATE '2000-01-01') & {LOCK_BUCKETS - 1})::integer AS bucket
    FROM unnest($2::text[], $3::date[]) AS u(a, d)
    ORDER BY 1
) buckets
"""

_SUMS = """
    sum({p}views)::bigint AS views,
    sum({p}viewers)::bigint AS viewers,
    max({p}peak_viewers) AS peak_viewers,
    sum({p}buyers)::bigint AS buyers,
    sum({p}placed_orders)::bigint AS placed_orders,
    sum({p}placed_items_sold)::bigint AS placed_items_sold,
    sum({p}confirmed_orders)::bigint AS confirmed_orders,
    sum({p}confirmed_items_sold)::bigint AS confirmed_items_sold,
    sum({p}paid_orders)::bigint AS paid_orders,
    sum({p}placed_sales) AS placed_sales,
    sum({p}confirmed_sales) AS confirmed_sales,
    sum({p}paid_sales) AS paid_sales"""
_FIGURES = (
    "views, viewers, peak_viewers, buyers, placed_orders, placed_items_sold, confirmed_orders, "
    "confirmed_items_sold, paid_orders, placed_sales, confirmed_sales, paid_sales"
)
_FIGURE_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in _FIGURES.split(", "))

_RECOMPUTE_ACCOUNT_DAYS = f"""
WITH k AS (
    SELECT DISTINCT a AS account_id, d AS day FROM unnest($1::text[], $2::date[]) AS u(a, d)
), s AS (
    SELECT s.account_id, s.local_day AS day,
           max(s.studio_id COLLATE "C") AS studio_id,
           max(s.currency COLLATE "C") AS currency,
           count(*)::integer AS sessions,
           (count(*) FILTER (WHERE s.on_air))::integer AS sessions_on_air,
           sum(s.streaming_ms)::bigint AS streaming_ms,
           {_SUMS.format(p="s.")},
           max(s.observed_at) AS observed_at
    FROM sessions s JOIN k ON s.account_id = k.account_id AND s.local_day = k.day
    GROUP BY s.account_id, s.local_day
), src AS (
    SELECT k.account_id, k.day,
           coalesce(s.studio_id, a.studio_id) AS studio_id,
           coalesce(s.currency, a.currency) AS currency,
           coalesce(s.sessions, 0) AS sessions,
           coalesce(s.sessions_on_air, 0) AS sessions_on_air,
           coalesce(s.streaming_ms, 0) AS streaming_ms,
           s.views, s.viewers, s.peak_viewers, s.buyers, s.placed_orders, s.placed_items_sold, s.confirmed_orders,
           s.confirmed_items_sold, s.paid_orders, s.placed_sales, s.confirmed_sales, s.paid_sales,
           a.amount AS ad_spend,
           s.observed_at
    FROM k
    LEFT JOIN s ON s.account_id = k.account_id AND s.day = k.day
    LEFT JOIN ad_spend a ON a.account_id = k.account_id AND a.day = k.day
    WHERE s.account_id IS NOT NULL OR a.account_id IS NOT NULL
), old AS (
    SELECT d.studio_id, d.day FROM daily_account d JOIN k ON d.account_id = k.account_id AND d.day = k.day
), gone AS (
    DELETE FROM daily_account d USING k
    WHERE d.account_id = k.account_id AND d.day = k.day
      AND NOT EXISTS (SELECT 1 FROM src WHERE src.account_id = d.account_id AND src.day = d.day)
), up AS (
    INSERT INTO daily_account AS t (account_id, day, studio_id, currency, sessions, sessions_on_air, streaming_ms,
                                    {_FIGURES}, ad_spend, observed_at)
    SELECT account_id, day, studio_id, currency, sessions, sessions_on_air, streaming_ms,
           {_FIGURES}, ad_spend, observed_at
    FROM src
    ON CONFLICT (account_id, day) DO UPDATE SET
        studio_id = EXCLUDED.studio_id, currency = EXCLUDED.currency, sessions = EXCLUDED.sessions,
        sessions_on_air = EXCLUDED.sessions_on_air, streaming_ms = EXCLUDED.streaming_ms, {_FIGURE_UPDATES},
        ad_spend = EXCLUDED.ad_spend, observed_at = EXCLUDED.observed_at
    RETURNING t.studio_id, t.day
)
SELECT studio_id, day FROM up UNION SELECT studio_id, day FROM old
"""

_RECOMPUTE_STUDIO_DAYS = f"""
WITH k AS (
    SELECT DISTINCT s AS studio_id, d AS day FROM unnest($1::text[], $2::date[]) AS u(s, d)
), src AS (
    SELECT d.studio_id, d.day,
           max(d.currency COLLATE "C") AS currency,
           count(*)::integer AS accounts,
           sum(d.sessions)::integer AS sessions,
           sum(d.sessions_on_air)::integer AS sessions_on_air,
           sum(d.streaming_ms)::bigint AS streaming_ms,
           {_SUMS.format(p="d.")},
           sum(d.ad_spend) AS ad_spend,
           max(d.observed_at) AS observed_at
    FROM daily_account d JOIN k ON d.studio_id = k.studio_id AND d.day = k.day
    GROUP BY d.studio_id, d.day
), gone AS (
    DELETE FROM daily_studio x USING k
    WHERE x.studio_id = k.studio_id AND x.day = k.day
      AND NOT EXISTS (SELECT 1 FROM src WHERE src.studio_id = x.studio_id AND src.day = x.day)
), up AS (
    INSERT INTO daily_studio AS t (studio_id, day, currency, accounts, sessions, sessions_on_air, streaming_ms,
                                   {_FIGURES}, ad_spend, observed_at)
    SELECT studio_id, day, currency, accounts, sessions, sessions_on_air, streaming_ms,
           {_FIGURES}, ad_spend, observed_at
    FROM src
    ON CONFLICT (studio_id, day) DO UPDATE SET
        currency = EXCLUDED.currency, accounts = EXCLUDED.accounts, sessions = EXCLUDED.sessions,
        sessions_on_air = EXCLUDED.sessions_on_air, streaming_ms = EXCLUDED.streaming_ms, {_FIGURE_UPDATES},
        ad_spend = EXCLUDED.ad_spend, observed_at = EXCLUDED.observed_at
)
SELECT count(*) FROM src
"""


def _sorted_pairs(pairs: set[tuple[str, date]]) -> tuple[list[str], list[date]]:
    ordered = sorted(pairs)
    return [p[0] for p in ordered], [p[1] for p in ordered]


async def recompute_days(conn: DbConnection, account_days: set[tuple[str, date]]) -> int:
    """Recompute daily_account for `account_days` and daily_studio for the studio-days involved.

    Returns the number of studio-days recomputed.
    """
    if not account_days:
        return 0
    accounts, days = _sorted_pairs(account_days)
    await conn.execute(_LOCK_KEYS, "analytics.daily_account", accounts, days)
    rows = await conn.fetch(_RECOMPUTE_ACCOUNT_DAYS, accounts, days)
    studio_days = {(r["studio_id"], r["day"]) for r in rows}
    if not studio_days:
        return 0
    studios, sdays = _sorted_pairs(studio_days)
    await conn.execute(_LOCK_KEYS, "analytics.daily_studio", studios, sdays)
    await conn.fetchval(_RECOMPUTE_STUDIO_DAYS, studios, sdays)
    return len(studio_days)


_HOUR_FIGURES = "viewers, peak_viewers, placed_orders, confirmed_orders, placed_sales, confirmed_sales"
_HOUR_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in _HOUR_FIGURES.split(", "))
_CUMULATIVE = ("viewers", "placed_orders", "confirmed_orders", "placed_sales", "confirmed_sales")
_HOUR_DELTAS = ",\n           ".join(
    f"""(SELECT t.{c} FROM session_timeline t
              WHERE t.account_id = h.account_id AND t.session_id = h.session_id AND t.minute >= h.lo
                AND t.minute < h.lo + interval '1 hour' AND t.{c} IS NOT NULL ORDER BY t.minute DESC LIMIT 1)
           - coalesce((SELECT t.{c} FROM session_timeline t
              WHERE t.account_id = h.account_id AND t.session_id = h.session_id AND t.minute < h.lo
                AND t.{c} IS NOT NULL ORDER BY t.minute DESC LIMIT 1), 0) AS {c}"""
    for c in _CUMULATIVE
)
"""Per session and hour: the last value of each cumulative figure in the hour minus the last one before it, both
found walking the primary key backwards (usually the first entry), instead of aggregating the hour's points."""

_RECOMPUTE_ACCOUNT_HOURS = f"""
WITH touched AS (
    SELECT a, s, min(m) AS m FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS u(a, s, m) GROUP BY a, s
), k AS (
    SELECT DISTINCT tl.account_id, (tl.minute AT TIME ZONE ss.timezone)::date AS local_date,
           extract(hour FROM tl.minute AT TIME ZONE ss.timezone)::smallint AS hour
    FROM touched t
    JOIN sessions ss ON ss.account_id = t.a AND ss.session_id = t.s
    JOIN session_timeline tl ON tl.account_id = t.a AND tl.session_id = t.s
                            AND tl.minute >= date_trunc('hour', t.m, ss.timezone)
), ses AS (
    SELECT k.account_id, k.local_date, k.hour, s.session_id, s.studio_id, s.currency,
           (k.local_date + make_interval(hours => k.hour)) AT TIME ZONE s.timezone AS lo
    FROM k JOIN sessions s ON s.account_id = k.account_id AND s.local_day BETWEEN k.local_date - 2 AND k.local_date
), per_hour AS (
    SELECT ses.account_id, ses.local_date, ses.hour, ses.session_id, ses.lo, ses.studio_id, ses.currency,
           max(tl.current_viewers) AS peak_viewers, max(tl.observed_at) AS observed_at
    FROM ses JOIN session_timeline tl ON tl.account_id = ses.account_id AND tl.session_id = ses.session_id
                                     AND tl.minute >= ses.lo AND tl.minute < ses.lo + interval '1 hour'
    GROUP BY ses.account_id, ses.local_date, ses.hour, ses.session_id, ses.lo, ses.studio_id, ses.currency
), deltas AS (
    SELECT h.account_id, h.local_date, h.hour, h.studio_id, h.currency, h.peak_viewers, h.observed_at,
           {_HOUR_DELTAS}
    FROM per_hour h
), src AS (
    SELECT account_id, local_date, hour, max(studio_id COLLATE "C") AS studio_id,
           max(currency COLLATE "C") AS currency, count(*)::integer AS sessions,
           sum(viewers)::bigint AS viewers, max(peak_viewers) AS peak_viewers,
           sum(placed_orders)::bigint AS placed_orders, sum(confirmed_orders)::bigint AS confirmed_orders,
           sum(placed_sales) AS placed_sales, sum(confirmed_sales) AS confirmed_sales, max(observed_at) AS observed_at
    FROM deltas GROUP BY account_id, local_date, hour
), old AS (
    SELECT x.studio_id, x.local_date, x.hour FROM hourly_account x
    JOIN k ON x.account_id = k.account_id AND x.local_date = k.local_date AND x.hour = k.hour
), gone AS (
    DELETE FROM hourly_account x USING k
    WHERE x.account_id = k.account_id AND x.local_date = k.local_date AND x.hour = k.hour
      AND NOT EXISTS (SELECT 1 FROM src WHERE src.account_id = x.account_id AND src.local_date = x.local_date
                                          AND src.hour = x.hour)
), up AS (
    INSERT INTO hourly_account AS t (account_id, local_date, hour, studio_id, currency, sessions, {_HOUR_FIGURES},
                                     observed_at)
    SELECT account_id, local_date, hour, studio_id, currency, sessions, {_HOUR_FIGURES}, observed_at
    FROM src ORDER BY account_id, local_date, hour
    ON CONFLICT (account_id, local_date, hour) DO UPDATE SET
        studio_id = EXCLUDED.studio_id, currency = EXCLUDED.currency, sessions = EXCLUDED.sessions,
        {_HOUR_UPDATES}, observed_at = EXCLUDED.observed_at
    RETURNING t.studio_id, t.local_date, t.hour
)
SELECT studio_id, local_date, hour FROM up UNION SELECT studio_id, local_date, hour FROM old
"""

_RECOMPUTE_STUDIO_HOURS = f"""
WITH k AS (
    SELECT DISTINCT s AS studio_id, d AS local_date, h AS hour
    FROM unnest($1::text[], $2::date[], $3::smallint[]) AS u(s, d, h)
), src AS (
    SELECT x.studio_id, x.local_date, x.hour, max(x.currency COLLATE "C") AS currency,
           count(*)::integer AS accounts, sum(x.sessions)::integer AS sessions,
           sum(x.viewers)::bigint AS viewers, max(x.peak_viewers) AS peak_viewers,
           sum(x.placed_orders)::bigint AS placed_orders, sum(x.confirmed_orders)::bigint AS confirmed_orders,
           sum(x.placed_sales) AS placed_sales, sum(x.confirmed_sales) AS confirmed_sales,
           max(x.observed_at) AS observed_at
    FROM hourly_account x JOIN k ON x.studio_id = k.studio_id AND x.local_date = k.local_date AND x.hour = k.hour
    GROUP BY x.studio_id, x.local_date, x.hour
), gone AS (
    DELETE FROM hourly_studio x USING k
    WHERE x.studio_id = k.studio_id AND x.local_date = k.local_date AND x.hour = k.hour
      AND NOT EXISTS (SELECT 1 FROM src WHERE src.studio_id = x.studio_id AND src.local_date = x.local_date
                                          AND src.hour = x.hour)
), up AS (
    INSERT INTO hourly_studio AS t (studio_id, local_date, hour, currency, accounts, sessions, {_HOUR_FIGURES},
                                    observed_at)
    SELECT studio_id, local_date, hour, currency, accounts, sessions, {_HOUR_FIGURES}, observed_at
    FROM src ORDER BY studio_id, local_date, hour
    ON CONFLICT (studio_id, local_date, hour) DO UPDATE SET
        currency = EXCLUDED.currency, accounts = EXCLUDED.accounts, sessions = EXCLUDED.sessions,
        {_HOUR_UPDATES}, observed_at = EXCLUDED.observed_at
)
SELECT count(*) FROM src
"""


async def recompute_hours(conn: DbConnection, marks: Sequence[tuple[str, int, datetime]]) -> int:
    """Recompute hourly_account for the hours of these sessions (account, session, from minute) from each one's
    first stale local hour on, and hourly_studio for the studio hours involved. Called by the refresher only
    (one at a time: `try_refresh_lock`).

    Returns the number of studio hours recomputed.
    """
    if not marks:
        return 0
    ordered = sorted(marks)
    rows = await conn.fetch(
        _RECOMPUTE_ACCOUNT_HOURS, [p[0] for p in ordered], [p[1] for p in ordered], [p[2] for p in ordered]
    )
    if not rows:
        return 0
    keys = sorted({(r[0], r[1], r[2]) for r in rows})
    await conn.fetchval(_RECOMPUTE_STUDIO_HOURS, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
    return len(keys)


# --- product rollups -----------------------------------------------------------------------------------------
_ITEM_FIGURES = (
    "product_clicks, add_to_cart, placed_orders, placed_items_sold, confirmed_orders, confirmed_items_sold, "
    "placed_sales, confirmed_sales"
)
_ITEM_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in ("title", "sessions", *_ITEM_FIGURES.split(", ")))
_MONTH_FIGURES = "viewers, peak_viewers, placed_orders, confirmed_orders, placed_sales, confirmed_sales, ad_spend"
_MONTH_UPDATES = ", ".join(
    f"{c} = EXCLUDED.{c}" for c in ("currency", "sessions", "streaming_ms", *_MONTH_FIGURES.split(", "))
)


def _item_sums(p: str, count: str) -> str:
    return f"""max({p}title) AS title, {count} AS sessions,
           sum({p}product_clicks)::bigint AS product_clicks, sum({p}add_to_cart)::bigint AS add_to_cart,
           sum({p}placed_orders)::bigint AS placed_orders, sum({p}placed_items_sold)::bigint AS placed_items_sold,
           sum({p}confirmed_orders)::bigint AS confirmed_orders,
           sum({p}confirmed_items_sold)::bigint AS confirmed_items_sold,
           sum({p}placed_sales) AS placed_sales, sum({p}confirmed_sales) AS confirmed_sales"""


_RECOMPUTE_ACCOUNT_ITEMS = f"""
WITH k AS (
    SELECT DISTINCT a AS account_id, d AS day FROM unnest($1::text[], $2::date[]) AS u(a, d)
), src AS (
    SELECT s.account_id, s.local_day AS day, s.studio_id, i.item_id, {_item_sums("i.", "count(*)::integer")}
    FROM k
    JOIN sessions s ON s.account_id = k.account_id AND s.local_day = k.day
    JOIN session_items i ON i.account_id = s.account_id AND i.session_id = s.session_id
    GROUP BY s.account_id, s.local_day, s.studio_id, i.item_id
), old AS (
    SELECT x.studio_id, x.day FROM daily_items x JOIN k ON x.account_id = k.account_id AND x.day = k.day
), gone AS (
    DELETE FROM daily_items x USING k
    WHERE x.account_id = k.account_id AND x.day = k.day
      AND NOT EXISTS (SELECT 1 FROM src WHERE src.account_id = x.account_id AND src.day = x.day
                                          AND src.studio_id = x.studio_id AND src.item_id = x.item_id)
), up AS (
    INSERT INTO daily_items AS t (account_id, day, studio_id, item_id, title, sessions, {_ITEM_FIGURES})
    SELECT account_id, day, studio_id, item_id, title, sessions, {_ITEM_FIGURES}
    FROM src ORDER BY account_id, day, studio_id, item_id
    ON CONFLICT (account_id, day, studio_id, item_id) DO UPDATE SET {_ITEM_UPDATES}
    RETURNING t.studio_id, t.day
)
SELECT studio_id, day FROM up UNION SELECT studio_id, day FROM old
"""

_RECOMPUTE_STUDIO_ITEMS = f"""
WITH k AS (
    SELECT DISTINCT s AS studio_id, d AS day FROM unnest($1::text[], $2::date[]) AS u(s, d)
), src AS (
    SELECT x.studio_id, x.day, x.item_id, {_item_sums("x.", "sum(x.sessions)::integer")}
    FROM daily_items x JOIN k ON x.studio_id = k.studio_id AND x.day = k.day
    GROUP BY x.studio_id, x.day, x.item_id
), gone AS (
    DELETE FROM daily_studio_items x USING k
    WHERE x.studio_id = k.studio_id AND x.day = k.day
      AND NOT EXISTS (SELECT 1 FROM src WHERE src.studio_id = x.studio_id AND src.day = x.day
                                          AND src.item_id = x.item_id)
), up AS (
    INSERT INTO daily_studio_items AS t (studio_id, day, item_id, title, sessions, {_ITEM_FIGURES})
    SELECT studio_id, day, item_id, title, sessions, {_ITEM_FIGURES}
    FROM src ORDER BY studio_id, day, item_id
    ON CONFLICT (studio_id, day, item_id) DO UPDATE SET {_ITEM_UPDATES}
)
SELECT count(*) FROM src
"""


async def recompute_items(conn: DbConnection, account_days: Sequence[tuple[str, date]]) -> int:
    """Recompute daily_items for these (account, local day) keys from `sessions` and `session_items`, then
    daily_studio_items for the (studio, day) keys involved (before or after). Called by the refresher only.

    Returns the number of studio days recomputed.
    """
    if not account_days:
        return 0
    accounts, days = _sorted_pairs(set(account_days))
    rows = await conn.fetch(_RECOMPUTE_ACCOUNT_ITEMS, accounts, days)
    studio_days = {(r["studio_id"], r["day"]) for r in rows}
    if not studio_days:
        return 0
    studios, sdays = _sorted_pairs(studio_days)
    await conn.fetchval(_RECOMPUTE_STUDIO_ITEMS, studios, sdays)
    return len(studio_days)


_RECOMPUTE_MONTHS = f"""
WITH k AS (
    SELECT DISTINCT a AS account_id, m AS month FROM unnest($1::text[], $2::date[]) AS u(a, m)
), src AS (
    SELECT k.account_id, k.month, d.studio_id, max(d.currency COLLATE "C") AS currency,
           sum(d.sessions)::bigint AS sessions, sum(d.streaming_ms)::bigint AS streaming_ms,
           sum(d.viewers)::bigint AS viewers, max(d.peak_viewers) AS peak_viewers,
           sum(d.placed_orders)::bigint AS placed_orders, sum(d.confirmed_orders)::bigint AS confirmed_orders,
           sum(d.placed_sales) AS placed_sales, sum(d.confirmed_sales) AS confirmed_sales, sum(d.ad_spend) AS ad_spend
    FROM k JOIN daily_account d
      ON d.account_id = k.account_id AND d.day >= k.month AND d.day < (k.month + interval '1 month')::date
    GROUP BY k.account_id, k.month, d.studio_id
), gone AS (
    DELETE FROM monthly_account x USING k
    WHERE x.account_id = k.account_id AND x.month = k.month
      AND NOT EXISTS (SELECT 1 FROM src WHERE src.account_id = x.account_id AND src.month = x.month
                                          AND src.studio_id = x.studio_id)
), up AS (
    INSERT INTO monthly_account AS t (account_id, month, studio_id, currency, sessions, streaming_ms, {_MONTH_FIGURES})
    SELECT account_id, month, studio_id, currency, sessions, streaming_ms, {_MONTH_FIGURES}
    FROM src ORDER BY account_id, month, studio_id
    ON CONFLICT (account_id, month, studio_id) DO UPDATE SET {_MONTH_UPDATES}
)
SELECT count(*) FROM src
"""


async def recompute_months(conn: DbConnection, account_months: Sequence[tuple[str, date]]) -> int:
    """Recompute monthly_account for these (account, first day of month) keys from `daily_account`. Called by the
    refresher only. Returns the (account, month, studio) rows written."""
    if not account_months:
        return 0
    accounts, months = _sorted_pairs(set(account_months))
    return int(await conn.fetchval(_RECOMPUTE_MONTHS, accounts, months))


def month_of(day: date) -> date:
    """The first day of `day`'s month (the key of monthly_account)."""
    return day.replace(day=1)


# --- dirty marks (consumer) and the refresher's rounds -----------------------------------------------------
_MARK_DIRTY = """
WITH d AS (
    INSERT INTO rollup_dirty_days AS t (account_id, day, seq)
    SELECT k.a, k.d, nextval('rollup_mark_seq') FROM (
        SELECT a, d FROM unnest($1::text[], $2::date[]) AS u(a, d)
        UNION
        SELECT s.account_id, s.local_day
        FROM unnest($3::text[], $4::bigint[]) AS u(a, s)
        JOIN sessions s ON s.account_id = u.a AND s.session_id = u.s
    ) k
    ORDER BY k.a, k.d  -- marks locked in key order: no deadlock with another member or the refresher
    ON CONFLICT (account_id, day) DO UPDATE SET seq = EXCLUDED.seq
), h AS (
    INSERT INTO rollup_dirty_sessions AS t (account_id, session_id, from_minute, seq)
    SELECT a, s, m, nextval('rollup_mark_seq')
    FROM unnest($5::text[], $6::bigint[], $7::timestamptz[]) AS u(a, s, m)
    ORDER BY a, s
    ON CONFLICT (account_id, session_id) DO UPDATE
        SET from_minute = least(t.from_minute, EXCLUDED.from_minute), seq = EXCLUDED.seq
), m AS (
    INSERT INTO rollup_dirty_months AS t (account_id, month, seq)
    SELECT a, m, nextval('rollup_mark_seq')
    FROM unnest($8::text[], $9::date[]) AS u(a, m)
    ORDER BY a, m
    ON CONFLICT (account_id, month) DO UPDATE SET seq = EXCLUDED.seq
)
SELECT 1
"""


@dataclass(frozen=True, slots=True)
class DirtyMarks:
    """What a batch made stale: (account, day) product rollups directly, the days of sessions whose products
    changed (resolved in SQL: a session's day is in `sessions`), and sessions' hours from a minute on."""

    days: list[tuple[str, date]]
    item_sessions: list[tuple[str, int]]
    hour_sessions: list[tuple[str, int, datetime]]  # (account, session, first touched minute)
    months: list[tuple[str, date]] = field(default_factory=list)  # (account, first day of month), distinct

    def __bool__(self) -> bool:
        return bool(self.days or self.item_sessions or self.hour_sessions or self.months)


async def mark_dirty(conn: DbConnection, marks: DirtyMarks) -> None:
    """Record the stale rollup keys in the consumer's transaction (one round trip): durable with the facts."""
    if not marks:
        return
    days = sorted(set(marks.days))
    months = sorted(set(marks.months))
    await conn.execute(
        _MARK_DIRTY,
        [d[0] for d in days],
        [d[1] for d in days],
        [k[0] for k in marks.item_sessions],
        [k[1] for k in marks.item_sessions],
        [k[0] for k in marks.hour_sessions],
        [k[1] for k in marks.hour_sessions],
        [k[2] for k in marks.hour_sessions],
        [k[0] for k in months],
        [k[1] for k in months],
    )


_REFRESH_LOCK = "SELECT pg_try_advisory_xact_lock(hashtextextended('livestudio_analytics.rollup_refresher', 0))"


async def try_refresh_lock(conn: DbConnection) -> bool:
    """Transaction-scoped: one refresher at a time across replicas (the rollups have no other writer)."""
    return bool(await conn.fetchval(_REFRESH_LOCK))


@dataclass(frozen=True, slots=True)
class PendingMarks:
    days: list[tuple[str, date, int]]  # (account, day, seq)
    sessions: list[tuple[str, int, datetime, int]]  # (account, session, from_minute, seq)
    months: list[tuple[str, date, int]] = field(default_factory=list)  # (account, month, seq)


async def pending_marks(conn: DbConnection, limit: int) -> PendingMarks:
    """The oldest marks, at most `limit` of each kind (read without locks: the consumer is never blocked)."""
    days = await conn.fetch("SELECT account_id, day, seq FROM rollup_dirty_days ORDER BY seq LIMIT $1", limit)
    sessions = await conn.fetch(
        "SELECT account_id, session_id, from_minute, seq FROM rollup_dirty_sessions ORDER BY seq LIMIT $1", limit
    )
    months = await conn.fetch("SELECT account_id, month, seq FROM rollup_dirty_months ORDER BY seq LIMIT $1", limit)
    return PendingMarks(
        [(r[0], r[1], r[2]) for r in days],
        [(r[0], r[1], r[2], r[3]) for r in sessions],
        [(r[0], r[1], r[2]) for r in months],
    )


def _clear_marks_sql(table: str, key: str, key_type: str) -> str:
    """Delete the marks of `table` handed in as (account, key, seq) arrays whose seq is unchanged (a mark renewed
    meanwhile stays for the next round), locked in key order first."""
    return f"""
WITH mine AS (
    SELECT t.account_id, t.{key} FROM {table} t
    JOIN unnest($1::text[], $2::{key_type}[], $3::bigint[]) AS u(a, k, q) ON t.account_id = u.a AND t.{key} = u.k
    WHERE t.seq = u.q
    ORDER BY t.account_id, t.{key}
    FOR UPDATE OF t
)
DELETE FROM {table} t USING mine WHERE t.account_id = mine.account_id AND t.{key} = mine.{key}
"""


_CLEAR_DAYS = _clear_marks_sql("rollup_dirty_days", "day", "date")
_CLEAR_SESSIONS = _clear_marks_sql("rollup_dirty_sessions", "session_id", "bigint")
_CLEAR_MONTHS = _clear_marks_sql("rollup_dirty_months", "month", "date")


async def clear_marks(conn: DbConnection, pending: PendingMarks) -> int:
    """Delete the handled marks that were not marked again meanwhile (their `seq` is unchanged); a mark the
    consumer renewed after `pending_marks` read it stays for the next round. Returns the marks deleted."""
    cleared = 0
    if pending.days:
        days = sorted(pending.days)
        status = await conn.execute(_CLEAR_DAYS, [d[0] for d in days], [d[1] for d in days], [d[2] for d in days])
        cleared += int(status.split()[-1])
    if pending.sessions:
        sessions = sorted(pending.sessions)
        status = await conn.execute(
            _CLEAR_SESSIONS, [k[0] for k in sessions], [k[1] for k in sessions], [k[3] for k in sessions]
        )
        cleared += int(status.split()[-1])
    if pending.months:
        months = sorted(pending.months)
        status = await conn.execute(
            _CLEAR_MONTHS, [m[0] for m in months], [m[1] for m in months], [m[2] for m in months]
        )
        cleared += int(status.split()[-1])
    return cleared


async def marks_backlog(conn: DbConnection) -> tuple[int, float]:
    """(marks waiting, age in seconds of the oldest one; 0 when none)."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM rollup_dirty_days) + (SELECT count(*) FROM rollup_dirty_sessions)
               + (SELECT count(*) FROM rollup_dirty_months) AS n,
               extract(epoch FROM clock_timestamp() - least((SELECT min(since) FROM rollup_dirty_days),
                                                            (SELECT min(since) FROM rollup_dirty_sessions),
                                                            (SELECT min(since) FROM rollup_dirty_months))) AS age
        """
    )
    assert row is not None
    return int(row["n"]), float(row["age"] or 0.0)


async def mark_everything(conn: DbConnection) -> int:
    """Mark every stored key dirty (rebuilding the rollups from the facts). Returns the marks written."""
    status_days = await conn.execute(
        """
        INSERT INTO rollup_dirty_days AS t (account_id, day, seq)
        SELECT account_id, local_day, nextval('rollup_mark_seq')
        FROM (SELECT DISTINCT account_id, local_day FROM sessions) k ORDER BY account_id, local_day
        ON CONFLICT (account_id, day) DO UPDATE SET seq = EXCLUDED.seq
        """
    )
    status_sessions = await conn.execute(
        """
        INSERT INTO rollup_dirty_sessions AS t (account_id, session_id, from_minute, seq)
        SELECT account_id, session_id, '-infinity', nextval('rollup_mark_seq')
        FROM sessions ORDER BY account_id, session_id
        ON CONFLICT (account_id, session_id) DO UPDATE SET from_minute = '-infinity', seq = EXCLUDED.seq
        """
    )
    status_months = await conn.execute(  # stored months too: a month whose days are all gone is deleted
        """
        INSERT INTO rollup_dirty_months AS t (account_id, month, seq)
        SELECT account_id, month, nextval('rollup_mark_seq')
        FROM (SELECT account_id, date_trunc('month', day)::date AS month FROM daily_account
              UNION SELECT account_id, month FROM monthly_account) k
        ORDER BY account_id, month
        ON CONFLICT (account_id, month) DO UPDATE SET seq = EXCLUDED.seq
        """
    )
    return sum(int(s.split()[-1]) for s in (status_days, status_sessions, status_months))


async def explain_batch(conn: DbConnection, sessions: Mapping[tuple[str, int], State]) -> str:
    """EXPLAIN of the session merge and the rollup recompute for these rows (checks that plans use indexes)."""
    identities = {key[0]: state.value(SESSIONS, "identity") for key, state in sessions.items()}
    days = {(account, identity[-1]) for account, identity in identities.items() if identity is not None}
    accounts, local_days = _sorted_pairs(days)
    async with conn.transaction():
        await begin_batch(conn)
        await _stage_rows(conn, SESSIONS, copy_records(SESSIONS, sessions))
        lines = [r["QUERY PLAN"] for r in await conn.fetch("EXPLAIN " + _MERGE_SESSIONS)]
        lines += [r["QUERY PLAN"] for r in await conn.fetch("EXPLAIN " + _RECOMPUTE_ACCOUNT_DAYS, accounts, local_days)]
    return "\n".join(lines)


# --- operations --------------------------------------------------------------------------------------------
async def count_sessions_on_air(conn: DbConnection) -> int:
    value = await conn.fetchval("SELECT count(*) FROM sessions WHERE on_air")
    return int(value)


_RUNNING_LOCK = "hashtextextended('livestudio_analytics.consumer:' || $1, 0)"


async def hold_running_lock(conn: DbConnection, consumer: str) -> None:
    """Shared, session-scoped: held by every running consumer process for as long as its connection lives."""
    await conn.execute(f"SELECT pg_advisory_lock_shared({_RUNNING_LOCK})", consumer)


async def try_exclusive_running_lock(conn: DbConnection, consumer: str) -> bool:
    """Exclusive: succeeds only when no consumer of this group runs (rebuild)."""
    return bool(await conn.fetchval(f"SELECT pg_try_advisory_lock({_RUNNING_LOCK})", consumer))


async def release_exclusive_running_lock(conn: DbConnection, consumer: str) -> None:
    await conn.execute(f"SELECT pg_advisory_unlock({_RUNNING_LOCK})", consumer)


async def reset_read_models(conn: DbConnection, consumer: str) -> int:
    """Empty every read model and forget the consumer's applied offsets (call inside a transaction).

    Returns the number of offset rows removed.
    """
    await conn.execute(f"TRUNCATE {', '.join((*READ_MODELS, *ROLLUP_MARKS))}")
    status = await conn.execute("DELETE FROM consumer_offsets WHERE consumer = $1", consumer)
    return int(status.split()[-1])
