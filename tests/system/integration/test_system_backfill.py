"""The history backfill's whole default depth through the whole stack equals the simulator's ground truth.

Two accounts are connected to a stack whose simulator clock stands still; the ingest walks `liveList/v2` back
over the default depth (90 days: all three 30-day windows), analytics and the gateway take in what it publishes,
and then every session the simulator has in those 90 days (about 1.5 an account a day) must be listed by the
gateway with its figures: what the gateway reports equals the ground truth, and the figures `liveList/v2`
always carries (placed and confirmed orders, confirmed sales) are known. The backfill status in
`GET /api/v1/accounts` must say done, 3 of 3 windows, with as many sessions as the truth has.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from livestudio_runtime.secrets import CookieCipher
from shopee_client.simulator.ground_truth import GroundTruth
from tests.system.compare import Difference, compare_session, summarise
from tests.system.harness import SystemRun, wait_for
from tests.system.quiet import until_no_differences
from tests.system.scenario import Scenario, setup_commands

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600), pytest.mark.xdist_group("stack")]

DEPTH_DAYS = 90  # the default INGEST_BACKFILL_DAYS
ALWAYS_KNOWN = ("placed_orders", "confirmed_orders", "confirmed_sales")
"""Figures every `liveList/v2` row carries (the rest may be null in Shopee's history)."""


@dataclass
class Compared:
    differences: list[Difference] = field(default_factory=list)


def compared(run: SystemRun, truth: GroundTruth, first: date, last: date) -> Compared:
    sc = run.scenario
    ids = run.account_ids()
    gw = run.gateway
    out: list[Difference] = []
    listed = {(r["account_id"], int(r["session_id"])) for r in gw.sessions(sc.studio_id, date_from=first, date_to=last)}
    for s in truth.sessions:
        if s.end is None:
            continue  # on air when the clock stopped: the live poll's, not the backfill's
        key = (ids[s.account_index], s.session_id)
        if key not in listed:
            out.append(Difference("session", f"{key[0]}:{s.session_id}", "listed", True, False))
        detail = gw.session(*key)
        out += compare_session(s, detail, account_id=key[0], known_only=True)
        metrics = (detail or {}).get("metrics") or {}
        out += [
            Difference("session", f"{key[0]}:{s.session_id}", name, "known", None)
            for name in ALWAYS_KNOWN
            if detail is not None and metrics.get(name) is None
        ]
    known = {(ids[s.account_index], s.session_id) for s in truth.sessions}
    out += [Difference("session", f"{a}:{sid}", "present", False, True) for a, sid in sorted(listed - known)]
    return Compared(out)


def test_the_whole_default_depth_is_backfilled_as_the_ground_truth_has_it(tmp_path: Path) -> None:
    scenario = Scenario(accounts=2)
    env = {
        "ingest": {
            "INGEST_BACKFILL_DAYS": str(DEPTH_DAYS),
            "INGEST_AFFILIATE_ENABLED": "false",  # not what this test checks
        }
    }
    t0 = time.monotonic()
    with SystemRun(scenario, tmp_path / "stack", env=env) as run:
        cipher = CookieCipher([run.credentials_key])
        for phase in setup_commands(scenario, run.accounts, cipher):
            run.publish(phase)
        ids = set(run.account_ids().values())

        def backfilled() -> bool:
            rows = {r["account_id"]: r.get("backfill") or {} for r in run.gateway.accounts(scenario.studio_id)}
            return all(rows.get(a, {}).get("state") == "done" for a in ids)

        wait_for("every account backfilled", backfilled, timeout=180)
        now = run.sim.clock().sim_now
        last = now.astimezone(scenario.sim_start.tzinfo).date()
        first = last - timedelta(days=DEPTH_DAYS - 1)
        truth = run.sim.ground_truth(now, first=first, last=last, items=True)
        result, attempts = until_no_differences(lambda: compared(run, truth, first, last), timeout=60)
        diffs = result.differences
        statuses = {r["account_id"]: r["backfill"] for r in run.gateway.accounts(scenario.studio_id)}
        print(
            f"\n{len(truth.sessions)} sessions from {first} to {last}, comparisons {attempts}, "
            f"total {time.monotonic() - t0:.0f}s\n{summarise(diffs)}"
        )
    ended = [s for s in truth.sessions if s.end is not None]
    windows = {(last - s.local_date).days // 30 for s in ended}
    assert windows == {0, 1, 2}, "the simulator has sessions in every 30-day window of the depth"
    assert len(ended) > 200, len(ended)  # about 1.5 sessions an account a day
    assert diffs == [], summarise(diffs)
    for account_id, status in statuses.items():
        assert status["days"] == DEPTH_DAYS and status["windows_done"] == status["windows_total"] == 3, status
        assert status["target_date"] == first.isoformat() and status["last_error"] is None, status
        mine = [s for s in ended if run.account_ids()[s.account_index] == account_id]
        assert status["sessions_found"] == len(mine), (status, len(mine))
