"""All SQL of the ingest service (schema `ingest`, asyncpg, parameterised only).

Tables: accounts (read by the gateway), account_credentials (cookie ciphertext only), qr_logins (read by the
gateway), command_results (read by the gateway), poll_state and session_state (restart-safe poll state; poll_state
also names the replica that last started polling the account).
Every change of an account's configuration bumps `config_seq` and sends `NOTIFY ingest_accounts, <id>` in the
same transaction, so the replica that polls the account reloads it when the change commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from livestudio_ingest.handover import StateMark
from livestudio_runtime.db import DbConnection

NOTIFY_CHANNEL = "ingest_accounts"
RESET_CHANNEL = "ingest_broker_reset"

_ACCOUNT_COLUMNS = """
a.account_id, a.studio_id, a.display_name, a.region, a.shopee_user_id, a.shopee_user_name, a.state,
a.last_successful_poll_at, a.last_error, a.on_air_session_id, a.config_seq
"""


@dataclass(frozen=True, slots=True)
class AccountRow:
    account_id: str
    studio_id: str
    display_name: str
    region: str
    shopee_user_id: int | None
    shopee_user_name: str | None
    state: str
    last_successful_poll_at: datetime | None
    last_error: str | None
    on_air_session_id: int | None
    config_seq: int
    cookie_ciphertext: str | None = None

    def __repr__(self) -> str:  # the ciphertext is not a secret, but it has no business in logs either
        return f"AccountRow(account_id={self.account_id!r}, state={self.state!r}, config_seq={self.config_seq})"


def _account(row: asyncpg.Record, with_credentials: bool) -> AccountRow:
    return AccountRow(
        account_id=row["account_id"],
        studio_id=row["studio_id"],
        display_name=row["display_name"],
        region=row["region"],
        shopee_user_id=row["shopee_user_id"],
        shopee_user_name=row["shopee_user_name"],
        state=row["state"],
        last_successful_poll_at=row["last_successful_poll_at"],
        last_error=row["last_error"],
        on_air_session_id=row["on_air_session_id"],
        config_seq=row["config_seq"],
        cookie_ciphertext=row["cookie_ciphertext"] if with_credentials else None,
    )


# --- accounts -----------------------------------------------------------------------------------------------


async def fetch_account(
    conn: DbConnection, account_id: str, *, with_credentials: bool = False, for_update: bool = False
) -> AccountRow | None:
    cred = ", c.cookie_ciphertext" if with_credentials else ""
    join = " LEFT JOIN account_credentials c ON c.account_id = a.account_id" if with_credentials else ""
    lock = " FOR UPDATE OF a" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_ACCOUNT_COLUMNS}{cred} FROM accounts a{join} WHERE a.account_id = $1{lock}", account_id
    )
    return None if row is None else _account(row, with_credentials)


async def fetch_accounts(
    conn: DbConnection, *, with_credentials: bool = False, account_ids: Sequence[str] | None = None
) -> list[AccountRow]:
    cred = ", c.cookie_ciphertext" if with_credentials else ""
    join = " LEFT JOIN account_credentials c ON c.account_id = a.account_id" if with_credentials else ""
    if account_ids is None:
        rows = await conn.fetch(f"SELECT {_ACCOUNT_COLUMNS}{cred} FROM accounts a{join} ORDER BY a.account_id")
    else:
        rows = await conn.fetch(
            f"SELECT {_ACCOUNT_COLUMNS}{cred} FROM accounts a{join} WHERE a.account_id = ANY($1::text[])"
            " ORDER BY a.account_id",
            list(account_ids),
        )
    return [_account(r, with_credentials) for r in rows]


async def accounts_of_shopee_user(conn: DbConnection, shopee_user_id: int) -> list[AccountRow]:
    rows = await conn.fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts a WHERE a.shopee_user_id = $1 AND a.state <> 'removed'",
        shopee_user_id,
    )
    return [_account(r, False) for r in rows]


async def notify_account_changed(conn: DbConnection, account_id: str) -> None:
    await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, account_id)


async def account_studios(conn: DbConnection, account_ids: Sequence[str]) -> dict[str, str]:
    """account id -> studio, for the accounts that exist (removed ones too: an id never moves to another studio)."""
    rows = await conn.fetch(
        "SELECT account_id, studio_id FROM accounts WHERE account_id = ANY($1::text[])", list(account_ids)
    )
    return {r["account_id"]: r["studio_id"] for r in rows}


async def upsert_account(
    conn: DbConnection,
    *,
    account_id: str,
    studio_id: str,
    display_name: str,
    region: str,
    shopee_user_id: int | None,
    shopee_user_name: str | None,
    state: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO accounts (account_id, studio_id, display_name, region, shopee_user_id, shopee_user_name, state)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (account_id) DO UPDATE SET
            display_name = EXCLUDED.display_name,
            region = EXCLUDED.region,
            shopee_user_id = EXCLUDED.shopee_user_id,
            shopee_user_name = EXCLUDED.shopee_user_name,
            state = EXCLUDED.state,
            last_error = NULL,
            on_air_session_id = NULL,
            config_seq = nextval('account_config_seq'),
            updated_at = now()
        """,
        account_id,
        studio_id,
        display_name,
        region,
        shopee_user_id,
        shopee_user_name,
        state,
    )
    await notify_account_changed(conn, account_id)


async def update_account_config(
    conn: DbConnection,
    account_id: str,
    *,
    display_name: str | None = None,
    state: str | None = None,
    shopee_user_id: int | None = None,
    shopee_user_name: str | None = None,
    clear_error: bool = False,
) -> None:
    """Change what an operator controls; bumps the config version and notifies the owner replica."""
    await conn.execute(
        """
        UPDATE accounts SET
            display_name = coalesce($2, display_name),
            state = coalesce($3, state),
            shopee_user_id = coalesce($4, shopee_user_id),
            shopee_user_name = coalesce($5, shopee_user_name),
            last_error = CASE WHEN $6 THEN NULL ELSE last_error END,
            on_air_session_id = CASE WHEN $3 IN ('paused', 'removed') THEN NULL ELSE on_air_session_id END,
            config_seq = nextval('account_config_seq'),
            updated_at = now()
        WHERE account_id = $1
        """,
        account_id,
        display_name,
        state,
        shopee_user_id,
        shopee_user_name,
        clear_error,
    )
    await notify_account_changed(conn, account_id)


async def store_credentials(conn: DbConnection, account_id: str, ciphertext: str) -> None:
    await conn.execute(
        """
        INSERT INTO account_credentials (account_id, cookie_ciphertext) VALUES ($1, $2)
        ON CONFLICT (account_id) DO UPDATE SET cookie_ciphertext = EXCLUDED.cookie_ciphertext, updated_at = now()
        """,
        account_id,
        ciphertext,
    )


async def delete_credentials(conn: DbConnection, account_id: str) -> None:
    await conn.execute("DELETE FROM account_credentials WHERE account_id = $1", account_id)


async def all_ciphertexts(conn: DbConnection) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT account_id, cookie_ciphertext FROM account_credentials ORDER BY account_id FOR UPDATE"
    )
    return [(r["account_id"], r["cookie_ciphertext"]) for r in rows]


async def replace_ciphertexts(conn: DbConnection, pairs: Sequence[tuple[str, str]]) -> None:
    await conn.execute(
        """
        UPDATE account_credentials c SET cookie_ciphertext = x.ct, updated_at = now()
        FROM unnest($1::text[], $2::text[]) AS x(id, ct) WHERE c.account_id = x.id
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )


@dataclass(frozen=True, slots=True)
class RuntimeWrite:
    """What the poller writes about an account, applied only if the config version is still the one it saw."""

    account_id: str
    config_seq: int
    state: str
    last_successful_poll_at: datetime | None
    last_error: str | None
    on_air_session_id: int | None


async def write_runtime(conn: DbConnection, rows: Sequence[RuntimeWrite]) -> None:
    if not rows:
        return
    await conn.execute(
        """
        UPDATE accounts a SET
            state = x.state,
            last_successful_poll_at = greatest(a.last_successful_poll_at, x.ok_at),
            last_error = x.err,
            on_air_session_id = x.on_air,
            updated_at = now()
        FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::bigint[])
            AS x(id, seq, state, ok_at, err, on_air)
        WHERE a.account_id = x.id AND a.config_seq = x.seq
        """,
        [r.account_id for r in rows],
        [r.config_seq for r in rows],
        [r.state for r in rows],
        [r.last_successful_poll_at for r in rows],
        [r.last_error for r in rows],
        [r.on_air_session_id for r in rows],
    )


# --- commands -------------------------------------------------------------------------------------------------


async def command_seen(conn: DbConnection, command_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM command_results WHERE command_id = $1", command_id))


async def commands_seen(conn: DbConnection, command_ids: Sequence[str]) -> set[str]:
    """Which of these commands already have a recorded result."""
    rows = await conn.fetch("SELECT command_id FROM command_results WHERE command_id = ANY($1::text[])", command_ids)
    return {r["command_id"] for r in rows}


async def record_command(conn: DbConnection, command_id: str, kind: str, status: str, error: str | None) -> bool:
    """Record a command's outcome; False if it was already recorded (a replay)."""
    done = await conn.fetchval(
        """
        INSERT INTO command_results (command_id, kind, status, error) VALUES ($1, $2, $3, $4)
        ON CONFLICT (command_id) DO NOTHING RETURNING true
        """,
        command_id,
        kind,
        status,
        error,
    )
    return bool(done)


async def command_result(conn: DbConnection, command_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM command_results WHERE command_id = $1", command_id)
    return None if row is None else dict(row)


# --- poll state -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PollStateRow:
    account_id: str
    history_read_at: datetime | None
    status_published: str | None


async def load_poll_states(conn: DbConnection, account_ids: Sequence[str]) -> dict[str, PollStateRow]:
    rows = await conn.fetch(
        "SELECT account_id, history_read_at, status_published FROM poll_state WHERE account_id = ANY($1::text[])",
        list(account_ids),
    )
    return {r["account_id"]: PollStateRow(r["account_id"], r["history_read_at"], r["status_published"]) for r in rows}


async def claim_accounts(conn: DbConnection, account_ids: Sequence[str], *, owner: str) -> None:
    """This replica (`owner`) starts polling these accounts from their stored state: the claim other replicas'
    paused pollers check (`handover.py`)."""
    if not account_ids:
        return
    await conn.execute(
        """
        INSERT INTO poll_state (account_id, owner, updated_at) SELECT id, $2, now() FROM unnest($1::text[]) AS x(id)
        ON CONFLICT (account_id) DO UPDATE SET owner = EXCLUDED.owner, updated_at = now()
        """,
        list(account_ids),
        owner,
    )


async def poll_state_marks(conn: DbConnection, account_ids: Sequence[str]) -> dict[str, StateMark]:
    """Who last claimed each account and when its poll state was last written (accounts without a row are left
    out)."""
    rows = await conn.fetch(
        "SELECT account_id, owner, updated_at FROM poll_state WHERE account_id = ANY($1::text[])", list(account_ids)
    )
    return {r["account_id"]: StateMark(owner=r["owner"], written_at=r["updated_at"]) for r in rows}


async def upsert_poll_states(conn: DbConnection, rows: Sequence[PollStateRow]) -> None:
    if not rows:
        return
    await conn.execute(
        """
        INSERT INTO poll_state (account_id, history_read_at, status_published, updated_at)
        SELECT id, h, s, now() FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS x(id, h, s)
        ON CONFLICT (account_id) DO UPDATE SET
            history_read_at = EXCLUDED.history_read_at,
            status_published = EXCLUDED.status_published,
            updated_at = now()
        """,
        [r.account_id for r in rows],
        [r.history_read_at for r in rows],
        [r.status_published for r in rows],
    )


# --- history backfill -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackfillRow:
    """An account's `backfill_state` row; `requested_*` are the CLI's, the rest the poller's."""

    account_id: str
    applied_seq: int
    days: int
    target_date: date | None
    next_end_date: date | None
    next_page: int
    windows_done: int
    windows_total: int
    sessions_found: int
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str | None
    requested_seq: int = 0
    requested_days: int | None = None


_BACKFILL_COLUMNS = (
    "account_id, applied_seq, days, target_date, next_end_date, next_page, windows_done, windows_total, "
    "sessions_found, started_at, finished_at, last_error, requested_seq, requested_days"
)


def _backfill(r: asyncpg.Record) -> BackfillRow:
    return BackfillRow(**{k: r[k] for k in _BACKFILL_COLUMNS.split(", ")})


async def load_backfills(conn: DbConnection, account_ids: Sequence[str] | None = None) -> dict[str, BackfillRow]:
    """The backfill rows of these accounts (None: of every account)."""
    if account_ids is None:
        rows = await conn.fetch(f"SELECT {_BACKFILL_COLUMNS} FROM backfill_state ORDER BY account_id")
    else:
        rows = await conn.fetch(
            f"SELECT {_BACKFILL_COLUMNS} FROM backfill_state WHERE account_id = ANY($1::text[])", list(account_ids)
        )
    return {r["account_id"]: _backfill(r) for r in rows}


async def upsert_backfills(conn: DbConnection, rows: Sequence[BackfillRow]) -> None:
    """The poller's columns (never the request columns the CLI writes)."""
    if not rows:
        return
    await conn.executemany(
        """
        INSERT INTO backfill_state (account_id, applied_seq, days, target_date, next_end_date, next_page,
            windows_done, windows_total, sessions_found, started_at, finished_at, last_error, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
        ON CONFLICT (account_id) DO UPDATE SET
            applied_seq = EXCLUDED.applied_seq, days = EXCLUDED.days, target_date = EXCLUDED.target_date,
            next_end_date = EXCLUDED.next_end_date, next_page = EXCLUDED.next_page,
            windows_done = EXCLUDED.windows_done, windows_total = EXCLUDED.windows_total,
            sessions_found = EXCLUDED.sessions_found, started_at = EXCLUDED.started_at,
            finished_at = EXCLUDED.finished_at, last_error = EXCLUDED.last_error, updated_at = now()
        """,
        [
            (
                r.account_id,
                r.applied_seq,
                r.days,
                r.target_date,
                r.next_end_date,
                r.next_page,
                r.windows_done,
                r.windows_total,
                r.sessions_found,
                r.started_at,
                r.finished_at,
                r.last_error,
            )
            for r in rows
        ],
    )


async def request_backfills(conn: DbConnection, account_ids: Sequence[str], days: int) -> dict[str, int]:
    """An on-demand backfill of `days` for these accounts: bumps each one's request sequence and notifies the
    replica that polls it. Returns the new sequence number per account."""
    rows = await conn.fetch(
        """
        INSERT INTO backfill_state (account_id, requested_seq, requested_days, requested_at)
        SELECT id, 1, $2, now() FROM unnest($1::text[]) AS x(id)
        ON CONFLICT (account_id) DO UPDATE SET
            requested_seq = GREATEST(backfill_state.requested_seq, backfill_state.applied_seq) + 1,
            requested_days = EXCLUDED.requested_days, requested_at = now(), updated_at = now()
        RETURNING account_id, requested_seq
        """,
        list(account_ids),
        days,
    )
    for account_id in account_ids:
        await notify_account_changed(conn, account_id)
    return {r["account_id"]: r["requested_seq"] for r in rows}


@dataclass(frozen=True, slots=True)
class SessionStateRow:
    account_id: str
    session_id: int
    started_at: datetime
    title: str | None
    duration_ms: int | None
    shopee_status: int | None
    last_end: datetime | None
    end_advanced_at: datetime | None
    ended: bool
    ended_at: datetime | None
    ended_published: bool
    list_hash: str | None
    snapshot_hash: str | None
    items_hash: str | None
    corrected_hash: str | None
    metrics_json: str | None
    last_observed_at: datetime | None


_SESSION_FIELDS = (
    "account_id",
    "session_id",
    "started_at",
    "title",
    "duration_ms",
    "shopee_status",
    "last_end",
    "end_advanced_at",
    "ended",
    "ended_at",
    "ended_published",
    "list_hash",
    "snapshot_hash",
    "items_hash",
    "corrected_hash",
    "last_observed_at",
)


async def load_session_states(
    conn: DbConnection, account_ids: Sequence[str], *, started_after: datetime
) -> list[SessionStateRow]:
    rows = await conn.fetch(
        f"SELECT {', '.join(_SESSION_FIELDS)}, metrics::text AS metrics_json FROM session_state"
        " WHERE account_id = ANY($1::text[]) AND started_at >= $2",
        list(account_ids),
        started_after,
    )
    return [SessionStateRow(**{k: r[k] for k in (*_SESSION_FIELDS, "metrics_json")}) for r in rows]


async def upsert_session_states(conn: DbConnection, rows: Sequence[SessionStateRow]) -> None:
    if not rows:
        return
    await conn.execute(
        """
        INSERT INTO session_state (account_id, session_id, started_at, title, duration_ms, shopee_status,
            last_end, end_advanced_at, ended, ended_at, ended_published, list_hash, snapshot_hash, items_hash,
            corrected_hash, last_observed_at, metrics, updated_at)
        SELECT a, s, st, ti, d, ss, le, ea, e, eat, ep, lh, sh, ih, ch, lo, m::jsonb, now()
        FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::bigint[], $6::int[],
                    $7::timestamptz[], $8::timestamptz[], $9::bool[], $10::timestamptz[], $11::bool[],
                    $12::text[], $13::text[], $14::text[], $15::text[], $16::timestamptz[], $17::text[])
            AS x(a, s, st, ti, d, ss, le, ea, e, eat, ep, lh, sh, ih, ch, lo, m)
        ON CONFLICT (account_id, session_id) DO UPDATE SET
            started_at = EXCLUDED.started_at,
            title = EXCLUDED.title,
            duration_ms = EXCLUDED.duration_ms,
            shopee_status = EXCLUDED.shopee_status,
            last_end = EXCLUDED.last_end,
            end_advanced_at = EXCLUDED.end_advanced_at,
            ended = session_state.ended OR EXCLUDED.ended,
            ended_at = coalesce(session_state.ended_at, EXCLUDED.ended_at),
            ended_published = session_state.ended_published OR EXCLUDED.ended_published,
            list_hash = EXCLUDED.list_hash,
            snapshot_hash = EXCLUDED.snapshot_hash,
            items_hash = EXCLUDED.items_hash,
            corrected_hash = EXCLUDED.corrected_hash,
            last_observed_at = EXCLUDED.last_observed_at,
            metrics = coalesce(EXCLUDED.metrics, session_state.metrics),
            updated_at = now()
        """,
        *[[getattr(r, f) for r in rows] for f in _SESSION_FIELDS],
        [r.metrics_json for r in rows],
    )


async def forget_published(conn: DbConnection, *, by: str) -> None:
    """The broker lost its log: nothing counts as published any more, in every replica (NOTIFY)."""
    await conn.execute(
        """
        UPDATE session_state SET list_hash = NULL, snapshot_hash = NULL, items_hash = NULL, corrected_hash = NULL,
            ended_published = false, updated_at = now()
        """
    )
    await conn.execute("UPDATE poll_state SET status_published = NULL, updated_at = now()")
    await conn.execute("SELECT pg_notify($1, $2)", RESET_CHANNEL, by)


async def prune_session_states(conn: DbConnection, *, started_before: datetime) -> int:
    result = await conn.execute("DELETE FROM session_state WHERE started_at < $1", started_before)
    return int(result.split()[-1])


# --- QR logins --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QrLoginRow:
    login_id: str
    account_id: str
    studio_id: str
    display_name: str
    region: str
    state: str
    qrcode_id: str | None
    expires_at: datetime | None


async def insert_qr_login(
    conn: DbConnection, *, login_id: str, account_id: str, studio_id: str, display_name: str, region: str
) -> bool:
    done = await conn.fetchval(
        """
        INSERT INTO qr_logins (login_id, account_id, studio_id, display_name, region, state)
        VALUES ($1, $2, $3, $4, $5, 'new') ON CONFLICT (login_id) DO NOTHING RETURNING true
        """,
        login_id,
        account_id,
        studio_id,
        display_name,
        region,
    )
    return bool(done)


async def claim_qr_login(conn: DbConnection, *, owner: str, lease_s: float) -> QrLoginRow | None:
    """Take one open QR login nobody holds (or whose holder's lease ran out)."""
    row = await conn.fetchrow(
        """
        UPDATE qr_logins q SET lease_owner = $1, lease_until = now() + make_interval(secs => $2), updated_at = now()
        WHERE q.login_id = (
            SELECT login_id FROM qr_logins
            WHERE state IN ('new', 'scanned') AND (lease_until IS NULL OR lease_until < now())
            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
        )
        RETURNING login_id, account_id, studio_id, display_name, region, state, qrcode_id, expires_at
        """,
        owner,
        lease_s,
    )
    if row is None:
        return None
    return QrLoginRow(**dict(row))


async def update_qr_login(
    conn: DbConnection,
    login_id: str,
    *,
    owner: str,
    lease_s: float,
    state: str | None = None,
    qrcode_id: str | None = None,
    qrcode_base64: str | None = None,
    expires_at: datetime | None = None,
    error: str | None = None,
    release: bool = False,
) -> bool:
    """Progress of a login this replica holds; False if the lease was lost to another replica."""
    done = await conn.fetchval(
        """
        UPDATE qr_logins SET
            state = coalesce($3, state),
            qrcode_id = coalesce($4, qrcode_id),
            qrcode_base64 = coalesce($5, qrcode_base64),
            expires_at = coalesce($6, expires_at),
            error = coalesce($7, error),
            lease_owner = CASE WHEN $8 THEN NULL ELSE lease_owner END,
            lease_until = CASE WHEN $8 THEN NULL ELSE now() + make_interval(secs => $9) END,
            updated_at = now()
        WHERE login_id = $1 AND lease_owner = $2
        RETURNING true
        """,
        login_id,
        owner,
        state,
        qrcode_id,
        qrcode_base64,
        expires_at,
        error,
        release,
        lease_s,
    )
    return bool(done)


async def fetch_qr_login(conn: DbConnection, login_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT login_id, account_id, studio_id, state, qrcode_base64, error, updated_at FROM qr_logins"
        " WHERE login_id = $1",
        login_id,
    )
    return None if row is None else dict(row)
