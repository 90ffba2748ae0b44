"""The whole ground-truth check of a finished run: sessions, items, daily rollups, hosts and statements.

`verify(run, truth)` reads everything the gateway shows for the scenario's studio and returns the differences
from the simulator's ground truth (see `compare`) plus a count of what was compared. Scope:

* every ended session the ingest must have seen (`sessionList` lists the sessions started in the last 72 h, so
  everything started at most 72 h before the simulator's start), plus older ones the gateway has (the history
  list and the history backfill, `INGEST_BACKFILL_DAYS` 7 in `harness.fast_env`, reach back 7 days). Sessions
  streamed during the run are compared strictly (every figure, every product); sessions that had already ended
  when the stack started are backfilled from Shopee's lists, where some figures are unknown: what the gateway
  reports for them must be exact, an unknown (null) is accepted;
* sessions the gateway lists that the simulator never had (phantoms);
* the daily rollup of every account for day D (all of its sessions ended before the freeze);
* host performance over the truth's dates (each rostered session wholly with its planned host, everything else
  unassigned) and each host's statement for D's pay period, including the base of every statement line.

Accounts in `exclude` (an expired cookie) are left out of the session and day checks; whatever the gateway
attributes from their sessions is taken as reported when the unassigned total is checked.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from shopee_client.simulator.ground_truth import GroundTruth, SessionTruth
from tests.system.compare import (
    ATTRIBUTION_FIGURES,
    Difference,
    compare_day,
    compare_hosts,
    compare_session,
    compare_statements,
    normalise,
)
from tests.system.harness import SystemRun
from tests.system.scenario import Totals, expected_hosts, expected_statement_total

SESSION_LIST_SPAN = timedelta(hours=72)


@dataclass
class Checked:
    sessions_strict: int = 0
    sessions_backfilled: int = 0
    items: int = 0
    days: int = 0
    hosts: int = 0
    statements: int = 0
    statement_lines: int = 0
    differences: list[Difference] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"compared {self.sessions_strict} sessions of the run + {self.sessions_backfilled} backfilled, "
            f"{self.items} products, {self.days} account-days, {self.hosts} host rows, {self.statements} "
            f"statements ({self.statement_lines} lines): {len(self.differences)} differences"
        )


def sessions_in_scope(
    run: SystemRun, truth: GroundTruth, listed: Collection[tuple[str, int]], exclude: Collection[int] = ()
) -> list[SessionTruth]:
    """Ended sessions of included accounts that the ingest must have seen, or that the gateway `listed`."""
    horizon = run.scenario.sim_start - SESSION_LIST_SPAN
    ids = run.account_ids()
    return [
        s
        for s in truth.sessions
        if s.end is not None
        and s.account_index not in exclude
        and (s.start >= horizon or (ids[s.account_index], s.session_id) in listed)
    ]


def verify(run: SystemRun, truth: GroundTruth, *, exclude: Collection[int] = ()) -> Checked:
    sc = run.scenario
    assert run.roster is not None, "seed() first"
    gw = run.gateway
    ids = run.account_ids()
    checked = Checked()
    diffs = checked.differences
    listed_rows = gw.sessions(sc.studio_id, date_from=truth.from_date, date_to=truth.to_date)
    listed = {(r["account_id"], int(r["session_id"])) for r in listed_rows}
    in_scope = sessions_in_scope(run, truth, listed, exclude)

    # --- sessions and products ---------------------------------------------------------------------------
    for s in in_scope:
        strict = s.start >= sc.sim_start
        detail = gw.session(ids[s.account_index], s.session_id)
        diffs += compare_session(
            s,
            detail,
            account_id=ids[s.account_index],
            host=run.roster.host_of_session.get(s.session_id),
            known_only=not strict,
        )
        if strict:
            checked.sessions_strict += 1
            checked.items += len(s.items)
        else:
            checked.sessions_backfilled += 1
    known = {(ids[s.account_index], s.session_id) for s in truth.sessions if s.account_index in ids}
    for account, session_id in sorted(listed - known):
        diffs.append(Difference("session", f"{account}:{session_id}", "present", False, True))

    # --- daily rollups of day D ---------------------------------------------------------------------------
    for day_truth in truth.account_days:
        if day_truth.local_date != sc.day or day_truth.account_index in exclude:
            continue
        account = ids[day_truth.account_index]
        daily = gw.daily(account, sc.day, sc.day)
        diffs += compare_day(day_truth, daily.get(sc.day), account_id=account)
        checked.days += 1

    # --- hosts ------------------------------------------------------------------------------------------------
    expected = expected_hosts(in_scope, run.roster.host_of_session, sc.sim_start)
    for index in exclude:
        # What the gateway attributes from an excluded account's sessions is taken as reported (all unassigned).
        for row in listed_rows:
            if row["account_id"] != ids[index]:
                continue
            detail = gw.session(row["account_id"], int(row["session_id"]))
            for part in (detail or {}).get("hosts") or []:
                totals = expected.setdefault(part.get("host_id"), Totals())
                totals.sessions.add(int(row["session_id"]))
                for name in ATTRIBUTION_FIGURES:
                    value = normalise(part.get(name))
                    if isinstance(value, Decimal):
                        setattr(totals, name, getattr(totals, name) + type(getattr(totals, name))(value))
    performance = gw.host_performance(sc.studio_id, truth.from_date, truth.to_date)
    diffs += compare_hosts(expected, performance)
    checked.hosts = len(expected)

    # --- statements -------------------------------------------------------------------------------------------
    period_from, period_to = sc.period
    want = {h: expected_statement_total(sc, t) for h, t in expected.items() if h is not None}
    statements = gw.statements(sc.studio_id, period_from, period_to)
    diffs += compare_statements(want, statements)
    checked.statements = len(statements)
    by_session = {s.session_id: s for s in in_scope}
    for st in statements:
        detail = gw.statement(st["statement_id"]) or {}
        total = Decimal(0)
        for line in detail.get("lines") or []:
            checked.statement_lines += 1
            total += Decimal(str(line.get("amount") or 0))
            line_session = by_session.get(int(line["session_id"])) if line.get("session_id") is not None else None
            if line_session is None:
                continue
            base = {"sys-gmv": line_session.confirmed_gmv, "sys-order": line_session.confirmed_orders}.get(
                str(line.get("rule_id"))
            )
            if base is not None and normalise(line.get("base")) != normalise(base):
                key = f"{st['host_id']}:{line['line_id']}"
                diffs.append(Difference("statement", key, f"base of {line.get('rule_id')}", base, line.get("base")))
        if normalise(st.get("total")) != normalise(total):
            diffs.append(Difference("statement", st["host_id"], "sum of lines", st.get("total"), total))
    return checked


def verify_sessions(run: SystemRun, truth: GroundTruth) -> Checked:
    """Only sessions and their products (no roster, rollups or statements): every ended session in scope with
    every figure and every product, all of it unassigned (the run has no roster). Sessions that ended after the
    run started were seen on air or ending and are compared strictly; older ones as backfilled (a figure the
    gateway reports must be exact; products, where the gateway has them, exactly too)."""
    sc = run.scenario
    gw = run.gateway
    ids = run.account_ids()
    checked = Checked()
    listed_rows = gw.sessions(sc.studio_id, date_from=truth.from_date, date_to=truth.to_date)
    listed = {(r["account_id"], int(r["session_id"])) for r in listed_rows}
    for s in sessions_in_scope(run, truth, listed):
        assert s.end is not None
        strict = s.end > sc.sim_start
        detail = gw.session(ids[s.account_index], s.session_id)
        checked.differences += compare_session(
            s, detail, account_id=ids[s.account_index], host=None, known_only=not strict
        )
        if strict:
            checked.sessions_strict += 1
            checked.items += len(s.items)
        else:
            checked.sessions_backfilled += 1
    known = {(ids[s.account_index], s.session_id) for s in truth.sessions if s.account_index in ids}
    for account, session_id in sorted(listed - known):
        checked.differences.append(Difference("session", f"{account}:{session_id}", "present", False, True))
    return checked
