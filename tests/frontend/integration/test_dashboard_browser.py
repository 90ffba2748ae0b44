"""The dashboard in a real Chromium (Debian's `chromium`, driven by Playwright) against the real stack.

One small stack for the module (own PostgreSQL and broker, the simulator with 3 accounts and a frozen clock, the
four services; `tests.system.harness.SystemRun`), its studio registered in an organisation with an owner and a
host. The clock stands three simulated minutes before the day's first session: the owner signs in, sees every
account off air, then the clock runs and the session goes on air and its GMV rises on the page without a reload
(over the SSE feed). The host sees their own sessions only. Each test saves a phone (360x780) and a desktop
(1366x900) screenshot under `.livestudio/screenshots/` (gitignored).

Playwright's own browser download is not used: the test setup installs Debian's `chromium` when it is missing
(as root, with apt-get), and skips with the reason when it cannot.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from livestudio_devinfra import frontend
from tests.system.harness import SystemRun
from tests.system.scenario import Scenario

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

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
SCREENSHOTS = frontend.REPOSITORY / ".livestudio" / "screenshots"
VIEWPORTS = {"phone": (360, 780), "desktop": (1366, 900)}
OWNER = "owner@browser.test"
HOST = "host@browser.test"


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


@dataclass
class Studio:
    run: SystemRun
    base_url: str
    password: str
    account_id: str
    session_id: int
    host_id: str


def add_person(run: SystemRun, email: str, role: str, password: str, host_id: str | None = None) -> None:
    args = ["add-user", "--org", "browser", "--org-name", "Browser Test", "--email", email, "--role", role]
    args += ["--studio", run.scenario.studio_id] + (["--host-id", host_id] if host_id else [])
    subprocess.run(
        [sys.executable, "-m", "livestudio_gateway.identity.admin", *args],
        env={**os.environ, "GATEWAY_DATABASE_URL": run.stack.database_url, "LIVESTUDIO_PASSWORD": password},
        capture_output=True,
        check=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    frontend.build()
    scenario = Scenario(accounts=3, rostered=(0, 1, 2))
    with SystemRun(scenario, tmp_path_factory.mktemp("stack")) as run:
        run.seed()
        schedule = run.sim.ground_truth(scenario.sim_end, first=scenario.day, last=scenario.day, items=False)
        assert run.roster is not None
        rostered = [s for s in schedule.sessions if s.session_id in run.roster.host_of_session]
        first = min((s for s in rostered if s.start > scenario.sim_start), key=lambda s: s.start)
        run.sim.set_clock(speed=0.0, sim_now=first.start - timedelta(minutes=3))
        password = secrets.token_urlsafe(12)
        host_id = run.roster.host_of_session[first.session_id]
        add_person(run, OWNER, "owner", password)
        add_person(run, HOST, "host", password, host_id)
        run.wait_polled()
        yield Studio(
            run=run,
            base_url=run.stack.url("gateway"),
            password=password,
            account_id=run.account_ids()[first.account_index],
            session_id=first.session_id,
            host_id=host_id,
        )


@pytest.fixture(scope="module")
def browser(studio: Studio) -> Iterator[Browser]:
    """After the stack: Playwright's sync API keeps an event loop running in this thread (the seeding needs none)."""
    executable = ensure_chromium()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)


def sign_in(browser: Browser, studio: Studio, email: str) -> Page:
    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(studio.base_url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(studio.password)
    page.get_by_role("button", name="Sign in").click()
    return page


def test_a_wrong_password_keeps_what_was_typed(browser: Browser, studio: Studio) -> None:
    page = browser.new_context(locale="id-ID").new_page()
    page.goto(studio.base_url + "/sessions/x/1")  # a client route: the gateway answers the page
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()  # Indonesian from the browser's language
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Kata sandi").fill("not-the-password")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("alert")).to_contain_text("salah")
    expect(page.get_by_label("Email")).to_have_value(OWNER)
    screenshot(page, "signin-error")
    page.context.close()


def test_the_owner_watches_a_session_go_live_and_its_gmv_rise_without_reload(browser: Browser, studio: Studio) -> None:
    page = sign_in(browser, studio, OWNER)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible()
    cards = page.locator("article[data-account]")
    expect(cards).to_have_count(3)
    card = page.locator(f'article[data-account="{studio.account_id}"]')
    expect(card.locator(".pill")).to_have_text("Off air")
    expect(page.get_by_test_id("feed")).to_have_text("Live updates on")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    screenshot(page, "home-before-live")

    studio.run.sim.set_clock(speed=60.0)  # three simulated minutes pass in three seconds
    try:
        expect(card.locator(".pill")).to_have_text("On air", timeout=60_000)
        gmv = card.get_by_test_id("gmv")
        expect(gmv).to_have_text(re.compile(r"^Rp\s\d{1,3}(\.\d{3})*$"), timeout=60_000)  # Rp 1.234.567
        first = gmv.inner_text()
        page.wait_for_function(
            "([sel, before]) => { const el = document.querySelector(sel); return el && el.textContent !== before; }",
            arg=[f'article[data-account="{studio.account_id}"] [data-testid="gmv"]', first],
            timeout=90_000,
        )
    finally:
        studio.run.sim.set_clock(speed=0.0)
    assert page.evaluate("window.__sameDocument") is True
    expect(card.locator("[data-freshness]")).to_have_attribute("data-freshness", "fresh")
    screenshot(page, "home-live")

    card.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/sessions/{studio.account_id}/{studio.session_id}$"))
    expect(page.get_by_role("heading", name="Per minute")).to_be_visible()
    expect(page.get_by_role("heading", name="Product ranking")).to_be_visible()
    screenshot(page, "session")
    page.context.close()


def test_a_host_sees_only_their_own_sessions(browser: Browser, studio: Studio) -> None:
    assert studio.run.roster is not None
    theirs = {sid for sid, host in studio.run.roster.host_of_session.items() if host == studio.host_id}
    page = sign_in(browser, studio, HOST)
    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    cards = page.locator("article[data-session]")
    # the host's sessions appear once the commission has attributed the session that went on air in the previous
    # test; the page reloads every 10 s, and with a second test worker beside the stack that can take a while
    expect(cards.first).to_be_visible(timeout=90_000)
    shown = {int(s) for s in cards.evaluate_all("els => els.map(e => e.dataset.session)")}
    assert shown, "the host sees no session"
    assert shown <= theirs, f"sessions of other hosts shown: {shown - theirs}"
    assert page.locator("text=Live now").count() == 0
    screenshot(page, "host-home")
    page.context.close()


def test_an_ended_sign_in_leads_back_to_sign_in_and_then_to_the_same_page(browser: Browser, studio: Studio) -> None:
    page = sign_in(browser, studio, HOST)
    link = page.locator("article[data-session] a").first
    expect(link).to_be_visible(timeout=30_000)
    target = link.get_attribute("href")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "ls_csrf")
    ended = page.request.post(f"{studio.base_url}/api/v1/auth/signout", headers={"X-CSRF-Token": csrf})
    assert ended.ok, ended.text()
    page.wait_for_timeout(2500)  # the gateway re-checks a token against the database at most every 2 s
    link.click()
    expect(page.get_by_role("alert")).to_contain_text("Your sign-in has expired")
    assert page.url.endswith(str(target))  # still the page that was asked for
    page.get_by_label("Email").fill(HOST)
    page.get_by_label("Password").fill(studio.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Per minute")).to_be_visible()
    screenshot(page, "host-session-after-sign-in-again")
    page.context.close()
