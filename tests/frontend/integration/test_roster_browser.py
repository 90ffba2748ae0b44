"""The Hosts and roster page in a real Chromium against the real stack (issue #19 on the read-back of #20).

One small stack for the module (2 simulator accounts, both rostered, `tests.system.harness.SystemRun`): the
scenario's studio, hosts, shifts and roster, a check-in and check-out of the host of the day's first rostered
session, and about an hour and a half of that session played so that the commission has attributed something to
rank. The owner sees the leaderboard and the week's calendar with the seeded entries and the check-in, creates
an entry and moves it to another time and account, and finds both after a reload; a refused write shows why.
Each test saves phone (360x780) and desktop (1366x900) screenshots under `.livestudio/screenshots/`.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from livestudio_devinfra import frontend
from livestudio_schemas.commands import HostCheckIn, HostCheckOut
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.harness import SystemRun, wait_for
from tests.system.scenario import TZ, Scenario

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@roster.test"


@dataclass
class Roster:
    run: SystemRun
    base_url: str
    password: str
    day: date
    host_id: str
    account_id: str
    entry_id: str
    check_in: str  # "HH:MM" local
    accounts: list[str]


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roster]:
    frontend.build()
    scenario = Scenario(accounts=2, rostered=(0, 1))
    with SystemRun(scenario, tmp_path_factory.mktemp("stack")) as run:
        run.seed()
        assert run.roster is not None
        truth = run.sim.ground_truth(scenario.sim_end, first=scenario.day, last=scenario.day, items=False)
        rostered = [s for s in truth.sessions if s.session_id in run.roster.host_of_session]
        first = min((s for s in rostered if s.start > scenario.sim_start), key=lambda s: s.start)
        host_id = run.roster.host_of_session[first.session_id]
        account_id = run.account_ids()[first.account_index]
        entry = next(
            e
            for e in run.roster.entries
            if e.host_id == host_id and e.account_id == account_id and e.shift_id is not None
        )
        checked_in = first.start + timedelta(minutes=4)
        run.publish(
            [
                HostCheckIn(host_id=host_id, account_id=account_id, at=checked_in),
                HostCheckOut(host_id=host_id, account_id=account_id, at=first.start + timedelta(minutes=80)),
            ]
        )
        # play the start of the session so that the commission has something to rank
        run.sim.set_clock(speed=0.0, sim_now=first.start - timedelta(minutes=1))
        run.sim.set_clock(speed=720.0)
        time.sleep(8)
        run.sim.set_clock(speed=0.0)
        monday = scenario.day - timedelta(days=scenario.day.weekday())
        params = {"studio_id": scenario.studio_id, "date_from": monday, "date_to": monday + timedelta(days=6)}
        wait_for(
            "a host on the leaderboard",
            lambda: bool(run.gateway.get("/hosts/leaderboard", params)["items"]),
            timeout=120,
            interval=1.0,
        )
        password = secrets.token_urlsafe(12)
        add_person(run, OWNER, "owner", password)
        yield Roster(
            run=run,
            base_url=run.stack.url("gateway"),
            password=password,
            day=scenario.day,
            host_id=host_id,
            account_id=account_id,
            entry_id=entry.entry_id,
            check_in=checked_in.astimezone(TZ).strftime("%H:%M"),
            accounts=sorted(run.account_ids().values()),
        )


@pytest.fixture(scope="module")
def browser(roster: Roster) -> Iterator[Browser]:
    with launch() as chromium:
        yield chromium


def _open(browser: Browser, roster: Roster) -> Page:
    page = sign_in(browser, roster.base_url, OWNER, roster.password)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible()
    page.goto(f"{roster.base_url}/hosts?week={roster.day.isoformat()}")
    expect(page.get_by_role("heading", name="Hosts and roster")).to_be_visible()
    return page


def test_the_owner_sees_the_leaderboard_and_the_week_with_check_ins(browser: Browser, roster: Roster) -> None:
    page = _open(browser, roster)
    board = page.get_by_test_id("leaderboard")
    expect(board.locator("tbody tr").first).to_be_visible(timeout=30_000)
    expect(board.locator("tbody tr").first.locator("td").nth(1)).to_have_text(re.compile(r"^(Rp\s\d|—)"))
    week = page.get_by_test_id("week")
    expect(week).to_be_visible(timeout=30_000)
    expect(week).to_have_attribute("data-week", (roster.day - timedelta(days=roster.day.weekday())).isoformat())
    day = week.locator(f'[data-day="{roster.day.isoformat()}"]')
    expect(day.locator("li[data-entry]")).to_have_count(8)  # 2 accounts x 4 shifts (the late window is D+1's)
    entry = day.locator(f'li[data-entry="{roster.entry_id}"]')
    expect(entry.get_by_test_id("checks")).to_contain_text(f"in {roster.check_in}")
    expect(entry.get_by_test_id("checks")).to_contain_text("out ")
    # per-host performance of the leader, by day
    board.locator("tbody tr").first.get_by_role("button").click()
    expect(page.get_by_test_id("host-performance").locator("tbody tr")).to_have_count(1)
    screenshot(page, "roster-week")
    # week navigation keeps the week in the URL
    page.get_by_role("button", name="Next week").click()
    expect(page).to_have_url(re.compile(r"week=" + (roster.day + timedelta(days=7 - roster.day.weekday())).isoformat()))
    expect(page.get_by_test_id("week").locator("li[data-entry]")).to_have_count(0)
    page.context.close()


def test_the_owner_creates_and_moves_an_entry_which_survive_a_reload(browser: Browser, roster: Roster) -> None:
    page = _open(browser, roster)
    next_day = (roster.day + timedelta(days=1)).isoformat()
    form = page.locator("section.entry-form")
    expect(page.get_by_test_id("week")).to_be_visible(timeout=30_000)
    expect(form.get_by_label("Account").locator("option")).to_have_count(3, timeout=30_000)
    form.get_by_label("Host").select_option(roster.host_id)
    form.get_by_label("Account").select_option(roster.accounts[0])
    form.get_by_label("Day", exact=True).fill(next_day)
    form.get_by_label("Start", exact=True).fill("11:00")
    form.get_by_label("End", exact=True).fill("13:00")
    form.get_by_role("button", name="Create entry").click()
    expect(form.get_by_role("status")).to_have_text("Saved.", timeout=30_000)
    day = page.get_by_test_id("week").locator(f'[data-day="{next_day}"]')
    created = day.locator("li[data-entry]").filter(has_text="11:00\u201313:00")
    expect(created).to_have_count(1)
    entry_id = created.get_attribute("data-entry")
    assert entry_id and entry_id.startswith("e-")

    # move it: another time and the other account
    created.get_by_role("button").click()
    expect(form.get_by_role("heading", name="Move entry")).to_be_visible()
    expect(form.get_by_label("Start", exact=True)).to_have_value("11:00")
    form.get_by_label("Account").select_option(roster.accounts[1])
    form.get_by_label("Start", exact=True).fill("14:00")
    form.get_by_label("End", exact=True).fill("16:30")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("status")).to_have_text("Saved.", timeout=30_000)
    moved = day.locator(f'li[data-entry="{entry_id}"]')
    expect(moved).to_contain_text("14:00\u201316:30")
    screenshot(page, "roster-moved")

    page.reload()
    moved = page.get_by_test_id("week").locator(f'[data-day="{next_day}"] li[data-entry="{entry_id}"]')
    expect(moved).to_contain_text("14:00\u201316:30")
    listed = roster.run.gateway.get("/schedule", {"studio_id": roster.run.scenario.studio_id, "week": next_day})
    mine = [e for e in listed["items"] if e["entry_id"] == entry_id]
    assert [(e["account_id"], e["local_day"]) for e in mine] == [(roster.accounts[1], next_day)]
    page.context.close()


def test_a_refused_entry_says_why(browser: Browser, roster: Roster) -> None:
    page = _open(browser, roster)
    form = page.locator("section.entry-form")
    expect(page.get_by_test_id("week")).to_be_visible(timeout=30_000)
    expect(form.get_by_label("Account").locator("option")).to_have_count(3, timeout=30_000)
    form.get_by_label("Host").select_option(roster.host_id)
    form.get_by_label("Account").select_option(roster.accounts[0])
    form.get_by_label("Day", exact=True).fill("1999-12-31")  # before the days the API accepts
    form.get_by_role("button", name="Create entry").click()
    refusal = form.get_by_test_id("refusal")
    expect(refusal).to_contain_text("Not saved:")
    expect(refusal).to_contain_text("starts_at")
    expect(form.get_by_label("Day", exact=True)).to_have_value("1999-12-31")  # what was typed stays
    screenshot(page, "roster-refused")
    page.context.close()
