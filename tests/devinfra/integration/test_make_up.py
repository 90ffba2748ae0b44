"""`make up`'s runner starts everything (the dashboard built first), prints where things are, and stops cleanly on
Ctrl-C (no stray process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("stack")]


def test_up_prints_urls_serves_api_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "livestudio_devinfra.up",
            "--home",
            str(tmp_path / "home"),
            "--accounts",
            "4",
            "--speed",
            "60",
            "--ephemeral-ports",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    descendants: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 240
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C stops everything"):
                break
        text = "".join(lines)
        assert "Live Studio is running." in text, text[-4000:]
        gateway = next(ln.split()[1] for ln in lines if ln.strip().startswith("gateway"))
        password = next(ln.split()[-1] for ln in lines if ln.strip().startswith("sign in as"))
        owner = next(ln.split()[1] for ln in lines if ln.strip().startswith("owner "))
        signin = httpx.post(f"{gateway}/auth/signin", json={"email": owner, "password": password}, timeout=10)
        assert signin.status_code == 200, signin.text
        token = signin.json()["access_token"]
        root = gateway.removesuffix("/api/v1")
        dashboard = next(ln.split()[1] for ln in lines if ln.strip().startswith("dashboard "))
        assert dashboard == root + "/"  # the first address printed is the dashboard, served by the gateway
        page = httpx.get(dashboard, timeout=5)
        assert page.status_code == 200 and '<div id="app">' in page.text, page.text[:500]
        assert httpx.get(f"{root}/health/ready", timeout=5).status_code == 200
        assert (
            httpx.get(f"{gateway}/studios", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200
        )
        studios = httpx.get(f"{gateway}/studios", headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
        assert [s["studio_id"] for s in studios["items"]] == ["demo-studio"]  # the demo organisation's studio
        assert httpx.get(f"{gateway}/studios", timeout=5).status_code == 401
        # the alerts of the demo studio go to the local fakes, whose address is printed
        alerts = next(ln for ln in lines if ln.strip().startswith("alerts"))
        received = next(word for word in alerts.split() if word.endswith("/received"))
        assert httpx.get(received, timeout=5).status_code == 200
        channels = httpx.get(f"{gateway}/alerts/channels", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert sorted(c["kind"] for c in channels.json()["items"]) == ["email", "telegram", "webhook"]
        # the demo's monthly targets (issue #20), for the month of the simulator's day it was seeded on
        month = (tmp_path / "home" / "demo-seeded").read_text()[:7]
        targets = httpx.get(
            f"{gateway}/targets", params={"month": month}, headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert [(t["scope"], t["amount"]) for t in targets.json()["items"]] == [
            ("studio", "3000000000"),
            ("host", "250000000"),
        ], targets.text
        descendants = psutil.Process(proc.pid).children(recursive=True)
        assert len(descendants) >= 8  # postgres, broker, simulator, sinks, five services (and their children)
    finally:
        os.killpg(proc.pid, signal.SIGINT) if proc.poll() is None else None
        try:
            rest, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert proc.returncode == 0, rest[-3000:]
    assert "stopped." in rest
    time.sleep(1)
    alive = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"stray processes: {alive}"
