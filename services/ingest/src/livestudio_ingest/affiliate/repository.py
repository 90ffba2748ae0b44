"""SQL of the affiliate reader (schema `ingest`, tables `affiliate_state` and `affiliate_checkouts`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from livestudio_ingest.affiliate.schedule import ReadState
from livestudio_runtime.db import DbConnection


@dataclass(frozen=True, slots=True)
class PublishedCheckout:
    account_id: str
    checkout_id: str
    purchased_at: datetime
    status: str
    fingerprint: str


async def load_states(conn: DbConnection, account_ids: Sequence[str], horizon_start: datetime) -> dict[str, ReadState]:
    rows = await conn.fetch(
        """
        SELECT a.account_id, s.backfilled_at, s.last_new_at, s.last_reread_at,
               (SELECT min(c.purchased_at) FROM affiliate_checkouts c
                 WHERE c.account_id = a.account_id AND c.status = 'pending' AND c.purchased_at >= $2) AS oldest
        FROM unnest($1::text[]) AS a(account_id)
        LEFT JOIN affiliate_state s ON s.account_id = a.account_id
        """,
        list(account_ids),
        horizon_start,
    )
    return {
        r["account_id"]: ReadState(
            backfilled_at=r["backfilled_at"],
            last_new_at=r["last_new_at"],
            last_reread_at=r["last_reread_at"],
            oldest_pending=r["oldest"],
        )
        for r in rows
    }


async def fingerprints(conn: DbConnection, account_id: str, checkout_ids: Sequence[str]) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT checkout_id, fingerprint FROM affiliate_checkouts WHERE account_id = $1 AND checkout_id = ANY($2)",
        account_id,
        list(checkout_ids),
    )
    return {r["checkout_id"]: r["fingerprint"] for r in rows}


async def save_published(conn: DbConnection, rows: Iterable[PublishedCheckout]) -> None:
    await conn.executemany(
        """
        INSERT INTO affiliate_checkouts (account_id, checkout_id, purchased_at, status, fingerprint)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (account_id, checkout_id) DO UPDATE
            SET purchased_at = EXCLUDED.purchased_at, status = EXCLUDED.status,
                fingerprint = EXCLUDED.fingerprint, published_at = now()
        """,
        [(r.account_id, r.checkout_id, r.purchased_at, r.status, r.fingerprint) for r in rows],
    )


async def save_states(conn: DbConnection, states: Iterable[tuple[str, ReadState]]) -> None:
    await conn.executemany(
        """
        INSERT INTO affiliate_state (account_id, backfilled_at, last_new_at, last_reread_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_id) DO UPDATE
            SET backfilled_at = EXCLUDED.backfilled_at, last_new_at = EXCLUDED.last_new_at,
                last_reread_at = EXCLUDED.last_reread_at, updated_at = now()
        """,
        [(a, s.backfilled_at, s.last_new_at, s.last_reread_at) for a, s in states],
    )


async def forget_all(conn: DbConnection) -> None:
    """The broker lost its log: read and publish every account's report again (backfill included)."""
    await conn.execute("DELETE FROM affiliate_checkouts")
    await conn.execute("DELETE FROM affiliate_state")
