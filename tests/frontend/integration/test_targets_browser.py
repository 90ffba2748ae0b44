"""Monthly GMV targets on the analytics page in a real Chromium against the real stack (issue #20).

One small stack for the module (`tests.system.harness.SystemRun`: 2 rostered accounts, the simulator's clock at the
scenario's start): the ingest reads the week before the scenario's day, so its month has confirmed GMV. The owner
picks that month, sets a studio target and a host target with the form, sees each one's progress (the API's
figure, in rupiah) with its pace, and removes one after confirming. Screenshots at 360 px and 1366 px under
`.livestudio/screenshots/` as `targets-*`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from livestudio_devinfra import frontend
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.harness import SystemRun, wait_for
from tests.system.scenario import HOSTS, Scenario

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@targets.test"


@dataclass
class Stack:
    run: SystemRun
    base_url: str
    password: str
    month: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    frontend.build()
    scenario = Scenario(accounts=2, rostered=(0, 1))
    with SystemRun(scenario, tmp_path_factory.mktemp("stack")) as run:
        run.seed()
        password = secrets.token_urlsafe(12)
        add_person(run, OWNER, "owner", password)
        month = scenario.day.strftime("%Y-%m")
        first = scenario.day.replace(day=1)

        def has_gmv() -> bool:
            rows = run.gateway.get(
                "/analytics/daily",
                {"studio_id": scenario.studio_id, "date_from": first.isoformat(), "date_to": scenario.day.isoformat()},
            )["days"]
            return any(r["figures"]["confirmed_sales"] not in (None, "0", "0.00") for r in rows)

        wait_for("confirmed GMV in the scenario's month", has_gmv, 180)
        yield Stack(run=run, base_url=run.stack.url("gateway"), password=password, month=month)


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    expect.set_options(timeout=20_000)  # writes wait for their owner: slow on a loaded 2-core machine
    try:
        with launch() as chromium:
            yield chromium
    finally:
        expect.set_options(timeout=5_000)


def _targets(stack: Stack) -> dict[tuple[str, str], dict[str, Any]]:
    body = stack.run.gateway.get("/targets", {"month": stack.month})
    return {(t["scope"], t["scope_id"]): t for t in body["items"]}


def rupiah(value: str) -> str:
    """`Rp 1.234.567` the way the page writes an IDR amount (whole rupiah, dots between thousands)."""
    whole = f"{Decimal(value).quantize(Decimal(1)):,}".replace(",", ".")
    return f"Rp{chr(0xA0)}{whole}"


def test_the_owner_sets_sees_and_removes_targets(browser: Browser, stack: Stack) -> None:
    page = sign_in(browser, stack.base_url, OWNER, stack.password)
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    page.get_by_role("link", name="Analytics").click()
    section = page.get_by_test_id("targets")
    expect(section.get_by_role("heading", name="Monthly targets")).to_be_visible()
    section.get_by_label("Month").fill(stack.month)
    expect(section.get_by_text("No targets for this month yet.")).to_be_visible()

    form = section.locator("form.target-form")
    form.get_by_label("Confirmed GMV (IDR)").fill("0")
    form.get_by_role("button", name="Save target").click()
    expect(form.get_by_role("alert")).to_contain_text("greater than 0")
    form.get_by_label("Confirmed GMV (IDR)").fill("150.000.000")  # typed the Indonesian way
    form.get_by_role("button", name="Save target").click()
    studio_row = section.get_by_test_id(f"target-studio-{stack.run.scenario.studio_id}")
    expect(studio_row).to_be_visible()

    host = HOSTS[0]
    form.get_by_label("Target of").select_option("host")
    form.get_by_label("Which").select_option(host)
    form.get_by_label("Confirmed GMV (IDR)").fill("5000000")
    form.get_by_role("button", name="Save target").click()
    host_row = section.get_by_test_id(f"target-host-{host}")
    expect(host_row).to_be_visible()

    shown = _targets(stack)
    studio = shown[("studio", stack.run.scenario.studio_id)]
    assert studio["progress"] is not None and studio["amount"] == "150000000"
    expect(studio_row).to_contain_text(rupiah(studio["progress"]))
    expect(studio_row).to_contain_text(rupiah("150000000"))
    expect(studio_row.get_by_role("progressbar")).to_be_visible()
    assert studio["pace"] is not None
    expect(studio_row.get_by_test_id("pace")).to_have_text(f"{Decimal(studio['pace']):,.2f}\u00d7")
    screenshot(page, "targets-set")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366

    page.set_viewport_size({"width": 360, "height": 780})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "wider than a phone"
    page.set_viewport_size({"width": 1366, "height": 900})

    page.once("dialog", lambda dialog: dialog.accept())
    host_row.get_by_role("button", name="Remove").click()
    expect(host_row).to_have_count(0)
    expect(section.get_by_role("status")).to_contain_text("Target removed.")
    assert ("host", host) not in _targets(stack)
    screenshot(page, "targets-removed")
