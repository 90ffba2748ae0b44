"""dbmate keys a migration by the number before its first underscore: two files with one number in a schema's
folder mean the second never runs where the first already has (branches merged the same afternoon did this)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_every_migration_has_its_own_version() -> None:
    folders = sorted(ROOT.glob("services/*/src/*/migrations"))
    assert len(folders) >= 5
    for folder in folders:
        versions = Counter(path.name.split("_", 1)[0] for path in folder.glob("*.sql"))
        repeated = {version: n for version, n in versions.items() if n > 1}
        assert not repeated, f"{folder.relative_to(ROOT)}: versions used twice: {repeated}"
