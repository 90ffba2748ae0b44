"""Pay, a host's own pages and the mailed identity links in a real Chromium against the real stack.

One small stack for the module (`tests.system.harness.SystemRun`: 3 simulated accounts, the clock frozen): studio A
(the scenario's) owns accounts 0 and 2 with the scenario's roster and rules plus an hourly rule; a second studio B
owns account 1 with its own host, schedule and hourly rule. The simulator starts at 10:00 local: the 05:16 session
of account 0 is backfilled, then the clock runs 45 simulated minutes so that sessions of both studios are on air;
the commission computes `calculated` statements from that (statements follow the data; approve, pay and void are
commands). The gateway mails through a local SMTP sink (invitations, password resets).

Each test saves phone (360x780) and desktop (1366x900) screenshots under `.livestudio/screenshots/` as `pay-*`.
"""

from __future__ import annotations

import asyncio
import csv
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from livestudio_devinfra import frontend
from livestudio_devinfra.demo import publish_commands
from livestudio_devinfra.mailsink import MailSink
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import (
    AccountConnect,
    AnyCommand,
    HostUpsert,
    PayRuleUpsert,
    ScheduleEntryUpsert,
    StudioUpsert,
)
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.gateway_client import GatewayClient, mint_token
from tests.system.harness import SystemRun, wait_for
from tests.system.scenario import TIMEZONE, Scenario, plan_roster, setup_commands

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@pay.test"
MANAGER = "manager@pay.test"
HOST = "host@pay.test"
FORGETFUL = "forgetful@pay.test"
STUDIO_B = "other-studio"
HOST_B = "host-bayu"
MONTH = "2025-06"


@dataclass
class PayStack:
    run: SystemRun
    admin: GatewayClient
    """Sees every studio (the checks that the data the pages must not show does exist)."""
    sink: MailSink
    base_url: str
    password: str
    host_id: str
    """The host of the backfilled morning session on account 0, scheduled on account 0 now (real time)."""
    other_host_id: str
    """The host of account 0's 10:28 session (its statement is voided)."""
    scheduled_account: str
    unscheduled_account: str
    b_account: str
    b_session: int


def publish(bootstrap: str, admin: GatewayClient, cmds: Sequence[AnyCommand], timeout: float = 120.0) -> None:
    """Publish commands on the commands topic and wait until their owners applied every one."""
    pending = set(asyncio.run(publish_commands(bootstrap, list(cmds))))

    def applied() -> bool:
        for command_id in sorted(pending):
            status = admin.command_status(command_id)
            if status is None or status.get("status") == "pending":
                continue
            assert status.get("status") == "applied", f"command {command_id} was not applied: {status}"
            pending.discard(command_id)
        return not pending

    wait_for(f"{len(pending)} commands applied", applied, timeout)


def statements(admin: GatewayClient, studio_id: str) -> list[dict[str, Any]]:
    return admin.statements(studio_id, date(2025, 6, 1), date(2025, 6, 30))


def statement_of(admin: GatewayClient, studio_id: str, host_id: str) -> dict[str, Any] | None:
    found = [s for s in statements(admin, studio_id) if s["host_id"] == host_id and s["status"] != "void"]
    return found[0] if found else None


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PayStack]:
    frontend.build()
    scenario = Scenario(accounts=3, rostered=(0, 2), start_local=clock_time(10, 0))
    with MailSink(port=0) as sink:
        env = {"gateway": {"GATEWAY_SMTP_HOST": "127.0.0.1", "GATEWAY_SMTP_PORT": str(sink.port)}}
        with SystemRun(scenario, tmp_path_factory.mktemp("stack"), env=env) as run:
            admin = GatewayClient(run.stack.url("gateway"), mint_token(run.jwt_secret, studios=None))
            try:
                yield seed(run, admin, sink, scenario)
            finally:
                admin.close()


def seed(run: SystemRun, admin: GatewayClient, sink: MailSink, scenario: Scenario) -> PayStack:
    bootstrap = run.stack.kafka_bootstrap
    cipher = CookieCipher([run.credentials_key])
    ids = run.account_ids()
    a_accounts = [a for a in run.accounts if a.index in scenario.rostered]
    b_account = next(a for a in run.accounts if a.index == 1)
    since = scenario.day - timedelta(days=40)
    first, second = setup_commands(scenario, a_accounts, cipher)
    first.append(StudioUpsert(studio_id=STUDIO_B, name="Other Studio", timezone=TIMEZONE))
    # placed orders pay at once (confirmed ones settle half a simulated hour later): per account in studio A, the
    # more specific rule wins over the scenario's studio rule. (No `per_hour` rule: its base in hours has four
    # decimals, which the StatementChanged event refuses, and the statement worker then stops for every host.)
    second += [
        *(
            PayRuleUpsert(
                rule_id=f"pay-placed-{a.index}",
                account_id=a.account_id,
                rule_kind="per_order",
                basis="placed",
                amount=Decimal(900),
                effective_from=since,
            )
            for a in a_accounts
        ),
        HostUpsert(host_id=HOST_B, studio_id=STUDIO_B, name="Bayu"),
        PayRuleUpsert(
            rule_id="pay-placed-b",
            studio_id=STUDIO_B,
            rule_kind="per_order",
            basis="placed",
            amount=Decimal(1000),
            effective_from=since,
        ),
        AccountConnect(
            account_id=b_account.account_id,
            studio_id=STUDIO_B,
            display_name=f"{b_account.user_name} (studio B)",
            encrypted_cookie=cipher.encrypt(b_account.cookie),
        ),
    ]
    publish(bootstrap, admin, first)
    publish(bootstrap, admin, second)

    day = scenario.day
    truth = run.sim.ground_truth(scenario.sim_end, first=day, last=day, items=False)
    run.roster = plan_roster(scenario, truth.sessions)
    morning = min((s for s in truth.sessions if s.account_index == 0), key=lambda s: s.start)
    later = min(
        (s for s in truth.sessions if s.account_index == 0 and s.start > scenario.sim_start), key=lambda s: s.start
    )
    b_session = min((s for s in truth.sessions if s.account_index == 1), key=lambda s: s.start)
    host_id = run.roster.host_of_session[morning.session_id]
    other_host_id = run.roster.host_of_session[later.session_id]
    assert host_id != other_host_id
    now = datetime.now(UTC)
    entries: list[AnyCommand] = [*run.roster.entries]
    entries.append(
        ScheduleEntryUpsert(
            entry_id="b-whole-day",
            studio_id=STUDIO_B,
            host_id=HOST_B,
            account_id=b_account.account_id,
            starts_at=scenario.sim_start - timedelta(days=2),
            ends_at=scenario.sim_end + timedelta(days=1),
        )
    )
    entries.append(  # the host's shift now (real time): check-in goes by the server's clock
        ScheduleEntryUpsert(
            entry_id="host-now",
            studio_id=scenario.studio_id,
            host_id=host_id,
            account_id=ids[0],
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
        )
    )
    publish(bootstrap, admin, entries)

    password = secrets.token_urlsafe(12)
    add_person(run, OWNER, "owner", password)
    add_person(run, MANAGER, "manager", password)
    add_person(run, HOST, "host", password, host_id)
    add_person(run, FORGETFUL, "manager", password)

    # 45 simulated minutes: account 0 (studio A) and account 1 (studio B) go on air
    run.sim.set_clock(speed=120.0)
    wait_for(
        "sessions of both studios on air", lambda: run.sim.clock().sim_now >= later.start + timedelta(minutes=15), 120
    )
    run.sim.freeze()

    def ready() -> bool:
        mine, other, b = (
            statement_of(admin, scenario.studio_id, host_id),
            statement_of(admin, scenario.studio_id, other_host_id),
            statement_of(admin, STUDIO_B, HOST_B),
        )
        return all(s is not None and s["total"] is not None and Decimal(s["total"]) > 0 for s in (mine, other, b)) and (
            admin.session(b_account.account_id, b_session.session_id) is not None
        )

    try:
        wait_for("statements of both studios", ready, 180)
    except TimeoutError:
        shown = {
            sid: [(x["host_id"], x["status"], x["total"]) for x in statements(admin, sid)]
            for sid in (scenario.studio_id, STUDIO_B)
        }
        sessions = [(x["account_id"], x["session_id"], x["on_air"]) for x in admin.sessions()]
        hosts = (host_id, other_host_id, HOST_B)
        raise AssertionError(f"statements {shown}; sessions {sessions}; hosts {hosts}") from None
    return PayStack(
        run=run,
        admin=admin,
        sink=sink,
        base_url=run.stack.url("gateway"),
        password=password,
        host_id=host_id,
        other_host_id=other_host_id,
        scheduled_account=ids[0],
        unscheduled_account=ids[2],
        b_account=b_account.account_id,
        b_session=b_session.session_id,
    )


@pytest.fixture(scope="module")
def browser(stack: PayStack) -> Iterator[Browser]:
    # sign-in hashes a password and every write waits for its owner: slow on a loaded 2-core machine
    expect.set_options(timeout=20_000)
    try:
        with launch() as chromium:
            yield chromium
    finally:
        expect.set_options(timeout=5_000)  # Playwright's default, for the other modules in this worker


def open_pay(browser: Browser, stack: PayStack, email: str) -> Page:
    page = sign_in(browser, stack.base_url, email, stack.password)
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    page.get_by_role("link", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", name="Pay", exact=True)).to_be_visible()
    page.get_by_label("Month").fill(MONTH)
    return page


def row(page: Page, statement_id: str) -> Locator:
    return page.locator(f'tr[data-statement="{statement_id}"]')


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def wait_mail(sink: MailSink, address: str, count: int = 1, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = sink.to(address)
        if len(mails) >= count:
            return mails[count - 1].body
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address}")


def mailed_link(body: str, base_url: str) -> str:
    """The mail's link, on this stack's gateway (mails name the configured public URL)."""
    found = re.search(r"https?://\S+#token=[A-Za-z0-9_-]+", body)
    assert found, body
    parts = urlsplit(found.group(0))
    return f"{base_url}{parts.path}#{parts.fragment}"


def test_the_owner_approves_and_pays_a_statement_and_downloads_its_csv(browser: Browser, stack: PayStack) -> None:
    studio_a = stack.run.scenario.studio_id
    before = statement_of(stack.admin, studio_a, stack.host_id)
    assert before is not None and before["status"] == "calculated"
    sid = before["statement_id"]
    page = open_pay(browser, stack, OWNER)
    target = row(page, sid)
    expect(target).to_be_visible()
    expect(target.locator(".pill")).to_have_text("Calculated")
    target.get_by_role("button").click()
    detail = page.locator(f'section[data-statement="{sid}"]')
    expect(detail.get_by_role("heading")).to_be_focused()
    screenshot(page, "pay-owner-lines")

    detail.get_by_role("button", name="Approve").click()
    expect(detail.get_by_role("group")).to_contain_text("Approve the statement")
    screenshot(page, "pay-owner-confirm-approve")
    detail.get_by_role("button", name="Confirm").click()
    expect(detail.get_by_test_id("outcome")).to_have_text("Approved.", timeout=30_000)
    expect(detail.get_by_test_id("statement-status")).to_have_text("Approved")
    expect(target.locator(".pill")).to_have_text("Approved")

    approved = stack.admin.statement(sid)
    assert approved is not None and approved["statement"]["status"] == "approved"
    total = Decimal(approved["statement"]["total"])
    assert digits(detail.get_by_test_id("statement-total").inner_text()) == str(int(total))  # Rp, whole rupiah
    shown_lines = detail.locator("tr[data-line]")
    expect(shown_lines).to_have_count(len(approved["lines"]))

    with page.expect_download() as info:
        detail.get_by_role("button", name="Download lines (CSV)").click()
    lines = read_csv(Path(info.value.path()))
    assert info.value.suggested_filename.endswith(".csv")
    assert {r["line_id"]: Decimal(r["amount"]) for r in lines} == {
        ln["line_id"]: Decimal(ln["amount"]) for ln in approved["lines"]
    }
    assert sum(Decimal(r["amount"]) for r in lines) == total

    detail.get_by_role("button", name="Mark paid").click()
    expect(detail.get_by_role("group")).to_contain_text("cannot be undone")
    detail.get_by_role("button", name="Confirm").click()
    expect(detail.get_by_test_id("outcome")).to_have_text("Marked paid.", timeout=30_000)
    expect(detail.get_by_test_id("statement-status")).to_have_text("Paid")
    expect(detail.get_by_role("button", name="Void")).to_have_count(0)  # paid is final
    screenshot(page, "pay-owner-paid")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    listed = {r["statement_id"]: r for r in read_csv(Path(info.value.path()))}
    assert listed[sid]["status"] == "paid"
    assert Decimal(listed[sid]["total"]) == total
    assert {s["statement_id"] for s in statements(stack.admin, studio_a)} == set(listed)
    page.context.close()


def test_voiding_a_statement_asks_for_confirmation_and_a_reason(browser: Browser, stack: PayStack) -> None:
    studio_a = stack.run.scenario.studio_id
    before = statement_of(stack.admin, studio_a, stack.other_host_id)
    assert before is not None and before["status"] == "calculated"
    sid = before["statement_id"]
    page = open_pay(browser, stack, MANAGER)  # managers settle pay too
    row(page, sid).get_by_role("button").click()
    detail = page.locator(f'section[data-statement="{sid}"]')
    detail.get_by_role("button", name="Void").click()
    confirm = detail.get_by_role("group")
    expect(confirm).to_contain_text("Void the statement")
    expect(confirm.get_by_label("Reason")).to_be_focused()
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    page.wait_for_timeout(500)
    again = stack.admin.statement(sid)
    assert again is not None and again["statement"]["status"] == "calculated"  # nothing happened

    detail.get_by_role("button", name="Void").click()
    detail.get_by_label("Reason").fill("wrong host on the roster")
    screenshot(page, "pay-void-confirm")
    detail.get_by_role("button", name="Confirm").click()
    expect(detail.get_by_test_id("outcome")).to_have_text(re.compile("^Voided"), timeout=30_000)
    expect(detail.get_by_test_id("statement-status")).to_have_text("Void")
    voided = stack.admin.statement(sid)
    assert voided is not None and voided["statement"]["status"] == "void"
    page.context.close()


def test_a_host_sees_only_their_own_pay_and_cannot_open_the_pay_page(browser: Browser, stack: PayStack) -> None:
    everyone = statements(stack.admin, stack.run.scenario.studio_id)
    theirs = {s["statement_id"] for s in everyone if s["host_id"] == stack.host_id}
    assert theirs and len(theirs) < len(everyone)  # others have statements the host must not see
    page = sign_in(browser, stack.base_url, HOST, stack.password)
    page.get_by_role("link", name="My pay").click()
    expect(page.get_by_role("heading", name="My pay")).to_be_visible()
    # the statements' month filter (My pay also shows the host's monthly target, which has its own month input)
    page.get_by_label("Month", exact=True).and_(page.locator("#f-month")).fill(MONTH)
    rows = page.locator("tr[data-statement]")
    expect(rows.first).to_be_visible()
    shown = set(rows.evaluate_all("els => els.map(e => e.dataset.statement)"))
    assert shown == theirs
    rows.first.get_by_role("button").click()
    detail = page.locator("section[data-statement]")
    expect(detail.locator("tr[data-line]").first).to_be_visible()
    for action in ("Approve", "Mark paid", "Void"):
        expect(detail.get_by_role("button", name=action)).to_have_count(0)
    screenshot(page, "pay-host-own")

    page.goto(stack.base_url + "/pay")
    expect(page.get_by_text("This page does not exist.")).to_be_visible()
    assert page.get_by_role("link", name="Pay", exact=True).count() == 0
    page.context.close()


def test_a_manager_sees_nothing_of_another_studio(browser: Browser, stack: PayStack) -> None:
    b_statement = statement_of(stack.admin, STUDIO_B, HOST_B)
    assert b_statement is not None  # studio B has pay, accounts and sessions of its own
    assert stack.admin.session(stack.b_account, stack.b_session) is not None
    page = sign_in(browser, stack.base_url, MANAGER, stack.password)
    cards = page.locator("article[data-account]")
    expect(cards).to_have_count(2)
    accounts = set(cards.evaluate_all("els => els.map(e => e.dataset.account)"))
    assert stack.b_account not in accounts

    page.get_by_role("link", name="Pay", exact=True).click()
    rows = page.locator("tr[data-statement]")
    expect(rows.first).to_be_visible()
    shown = rows.evaluate_all("els => els.map(e => e.dataset.statement)")
    assert b_statement["statement_id"] not in shown
    assert not [s for s in shown if s.startswith(f"{HOST_B}:")]
    assert page.get_by_label("Studio").count() == 0  # one studio: no studio filter

    page.goto(f"{stack.base_url}/sessions/{stack.b_account}/{stack.b_session}")
    expect(page.get_by_text("This page does not exist.")).to_be_visible()
    screenshot(page, "pay-manager-other-studio-session")
    page.context.close()


def test_a_host_checks_in_where_scheduled_and_is_refused_elsewhere(browser: Browser, stack: PayStack) -> None:
    page = sign_in(browser, stack.base_url, HOST, stack.password)
    page.get_by_role("link", name="Check-in").click()
    expect(page.get_by_role("heading", name="Check-in")).to_be_visible()
    account = page.get_by_label("Account")
    account.fill(stack.unscheduled_account)
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("outcome")).to_have_text(
        f"You are not scheduled on {stack.unscheduled_account} now, so the check-in was refused."
    )
    screenshot(page, "pay-check-in-refused")

    account.fill(stack.scheduled_account)
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("outcome")).to_have_text(
        re.compile(rf"^Checked in on {re.escape(stack.scheduled_account)} at \d\d[:.]\d\d\.$"), timeout=30_000
    )
    screenshot(page, "pay-check-in")
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_test_id("outcome")).to_have_text(re.compile("^Checked out of"), timeout=30_000)
    page.context.close()


def test_accepting_a_mailed_invitation_leads_to_a_signed_in_dashboard(browser: Browser, stack: PayStack) -> None:
    invitee = "invitee@pay.test"
    with httpx.Client(base_url=stack.base_url, timeout=30) as http:
        signed = http.post("/api/v1/auth/signin", json={"email": OWNER, "password": stack.password})
        assert signed.status_code == 200, signed.text
        token = signed.json()["access_token"]
        invited = http.post(
            "/api/v1/org/invitations",
            json={"email": invitee, "role": "manager", "studios": [stack.run.scenario.studio_id]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert invited.status_code == 201, invited.text
    link = mailed_link(wait_mail(stack.sink, invitee), stack.base_url)
    assert "/accept-invitation#token=" in link

    page = browser.new_context(locale="en-GB").new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Join your studio")).to_be_visible()
    assert "token" not in page.url  # the one-time token leaves the address bar
    page.get_by_label("Your name (optional)").fill("Ina")
    chosen = secrets.token_urlsafe(12)
    page.get_by_label("New password").fill(chosen)
    page.get_by_label("Repeat the password").fill(chosen)
    screenshot(page, "pay-accept-invitation")
    page.get_by_role("button", name="Accept and sign in").click()
    expect(page.get_by_role("heading", name="Live now")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("link", name="Pay", exact=True)).to_be_visible()
    assert urlsplit(page.url).path == "/"

    page.goto(link)  # used once: the same link is refused
    page.get_by_label("New password").fill(chosen)
    page.get_by_label("Repeat the password").fill(chosen)
    page.get_by_role("button", name="Accept and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown, used, revoked or expired")
    page.context.close()


def test_a_forgotten_password_is_reset_from_the_mailed_link(browser: Browser, stack: PayStack) -> None:
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(stack.base_url + "/")
    page.get_by_role("button", name="Forgot your password?").click()
    page.get_by_label("Email").fill(FORGETFUL)
    page.get_by_role("button", name="Mail me a reset link").click()
    expect(page.get_by_role("status")).to_contain_text("a reset link is on its way")
    screenshot(page, "pay-forgot-password")
    link = mailed_link(wait_mail(stack.sink, FORGETFUL), stack.base_url)
    assert "/reset-password#token=" in link

    page.goto(link)
    chosen = secrets.token_urlsafe(12)
    page.get_by_label("New password").fill(chosen)
    page.get_by_label("Repeat the password").fill(chosen + "x")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_have_text("The two passwords differ.")
    page.get_by_label("Repeat the password").fill(chosen)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    screenshot(page, "pay-reset-password")
    page.get_by_role("link", name="Go to sign-in").click()
    page.get_by_label("Email").fill(FORGETFUL)
    page.get_by_label("Password").fill(chosen)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Live now")).to_be_visible()
    page.context.close()
