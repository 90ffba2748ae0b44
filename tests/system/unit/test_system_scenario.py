"""The scenario's roster plan and expectations, on the simulator's own schedule (no stack)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from livestudio_devinfra.demo import SimAccount
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import AccountConnect, ScheduleEntryUpsert, StudioUpsert
from shopee_client.simulator import SimulatorConfig
from shopee_client.simulator.core import Simulator
from shopee_client.simulator.ground_truth import SessionTruth
from tests.system.scenario import (
    HOSTS,
    TZ,
    RosterPlanError,
    Scenario,
    Totals,
    expected_hosts,
    expected_statement_total,
    plan_roster,
    setup_commands,
    windows,
)


def schedule(scenario: Scenario) -> list[SessionTruth]:
    sim = Simulator(
        SimulatorConfig(
            seed=scenario.seed,
            accounts=scenario.accounts,
            speed=0,
            start=scenario.sim_start,
            settle_delay=timedelta(hours=scenario.settle_hours),
        )
    )
    truth = sim.ground_truth(scenario.sim_end, from_date=scenario.day, to_date=scenario.day, include_items=False)
    return truth.sessions


def covering_windows(
    plan_entries: list[ScheduleEntryUpsert], account: str, scenario: Scenario
) -> list[tuple[datetime, datetime, str]]:
    """(start, end, host) of the windows the plan gives `account`."""
    by_name = {w.name: w for w in windows(scenario.day)}
    out: list[tuple[datetime, datetime, str]] = []
    for e in plan_entries:
        if e.account_id != account:
            continue
        w = by_name[e.shift_id] if e.shift_id else next(x for x in by_name.values() if x.shift_id is None)
        out.append((w.start, w.end, e.host_id))
    return out


def test_windows_cover_05_to_05_next_day_without_gaps() -> None:
    wins = windows(date(2025, 6, 11))
    assert wins[0].start == datetime(2025, 6, 11, 5, tzinfo=TZ)
    assert wins[-1].end == datetime(2025, 6, 12, 5, tzinfo=TZ)
    assert all(a.end == b.start for a, b in itertools.pairwise(wins))
    assert [w.shift_id for w in wins] == ["pagi", "siang", "sore", "malam", None]


def test_every_rostered_session_lies_in_windows_of_its_one_host() -> None:
    scenario = Scenario()
    sessions = schedule(scenario)
    plan = plan_roster(scenario, sessions)
    rostered = [s for s in sessions if s.account_index in scenario.rostered]
    assert rostered, "the scenario's day has sessions on rostered accounts"
    assert set(plan.host_of_session) == {s.session_id for s in rostered}
    for s in rostered:
        account = f"sim-{s.account_index:04d}"
        host = plan.host_of_session[s.session_id]
        own = covering_windows(plan.entries, account, scenario)
        touched = [(a, b, h) for a, b, h in own if a < s.scheduled_end and b > s.start]
        assert touched and all(h == host for _, _, h in touched), (s.session_id, touched)
        assert min(a for a, _, _ in touched) <= s.start and max(b for _, b, _ in touched) >= s.scheduled_end
    # Five windows per rostered account, and the default scenario keeps every host busy.
    assert len(plan.entries) == 5 * len(scenario.rostered)
    assert set(plan.host_of_session.values()) == set(HOSTS)


def test_a_session_outside_the_windows_is_refused() -> None:
    scenario = Scenario()
    session = schedule(scenario)[0]
    early = session.model_copy(update={"start": datetime(2025, 6, 11, 4, tzinfo=TZ), "account_index": 0})
    with pytest.raises(RosterPlanError):
        plan_roster(scenario, [early])


def test_setup_commands_come_in_dependency_order() -> None:
    scenario = Scenario(accounts=2)
    cipher = CookieCipher([CookieCipher.generate_key()])
    accounts = [SimAccount(i, 100 + i, f"user{i}", f"SPC_EC=x{i}; SPC_ST=.y; SPC_U={100 + i}") for i in range(2)]
    first, second = setup_commands(scenario, accounts, cipher)
    assert [type(c) for c in first] == [StudioUpsert]
    connects = [c for c in second if isinstance(c, AccountConnect)]
    assert [c.account_id for c in connects] == ["sim-0000", "sim-0001"]
    assert cipher.decrypt(connects[0].encrypted_cookie) == accounts[0].cookie


def _truth(session_id: int, **figures: int) -> SessionTruth:
    base = schedule(Scenario())[0]
    return base.model_copy(update={"session_id": session_id, **figures})


def test_expected_hosts_and_statement_totals() -> None:
    a = _truth(1, placed_orders=3, placed_gmv=30_000, confirmed_orders=2, confirmed_gmv=20_500)
    b = _truth(2, placed_orders=1, placed_gmv=10_000, confirmed_orders=1, confirmed_gmv=10_000)
    c = _truth(3, placed_orders=0, placed_gmv=0, confirmed_orders=0, confirmed_gmv=0)
    c = c.model_copy(update={"start": datetime(2025, 6, 1, tzinfo=UTC)})
    got = expected_hosts([a, b, c], {1: "host-ayu"}, streamed_since=datetime(2025, 6, 10, tzinfo=UTC))
    assert got["host-ayu"].sessions == {1}
    assert got[None].sessions == {2} and got[None].optional == {3}
    assert got[None].figures() == {
        "placed_orders": 1,
        "placed_sales": Decimal(10_000),
        "confirmed_orders": 1,
        "confirmed_sales": Decimal(10_000),
    }
    scenario = Scenario()
    # 2% of 20,500 = 410 plus 700 per confirmed order
    assert expected_statement_total(scenario, got["host-ayu"]) == Decimal(410 + 1400)
    assert expected_statement_total(scenario, Totals(confirmed_sales=Decimal(25), confirmed_orders=0)) == Decimal(1)


def test_the_scenario_period_and_duration() -> None:
    scenario = Scenario()
    assert scenario.period == (date(2025, 6, 1), date(2025, 6, 30))
    assert Scenario(day=date(2025, 12, 31)).period == (date(2025, 12, 1), date(2025, 12, 31))
    assert scenario.sim_end.astimezone(TZ) == datetime(2025, 6, 12, 4, 35, tzinfo=TZ)
    assert scenario.real_seconds == pytest.approx(23.75 * 3600 / 720)
