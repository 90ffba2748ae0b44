"""Migrations run against a real PostgreSQL, into the service's own schema, and are idempotent."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from livestudio_runtime.db import create_pool
from livestudio_runtime.migrations import migrate

SAMPLE = Path(__file__).parent / "migrations_sample"


async def test_migrate_creates_schema_tables_and_is_idempotent(fresh_db: str) -> None:
    await migrate(fresh_db, schema="sample", directory=SAMPLE)
    await migrate(fresh_db, schema="sample", directory=SAMPLE)  # second run: nothing to do, no error
    conn = await asyncpg.connect(fresh_db)
    try:
        tables = {
            r["table_name"]
            for r in await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'sample'")
        }
        assert {"widgets", "consumer_offsets", "schema_migrations", "runtime_migrations"} <= tables
        versions = await conn.fetch("SELECT version FROM sample.schema_migrations")
        assert [r["version"] for r in versions] == ["20260101000000"]
    finally:
        await conn.close()


async def test_pool_resolves_names_in_service_schema(fresh_db: str) -> None:
    await migrate(fresh_db, schema="sample", directory=SAMPLE)
    pool = await create_pool(fresh_db, schema="sample", application_name="test")
    try:
        await pool.execute("INSERT INTO widgets (id, total) VALUES ($1, $2)", 1, 5)
        assert await pool.fetchval("SELECT total FROM sample.widgets WHERE id = 1") == 5
        assert await pool.fetchval("SELECT '{\"a\": 1}'::jsonb") == {"a": 1}
    finally:
        await pool.close()
