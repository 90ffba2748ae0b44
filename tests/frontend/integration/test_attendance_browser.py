"""Attendance on the Hosts page in a real Chromium against the real stack (issue #20).

One small stack for the module (1 simulator account, rostered, `tests.system.harness.SystemRun`): the scenario's
studio, hosts and roster on a day in the past, so every window has closed and the commission computes each
entry's attendance; one host checks in 12 minutes late. The owner sees the week's attendance (the late host late
by 12 minutes, the others absent), corrects an absence with a reason, and finds the correction after a reload.
Each test saves phone (360x780) and desktop (1366x900) screenshots under `.livestudio/screenshots/`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from livestudio_devinfra import frontend
from livestudio_schemas.commands import HostCheckIn
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.harness import SystemRun, wait_for
from tests.system.scenario import Scenario

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@attendance.test"


@dataclass
class Stack:
    run: SystemRun
    base_url: str
    password: str
    day: date
    late_entry: str
    absent_entry: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    frontend.build()
    scenario = Scenario(accounts=1, rostered=(0,))
    with SystemRun(scenario, tmp_path_factory.mktemp("stack")) as run:
        run.seed()
        params = {"studio_id": scenario.studio_id, "date_from": scenario.day, "date_to": scenario.day}
        wait_for(
            "the day's attendance",
            lambda: len(run.gateway.get("/attendance", params)["items"]) >= 2,
            timeout=120,
            interval=1.0,
        )
        records = run.gateway.get("/attendance", params)["items"]
        late = records[0]
        late_start = datetime.fromisoformat(late["starts_at"])
        # an entry the late check-in cannot reach (another host, or far enough from it)
        far = timedelta(hours=3)
        absent = next(
            r
            for r in records[1:]
            if r["host_id"] != late["host_id"] or datetime.fromisoformat(r["starts_at"]) - late_start > far
        )
        run.publish(
            [
                HostCheckIn(
                    host_id=late["host_id"],
                    account_id=late["account_id"],
                    at=late_start + timedelta(minutes=12),
                )
            ]
        )
        wait_for(
            "the late check-in in the attendance",
            lambda: any(r["status"] == "late" for r in run.gateway.get("/attendance", params)["items"]),
            timeout=60,
            interval=0.5,
        )
        password = secrets.token_urlsafe(12)
        add_person(run, OWNER, "owner", password)
        yield Stack(
            run=run,
            base_url=run.stack.url("gateway"),
            password=password,
            day=scenario.day,
            late_entry=late["entry_id"],
            absent_entry=absent["entry_id"],
        )


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    with launch() as chromium:
        yield chromium


def _open(browser: Browser, stack: Stack) -> Page:
    page = sign_in(browser, stack.base_url, OWNER, stack.password)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible()
    page.goto(f"{stack.base_url}/hosts?week={stack.day.isoformat()}")
    expect(page.get_by_role("heading", name="Attendance")).to_be_visible()
    return page


def test_the_owner_sees_and_corrects_attendance(browser: Browser, stack: Stack) -> None:
    page = _open(browser, stack)
    card = page.get_by_test_id("attendance")
    late = card.locator(f'tr[data-entry="{stack.late_entry}"]')
    expect(late).to_contain_text("Late", timeout=30_000)
    expect(late.locator("td.num").first).to_have_text("12")
    absent = card.locator(f'tr[data-entry="{stack.absent_entry}"]')
    expect(absent).to_contain_text("Absent")
    expect(absent.locator("td.num").first).to_have_text("—")  # unknown, never 0
    screenshot(page, "attendance-week")
    absent.get_by_role("button").click()
    form = card.locator("form.attendance-form")
    expect(form).to_be_visible()
    form.get_by_label("Status").select_option("late")
    form.get_by_label("Minutes late").fill("5")
    form.get_by_role("button", name="Save correction").click()  # no reason: the form is not sent
    expect(form.get_by_label("Reason (required)")).to_be_focused()
    form.get_by_label("Reason (required)").fill("checked in on the paper list")
    screenshot(page, "attendance-correct")
    form.get_by_role("button", name="Save correction").click()
    expect(card.get_by_role("status")).to_have_text("Correction saved.", timeout=30_000)
    expect(absent).to_contain_text("checked in on the paper list", timeout=30_000)
    page.reload()
    absent = page.get_by_test_id("attendance").locator(f'tr[data-entry="{stack.absent_entry}"]')
    expect(absent).to_contain_text("Late", timeout=30_000)
    expect(absent).to_contain_text("Corrected (computed: Absent): checked in on the paper list")
    screenshot(page, "attendance-corrected")
    page.context.close()
