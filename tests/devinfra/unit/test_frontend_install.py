"""Parallel test workers share one `frontend/`: `install()` runs `npm ci` once however many ask at the same time
(two runs in one `node_modules` fail with ENOTEMPTY, as CI did on a fresh clone)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from livestudio_devinfra import frontend


def test_concurrent_installs_run_npm_ci_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "package-lock.json").write_text("{}")
    runs: list[tuple[str, ...]] = []

    def slow_npm(*argv: str, quiet: bool = True) -> str:
        runs.append(argv)
        time.sleep(0.3)  # long enough for the other caller to reach its own check
        (tmp_path / "node_modules").mkdir()
        (tmp_path / "node_modules" / ".package-lock.json").write_text("{}")
        return ""

    monkeypatch.setattr(frontend, "FRONTEND", tmp_path)
    monkeypatch.setattr(frontend, "_run", slow_npm)
    results: list[bool] = []
    callers = [threading.Thread(target=lambda: results.append(frontend.install())) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=10)

    assert len(runs) == 1
    assert sorted(results) == [False, False, True]
