"""The business dashboard's SQL against the real schemas: apply every service's migrations to a fresh database
after creating the read-only role exactly as the compose init script does, then run each panel's query (Grafana
macros substituted) as that role. Catches renamed tables/columns and missing grants."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from livestudio_runtime.migrations import migrate
from tests.deploy.kit import DEPLOY, GRAFANA_DIR, REPO

SCHEMAS = {"ingest": "services/ingest", "analytics": "services/analytics", "commission": "services/commission"}
MACROS = {
    "$__timeFrom()": "'2026-06-01T00:00:00Z'",
    "$__timeTo()": "'2026-06-08T00:00:00Z'",
    "$studio": "'studio-a','studio-b'",
}


def _init_sql(role: str, password: str) -> str:
    """The SQL of deploy/postgres/init-readonly-role.sh, for a uniquely named role."""
    script = (DEPLOY / "postgres/init-readonly-role.sh").read_text()
    sql = re.search(r"<<'SQL'\n(.*?)\nSQL\n", script, re.S)
    assert sql, "init script must hold its SQL in a <<'SQL' heredoc"
    text = sql.group(1).replace(":'reader_password'", "'" + password + "'")
    return text.replace("grafana_reader", role)


def _queries() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in sorted((GRAFANA_DIR / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for var in dashboard.get("templating", {}).get("list", []):
            if isinstance(var.get("query"), str) and var.get("datasource", {}).get("uid") == "livestudio-postgres":
                out.append((f"{path.name}: variable {var['name']}", var["query"]))
        panels = [p for top in dashboard["panels"] for p in (top, *top.get("panels", []))]
        for panel in panels:
            for target in panel.get("targets", []):
                if "rawSql" in target:
                    out.append((f"{path.name}: {panel['title']}", target["rawSql"]))
    return out


def _with_user(dsn: str, user: str, password: str) -> str:
    parts = urlsplit(dsn)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def test_dashboard_sql_runs_as_the_read_only_role(fresh_db: str) -> None:
    queries = _queries()
    assert len(queries) >= 5
    role = f"grafana_reader_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    admin = await asyncpg.connect(fresh_db)
    try:
        await admin.execute(_init_sql(role, password))
        for schema, member in SCHEMAS.items():
            directory = REPO / member / "src" / f"livestudio_{schema}" / "migrations"
            await migrate(fresh_db, schema=schema, directory=directory)
        reader = await asyncpg.connect(_with_user(fresh_db, role, password))
        try:
            for where, sql in queries:
                for macro, value in MACROS.items():
                    sql = sql.replace(macro, value)
                assert "$" not in sql, f"{where}: unsubstituted macro in {sql}"
                try:
                    await reader.fetch(sql)
                except asyncpg.PostgresError as exc:
                    raise AssertionError(f"{where}: {type(exc).__name__}: {exc}\n{sql}") from None
            # read-only: the role can read but never write
            with pytest.raises((asyncpg.ReadOnlySQLTransactionError, asyncpg.InsufficientPrivilegeError)):
                await reader.execute("DELETE FROM analytics.sessions")
        finally:
            await reader.close()
    finally:
        await admin.execute(f'DROP OWNED BY "{role}"; DROP ROLE IF EXISTS "{role}"')
        await admin.close()
