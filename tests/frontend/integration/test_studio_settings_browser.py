"""Studio settings on the Hosts page, and a host's own monthly target, in a real Chromium against the real stack
(issue #20).

One small stack for the module (1 simulator account, rostered, `tests.system.harness.SystemRun`). The owner changes
the attendance grace minutes and the attribution policy (confirming the policy change), adds a holiday, and the
API answers the new settings while the attendance intro shows the new grace; an unknown timezone is refused with
the API's problem detail. A host finds their own target of the month on their pay page, and not the studio's or
another host's. Screenshots at 360 px and 1366 px under `.livestudio/screenshots/` as `settings-*` and
`my-target-*`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from livestudio_devinfra import frontend
from livestudio_schemas.commands import TargetSet
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.harness import SystemRun
from tests.system.scenario import HOSTS, Scenario

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@settings.test"
HOST = "ayu@settings.test"
GRACE = "Attendance grace (minutes, 0\N{EN DASH}240)"


@dataclass
class Stack:
    run: SystemRun
    base_url: str
    password: str
    studio_id: str
    week: str
    month: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    frontend.build()
    scenario = Scenario(accounts=1, rostered=(0,))
    with SystemRun(scenario, tmp_path_factory.mktemp("stack")) as run:
        run.seed()
        password = secrets.token_urlsafe(12)
        add_person(run, OWNER, "owner", password)
        add_person(run, HOST, "host", password, HOSTS[0])
        month = scenario.day.strftime("%Y-%m")
        run.publish(
            [
                TargetSet(studio_id=scenario.studio_id, month=month, scope="host", scope_id=h, amount=Decimal(amount))
                for h, amount in ((HOSTS[0], "2000000"), (HOSTS[1], "3500000"))
            ]
            + [
                TargetSet(
                    studio_id=scenario.studio_id,
                    month=month,
                    scope="studio",
                    scope_id=scenario.studio_id,
                    amount=Decimal("90000000"),
                )
            ]
        )
        yield Stack(
            run=run,
            base_url=run.stack.url("gateway"),
            password=password,
            studio_id=scenario.studio_id,
            week=scenario.day.isoformat(),
            month=month,
        )


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    expect.set_options(timeout=20_000)  # writes wait for their owner: slow on a loaded 2-core machine
    try:
        with launch() as chromium:
            yield chromium
    finally:
        expect.set_options(timeout=15_000)


def _studio(stack: Stack) -> dict[str, Any]:
    studio: dict[str, Any] = stack.run.gateway.get(f"/studios/{stack.studio_id}")
    return studio


def _open_hosts(browser: Browser, stack: Stack, email: str) -> Page:
    page = sign_in(browser, stack.base_url, email, stack.password)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible()
    page.goto(f"{stack.base_url}/hosts?week={stack.week}")
    expect(page.get_by_role("heading", name="Attendance")).to_be_visible()
    return page


def test_the_owner_changes_grace_and_policy(browser: Browser, stack: Stack) -> None:
    before = _studio(stack)
    assert (before["attendance_grace_minutes"], before["attribution_policy"]) == (5, "schedule")
    page = _open_hosts(browser, stack, OWNER)
    attendance = page.get_by_test_id("attendance")
    expect(attendance).to_contain_text("(5 min grace)")
    form = page.get_by_test_id("studio-settings")
    expect(form.get_by_label("Timezone (IANA name, e.g. Asia/Jakarta)")).to_have_value("Asia/Jakarta")
    expect(form.get_by_label("Schedule")).to_be_checked()
    screenshot(page, "settings-before")

    form.get_by_label(GRACE).fill("12")
    form.get_by_label("Check-in required").check()
    form.get_by_label("Holiday to add").fill("2025-08-17")
    form.get_by_role("button", name="Add holiday").click()
    expect(form.locator('li[data-day="2025-08-17"]')).to_be_visible()
    form.get_by_role("button", name="Save settings").click()
    confirm = form.get_by_role("alertdialog")
    expect(confirm).to_contain_text("from now on")
    screenshot(page, "settings-confirm")
    confirm.get_by_role("button", name="Yes, change it").click()
    expect(form.get_by_role("status")).to_have_text("Settings saved.", timeout=30_000)
    after = _studio(stack)
    assert after["attendance_grace_minutes"] == 12
    assert after["attribution_policy"] == "check_in_required"
    assert "2025-08-17" in after["holidays"]
    assert (after["timezone"], after["name"], after["currency"]) == (
        before["timezone"],
        before["name"],
        before["currency"],
    )
    expect(attendance).to_contain_text("(12 min grace)")
    screenshot(page, "settings-saved")

    page.reload()
    form = page.get_by_test_id("studio-settings")
    expect(form.get_by_label(GRACE)).to_have_value("12")
    expect(form.get_by_label("Check-in required")).to_be_checked()
    expect(page.get_by_test_id("attendance")).to_contain_text("(12 min grace)")
    page.context.close()


def test_an_unknown_timezone_is_refused_with_the_api_reason(browser: Browser, stack: Stack) -> None:
    page = _open_hosts(browser, stack, OWNER)
    form = page.get_by_test_id("studio-settings")
    form.get_by_label("Timezone (IANA name, e.g. Asia/Jakarta)").fill("Mars/Olympus_Mons")
    form.get_by_role("button", name="Save settings").click()
    refusal = form.get_by_test_id("settings-refusal")
    expect(refusal).to_contain_text("Not saved:")
    expect(refusal).to_contain_text("Mars/Olympus_Mons")
    # what was typed stays, and nothing changed
    expect(form.get_by_label("Timezone (IANA name, e.g. Asia/Jakarta)")).to_have_value("Mars/Olympus_Mons")
    assert _studio(stack)["timezone"] == "Asia/Jakarta"
    screenshot(page, "settings-refused")
    page.context.close()


def test_a_host_sees_their_own_target_on_their_pay_page(browser: Browser, stack: Stack) -> None:
    page = sign_in(browser, stack.base_url, HOST, stack.password)
    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    expect(page.get_by_role("link", name="Hosts and roster")).to_have_count(0)  # no studio settings for hosts
    page.get_by_role("link", name="My pay").click()
    card = page.get_by_test_id("my-targets")
    expect(card.get_by_role("heading", name="My monthly target")).to_be_visible()
    card.get_by_label("Month").fill(stack.month)
    own = card.get_by_test_id(f"target-host-{HOSTS[0]}")
    expect(own).to_contain_text("Rp\N{NO-BREAK SPACE}2.000.000")
    expect(card.locator("li.target")).to_have_count(1)  # not the studio's, not another host's
    expect(card).not_to_contain_text("90.000.000")
    progress = own.get_by_role("progressbar")
    expect(progress).to_be_visible()
    screenshot(page, "my-target")
    page.goto(f"{stack.base_url}/hosts")  # not a host's page: the shell refuses it, no settings form
    expect(page.locator("main#main")).to_be_visible()
    expect(page.get_by_test_id("studio-settings")).to_have_count(0)
    page.context.close()
