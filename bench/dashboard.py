"""Dashboard benchmark: Lighthouse (mobile preset) on the home and session pages, and the initial JavaScript size.

Builds the dashboard, starts the stack `make up` starts (own ports and home, 4 simulated accounts, the demo
studio and its people), and runs Lighthouse 12.2.3 (`bench/lighthouse`, installed with `npm ci` from its lock;
Node from the uv environment) on Debian's chromium (`CHROME_PATH`, default /usr/bin/chromium) with the default
mobile preset (emulated phone, simulated slow 4G). Each page run signs in first, puts the session cookies into a
fresh chromium's jar over CDP (Playwright) and points Lighthouse at that chromium without a storage reset, so the
page renders as for a signed-in owner (its final screenshot lands in `.livestudio/screenshots/lighthouse-*.jpg`).
During the Lighthouse runs the simulator's clock is held inside a session on air (`--live-clock` keeps it
running): the stack shares the machine's two cores with the browser, and a phone would not.

Prints, per page and median over `--runs`: the performance and accessibility scores, first contentful paint,
largest contentful paint, total blocking time, and where the main thread's time went (Lighthouse's
`mainthread-work-breakdown`, median run); and the initial JavaScript of `index.html` gzipped (the scripts it
loads before any route's lazy chunk).

Then freshness as a person sees it (`--steps`, 0 skips it): the home page open in a real chromium, the
simulator's clock frozen with a session on air, and per step the clock advanced by `--advance` simulated seconds.
A MutationObserver in the page stamps when the on-air card's figures change. For each step that changed them:
`pipeline` = the page showing the change minus the moment the simulator answered the ingest's first `overview`
request after the step (its request log), i.e. ingest, broker, consumer, gateway, SSE and the browser's render;
and `step->page`, which adds the wait for the ingest's next live poll (`INGEST_LIVE_INTERVAL_S`).

Goals of issue #19: performance >= 95, accessibility >= 95, initial JS <= 150 KB gzipped, and a counter change
visible on the home page within 2 s at p95 (the pipeline, as in `bench/freshness.py`).
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
from datetime import datetime, timedelta
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
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # chromium may still be writing
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


def run_lighthouse(url: str, port: int, chrome: str, screenshot: Path, keep: Path | None = None) -> dict[str, Any]:
    """One Lighthouse run's scores and timings; its final screenshot goes to `screenshot` (to check what it saw),
    its whole report and trace (`--save-assets`) to `keep` when given: long tasks, per-script boot-up time, and the
    trace to find what a long task spent its time on."""
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
                *(["--save-assets"] if keep is not None else []),
            ],
            env=env,
            check=True,
            timeout=300,
        )
        report: dict[str, Any] = json.loads(out.read_text())
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out, keep)
            for asset in Path(tmp).glob("report-*.json"):  # --save-assets: the trace and the DevTools log
                shutil.copyfile(asset, keep.with_name(f"{keep.stem}.{asset.name.split('.', 1)[1]}"))
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
        "main_thread": {
            item["groupLabel"]: item["duration"]
            for item in audits.get("mainthread-work-breakdown", {}).get("details", {}).get("items", [])
        },
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# Stamps every change of the on-air card's figures (text of its <dl class="figures">) with the wall clock.
OBSERVE = """(account) => {
  window.__changes = [];
  const card = document.querySelector(`[data-account="${account}"]`);
  const figures = () => card && card.querySelector(".figures") ? card.querySelector(".figures").textContent : "";
  let last = figures();
  new MutationObserver(() => {
    const now = figures();
    if (now !== last) { last = now; window.__changes.push(Date.now() / 1000); }
  }).observe(card, { subtree: true, childList: true, characterData: true });
}"""


def hold_a_session_on_air(sim: str, span_s: float) -> None:
    """Freeze the simulator's clock inside a session that stays on air for `span_s` more simulated seconds (the
    one on air now, else the next one to start, the clock moved to a minute after its start)."""
    now = datetime.fromisoformat(httpx.get(f"{sim}/__sim/clock", timeout=10).json()["sim_now"])
    days = {"from": (now.date() - timedelta(days=1)).isoformat(), "to": (now.date() + timedelta(days=2)).isoformat()}
    ahead = (now + timedelta(days=2)).isoformat()  # sessions exist in the truth once started: look from ahead
    truth = httpx.get(f"{sim}/__sim/ground-truth", params={"items": "0", "at": ahead, **days}, timeout=60).json()
    sessions = [
        (datetime.fromisoformat(x["start"]), datetime.fromisoformat(x["scheduled_end"])) for x in truth["sessions"]
    ]
    span = timedelta(seconds=span_s + 120)
    if any(start <= now and now + span <= end for start, end in sessions):
        httpx.post(f"{sim}/__sim/clock", json={"speed": 0}, timeout=10).raise_for_status()
        return
    start = min(start for start, end in sessions if start > now and end - start > span)
    at = start + timedelta(minutes=1)
    httpx.post(f"{sim}/__sim/clock", json={"speed": 0, "sim_now": at.isoformat()}, timeout=10).raise_for_status()


def browser_freshness(
    chrome: str, base: str, sim: str, cookies: httpx.Cookies, steps: int, advance: float
) -> dict[str, list[float]]:
    """Seconds per step: `pipeline` (simulator's answer -> page) and `step->page` (see the module docstring)."""
    accounts = {a.account_id: a.index for a in demo.simulator_accounts(sim)}
    out: dict[str, list[float]] = {"pipeline": [], "step->page": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chrome, args=CHROME_FLAGS.split())
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        host = httpx.URL(base).host
        context.add_cookies(
            [{"name": c.name, "value": c.value or "", "domain": host, "path": c.path or "/"} for c in cookies.jar]
        )
        page = context.new_page()
        hold_a_session_on_air(sim, steps * advance)
        page.goto(base + "/")
        card = page.locator(".account.on-air").first
        card.wait_for(timeout=180_000)  # the ingest's next poll of that account finds it on air
        account_id = card.get_attribute("data-account") or ""
        page.wait_for_timeout(3000)  # what was in flight when the clock stopped lands before the first step
        page.evaluate(OBSERVE, account_id)
        for _ in range(steps):
            seen = page.evaluate("window.__changes.length")
            since = max((r["seq"] for r in httpx.get(f"{sim}/__sim/requests", timeout=30).json()), default=0)
            stepped = time.time()
            httpx.post(f"{sim}/__sim/clock", json={"advance_seconds": advance}, timeout=10).raise_for_status()
            deadline = stepped + 30
            while page.evaluate("window.__changes.length") == seen and time.time() < deadline:
                page.wait_for_timeout(50)
            changes: list[float] = page.evaluate("window.__changes")
            if len(changes) == seen:
                continue  # nothing on the card changed in this step (the session is quiet, or it ended)
            shown = changes[seen]
            answers = httpx.get(
                f"{sim}/__sim/requests", params={"since": since, "endpoint": "overview"}, timeout=30
            ).json()
            mine = [r for r in answers if r["account"] == accounts.get(account_id) and r["started"] >= stepped]
            if mine:
                out["pipeline"].append(shown - min(r["finished"] for r in mine))
            out["step->page"].append(shown - stepped)
            page.wait_for_timeout(500)  # the rest of that poll's updates land before the next step
        browser.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (0: skip Lighthouse)")
    p.add_argument("--wait-session", type=float, default=120.0, help="seconds to wait for a session to exist")
    p.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    p.add_argument("--steps", type=int, default=20, help="freshness steps in the browser (0: skip)")
    p.add_argument("--advance", type=float, default=15.0, help="simulated seconds per freshness step")
    p.add_argument(
        "--live-clock",
        action="store_true",
        help="keep the simulator's clock running during Lighthouse (default: held, so the stack is quiet)",
    )
    p.add_argument("--reports", type=Path, help="keep each run's Lighthouse report and trace in this folder")
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
        if args.runs and not args.live_clock:
            # Lighthouse measures the page as a phone would run it; the stack shares this machine's cores, so
            # its own work (polls, events, SSE) is held still: a session on air, figures as of that moment.
            hold_a_session_on_air(sim, span_s=0)
        if args.runs:
            clock_note = "simulator running" if args.live_clock else "simulator's clock held, a session on air"
            print(f"{head}   (median of {args.runs}; {clock_note}; final screenshots in {SHOTS})", flush=True)
        for name, path in pages.items() if args.runs else ():
            runs = []
            for _ in range(args.runs):
                cookies, _ = sign_in(base, owner, password)  # a refresh token works once: one session per run
                with signed_in_chromium(args.chrome, base, cookies) as port:
                    keep = args.reports / f"{name}-{len(runs) + 1}.json" if args.reports else None
                    runs.append(run_lighthouse(base + path, port, args.chrome, SHOTS / f"lighthouse-{name}.jpg", keep))
            runs.sort(key=lambda r: r["performance"])
            median_run = runs[len(runs) // 2]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "main_thread"}
            by_cost = sorted(median_run["main_thread"].items(), key=lambda kv: -kv[1])
            work = ", ".join(f"{k} {v:.0f}" for k, v in by_cost)
            print(
                f"{name:<8} {med['performance']:5.0f} {med['accessibility']:5.0f} {med['fcp_ms']:7.0f} "
                f"{med['lcp_ms']:7.0f} {med['tbt_ms']:7.0f}   main thread ms: {work}",
                flush=True,
            )
        if args.steps:
            cookies, _ = sign_in(base, owner, password)
            fresh = browser_freshness(args.chrome, base, sim, cookies, args.steps, args.advance)
            print(f"freshness in the browser, {args.steps} steps of {args.advance:.0f} simulated s:", flush=True)
            for label, values in fresh.items():
                if values:
                    print(
                        f"  {label:<11} n={len(values):<3} p50 {percentile(values, 0.5):.2f} s  "
                        f"p95 {percentile(values, 0.95):.2f} s  max {max(values):.2f} s",
                        flush=True,
                    )
            print("  goal: pipeline p95 <= 2 s", flush=True)
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
