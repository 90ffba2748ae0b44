"""The accounts and alerts pages in a real Chromium (Debian's `chromium`, driven by Playwright) against the real stack.

One small stack for the module (`tests.system.harness.SystemRun`: own PostgreSQL and broker, the simulator with 3
accounts and a frozen clock, the services including alerts and its local webhook receiver). Only simulator accounts
0 and 1 are connected up front; account 2 is what the owner connects by QR code. The simulator answers a QR code's
status polls NEW, SCANNED, CONFIRMED on its own; the test pins the code at NEW (admin API `/__sim/qr`) as soon as
the ingest asked for it, sees the code on the page, then confirms it. An expired cookie is the simulator's
`expired_accounts` fault. The alerts service's clock is real while the ingest's follows the simulator's (a day in
2025), so the notification age limit is lifted for this run. The daily summary is set to 00:00 studio time, which
has always passed, so the service sends yesterday's summary in its next evaluation round (every 2 s here).

Each test saves a phone (360x780) and a desktop (1366x900) screenshot under `.livestudio/screenshots/`.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from livestudio_devinfra import frontend
from livestudio_runtime.secrets import CookieCipher
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.harness import KAFKA_TIMING, SystemRun, wait_for
from tests.system.scenario import Scenario, setup_commands

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@accounts.test"
QR_INDEX = 2  # the simulator account connected by QR code in the test
EXPIRING_INDEX = 1  # the simulator account whose cookie expires


@dataclass
class Stack:
    run: SystemRun
    base_url: str
    password: str

    def sim(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, self.run.stack.url("simulator") + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    frontend.build()
    scenario = Scenario(accounts=3, rostered=())
    alerts_env = {f"ALERTS_{k}": v for k, v in KAFKA_TIMING.items()}
    alerts_env["ALERTS_NOTIFY_MAX_AGE_S"] = str(20 * 365 * 86400)  # the ingest's events carry simulated (2025) times
    alerts_env["ALERTS_EVALUATE_INTERVAL_S"] = "2"  # the daily summary goes out seconds after it is set
    with SystemRun(scenario, tmp_path_factory.mktemp("stack"), env={"alerts": alerts_env}) as run:
        cipher = CookieCipher([run.credentials_key])
        connected = [a for a in run.accounts if a.index != QR_INDEX]
        for phase in setup_commands(scenario, connected, cipher):
            run.publish(phase)
        password = secrets.token_urlsafe(12)
        add_person(run, OWNER, "owner", password)
        run.wait_polled([a.account_id for a in connected])
        yield Stack(run=run, base_url=run.stack.url("gateway"), password=password)


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    with launch() as chromium:
        yield chromium


def open_page(browser: Browser, stack: Stack, path: str, heading: str) -> Page:
    page = sign_in(browser, stack.base_url, OWNER, stack.password)
    # signing in hashes the password: seconds when the shared machine is busy
    expect(page.get_by_role("heading", name="Live now")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name=heading, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible(timeout=30_000)
    return page


def pin_new_qr_code(stack: Stack, since: int, timeout: float = 60.0) -> str:
    """The id of the QR code the ingest polls, held at NEW so that the test decides when it is confirmed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = stack.sim("GET", f"/__sim/requests?since={since}&endpoint=qrcode_status")
        for row in rows:
            found = parse_qs(row["query"]).get("qrcode_id")
            if found:
                stack.sim("POST", "/__sim/qr", {"qrcode_id": found[0], "status": "NEW"})
                return str(found[0])
        time.sleep(0.05)
    raise TimeoutError("the ingest never polled a QR code's status")


def test_the_owner_connects_an_account_by_qr_code(browser: Browser, stack: Stack) -> None:
    page = open_page(browser, stack, "/accounts", "Accounts")
    cards = page.locator("article[data-account]")
    expect(cards).to_have_count(2)
    expect(cards.first.get_by_test_id("state")).to_have_text("Polling")
    stack.sim("POST", "/__sim/qr", {"account": QR_INDEX})  # the next code logs into simulator account 2
    since = int(stack.sim("GET", "/__sim/requests?limit=1")[-1]["seq"])

    page.get_by_role("button", name="Connect by QR code").click()
    panel = page.get_by_test_id("connect-panel")
    expect(panel.get_by_role("radio", name="Scan a QR code with the Shopee app")).to_be_checked()
    panel.get_by_label("Account name (shown in Live Studio)").fill("QR Shop")
    panel.get_by_role("button", name="Show the QR code").click()
    qrcode_id = pin_new_qr_code(stack, since)

    code = panel.get_by_role("img", name="QR code to scan with the Shopee app")
    expect(code).to_be_visible(timeout=30_000)
    assert (code.get_attribute("src") or "").startswith("data:image/png;base64,")
    # NEW, or SCANNED when the simulator's second poll came before the pin (a busy machine)
    expect(panel.get_by_role("status")).to_have_text(re.compile(r"^(Open the Shopee app|Scanned\. Confirm)"))
    screenshot(page, "accounts-qr")

    stack.sim("POST", "/__sim/qr", {"qrcode_id": qrcode_id, "status": "CONFIRMED"})
    expect(panel.get_by_role("status")).to_have_text("Signed in. The account is connected.", timeout=60_000)
    expect(code).to_have_count(0)
    card = page.locator("article[data-account]", has_text="QR Shop")
    expect(card).to_be_visible(timeout=30_000)
    expect(cards).to_have_count(3)
    expect(card.get_by_test_id("state")).to_have_text("Polling", timeout=60_000)
    expect(card.get_by_test_id("last-poll")).not_to_have_text("never")
    expect(card.locator("[data-freshness]")).to_have_attribute("data-freshness", "fresh")
    screenshot(page, "accounts-qr-connected")

    card.get_by_role("button", name="Pause polling QR Shop").click()
    expect(card.get_by_test_id("state")).to_have_text("Paused", timeout=30_000)
    expect(card.locator("[data-freshness]")).to_have_attribute("data-freshness", "not-polling")
    card.get_by_role("button", name="Resume polling QR Shop").click()
    expect(card.get_by_test_id("state")).to_have_text(re.compile("^Polling"), timeout=30_000)
    page.context.close()


def test_the_owner_adds_a_webhook_channel_and_a_rule(browser: Browser, stack: Stack) -> None:
    page = open_page(browser, stack, "/alerts", "Alerts")
    expect(page.get_by_text("No channels yet.").first).to_be_visible()
    secret = "whsec-" + secrets.token_hex(8)

    channels = page.get_by_role("region", name="Channels")
    channels.get_by_role("button", name="Add a channel").click()
    channels.get_by_label("Name").fill("Ops webhook")
    expect(channels.get_by_label("Type")).to_have_value("webhook")
    channels.get_by_label("Webhook URL").fill(stack.run.stack.url("sinks") + "/webhook")
    channels.get_by_label("Signing secret").fill(secret)
    channels.get_by_role("button", name="Save").click()
    row = channels.locator("li[data-channel]", has_text="Ops webhook")
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("Secret: stored")

    rules = page.get_by_role("region", name="Rules")
    rules.get_by_role("button", name="Add a rule").click()
    expect(rules.get_by_label("Type")).to_have_value("account_unhealthy")
    expect(rules.get_by_role("checkbox", name="Ops webhook")).to_be_checked()
    rules.get_by_label("Do not repeat within (minutes)").fill("30")
    rules.get_by_role("button", name="Save").click()
    rule = rules.locator("li[data-rule]")
    expect(rule).to_have_count(1, timeout=30_000)
    expect(rule).to_contain_text("Account sign-in expired or polling failing")
    expect(rule).to_contain_text("repeat after 30 min")
    expect(rule).to_contain_text("Send to: Ops webhook")

    page.reload()
    expect(page.locator("li[data-channel]", has_text="Ops webhook")).to_be_visible()
    expect(page.locator("li[data-rule]")).to_have_count(1)
    assert secret not in page.content()  # write-only: never shown back
    rule = page.locator("li[data-rule]")
    rule.get_by_role("button", name=re.compile("^Disable")).click()
    expect(rule.get_by_test_id("rule-enabled")).to_have_text("Disabled", timeout=30_000)
    rule.get_by_role("button", name=re.compile("^Enable")).click()
    expect(rule.get_by_test_id("rule-enabled")).to_have_text("Enabled", timeout=30_000)
    screenshot(page, "alerts-configured")
    page.context.close()


def test_an_expired_cookie_is_flagged_reconnected_and_notified(browser: Browser, stack: Stack) -> None:
    run = stack.run
    expiring = next(a for a in run.accounts if a.index == EXPIRING_INDEX)
    run.sim.faults(expired_accounts=[EXPIRING_INDEX])
    page = open_page(browser, stack, "/accounts", "Accounts")
    banner = page.get_by_test_id("expired-banner")
    try:
        expect(banner).to_be_visible(timeout=60_000)
        card = page.locator(f'article[data-account="{expiring.account_id}"]')
        expect(card.get_by_test_id("state")).to_have_text("Sign-in expired")
        screenshot(page, "accounts-expired")

        banner.get_by_role("button", name=re.compile("^Reconnect ")).click()
        panel = page.get_by_test_id("connect-panel")
        expect(panel.get_by_role("heading", name=re.compile("^Reconnect "))).to_be_focused()
        expect(panel.get_by_role("radio", name="Paste the browser cookie")).to_be_checked()
        screenshot(page, "accounts-reconnect")
    finally:
        run.sim.faults(expired_accounts=[])
    panel.get_by_label("Browser cookie", exact=True).fill(expiring.cookie)
    panel.get_by_role("button", name="Save the new cookie").click()
    expect(panel.get_by_role("status")).to_have_text("New sign-in saved. Polling resumes shortly.", timeout=30_000)
    expect(panel.get_by_label("Browser cookie", exact=True)).to_have_value("")  # the secret leaves the page once stored
    expect(banner).to_have_count(0, timeout=60_000)
    expect(card.get_by_test_id("state")).to_have_text(re.compile("^Polling"), timeout=60_000)
    assert expiring.cookie not in page.content()

    page.get_by_role("link", name="Alerts", exact=True).click()
    item = page.locator('li[data-kind="account_unhealthy"]').first
    expect(item).to_be_visible(timeout=60_000)  # the page reloads every 10 s
    expect(item.get_by_test_id("notification-status")).to_have_text("Sent to the channels")
    expect(item.locator("li[data-delivery]")).to_contain_text("Ops webhook")
    expect(item.locator('li[data-delivery="sent"]')).to_have_count(1, timeout=60_000)
    screenshot(page, "alerts-history")
    page.context.close()

    def received() -> bool:
        rows = httpx.get(run.stack.url("sinks") + "/received", timeout=10).json()
        return any(r["channel"] == "webhook" and r["detail"]["kind"] == "account_unhealthy" for r in rows)

    wait_for("the webhook received the notification", received, 30)


def test_the_owner_edits_a_channel_sets_the_summary_and_deletes_a_rule_after_confirming(
    browser: Browser, stack: Stack
) -> None:
    page = open_page(browser, stack, "/alerts", "Alerts")
    channels = page.get_by_role("region", name="Channels")
    channels.get_by_role("button", name="Edit Ops webhook").click()
    expect(channels.get_by_label("Signing secret")).to_have_value("")  # write-only
    expect(channels.get_by_text("A secret is stored and never shown.")).to_be_visible()
    channels.get_by_label("Name").fill("Ops hook")
    channels.get_by_role("button", name="Save").click()
    row = channels.locator("li[data-channel]")
    expect(row).to_contain_text("Ops hook", timeout=30_000)
    expect(row).to_contain_text("Secret: stored")  # an empty secret field kept the stored one

    summary = page.get_by_role("region", name="Daily summary")
    summary.get_by_label("Send a daily summary").check()
    summary.get_by_label("Send at (studio time)").fill("00:00")  # due at once: any time of day is past it
    summary.get_by_role("checkbox", name="Ops hook").check()
    summary.get_by_role("button", name="Save").click()
    expect(summary.get_by_role("status")).to_have_text("Saved.", timeout=30_000)

    rules = page.get_by_role("region", name="Rules")
    rules.get_by_role("button", name="Add a rule").click()
    rules.get_by_label("Type").select_option("data_stale")
    rules.get_by_label("After how many minutes").fill("10")
    rules.get_by_label("Quiet from").fill("22:00")
    rules.get_by_label("Quiet until").fill("06:00")
    rules.get_by_role("button", name="Save").click()
    stale = rules.locator("li[data-rule]", has_text="No fresh data from an account")
    expect(stale).to_contain_text("Quiet hours: 22:00\u201306:00", timeout=30_000)
    expect(stale).to_contain_text("after 10 min")
    screenshot(page, "alerts-two-rules")

    page.reload()
    summary = page.get_by_role("region", name="Daily summary")
    expect(summary.get_by_label("Send a daily summary")).to_be_checked()
    expect(summary.get_by_label("Send at (studio time)")).to_have_value("00:00")
    expect(summary.get_by_role("checkbox", name="Ops hook")).to_be_checked()
    # yesterday's summary goes out in the next evaluation round, and the page shows it (it reloads every 10 s)
    expect(summary.get_by_text(re.compile(r"^Last sent for \d{1,2} \w{3,4} \d{4}$"))).to_be_visible(timeout=90_000)
    expect(page.locator('li[data-kind="daily_summary"] li[data-delivery="sent"]')).to_contain_text(
        "Ops hook", timeout=30_000
    )

    stale = page.locator("li[data-rule]", has_text="No fresh data from an account")
    stale.get_by_role("button", name="Delete No fresh data from an account").click()
    expect(stale.get_by_role("group", name="Delete No fresh data from an account?")).to_be_visible()
    expect(page.locator("li[data-rule]")).to_have_count(2)  # nothing deleted before the confirmation
    stale.get_by_role("button", name="Confirm").click()
    expect(page.locator("li[data-rule]")).to_have_count(1, timeout=30_000)
    expect(page.locator("li[data-rule]")).to_contain_text("Account sign-in expired or polling failing")
    page.context.close()


def test_both_pages_speak_indonesian(browser: Browser, stack: Stack) -> None:
    page = open_page(browser, stack, "/accounts", "Accounts")
    page.get_by_label("Language").select_option("id")
    expect(page.get_by_role("heading", name="Akun", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Hubungkan dengan kode QR")).to_be_visible()
    expect(page.locator("article[data-account]").first.get_by_test_id("state")).to_have_text("Polling berjalan")
    page.get_by_role("button", name="Hubungkan dengan cookie").click()
    expect(page.get_by_label("Cookie browser", exact=True)).to_have_attribute("type", "password")
    screenshot(page, "accounts-id")
    page.get_by_role("link", name="Peringatan", exact=True).click()
    expect(page.get_by_role("heading", name="Kanal")).to_be_visible()
    expect(page.get_by_role("heading", name="Notifikasi terkirim")).to_be_visible()
    expect(page.locator("li[data-kind]").first).to_contain_text("Dikirim ke kanal")
    screenshot(page, "alerts-id")
    page.context.close()
