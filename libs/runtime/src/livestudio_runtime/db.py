"""Postgres connection pool for one service, pinned to the service's own schema."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

DbConnection = asyncpg.Connection | PoolConnectionProxy
"""What repository functions take: a plain connection or one acquired from a pool."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    dsn: str,
    *,
    schema: str,
    application_name: str,
    min_size: int = 1,
    max_size: int = 10,
    **kwargs: Any,
) -> asyncpg.Pool:
    """A pool whose connections resolve unqualified names in `schema` first (then public)."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings={"search_path": f"{schema},public", "application_name": application_name},
        **kwargs,
    )
    assert pool is not None
    return pool


def postgres_check(pool: asyncpg.Pool) -> Any:
    async def check() -> None:
        async with pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")

    return check
