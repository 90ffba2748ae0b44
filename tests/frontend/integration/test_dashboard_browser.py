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

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from livestudio_devinfra import frontend
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.harness import SystemRun
from tests.system.scenario import Scenario

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@browser.test"
HOST = "host@browser.test"


@dataclass
class Studio:
    run: SystemRun
    base_url: str
    password: str
    account_id: str
    session_id: int
    host_id: str


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    frontend.build()
    scenario = Scenario(accounts=3, rostered=(0, 1, 2))
    # no grace period for a refresh token used twice: two tabs must not send the same one (test_two_tabs_...)
    no_grace = {"gateway": {"GATEWAY_REFRESH_REUSE_GRACE_S": "0"}}
    with SystemRun(scenario, tmp_path_factory.mktemp("stack"), env=no_grace) as run:
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
    with launch() as chromium:
        yield chromium


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
    page = sign_in(browser, studio.base_url, OWNER, studio.password)
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
    page = sign_in(browser, studio.base_url, HOST, studio.password)
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


def test_two_tabs_loading_at_once_both_stay_signed_in(browser: Browser, studio: Studio) -> None:
    """Two tabs of one browser load together, and each renews its access token with the refresh cookie they share.
    One waits for the other (Web Locks), so the second sends the cookie the first received: the gateway of this
    stack allows no second use of a refresh token, and a replay would end the sign-in of both."""
    first = sign_in(browser, studio.base_url, OWNER, studio.password)
    expect(first.get_by_role("heading", name="Live now")).to_be_visible()
    second = first.context.new_page()
    for _ in range(3):
        for page in (first, second):  # both documents are in before either has booted (and renewed its token)
            with page.expect_navigation(wait_until="commit"):
                page.evaluate("url => { location.href = url }", studio.base_url + "/")
        for page in (first, second):
            expect(page.get_by_role("heading", name="Live now")).to_be_visible()
            expect(page.locator("article[data-account]")).to_have_count(3)
    first.context.close()


def test_an_ended_sign_in_leads_back_to_sign_in_and_then_to_the_same_page(browser: Browser, studio: Studio) -> None:
    page = sign_in(browser, studio.base_url, HOST, studio.password)
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


def test_a_form_typed_before_the_sign_in_ended_survives_signing_in_again(browser: Browser, studio: Studio) -> None:
    """The host types an account on the check-in page; meanwhile the sign-in ends (signed out elsewhere). Pressing
    "Check in" leads to the sign-in form; once the same person has signed in, the page is back with what was typed
    and the check-in that waited is sent and answered."""
    page = sign_in(browser, studio.base_url, HOST, studio.password)
    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    page.get_by_role("link", name="Check-in").click()
    # the page's own loads (today's schedule, the sessions) answer first: the schedule fills in the host's account
    # when it arrives (typing into the field at that moment appends to it), and one of them refused after the
    # sign-out would end the sign-in before the check-in does, which is not what this test is about
    page.wait_for_load_state("networkidle")
    field = page.get_by_label("Account", exact=True)
    field.fill("typed-before-expiry")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "ls_csrf")
    ended = page.request.post(f"{studio.base_url}/api/v1/auth/signout", headers={"X-CSRF-Token": csrf})
    assert ended.ok, ended.text()
    page.wait_for_timeout(2500)  # the gateway re-checks a token against the database at most every 2 s
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("alert")).to_contain_text("Your sign-in has expired")
    page.get_by_label("Email").fill(HOST)
    page.get_by_label("Password").fill(studio.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Account", exact=True)).to_have_value("typed-before-expiry")
    # the waiting check-in went out after the sign-in: refused, the host is not scheduled on that account
    expect(page.get_by_test_id("outcome")).to_contain_text("typed-before-expiry")
    screenshot(page, "host-check-in-after-sign-in-again")
    page.context.close()
