"""All SQL of the alerts service (asyncpg, parameterised only).

It writes only its own schema (`alerts`, the pool's search_path). It reads two other owners' read models
read-only, schema-qualified, like the gateway does: `commission.studios`/`schedule_entries`/`hosts`/`shifts`/
`attribution_parts`/`attributions` (the schedule, best shift, hosts) and `analytics.daily_studio`/
`daily_account`/`session_items`/`sessions` (the day's figures). A read model not migrated yet reads as empty.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import asyncpg
from asyncpg import Record

from livestudio_alerts.rules import AccountView, Alert, RosteredHost, Rule, ScheduledWindow, Status, TargetView
from livestudio_alerts.summary import Attention, Ranked, SummaryFigures
from livestudio_runtime.db import DbConnection
from livestudio_runtime.targets import PROGRESS_SQL

SCHEMA = "alerts"


# --- commands ----------------------------------------------------------------------------------------------
async def command_seen(conn: DbConnection, command_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM command_results WHERE command_id = $1", command_id))


async def record_result(conn: DbConnection, command_id: str, kind: str, status: str, error: str | None) -> None:
    await conn.execute(
        "INSERT INTO command_results (command_id, kind, status, error) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (command_id) DO NOTHING",
        command_id,
        kind,
        status,
        error,
    )


async def upsert_studio(conn: DbConnection, studio_id: str, timezone: str) -> None:
    await conn.execute(
        "INSERT INTO studios (studio_id, timezone) VALUES ($1, $2)"
        " ON CONFLICT (studio_id) DO UPDATE SET timezone = EXCLUDED.timezone, updated_at = now()",
        studio_id,
        timezone,
    )


async def drop_studio(conn: DbConnection, studio_id: str) -> bool:
    """Forget a removed studio (its timezone and summary setting) unless a channel or rule of it is kept here;
    whether it was dropped."""
    kept = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM channels WHERE studio_id = $1)"
        " OR EXISTS (SELECT 1 FROM rules WHERE studio_id = $1)",
        studio_id,
    )
    if kept:
        return False
    await conn.execute("DELETE FROM summaries WHERE studio_id = $1", studio_id)
    await conn.execute("DELETE FROM studios WHERE studio_id = $1", studio_id)
    return True


async def studio_timezones(conn: DbConnection) -> dict[str, str]:
    """Studio -> timezone: what the studio.upsert commands said, else the commission's studios (read-only: a
    studio whose command left the topic's retention before this service first read it)."""
    known = {r["studio_id"]: r["timezone"] for r in await conn.fetch("SELECT studio_id, timezone FROM studios")}
    owner = await _read_model(conn, "SELECT studio_id, timezone::text AS timezone FROM commission.studios")
    return {**{r["studio_id"]: r["timezone"] for r in owner}, **known}


async def studio_timezone(conn: DbConnection, studio_id: str) -> str | None:
    value: str | None = await conn.fetchval("SELECT timezone FROM studios WHERE studio_id = $1", studio_id)
    return value


async def channel_row(conn: DbConnection, channel_id: str) -> Record | None:
    return await conn.fetchrow(
        "SELECT channel_id, studio_id, kind, secret_ciphertext FROM channels WHERE channel_id = $1 FOR UPDATE",
        channel_id,
    )


async def channels_in_studio(conn: DbConnection, studio_id: str, channel_ids: Sequence[str]) -> set[str]:
    rows = await conn.fetch(
        "SELECT channel_id FROM channels WHERE studio_id = $1 AND channel_id = ANY($2::text[])",
        studio_id,
        list(channel_ids),
    )
    return {r["channel_id"] for r in rows}


async def enabled_channels(conn: DbConnection, studio_id: str, channel_ids: Sequence[str]) -> list[str]:
    rows = await conn.fetch(
        "SELECT channel_id FROM channels WHERE studio_id = $1 AND enabled AND channel_id = ANY($2::text[])"
        " ORDER BY channel_id",
        studio_id,
        list(channel_ids),
    )
    return [r["channel_id"] for r in rows]


async def upsert_channel(
    conn: DbConnection,
    *,
    channel_id: str,
    studio_id: str,
    name: str,
    kind: str,
    enabled: bool,
    config: dict[str, Any],
    secret_ciphertext: str | None,
) -> None:
    await conn.execute(
        """
INSERT INTO channels (channel_id, studio_id, name, kind, enabled, config, secret_ciphertext)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
ON CONFLICT (channel_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, enabled = EXCLUDED.enabled,
  config = EXCLUDED.config, secret_ciphertext = EXCLUDED.secret_ciphertext, updated_at = now()
""",
        channel_id,
        studio_id,
        name,
        kind,
        enabled,
        config,
        secret_ciphertext,
    )


async def delete_channel(conn: DbConnection, channel_id: str) -> None:
    await conn.execute("DELETE FROM channels WHERE channel_id = $1", channel_id)
    await conn.execute("UPDATE rules SET channel_ids = array_remove(channel_ids, $1)", channel_id)
    await conn.execute("UPDATE summaries SET channel_ids = array_remove(channel_ids, $1)", channel_id)


async def rule_studio(conn: DbConnection, rule_id: str) -> str | None:
    value: str | None = await conn.fetchval("SELECT studio_id FROM rules WHERE rule_id = $1 FOR UPDATE", rule_id)
    return value


async def upsert_rule(conn: DbConnection, rule: Rule) -> None:
    await conn.execute(
        """
INSERT INTO rules (rule_id, studio_id, kind, enabled, channel_ids, account_id, minutes, threshold, dedup_minutes,
  quiet_start, quiet_end, elapsed_percent)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (rule_id) DO UPDATE SET kind = EXCLUDED.kind, enabled = EXCLUDED.enabled,
  channel_ids = EXCLUDED.channel_ids, account_id = EXCLUDED.account_id, minutes = EXCLUDED.minutes,
  threshold = EXCLUDED.threshold, dedup_minutes = EXCLUDED.dedup_minutes, quiet_start = EXCLUDED.quiet_start,
  quiet_end = EXCLUDED.quiet_end, elapsed_percent = EXCLUDED.elapsed_percent, updated_at = now()
""",
        rule.rule_id,
        rule.studio_id,
        rule.kind,
        rule.enabled,
        list(rule.channel_ids),
        rule.account_id,
        rule.minutes,
        rule.threshold,
        rule.dedup_minutes,
        rule.quiet_start,
        rule.quiet_end,
        rule.elapsed_percent,
    )


async def delete_rule(conn: DbConnection, rule_id: str) -> None:
    await conn.execute("DELETE FROM rules WHERE rule_id = $1", rule_id)


async def set_summary(
    conn: DbConnection, studio_id: str, *, enabled: bool, local_time: time, channel_ids: Sequence[str]
) -> None:
    await conn.execute(
        """
INSERT INTO summaries (studio_id, enabled, local_time, channel_ids) VALUES ($1, $2, $3, $4)
ON CONFLICT (studio_id) DO UPDATE SET enabled = EXCLUDED.enabled, local_time = EXCLUDED.local_time,
  channel_ids = EXCLUDED.channel_ids, updated_at = now()
""",
        studio_id,
        enabled,
        local_time,
        list(channel_ids),
    )


def _rule(r: Record) -> Rule:
    return Rule(
        rule_id=r["rule_id"],
        studio_id=r["studio_id"],
        kind=r["kind"],
        channel_ids=tuple(r["channel_ids"]),
        enabled=r["enabled"],
        account_id=r["account_id"],
        minutes=r["minutes"],
        threshold=r["threshold"],
        dedup_minutes=r["dedup_minutes"],
        quiet_start=r["quiet_start"],
        quiet_end=r["quiet_end"],
        elapsed_percent=r["elapsed_percent"],
    )


_RULE_COLUMNS = (
    "rule_id, studio_id, kind, enabled, channel_ids, account_id, minutes, threshold, dedup_minutes, quiet_start,"
    " quiet_end, elapsed_percent"
)


async def rules_of_studio(conn: DbConnection, studio_id: str, kind: str) -> list[Rule]:
    rows = await conn.fetch(
        f"SELECT {_RULE_COLUMNS} FROM rules WHERE studio_id = $1 AND kind = $2 AND enabled ORDER BY rule_id",
        studio_id,
        kind,
    )
    return [_rule(r) for r in rows]


async def enabled_rules(conn: DbConnection, kinds: Sequence[str]) -> list[Rule]:
    rows = await conn.fetch(
        f"SELECT {_RULE_COLUMNS} FROM rules WHERE enabled AND kind = ANY($1::text[]) ORDER BY rule_id", list(kinds)
    )
    return [_rule(r) for r in rows]


# --- accounts ----------------------------------------------------------------------------------------------
_ACCOUNT_COLUMNS = "account_id, studio_id, display_name, state, observed_at, last_successful_poll_at, on_air_session_id"


def _account(r: Record) -> AccountView:
    return AccountView(
        account_id=r["account_id"],
        studio_id=r["studio_id"],
        display_name=r["display_name"],
        state=r["state"],
        observed_at=r["observed_at"],
        last_successful_poll_at=r["last_successful_poll_at"],
        on_air=r["on_air_session_id"] is not None,
    )


async def lock_account(conn: DbConnection, account_id: str) -> AccountView | None:
    row = await conn.fetchrow(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE account_id = $1 FOR UPDATE", account_id)
    return None if row is None else _account(row)


async def save_account(
    conn: DbConnection, a: AccountView, *, reason: str | None, on_air_session_id: int | None
) -> None:
    await conn.execute(
        """
INSERT INTO accounts (account_id, studio_id, display_name, state, reason, observed_at, last_successful_poll_at,
  on_air_session_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (account_id) DO UPDATE SET studio_id = EXCLUDED.studio_id,
  display_name = coalesce(EXCLUDED.display_name, accounts.display_name), state = EXCLUDED.state,
  reason = EXCLUDED.reason, observed_at = EXCLUDED.observed_at,
  last_successful_poll_at = greatest(accounts.last_successful_poll_at, EXCLUDED.last_successful_poll_at),
  on_air_session_id = EXCLUDED.on_air_session_id
""",
        a.account_id,
        a.studio_id,
        a.display_name,
        a.state,
        reason,
        a.observed_at,
        a.last_successful_poll_at,
        on_air_session_id,
    )


async def observe_live(conn: DbConnection, events: Sequence[tuple[str, str, int, bool, datetime]]) -> None:
    """Session events (account, studio, session, on air, observed at): the account is on air with that session, or
    that session is no longer on air. Newest observation wins; an account not announced yet on the account topic
    is created in state `unknown`."""
    if not events:
        return
    await conn.executemany(
        """
INSERT INTO accounts (account_id, studio_id, state, observed_at, on_air_session_id, live_observed_at)
VALUES ($1, $2, 'unknown', $5, CASE WHEN $4 THEN $3::bigint END, $5)
ON CONFLICT (account_id) DO UPDATE SET
  on_air_session_id = CASE WHEN $4 THEN $3::bigint
                           WHEN accounts.on_air_session_id = $3::bigint THEN NULL
                           ELSE accounts.on_air_session_id END,
  live_observed_at = $5
WHERE accounts.live_observed_at IS NULL OR accounts.live_observed_at <= $5
""",
        events,
    )


async def all_accounts(conn: DbConnection) -> list[AccountView]:
    rows = await conn.fetch(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE state <> 'removed'")
    return [_account(r) for r in rows]


# --- notifications and the outbox --------------------------------------------------------------------------
async def last_queued_at(conn: DbConnection, rule_id: str, subject: str) -> datetime | None:
    value: datetime | None = await conn.fetchval(
        "SELECT max(decided_at) FROM notifications WHERE rule_id = $1 AND subject = $2 AND status = 'queued'",
        rule_id,
        subject,
    )
    return value


async def insert_notification(conn: DbConnection, alert: Alert, status: Status) -> bool:
    """Store the decision; False when this idempotency key was decided before (nothing is written)."""
    inserted = await conn.fetchval(
        """
INSERT INTO notifications (notification_id, studio_id, rule_id, kind, subject, status, title, body, data, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
ON CONFLICT (notification_id) DO NOTHING
RETURNING true
""",
        alert.key,
        alert.studio_id,
        alert.rule_id,
        alert.kind,
        alert.subject,
        status,
        alert.title,
        alert.body,
        alert.data,
        alert.at,
    )
    return bool(inserted)


async def notification_exists(conn: DbConnection, key: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM notifications WHERE notification_id = $1", key))


async def insert_deliveries(conn: DbConnection, key: str, channel_ids: Sequence[str]) -> None:
    await conn.execute(
        "INSERT INTO deliveries (notification_id, channel_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
        key,
        list(channel_ids),
    )


async def claim_due(conn: DbConnection, limit: int) -> list[Record]:
    """Due deliveries with their notification and channel, locked for this transaction (replicas skip them)."""
    return await conn.fetch(
        """
SELECT d.notification_id, d.channel_id, d.attempts, n.studio_id, n.kind AS notification_kind, n.title, n.body,
  n.data, n.decided_at, c.kind AS channel_kind, c.enabled, c.config, c.secret_ciphertext
FROM deliveries d
JOIN notifications n USING (notification_id)
LEFT JOIN channels c ON c.channel_id = d.channel_id
WHERE d.status = 'pending' AND d.next_attempt_at <= now()
ORDER BY d.next_attempt_at, d.notification_id, d.channel_id
LIMIT $1
FOR UPDATE OF d SKIP LOCKED
""",
        limit,
    )


async def mark_sent(conn: DbConnection, key: str, channel_id: str) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = NULL,"
        " updated_at = now() WHERE notification_id = $1 AND channel_id = $2",
        key,
        channel_id,
    )


async def mark_retry(conn: DbConnection, key: str, channel_id: str, delay_s: float, error: str) -> None:
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $3),"
        " last_error = $4, updated_at = now() WHERE notification_id = $1 AND channel_id = $2",
        key,
        channel_id,
        delay_s,
        error[:500],
    )


async def mark_failed(conn: DbConnection, key: str, channel_id: str, error: str) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = $3, updated_at = now()"
        " WHERE notification_id = $1 AND channel_id = $2",
        key,
        channel_id,
        error[:500],
    )


async def outbox_stats(conn: DbConnection) -> tuple[int, float]:
    row = await conn.fetchrow(
        "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(n.decided_at)), 0) AS age"
        " FROM deliveries d JOIN notifications n USING (notification_id) WHERE d.status = 'pending'"
    )
    assert row is not None
    return int(row["n"]), float(row["age"])


def decode_json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        loaded: dict[str, Any] = json.loads(value)
        return loaded
    return dict(value or {})


# --- read models of the other owners (read-only) ------------------------------------------------------------
async def _read_model(conn: DbConnection, query: str, *args: Any) -> list[Record]:
    try:
        async with conn.transaction():  # a savepoint: a missing table must not abort the caller's transaction
            return await conn.fetch(query, *args)
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
        return []


_WINDOWS = """
SELECT e.account_id, e.studio_id, e.starts_at, e.ends_at,
  array_agg(coalesce(h.name, e.host_id) ORDER BY coalesce(h.name, e.host_id)) AS hosts
FROM commission.schedule_entries e
LEFT JOIN commission.hosts h ON h.host_id = e.host_id
WHERE e.starts_at IS NOT NULL AND e.starts_at <= $1 AND e.ends_at > $1
GROUP BY e.account_id, e.studio_id, e.starts_at, e.ends_at
"""


# a check-in counts for an entry from CHECK_IN_EARLY (2 h) before its start, as commission's attendance rule has it
_ROSTERED = """
SELECT e.entry_id, e.studio_id, e.account_id, e.host_id, h.name AS host_name, e.starts_at, e.ends_at,
  EXISTS (
    SELECT 1 FROM commission.host_checks c
    WHERE c.host_id = e.host_id AND c.account_id = e.account_id AND c.kind = 'in'
      AND c.at >= e.starts_at - interval '2 hours' AND c.at < e.ends_at AND c.at <= $1
  ) AS checked_in
FROM commission.schedule_entries e
LEFT JOIN commission.hosts h ON h.host_id = e.host_id
WHERE e.starts_at IS NOT NULL AND e.starts_at <= $1 AND e.ends_at > $1 AND e.host_id IS NOT NULL
"""


async def rostered_hosts(conn: DbConnection, now: datetime) -> list[RosteredHost]:
    """The hosts of the schedule entries running at `now`, each with whether they checked in for it."""
    rows = await _read_model(conn, _ROSTERED, now)
    return [
        RosteredHost(
            entry_id=r["entry_id"],
            studio_id=r["studio_id"],
            account_id=r["account_id"],
            host_id=r["host_id"],
            host_name=r["host_name"],
            starts_at=r["starts_at"],
            ends_at=r["ends_at"],
            checked_in=r["checked_in"],
        )
        for r in rows
    ]


async def running_windows(conn: DbConnection, now: datetime) -> list[ScheduledWindow]:
    rows = await _read_model(conn, _WINDOWS, now)
    return [
        ScheduledWindow(r["account_id"], r["studio_id"], r["starts_at"], r["ends_at"], tuple(r["hosts"])) for r in rows
    ]


async def day_sales(
    conn: DbConnection, studio_id: str, account_id: str | None, day: date
) -> tuple[Decimal | None, Decimal | None] | None:
    """(confirmed sales, ad spend) of a studio's or an account's local day; None when the day has no row."""
    if account_id is None:
        rows = await _read_model(
            conn,
            "SELECT confirmed_sales, ad_spend FROM analytics.daily_studio WHERE studio_id = $1 AND day = $2",
            studio_id,
            day,
        )
    else:
        rows = await _read_model(
            conn,
            "SELECT confirmed_sales, ad_spend FROM analytics.daily_account"
            " WHERE studio_id = $1 AND account_id = $2 AND day = $3",
            studio_id,
            account_id,
            day,
        )
    return (rows[0]["confirmed_sales"], rows[0]["ad_spend"]) if rows else None


_TARGETS = f"""
SELECT t.studio_id, t.month, t.scope, t.scope_id, t.amount, coalesce(s.currency, 'IDR') AS currency,
  CASE t.scope
    WHEN 'studio' THEN s.name
    WHEN 'account' THEN (SELECT a.display_name FROM accounts a WHERE a.account_id = t.scope_id)
    ELSE (SELECT h.name FROM commission.hosts h WHERE h.host_id = t.scope_id)
  END AS name,
  {PROGRESS_SQL} AS confirmed
FROM commission.targets t
LEFT JOIN commission.studios s ON s.studio_id = t.studio_id
WHERE t.studio_id = $1 AND t.month = $2
ORDER BY t.scope, t.scope_id
"""


async def month_targets(conn: DbConnection, studio_id: str, month: date) -> list[TargetView]:
    """A studio's GMV targets of a month (`commission.targets`, read-only) with the month's confirmed GMV so far:
    `analytics.daily_studio` / `daily_account` for a studio or account, `commission.attributions` for a host."""
    rows = await _read_model(conn, _TARGETS, studio_id, month)
    return [
        TargetView(
            studio_id=r["studio_id"],
            month=r["month"],
            scope=r["scope"],
            scope_id=r["scope_id"],
            name=r["name"],
            amount=r["amount"],
            confirmed=r["confirmed"],
            currency=r["currency"],
        )
        for r in rows
    ]


async def summaries_enabled(conn: DbConnection) -> list[Record]:
    return await conn.fetch(
        "SELECT s.studio_id, s.local_time, s.channel_ids, s.last_day, t.timezone"
        " FROM summaries s LEFT JOIN studios t USING (studio_id) WHERE s.enabled ORDER BY s.studio_id"
    )


async def mark_summary(conn: DbConnection, studio_id: str, day: date) -> None:
    await conn.execute("UPDATE summaries SET last_day = greatest(last_day, $2) WHERE studio_id = $1", studio_id, day)


_DAY_STUDIO = """
SELECT currency, confirmed_sales, confirmed_orders, ad_spend FROM analytics.daily_studio
WHERE studio_id = $1 AND day = $2
"""
_DAY_SHIFTS = """
SELECT coalesce(s.name, 'unscheduled') AS name, sum(p.confirmed_sales) AS sales, sum(p.confirmed_orders) AS orders
FROM commission.attribution_parts p
LEFT JOIN commission.shifts s ON s.shift_id = p.shift_id
WHERE p.studio_id = $1 AND p.local_day = $2 AND p.host_id IS NOT NULL
GROUP BY 1
"""
_DAY_HOSTS = """
SELECT coalesce(h.name, a.host_id) AS name, sum(a.confirmed_sales) AS sales, sum(a.confirmed_orders) AS orders
FROM commission.attributions a
LEFT JOIN commission.hosts h ON h.host_id = a.host_id
WHERE a.studio_id = $1 AND a.local_day = $2 AND a.host_id IS NOT NULL
GROUP BY 1
"""
_DAY_PRODUCTS = """
SELECT coalesce(i.title, i.item_id::text) AS name, sum(i.confirmed_sales) AS sales,
  sum(i.confirmed_orders) AS orders
FROM analytics.session_items i
JOIN analytics.sessions s ON s.account_id = i.account_id AND s.session_id = i.session_id
WHERE s.studio_id = $1 AND s.local_day = $2
GROUP BY 1
ORDER BY sum(i.confirmed_sales) DESC NULLS LAST, 1
LIMIT $3
"""
_ATTENTION = """
SELECT coalesce(display_name, account_id) AS account, state, reason FROM accounts
WHERE studio_id = $1 AND state IN ('credentials_expired', 'degraded')
ORDER BY account_id
"""


def _ranked(rows: list[Record]) -> list[Ranked]:
    return [Ranked(r["name"], r["sales"], None if r["orders"] is None else int(r["orders"])) for r in rows]


async def summary_figures(conn: DbConnection, studio_id: str, day: date, *, top: int = 5) -> SummaryFigures:
    studio = await _read_model(conn, _DAY_STUDIO, studio_id, day)
    head = studio[0] if studio else None
    attention = await conn.fetch(_ATTENTION, studio_id)
    return SummaryFigures(
        studio_id=studio_id,
        day=day,
        currency=head["currency"] if head else None,
        gmv=head["confirmed_sales"] if head else None,
        orders=head["confirmed_orders"] if head else None,
        ad_spend=head["ad_spend"] if head else None,
        shifts=_ranked(await _read_model(conn, _DAY_SHIFTS, studio_id, day)),
        products=_ranked(await _read_model(conn, _DAY_PRODUCTS, studio_id, day, top)),
        hosts=_ranked(await _read_model(conn, _DAY_HOSTS, studio_id, day)),
        attention=[Attention(r["account"], r["state"], r["reason"]) for r in attention],
    )
