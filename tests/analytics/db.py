"""Reading the analytics tables back in tests: rows keyed like the reference, and a canonical digest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from livestudio_analytics import rollups
from livestudio_analytics.events import Event
from livestudio_analytics.handlers import apply_batch
from livestudio_runtime.db import DbConnection
from livestudio_runtime.exactly_once import Decoded
from tests.analytics.reference import KEYS, Row

DIGEST_TABLES: dict[str, str] = {
    "sessions": "account_id, session_id",
    "session_timeline": "account_id, session_id, minute",
    "session_items": "account_id, session_id, item_id",
    "daily_account": "account_id, day",
    "daily_studio": "studio_id, day",
    "hourly_account": "account_id, local_date, hour",
    "hourly_studio": "studio_id, local_date, hour",
    "daily_items": "account_id, day, studio_id, item_id",
    "daily_studio_items": "studio_id, day, item_id",
    "ad_spend": "account_id, day",
    "command_results": "command_id",
}


async def fetch_tables(conn: DbConnection, like: dict[str, dict[Any, Row]]) -> dict[str, dict[Any, Row]]:
    """Every table's rows keyed by primary key, with the columns the reference computes."""
    out: dict[str, dict[Any, Row]] = {}
    for table, keys in KEYS.items():
        sample = next(iter(like[table].values()), None)
        columns = list(sample) if sample else list(keys)
        rows = await conn.fetch(f"SELECT {', '.join(columns)} FROM analytics.{table}")
        out[table] = {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: dict(r) for r in rows}
    return out


def diff_tables(expected: dict[str, dict[Any, Row]], actual: dict[str, dict[Any, Row]]) -> list[str]:
    problems: list[str] = []
    for table, rows in expected.items():
        got = actual[table]
        missing = set(rows) - set(got)
        extra = set(got) - set(rows)
        if missing:
            problems.append(f"{table}: missing {sorted(missing, key=repr)[:3]}")
        if extra:
            problems.append(f"{table}: unexpected {sorted(extra, key=repr)[:3]}")
        for key in set(rows) & set(got):
            want, have = rows[key], got[key]
            bad = {c: (want[c], have.get(c)) for c in want if want[c] != have.get(c)}
            if bad:
                problems.append(f"{table} {key}: {bad}")
                if len(problems) > 20:
                    return problems
    return problems


async def digest(conn: DbConnection) -> dict[str, tuple[int, str]]:
    """(row count, md5 of every column in key order) per table; command_results without applied_at."""
    out: dict[str, tuple[int, str]] = {}
    for table, order in DIGEST_TABLES.items():
        source = (
            "(SELECT command_id, kind, status, error FROM analytics.command_results)"
            if table == "command_results"
            else f"analytics.{table}"
        )
        row = await conn.fetchrow(
            f"SELECT count(*) AS n, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY {order})), '') AS h "
            f"FROM {source} t"
        )
        assert row is not None
        out[table] = (row["n"], row["h"])
    return out


async def apply_in_transaction(pool: asyncpg.Pool, events: Sequence[Event]) -> None:
    """Apply decoded events as one batch, the way the consumer does (without offsets)."""
    batch = [Decoded("t", 0, i, 0, None, e) for i, e in enumerate(events)]
    async with pool.acquire() as conn, conn.transaction():
        await apply_batch(conn, batch)


async def refresh(pool: asyncpg.Pool) -> None:
    """Run the rollup refresher's rounds until no dirty mark is left (what the service does every tick)."""
    await rollups.refresh_until_drained(pool, limit=1000)
