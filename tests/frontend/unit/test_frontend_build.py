"""The dashboard agrees with the API: its committed API types are what the current OpenAPI document produces, and
the front end type-checks against them (`tsc --noEmit`). When a route or a model changes, regenerate with
`uv run python -m livestudio_devinfra.frontend types` and fix what tsc reports."""

from __future__ import annotations

import difflib
from pathlib import Path

from livestudio_devinfra import frontend


def test_committed_api_types_match_the_current_api(tmp_path: Path) -> None:
    fresh = frontend.generate_types(tmp_path / "schema.d.ts").read_text()
    committed = frontend.SCHEMA_TYPES.read_text()
    if fresh != committed:
        diff = "".join(
            difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True), "committed", "current API", n=2)
        )
        raise AssertionError(
            "frontend/src/api/schema.d.ts differs from the gateway's OpenAPI document; run "
            "`uv run python -m livestudio_devinfra.frontend types`, then fix what `tsc` reports:\n" + diff[:6000]
        )


def test_the_front_end_type_checks() -> None:
    frontend.typecheck()
