"""Every SQL statement of the gateway is in a repository module (`repository.py`, `identity/repository.py`): no
handler or helper module holds a statement or talks to the pool itself (issue #23)."""

from __future__ import annotations

import re
from pathlib import Path

import livestudio_gateway

PACKAGE = Path(livestudio_gateway.__file__).parent
REPOSITORIES = {PACKAGE / "repository.py", PACKAGE / "identity" / "repository.py"}
SQL = re.compile(r"\b(?:SELECT\s+[\w*(]|INSERT\s+INTO\s|UPDATE\s+\w[\w.]*\s+SET\s|DELETE\s+FROM\s)")
POOL = re.compile(r"\bpool\.(fetch|fetchrow|fetchval|execute|executemany|acquire)\(")


def test_no_module_but_the_repositories_holds_sql() -> None:
    modules = sorted(p for p in PACKAGE.rglob("*.py") if p not in REPOSITORIES)
    assert len(modules) > 20  # the package is where it is supposed to be
    offenders = [
        f"{path.relative_to(PACKAGE)}: {match.group(0)!r}"
        for path in modules
        for pattern in (SQL, POOL)
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders
