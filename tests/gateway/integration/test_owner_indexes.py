"""The indexes the gateway's queries rely on (declared in its test fixture) exist in the owners' migrations."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

from livestudio_analytics.main import MIGRATIONS as ANALYTICS_MIGRATIONS
from livestudio_commission.service import MIGRATIONS as COMMISSION_MIGRATIONS
from livestudio_ingest.settings import MIGRATIONS as INGEST_MIGRATIONS
from livestudio_runtime.migrations import migrate

FIXTURE = Path(__file__).parents[1] / "fixtures" / "read_models.sql"
_INDEX = re.compile(r"CREATE INDEX \w+ ON (\w+)\.(\w+) \(([^)]*)\)(?:\s+INCLUDE \(([^)]*)\))?(?: WHERE (\w+))?;")
_DEF = re.compile(r"USING btree \(([^)]*)\)(?: INCLUDE \(([^)]*)\))?(?: WHERE (\w+))?$")


def _columns(key: str, include: str | None) -> str:
    """Key columns, then `+` and the INCLUDE columns when there are any (whitespace removed)."""
    columns = re.sub(r"\s+", "", key)
    return columns if include is None else columns + "+" + re.sub(r"\s+", "", include)


def _wanted() -> list[tuple[str, str, str, str | None]]:
    found = [m.groups() for m in _INDEX.finditer(FIXTURE.read_text())]
    assert len(found) >= 10, "the fixture's index declarations were not understood"
    return [(schema, table, _columns(cols, include), where) for schema, table, cols, include, where in found]


async def test_every_index_the_gateway_needs_is_created_by_the_owning_service(fresh_db: str) -> None:
    for schema, directory in (
        ("ingest", INGEST_MIGRATIONS),
        ("analytics", ANALYTICS_MIGRATIONS),
        ("commission", COMMISSION_MIGRATIONS),
    ):
        await migrate(fresh_db, schema=schema, directory=directory)
    conn = await asyncpg.connect(fresh_db)
    try:
        rows = await conn.fetch("SELECT schemaname, tablename, indexdef FROM pg_indexes")
    finally:
        await conn.close()
    have: set[tuple[str, str, str, str | None]] = set()
    for r in rows:
        m = _DEF.search(r["indexdef"])
        if m:
            have.add((r["schemaname"], r["tablename"], _columns(m.group(1), m.group(2)), m.group(3)))
    missing = [w for w in _wanted() if w not in have]
    assert missing == [], f"indexes the gateway relies on but no migration creates: {missing}"
