"""Analytics, today against yesterday and the session's hosts in a real Chromium against the real stack.

One small stack for the module (`tests.system.harness.SystemRun`: 3 rostered accounts), its clock frozen half an
hour into the first rostered session that starts after noon of the scenario's day, so that the ingest has read the
earlier sessions of that day and of the week before (its history re-read), and one session is on air with its host
rostered. The owner picks the seeded week with the range picker, sees the API's figures, types in an account's ad
spend for a day and sees its ROAS become confirmed GMV / spend on the page; the presets change the range and the
URL keeps it over a reload. The home page compares today with yesterday at the same local time and names the host
on air (the simulated world's "now" is the simulator's clock: the test pins the home page's reads to it); the
session page splits the GMV between the hosts and says whether the figures still settle. Screenshots at 360 px and
1366 px under `.livestudio/screenshots/`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from livestudio_devinfra import frontend
from livestudio_schemas.commands import ScheduleEntryUpsert
from tests.frontend.browser import add_person, launch, screenshot, sign_in
from tests.system.gateway_client import GatewayError
from tests.system.harness import SystemRun, wait_for
from tests.system.scenario import HOSTS, TZ, Scenario

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

OWNER = "owner@analytics.test"
SPEND = Decimal(15_000_000)


@dataclass
class Studio:
    run: SystemRun
    base_url: str
    password: str
    day: date
    now: datetime
    live_account: str
    live_session: int
    live_host: str
    cohost: str


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    frontend.build()
    scenario = Scenario(accounts=3, rostered=(0, 1, 2))
    with SystemRun(scenario, tmp_path_factory.mktemp("stack")) as run:
        run.seed()
        schedule = run.sim.ground_truth(scenario.sim_end, first=scenario.day, last=scenario.day, items=False)
        assert run.roster is not None
        noon = datetime.combine(scenario.day, time(12), TZ)
        rostered = [s for s in schedule.sessions if s.session_id in run.roster.host_of_session]
        live = min((s for s in rostered if s.start > noon), key=lambda s: s.start)
        now = live.start + timedelta(minutes=30)
        live_account = run.account_ids()[live.account_index]
        live_host = run.roster.host_of_session[live.session_id]
        cohost = next(h for h in HOSTS if h != live_host)
        # a co-host joins ten minutes in: the session's GMV splits between two hosts
        run.publish(
            [
                ScheduleEntryUpsert(
                    entry_id="cohost",
                    studio_id=scenario.studio_id,
                    host_id=cohost,
                    account_id=live_account,
                    starts_at=live.start + timedelta(minutes=10),
                    ends_at=live.start + timedelta(hours=2),
                )
            ]
        )
        run.sim.set_clock(speed=0.0, sim_now=now)
        password = secrets.token_urlsafe(12)
        add_person(run, OWNER, "owner", password)
        run.wait_polled()

        def read_the_day() -> bool:  # the live session and earlier ones of the day and the day before
            body = run.gateway.get("/analytics/daily", params=_range(scenario.day - timedelta(days=1), scenario.day))
            days = [d for d in body["days"] if d["figures"]["placed_sales"] is not None]
            accounts = run.gateway.get("/accounts", params={"limit": 10})["items"]
            on_air = {a["account_id"]: a["on_air_session_id"] for a in accounts}
            return len(days) == 2 and on_air.get(live_account) == live.session_id

        wait_for("the day, the day before and the live session read", read_the_day, 120)
        yield Studio(
            run=run,
            base_url=run.stack.url("gateway"),
            password=password,
            day=scenario.day,
            now=now,
            live_account=live_account,
            live_session=live.session_id,
            live_host=live_host,
            cohost=cohost,
        )


@pytest.fixture(scope="module")
def browser(studio: Studio) -> Iterator[Browser]:
    with launch() as chromium:
        yield chromium


def _range(first: date, last: date) -> dict[str, str]:
    return {"date_from": first.isoformat(), "date_to": last.isoformat()}


def _rp(value: str | Decimal | None) -> str:
    """IDR as the page shows it (id-ID: `Rp 1.234.567`, whole rupiah)."""
    assert value is not None
    whole = int(Decimal(value).quantize(Decimal(1), ROUND_HALF_EVEN))
    return "Rp\u00a0" + f"{whole:,}".replace(",", ".")


WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > innerWidth + 1 && !el.parentElement.closest('.table-scroll, nav'))
  .slice(0, 8).map((el) => `${el.tagName}.${el.className}: ${Math.round(el.getBoundingClientRect().right)}`)"""


def _shoot(page: Page, name: str) -> None:
    """Screenshots at both widths; at 360 px nothing may widen the page beyond the screen (tables scroll)."""
    screenshot(page, name)
    page.set_viewport_size({"width": 360, "height": 780})
    page.wait_for_timeout(150)
    wide = page.evaluate(WIDER_THAN_SCREEN)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{name} is wider than a phone: {wide}"
    page.set_viewport_size({"width": 1366, "height": 900})


def test_the_owner_reads_the_week_enters_ad_spend_and_sees_roas(browser: Browser, studio: Studio) -> None:
    gw = studio.run.gateway
    first, last = studio.day - timedelta(days=6), studio.day
    page = sign_in(browser, studio.base_url, OWNER, studio.password)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
    expect(page.get_by_role("button", name="7 days")).to_have_attribute("aria-pressed", "true")

    # the range picker: the seeded week (the simulated days lie in the past)
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To", exact=True).fill(last.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-range]")).to_have_attribute("data-range", f"{first}/{last}")
    assert f"from={first}" in page.url and f"to={last}" in page.url

    summary = gw.get("/analytics/summary", params=_range(first, last))
    cur = summary["current"]["figures"]
    assert cur["placed_sales"] is not None and Decimal(cur["placed_sales"]) > 0
    expect(page.locator('[data-figure="placed_sales"] dd').first).to_have_text(_rp(cur["placed_sales"]))
    expect(page.locator('[data-figure="confirmed_sales"] dd').first).to_have_text(_rp(cur["confirmed_sales"]))
    expect(page.locator('[data-figure="roas"] dd').first).to_have_text(re.compile("^—"))  # no ad spend: unknown
    expect(page.get_by_test_id("roas-note")).to_contain_text("No ad spend")
    daily = gw.get("/analytics/daily", params=_range(first, last))["days"]
    page.get_by_text("Per day as a table").click()
    for d in daily:
        row = page.locator(f'[data-testid="daily-table"] tr[data-day="{d["day"]}"]')
        expect(row.locator("td").nth(1)).to_have_text(_rp(d["figures"]["placed_sales"]))

    # ad spend for the best-selling account on the scenario's day
    breakdown = gw.get("/analytics/accounts", params=_range(first, last))["items"]
    best = breakdown[0]
    account = best["account_id"]
    row = page.locator(f'tr[data-account="{account}"]')
    expect(row.get_by_test_id("roas")).to_have_text(re.compile("^—"))
    row.get_by_role("button", name="Ad spend…").click()
    form = page.locator("form.spend")
    form.get_by_label("Day").fill(studio.day.isoformat())
    form.get_by_label("Amount (IDR)").fill("15.000.000")  # typed the Indonesian way: grouping dots are dropped
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("status")).to_have_text("Saved: the figures are reloaded.", timeout=30_000)

    after = next(
        a for a in gw.get("/analytics/accounts", params=_range(first, last))["items"] if a["account_id"] == account
    )
    confirmed = Decimal(after["figures"]["confirmed_sales"])
    assert Decimal(after["figures"]["ad_spend"]) == SPEND
    roas = (confirmed / SPEND).quantize(Decimal("0.000001"), ROUND_HALF_EVEN)
    assert Decimal(after["figures"]["roas"]) == roas  # ROAS = confirmed GMV / spend
    shown = f"{(confirmed / SPEND).quantize(Decimal('0.01'), ROUND_HALF_EVEN):,.2f}"
    expect(row.get_by_test_id("spend")).to_have_text(_rp(SPEND))
    expect(row.get_by_test_id("roas")).to_have_text(shown)
    expect(page.get_by_test_id("roas-note")).to_have_count(0)  # the range now has a ROAS
    _shoot(page, "analytics")

    # presets change the range; the URL keeps it over a reload
    page.get_by_role("button", name="30 days").click()
    expect(page.get_by_role("button", name="30 days")).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(re.compile(r"[?&]range=30d"))
    expect(page.locator("[data-range]")).not_to_have_attribute("data-range", f"{first}/{last}")
    page.reload()
    expect(page.get_by_role("button", name="30 days")).to_have_attribute("aria-pressed", "true")
    page.goto(f"{studio.base_url}/analytics?{urlencode({'from': first.isoformat(), 'to': last.isoformat()})}")
    expect(page.locator("[data-range]")).to_have_attribute("data-range", f"{first}/{last}")
    expect(row.get_by_test_id("roas")).to_have_text(shown)
    page.context.close()


def _pin_to_the_simulated_now(page: Page, now: datetime) -> None:
    """The home page compares as of the server's now; in this world "now" is the simulator's clock."""

    def at_sim_now(route: Route) -> None:
        url = httpx.URL(route.request.url)
        route.continue_(url=str(url.copy_set_param("at", now.isoformat())))

    page.route(re.compile(r"/api/v1/(analytics/today|hosts/on-air)"), at_sim_now)


def test_home_compares_today_with_yesterday_and_names_the_host_on_air(browser: Browser, studio: Studio) -> None:
    gw = studio.run.gateway
    page = sign_in(browser, studio.base_url, OWNER, studio.password)
    _pin_to_the_simulated_now(page, studio.now)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible(timeout=30_000)
    today = gw.get("/analytics/today", params={"at": studio.now.isoformat()})["items"][0]
    assert today["today"]["day"] == studio.day.isoformat()
    assert today["today"]["sessions"] > 0 and today["yesterday"]["sessions"] > 0
    card = page.locator("section.today")
    expect(card.get_by_test_id("today-gmv")).to_have_text(_rp(today["today"]["placed_sales"]))
    expect(card.get_by_test_id("yesterday-gmv")).to_have_text(_rp(today["yesterday"]["placed_sales"]))
    expect(card.get_by_test_id("today-orders")).to_have_text(f"{today['today']['placed_orders']:,} orders")
    local = studio.now.astimezone(TZ).strftime("%H:%M")
    expect(card).to_contain_text(f"Today until {local}")
    expect(card).to_contain_text(f"Yesterday until {local}")

    hosts = gw.get("/hosts/on-air", params={"at": studio.now.isoformat()})["items"]
    on_air = [h for h in hosts if h["account_id"] == studio.live_account]
    assert [h["host_id"] for h in on_air] == [studio.live_host, studio.cohost]
    live_card = page.locator(f'article[data-account="{studio.live_account}"]')
    expect(live_card.locator(".pill")).to_have_text("On air")
    expect(live_card.get_by_test_id("hosts")).to_have_text(f"Hosting: {on_air[0]['name']}, {on_air[1]['name']}")
    _shoot(page, "home-today")
    page.context.close()


def test_the_session_splits_its_gmv_between_hosts_and_says_what_still_settles(browser: Browser, studio: Studio) -> None:
    gw = studio.run.gateway
    page = sign_in(browser, studio.base_url, OWNER, studio.password)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible(timeout=30_000)

    def attributed() -> bool:
        try:
            detail = gw.get(f"/sessions/{studio.live_account}/{studio.live_session}")
        except GatewayError as exc:
            if ": 404 " in str(exc):
                return False  # the analytics consumer has not applied the session yet
            raise
        shared = {h["host_id"] for h in detail["hosts"] if h["placed_sales"]}
        return {studio.live_host, studio.cohost} <= shared

    # the commission attributes as it consumes the session's events; on the shared 2-core machine under load that
    # took from seconds to over a minute
    wait_for("the live session attributed to its two hosts", attributed, 180)
    detail = gw.get(f"/sessions/{studio.live_account}/{studio.live_session}")
    page.goto(f"{studio.base_url}/sessions/{studio.live_account}/{studio.live_session}")
    expect(page.get_by_role("heading", name="Hosts' shares")).to_be_visible()
    total = sum(Decimal(h["placed_sales"] or 0) for h in detail["hosts"])
    for h in detail["hosts"]:
        share = Decimal(h["placed_sales"] or 0) / total * 100
        row = page.locator(f'tr[data-host="{h["host_id"] or ""}"]')
        expect(row.get_by_test_id("share")).to_have_text(
            f"{share.quantize(Decimal('0.1'), ROUND_HALF_UP).normalize():f}%"
        )
    expect(page.get_by_test_id("placed-state")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("confirmed-state")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("placed-gmv")).to_have_text(_rp(detail["metrics"]["placed_sales"]))
    _shoot(page, "session-hosts")

    # the per-minute chart: drawn once it scrolls into view (below the fold on a phone), then given each reload's
    # data rather than drawn again
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    expect(page.get_by_role("heading", name="Hosts' shares")).to_be_visible()
    chart = page.locator(".chart")
    expect(chart).to_have_count(1)
    page.wait_for_timeout(1500)  # time enough for uPlot's chunk to load and draw, were it not waiting
    expect(chart.locator("canvas")).to_have_count(0)
    chart.scroll_into_view_if_needed()
    expect(chart.locator("canvas")).to_have_count(1)
    chart.locator("canvas").evaluate("canvas => { canvas.dataset.drawn = 'first' }")
    detail_url = f"/sessions/{studio.live_account}/{studio.live_session}"
    with page.expect_response(lambda r: r.url.endswith(detail_url), timeout=30_000):
        pass  # the page reloads the session every 15 s
    page.wait_for_timeout(500)
    expect(chart.locator("canvas")).to_have_attribute("data-drawn", "first")
    page.set_viewport_size({"width": 1366, "height": 900})

    # an ended session of the week before: placed final, confirmed final (the simulated days are long past)
    ended = gw.get("/sessions", params={"on_air": "false", "limit": 1})["items"][0]
    page.goto(f"{studio.base_url}/sessions/{ended['account_id']}/{ended['session_id']}")
    expect(page.get_by_test_id("placed-state")).to_have_text("Final")
    expect(page.get_by_test_id("confirmed-state")).to_have_attribute("data-state", "final")
    page.context.close()


def test_analytics_in_indonesian_fits_a_phone(browser: Browser, studio: Studio) -> None:
    first, last = studio.day - timedelta(days=6), studio.day
    page = sign_in(browser, studio.base_url, OWNER, studio.password)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible(timeout=30_000)
    page.get_by_label("Language").select_option("id")  # kept for the next page load
    expect(page.get_by_role("heading", name="Live sekarang")).to_be_visible()
    page.goto(f"{studio.base_url}/analytics?{urlencode({'from': first.isoformat(), 'to': last.isoformat()})}")
    expect(page.get_by_role("heading", name="Analitik")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="30 hari")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("heading", name="Per akun")).to_be_visible()
    _shoot(page, "analytics-id")
    page.context.close()


def _rp_up(value: str) -> str:
    """Like `_rp`, rounding half up as Intl does (income has up to 5 decimal places)."""
    whole = int(Decimal(value).quantize(Decimal(1), ROUND_HALF_UP))
    return "Rp\u00a0" + f"{whole:,}".replace(",", ".")


def test_profit_shows_the_commission_income_the_api_reports(browser: Browser, studio: Studio) -> None:
    """Issue #21 on the dashboard: the week's affiliate income, ad spend, host pay and contribution, per account and
    per host, as the profit API reports them; its CSV downloads."""
    gw = studio.run.gateway
    first, last = studio.day - timedelta(days=6), studio.day
    week = _range(first, last)
    wait_for(
        "affiliate income for the seeded week",
        lambda: Decimal(gw.get("/profit/summary", params=week)["profit"]["income"]["estimated"]) > 0,
        timeout=180,
    )
    page = sign_in(browser, studio.base_url, OWNER, studio.password)
    expect(page.get_by_role("heading", name="Live now")).to_be_visible(timeout=30_000)
    page.goto(f"{studio.base_url}/analytics?{urlencode({'from': first.isoformat(), 'to': last.isoformat()})}")
    section = page.get_by_test_id("profit")
    expect(section.get_by_role("heading", name="Profit", exact=True)).to_be_visible(timeout=30_000)
    profit = gw.get("/profit/summary", params=week)["profit"]
    expect(section.get_by_test_id("profit-income")).to_have_text(_rp_up(profit["income"]["estimated"]))
    expect(section.get_by_test_id("profit-contribution")).to_have_text(_rp_up(profit["contribution_estimated"]))
    accounts = gw.get("/profit/accounts", params=week)["items"]
    hosts = gw.get("/profit/hosts", params=week)["items"]
    tables = section.locator("table")
    expect(tables.nth(0).locator("tbody tr")).to_have_count(len(accounts))
    expect(tables.nth(1).locator("tbody tr")).to_have_count(len(hosts))
    with page.expect_download() as started:
        section.get_by_role("button", name="CSV per account").click()
    body = Path(started.value.path()).read_text()
    assert len(body.strip().splitlines()) == len(accounts) + 1, body[:500]  # a header and a row per account
    _shoot(page, "analytics-profit")
    page.context.close()
