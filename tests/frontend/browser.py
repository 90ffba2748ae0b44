"""Shared by the dashboard's browser tests: Debian's chromium under Playwright, signing in, screenshots, people.

Playwright's own browser download is not used: `ensure_chromium` installs Debian's `chromium` when it is missing
(as root, with apt-get), and skips the test with the reason when it cannot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from livestudio_devinfra import frontend
from tests.system.harness import SystemRun

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's 5 s default is short for a sign-in (a deliberately slow password hash) on a busy 2-core machine.
expect.set_options(timeout=15_000)

SCREENSHOTS = frontend.REPOSITORY / ".livestudio" / "screenshots"
VIEWPORTS = {"phone": (360, 780), "desktop": (1366, 900)}


def ensure_chromium() -> str:
    """Debian's chromium, installed with apt-get when it is missing and this process may; else the test skips."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
            env=env,
            capture_output=True,
            check=False,
            timeout=900,
        )
        found = shutil.which("chromium")
        if found:
            return found
    pytest.skip("Debian's chromium is missing and cannot be installed (needs root and apt-get): apt install chromium")


@contextmanager
def launch() -> Iterator[Browser]:
    """Start it after the stack: Playwright's sync API keeps an event loop running in this thread."""
    executable = ensure_chromium()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def add_person(run: SystemRun, email: str, role: str, password: str, host_id: str | None = None) -> None:
    """A person of the run's studio, in the organisation `browser` (created on first use)."""
    args = ["add-user", "--org", "browser", "--org-name", "Browser Test", "--email", email, "--role", role]
    args += ["--studio", run.scenario.studio_id] + (["--host-id", host_id] if host_id else [])
    subprocess.run(
        [sys.executable, "-m", "livestudio_gateway.identity.admin", *args],
        env={**os.environ, "GATEWAY_DATABASE_URL": run.stack.database_url, "LIVESTUDIO_PASSWORD": password},
        capture_output=True,
        check=True,
        timeout=60,
    )


def screenshot(page: Page, name: str) -> None:
    """`<name>-phone.png` (360x780) and `<name>-desktop.png` (1366x900), full page, under SCREENSHOTS."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)


def sign_in(browser: Browser, base_url: str, email: str, password: str, locale: str = "en-GB") -> Page:
    """A new browser context on the dashboard, signed in through the sign-in form (not yet waited on)."""
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    return page
