"""Hours of the day and shifts on the analytics page in a real Chromium against the real stack (issue #20).

One small stack for the module (`tests.system.harness.SystemRun`: 2 rostered accounts, the simulator's clock run to
15:30 of the scenario's day D and held): the ingest reads D's hours and the week before, so the hours have GMV,
and D's rostered sessions give their hosts hours. The owner opens the analytics page on the week ending on D,
scrolls to "Hours and shifts" and sees the API's figures per hour of the day, the weekday x hour heat table and the
shift scoreboard (sorted by confirmed GMV), then one host's hours through the host filter. Screenshots at 360 px
and 1366 px under `.livestudio/screenshots/` as `hours-*`; at 360 px nothing but the tables' own scrollers may be
wider than the screen.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from livestudio_devinfra import frontend
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.harness import SystemRun, wait_for
from tests.system.scenario import HOSTS, TZ, Scenario

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@hours.test"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # en-GB short names, ISO order


@dataclass
class Stack:
    run: SystemRun
    base_url: str
    password: str
    first: date
    last: date
    host: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    frontend.build()
    scenario = Scenario(accounts=2, rostered=(0, 1))
    with SystemRun(scenario, tmp_path_factory.mktemp("stack")) as run:
        run.seed()
        run.wait_polled()
        # the roster covers day D only: run the clock at the scenario's speed (5 s a simulated hour) to D 15:30
        # and hold it there, so that the morning's sessions are read hour by hour and attributed to their hosts
        # (the week before comes from the ingest's history read, at the start's hour)
        run.sim.set_clock(speed=scenario.speed)
        until = datetime.combine(scenario.day, time(15, 30), TZ)
        wait_for("the simulator at D 15:30", lambda: run.sim.clock().sim_now >= until, 120, interval=0.2)
        run.sim.freeze()
        password = secrets.token_urlsafe(12)
        add_person(run, OWNER, "owner", password)
        first, last = scenario.day - timedelta(days=6), scenario.day
        s = Stack(run=run, base_url=run.stack.url("gateway"), password=password, first=first, last=last, host="")

        def has_hours() -> bool:
            hours = _hours(s, "hour")
            sold = [b for b in hours if b["figures"]["confirmed_sales"] not in (None, "0", "0.00")]
            return len(sold) >= 4 and len(_hours(s, "shift")) >= 2

        try:
            wait_for("confirmed GMV per hour and per shift in the week", has_hours, 180)
        except TimeoutError as e:  # say what was there
            raise TimeoutError(f"{e}: hours {_hours(s, 'hour')}, shifts {_hours(s, 'shift')}") from None

        def a_host_has_hours() -> bool:
            for host in HOSTS:
                if any(b["figures"]["placed_sales"] is not None for b in _hours(s, "shift", host_id=host)):
                    s.host = host
                    return True
            return False

        wait_for("a host's hours on day D", a_host_has_hours, 120)
        yield s


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    with launch() as chromium:
        yield chromium


def _hours(stack: Stack, group: str, **more: str) -> list[dict[str, Any]]:
    query = {
        "studio_id": stack.run.scenario.studio_id,
        "date_from": stack.first.isoformat(),
        "date_to": stack.last.isoformat(),
        "group": group,
        **more,
    }
    buckets: list[dict[str, Any]] = stack.run.gateway.get("/analytics/hours", query)["buckets"]
    return buckets


def rupiah(value: str) -> str:
    """`Rp 1.234.567` the way the page writes an IDR amount (whole rupiah, half away from zero like Intl)."""
    whole = f"{Decimal(value).quantize(Decimal(1), ROUND_HALF_UP):,}".replace(",", ".")
    return f"Rp{chr(0xA0)}{whole}"


def _gmv(bucket: dict[str, Any]) -> Decimal:
    value = bucket["figures"]["confirmed_sales"]
    return Decimal(-1) if value is None else Decimal(value)


WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > innerWidth + 1 && !el.parentElement.closest('.table-scroll, nav'))
  .slice(0, 8).map((el) => `${el.tagName}.${el.className}: ${Math.round(el.getBoundingClientRect().right)}`)"""


def _shoot(page: Page, name: str) -> None:
    """Both widths, the section in view; at 360 px only the tables' scrollers may be wider than the screen."""
    page.get_by_test_id("hours").scroll_into_view_if_needed()
    screenshot(page, name)
    page.set_viewport_size({"width": 360, "height": 780})
    page.wait_for_timeout(150)
    wide = page.evaluate(WIDER_THAN_SCREEN)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{name} is wider than a phone: {wide}"
    page.get_by_test_id("hours").screenshot(
        path=str(frontend.REPOSITORY / ".livestudio" / "screenshots" / f"{name}-section-phone.png")
    )
    page.set_viewport_size({"width": 1366, "height": 900})


def test_the_owner_reads_hours_weekday_hours_and_shifts(browser: Browser, stack: Stack) -> None:
    page = sign_in(browser, stack.base_url, OWNER, stack.password)
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    page.goto(f"{stack.base_url}/analytics?from={stack.first.isoformat()}&to={stack.last.isoformat()}")
    section = page.get_by_test_id("hours")
    expect(section.get_by_role("heading", name="Hours and shifts")).to_be_visible(timeout=30_000)
    section.scroll_into_view_if_needed()

    # per hour of the day: all 24 hours, the API's confirmed GMV and GMV per hour; an hour without streams is "—"
    hours = {b["hour"]: b for b in _hours(stack, "hour")}
    table = section.get_by_test_id("hours-hour")
    expect(table.locator("tbody tr")).to_have_count(24)
    best = max(hours.values(), key=_gmv)
    row = table.locator(f'tr[data-hour="{best["hour"]}"]')
    expect(row.get_by_test_id("confirmed")).to_contain_text(rupiah(best["figures"]["confirmed_sales"]))
    expect(row.get_by_test_id("per-hour")).to_have_text(rupiah(best["figures"]["gmv_per_hour"]))
    quiet = next((h for h in range(24) if h not in hours), None)
    if quiet is not None:
        expect(table.locator(f'tr[data-hour="{quiet}"]').get_by_test_id("confirmed")).to_have_text("—")
    _shoot(page, "hours-hour")

    # weekday x hour: 7 x 24 cells, each with the API's value and its full amount in the title
    section.get_by_role("button", name="Weekday \u00d7 hour").click()
    expect(section.get_by_role("button", name="Weekday \u00d7 hour")).to_have_attribute("aria-pressed", "true")
    heat = section.get_by_test_id("hours-heat")
    expect(heat.locator("tbody td")).to_have_count(7 * 24)
    cells = _hours(stack, "weekday_hour")
    top = max(cells, key=_gmv)
    cell = heat.locator(f'tr[data-weekday="{top["weekday"]}"] td[data-hour="{top["hour"]}"]')
    expect(cell).to_have_attribute("data-value", top["figures"]["confirmed_sales"])
    expect(cell).to_have_attribute(
        "title", f"{WEEKDAYS[top['weekday'] - 1]} {top['hour']:02d}:00: {rupiah(top['figures']['confirmed_sales'])}"
    )
    expect(cell).to_have_class("heat-4")
    _shoot(page, "hours-weekday")
    # on a phone the table scrolls sideways inside its card and the weekday column stays in view
    page.set_viewport_size({"width": 360, "height": 780})
    scroller = section.locator(".heat-scroll")
    scroller.evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
    assert scroller.evaluate("(el) => el.scrollLeft") > 0, "the heat table fits a phone without scrolling?"
    box = scroller.bounding_box()
    for cell in (heat.locator("thead th").first, heat.locator('tr[data-weekday="1"] th')):
        at = cell.bounding_box()
        assert at is not None and box is not None and abs(at["x"] - box["x"]) < 2, "the weekday column scrolled away"
    section.screenshot(
        path=str(frontend.REPOSITORY / ".livestudio" / "screenshots" / "hours-weekday-scrolled-phone.png")
    )
    page.set_viewport_size({"width": 1366, "height": 900})

    # the shift scoreboard, by confirmed GMV
    section.get_by_role("button", name="Shifts").click()
    board = section.get_by_test_id("hours-shift")
    shifts = sorted(_hours(stack, "shift"), key=_gmv, reverse=True)
    expect(board.locator("tbody tr")).to_have_count(len(shifts))
    assert board.locator("tbody tr").evaluate_all("rows => rows.map((r) => r.dataset.shift)") == [
        s["shift_id"] for s in shifts
    ]
    expect(board.locator("tbody tr").first.get_by_test_id("confirmed")).to_contain_text(
        rupiah(shifts[0]["figures"]["confirmed_sales"])
    )
    _shoot(page, "hours-shift")

    # one host's shifts through the host filter
    host = stack.host
    section.get_by_label("Host").select_option(host)
    mine = sorted(_hours(stack, "shift", host_id=host), key=_gmv, reverse=True)
    expect(board.locator("tbody tr")).to_have_count(len(mine))
    first = board.locator("tbody tr").first
    expect(first).to_have_attribute("data-shift", mine[0]["shift_id"])
    confirmed = mine[0]["figures"]["confirmed_sales"]
    expect(first.get_by_test_id("confirmed")).to_contain_text(rupiah(confirmed) if confirmed is not None else "—")
    _shoot(page, "hours-host")
