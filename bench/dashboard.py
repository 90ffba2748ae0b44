"""Dashboard benchmark: Lighthouse (mobile preset) on the home and session pages, and the initial JavaScript size.

Builds the dashboard, starts the stack `make up` starts (own ports and home, 4 simulated accounts, the demo
studio and its people), and runs Lighthouse 12.2.3 (`bench/lighthouse`, installed with `npm ci` from its lock;
Node from the uv environment) on Debian's chromium (`CHROME_PATH`, default /usr/bin/chromium) with the default
mobile preset (emulated phone, simulated slow 4G). Each page run signs in first, puts the session cookies into a
fresh chromium's jar over CDP (Playwright) and points Lighthouse at that chromium without a storage reset, so the
page renders as for a signed-in owner (its final screenshot lands in `.livestudio/screenshots/lighthouse-*.jpg`).

Prints, per page and median over `--runs`: the performance and accessibility scores, first contentful paint,
largest contentful paint, total blocking time; and the initial JavaScript of `index.html` gzipped (the scripts it
loads before any route's lazy chunk). Goals of issue #19: performance >= 95, accessibility >= 95, initial JS
<= 150 KB gzipped.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from livestudio_devinfra import demo, frontend
from livestudio_devinfra.ports import free_port
from livestudio_devinfra.stack import SERVICES, Stack, StackConfig
from livestudio_devinfra.up import DEMO_PEOPLE, seed_people
from livestudio_runtime.secrets import CookieCipher

LIGHTHOUSE = frontend.REPOSITORY / "bench" / "lighthouse"
SHOTS = frontend.REPOSITORY / ".livestudio" / "screenshots"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
    "--disable-sync --no-first-run"
)


def initial_js_gzipped(dist: Path = frontend.DIST) -> tuple[int, list[str]]:
    """Bytes (gzip -9) of the scripts index.html loads up front: its module script and modulepreloads."""
    html = (dist / "index.html").read_text()
    names = sorted(set(re.findall(r'(?:src|href)="/(assets/[^"]+\.js)"', html)))
    return sum(len(gzip.compress((dist / n).read_bytes(), 9)) for n in names), names


def lighthouse_bin() -> Path:
    marker = LIGHTHOUSE / "node_modules" / ".package-lock.json"
    if not marker.exists():
        env = {**os.environ, "PATH": f"{frontend.node_bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}"}
        npm = str(frontend.node_bin_dir() / "npm")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=LIGHTHOUSE, env=env, check=True)
    return LIGHTHOUSE / "node_modules" / ".bin" / "lighthouse"


def sign_in(base: str, email: str, password: str) -> tuple[httpx.Cookies, str]:
    """(the session cookies, the access token) of a fresh browser session."""
    r = httpx.post(f"{base}/api/v1/auth/signin", json={"email": email, "password": password}, timeout=30)
    r.raise_for_status()
    return r.cookies, r.json()["access_token"]


@contextlib.contextmanager
def signed_in_chromium(chrome: str, base: str, cookies: httpx.Cookies) -> Iterator[int]:
    """A headless chromium with the session cookies in its jar (set over CDP), as a browser that signed in has;
    yields its DevTools port for Lighthouse (which then runs with --disable-storage-reset)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [chrome, *CHROME_FLAGS.split(), f"--remote-debugging-port={port}", f"--user-data-dir={profile}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.connect_over_cdp(f"http://127.0.0.1:{port}", timeout=30_000)
                jar = [
                    {"name": c.name, "value": c.value or "", "domain": httpx.URL(base).host, "path": c.path or "/"}
                    for c in cookies.jar
                ]
                browser.contexts[0].add_cookies(jar)  # type: ignore[arg-type]
            yield port
        finally:
            proc.terminate()
            proc.wait(10)


def run_lighthouse(url: str, port: int, chrome: str, screenshot: Path) -> dict[str, float]:
    """One Lighthouse run's scores and timings; its final screenshot goes to `screenshot` (to check what it saw)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        env = {
            **os.environ,
            "CHROME_PATH": chrome,
            "PATH": f"{frontend.node_bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        subprocess.run(
            [
                str(lighthouse_bin()),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={out}",
                "--only-categories=performance,accessibility",
                f"--port={port}",
                "--disable-storage-reset",
            ],
            env=env,
            check=True,
            timeout=300,
        )
        report: dict[str, Any] = json.loads(out.read_text())
    audits = report["audits"]
    shot = audits.get("final-screenshot", {}).get("details", {}).get("data", "")
    if shot.startswith("data:image/jpeg;base64,"):
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot.split(",", 1)[1]))
    return {
        "performance": report["categories"]["performance"]["score"] * 100,
        "accessibility": report["categories"]["accessibility"]["score"] * 100,
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--wait-session", type=float, default=120.0, help="seconds to wait for a session to exist")
    p.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    args = p.parse_args()
    if not Path(args.chrome).exists():
        print(f"no chromium at {args.chrome} (apt-get install chromium, or set CHROME_PATH)", file=sys.stderr)
        return 1
    frontend.build()
    size, names = initial_js_gzipped()
    print(f"initial JS: {size / 1024:.1f} KB gzipped ({', '.join(names)}); goal <= 150 KB", flush=True)

    home = Path(tempfile.mkdtemp(prefix="livestudio-bench-dashboard-"))
    cipher_key = CookieCipher.generate_key()
    password = "bench-" + os.urandom(6).hex()
    stack = Stack(
        StackConfig(
            home=home,
            accounts=4,
            speed=60.0,
            seed=1,
            credentials_key=cipher_key,
            jwt_secret=os.urandom(24).hex(),
            fixed_ports=False,
        )
    )
    try:
        stack.start(SERVICES)
        sim = stack.url("simulator")
        phases = demo.demo_phases(
            demo.simulator_accounts(sim), CookieCipher([cipher_key]), demo.simulator_today(sim), days=2
        )
        asyncio.run(demo.seed(stack.kafka_bootstrap, stack.database_url, phases))
        seed_people(stack.database_url, password)
        base = stack.url("gateway")
        owner = next(email for email, role, _ in DEMO_PEOPLE if role == "owner")
        _, token = sign_in(base, owner, password)
        sessions: list[dict[str, Any]] = []
        deadline = time.monotonic() + args.wait_session
        while not sessions and time.monotonic() < deadline:  # the ingest's first polls find the sessions
            time.sleep(2)
            sessions = httpx.get(
                f"{base}/api/v1/sessions", params={"limit": 1}, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ).json()["items"]
        pages = {"home": "/"}
        if sessions:
            pages["session"] = f"/sessions/{sessions[0]['account_id']}/{sessions[0]['session_id']}"
        else:
            print("no session yet: the session page is not measured", flush=True)
        head = f"{'page':<8} {'perf':>5} {'a11y':>5} {'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7}"
        print(f"{head}   (median of {args.runs}; final screenshots in {SHOTS})", flush=True)
        for name, path in pages.items():
            runs = []
            for _ in range(args.runs):
                cookies, _ = sign_in(base, owner, password)  # a refresh token works once: one session per run
                with signed_in_chromium(args.chrome, base, cookies) as port:
                    runs.append(run_lighthouse(base + path, port, args.chrome, SHOTS / f"lighthouse-{name}.jpg"))
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(
                f"{name:<8} {med['performance']:5.0f} {med['accessibility']:5.0f} {med['fcp_ms']:7.0f} "
                f"{med['lcp_ms']:7.0f} {med['tbt_ms']:7.0f}",
                flush=True,
            )
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
