"""The affiliate commission income of a finished run against the simulator's ground truth (issue #21).

The ingest reads each account's affiliate report at moments of its own and once more when the clock freezes
(every read re-reads from the oldest pending checkout with the system test's cadence), so each account's last read
(`ingest.affiliate_state.last_new_at`, normally the freeze instant) saw every checkout as it was then. Each account
is compared with the truth *at its last read*:

* per account, local day and source: estimated and final commission (with and without the MCN's share) and the
  checkouts by status, through `/profit/daily`;
* per session streamed during the run: its live commission, through `/profit/sessions`;
* per host: the live commission of the sessions rostered to them, through `/profit/hosts` (everything else is the
  unassigned bucket's).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import asyncpg

from shopee_client.simulator.ground_truth import CommissionTruth
from tests.system.compare import Difference, normalise
from tests.system.harness import SystemRun

FIGURES = ("estimated", "estimated_with_mcn", "final", "final_with_mcn")
# (gateway field, truth field, source or None = all sources)
DAY_FIGURES = (
    *((f, f, None) for f in FIGURES),
    *((f"{src}_{f}", f, src) for src in ("live", "video", "other") for f in ("estimated", "final")),
)
COUNTS = (("checkouts", "checkouts"), ("pending", "pending"), ("completed", "completed"), ("cancelled", "cancelled"))


@dataclass
class IncomeChecked:
    accounts: int = 0
    days: int = 0
    sessions: int = 0
    hosts: int = 0
    checkouts: int = 0
    differences: list[Difference] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"income: {self.accounts} accounts, {self.days} account-days, {self.checkouts} checkouts, "
            f"{self.sessions} sessions, {self.hosts} hosts: {len(self.differences)} differences"
        )


async def _last_reads(dsn: str) -> dict[str, datetime]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT account_id, last_new_at FROM ingest.affiliate_state")
    finally:
        await conn.close()
    return {r["account_id"]: r["last_new_at"] for r in rows if r["last_new_at"] is not None}


def _sum(truths: list[CommissionTruth], name: str) -> Decimal:
    return sum((Decimal(getattr(t, name)) for t in truths), Decimal(0))


def verify_income(run: SystemRun, first: date, last: date) -> IncomeChecked:
    sc = run.scenario
    assert run.roster is not None, "seed() first"
    gw = run.gateway
    checked = IncomeChecked()
    diffs = checked.differences
    reads = asyncio.run(_last_reads(run.stack.database_url))
    ids = run.account_ids()
    sessions_truth: dict[int, CommissionTruth] = {}
    for index, account_id in sorted(ids.items()):
        at = reads.get(account_id)
        if at is None:
            diffs.append(Difference("income", account_id, "read", "at least one read", None))
            continue
        truth = run.sim.ground_truth(at, first=first, last=last, accounts=[index], items=False)
        checked.accounts += 1
        by_day: dict[date, list[CommissionTruth]] = defaultdict(list)
        for t in truth.commission_days:
            assert t.local_date is not None
            by_day[t.local_date].append(t)
        got = gw.profit_daily(account_id, first, last)
        for day in sorted(set(by_day) | set(got)):
            truths = by_day.get(day, [])
            income = (got.get(day) or {}).get("income") or {}
            key = f"{account_id}:{day}"
            for gw_name, truth_name, source in DAY_FIGURES:
                want = _sum([t for t in truths if source is None or t.source == source], truth_name)
                if normalise(income.get(gw_name, 0)) != normalise(want):
                    diffs.append(Difference("income-day", key, gw_name, want, income.get(gw_name)))
            for gw_name, truth_name in COUNTS:
                want_n = sum(getattr(t, truth_name) for t in truths)
                if int(income.get(gw_name, 0)) != want_n:
                    diffs.append(Difference("income-day", key, gw_name, want_n, income.get(gw_name)))
            checked.days += 1
            checked.checkouts += sum(t.checkouts for t in truths)
        for t in truth.commission_sessions:
            if t.session_id is not None:
                sessions_truth[t.session_id] = t

    # sessions streamed during the run, and the hosts they were rostered to
    strict = {
        s.session_id: s
        for s in run.sim.ground_truth(None, first=first, last=last, items=False).sessions
        if s.start >= sc.sim_start and s.end is not None
    }
    got_sessions = {int(s["session_id"]): s for s in gw.profit_sessions(sc.studio_id, first, last)}
    want_hosts: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(FIGURES, Decimal(0)))
    for session_id in sorted(strict):
        st = sessions_truth.get(session_id)
        if st is None:
            continue
        income = ((got_sessions.get(session_id) or {}).get("profit") or {}).get("income") or {}
        for name in FIGURES:
            want = Decimal(getattr(st, name))
            if st.checkouts and normalise(income.get(name, 0)) != normalise(want):
                diffs.append(Difference("income-session", str(session_id), name, want, income.get(name)))
        checked.sessions += 1
        host = run.roster.host_of_session.get(session_id)
        if host is not None:
            for name in FIGURES:
                want_hosts[host][name] += Decimal(getattr(st, name))
    got_hosts = {h["host_id"]: h["profit"]["income"] for h in gw.profit_hosts(sc.studio_id, first, last)}
    for host, wanted in sorted(want_hosts.items()):
        for name in FIGURES:
            actual = (got_hosts.get(host) or {}).get(name, 0)
            if normalise(actual) != normalise(wanted[name]):
                diffs.append(Difference("income-host", host, name, wanted[name], actual))
        checked.hosts += 1
    return checked
