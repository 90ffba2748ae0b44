"""The simulated day a system test runs, and what the ground truth says the system must show for it.

A scenario is one studio on a simulator started (frozen) shortly before 05:00 local on day D and run until every
session of D has ended (04:30 on D+1 at the latest). It owns:

* the set-up commands: studio, hosts, the four shift templates, two pay rules, the accounts, and a roster;
* the roster plan: the simulator streams in shifts 05-10, 10-15, 15-20, 20-24 (Asia/Jakarta), but a session may
  run past its shift's end (even past midnight, until 04:30). The plan gives every window a session touches the
  same host (windows chained by a session share one host), and covers 00:00-05:00 of D+1 with an explicit window
  of the evening's host. So each rostered session lies entirely in one host's windows and the host's expected
  figures follow from the ground truth, whatever the timing of the observations;
* the expectations derived from the ground truth: per host (and the unassigned bucket) and per statement.

Pure functions: no broker, no database, no HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from livestudio_devinfra.demo import SimAccount
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import (
    AccountConnect,
    AnyCommand,
    HostUpsert,
    PayRuleUpsert,
    ScheduleEntryUpsert,
    ShiftTemplateUpsert,
    StudioUpsert,
)
from shopee_client.simulator.ground_truth import SessionTruth

TIMEZONE = "Asia/Jakarta"
TZ = ZoneInfo(TIMEZONE)
STUDIO_ID = "sys-studio"
HOSTS: tuple[str, ...] = ("host-ayu", "host-budi", "host-citra", "host-dewi")
SHIFTS: tuple[tuple[str, time, time], ...] = (
    ("pagi", time(5), time(10)),
    ("siang", time(10), time(15)),
    ("sore", time(15), time(20)),
    ("malam", time(20), time(0)),
)
LATE_WINDOW = (time(0), time(5))  # of D+1: sessions of D run until 04:30 at the latest


def account_id(index: int) -> str:
    """Live Studio's id of simulator account `index` (the same naming as the demo seed)."""
    return SimAccount(index, 0, "", "").account_id


@dataclass(frozen=True)
class Scenario:
    """Knobs of one simulated day. Defaults: 8 accounts, 5 of them rostered, 720x clock, 30 min settling."""

    day: date = date(2025, 6, 11)  # a Wednesday in the middle of a monthly pay period
    accounts: int = 8
    seed: int = 9  # 12 sessions on D, one past midnight, every host and the unassigned bucket get some
    rostered: tuple[int, ...] = (0, 1, 2, 3, 4)
    speed: float = 720.0
    settle_hours: float = 0.5
    start_local: time = time(4, 50)
    run_for: timedelta = timedelta(hours=23, minutes=45)  # freeze at 04:35 on D+1: every session of D ended
    gmv_percent: Decimal = Decimal(2)
    per_order: Decimal = Decimal(700)
    studio_id: str = STUDIO_ID

    @property
    def sim_start(self) -> datetime:
        return datetime.combine(self.day, self.start_local, TZ)

    @property
    def sim_end(self) -> datetime:
        return self.sim_start + self.run_for

    @property
    def period(self) -> tuple[date, date]:
        """The monthly pay period of D."""
        first = self.day.replace(day=1)
        following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        return first, following - timedelta(days=1)

    @property
    def real_seconds(self) -> float:
        return self.run_for.total_seconds() / self.speed


@dataclass(frozen=True)
class Window:
    name: str
    start: datetime
    end: datetime
    shift_id: str | None


def windows(day: date) -> list[Window]:
    """The roster windows of local day `day`, in order: the four shifts, then 00:00-05:00 of the next day."""
    out: list[Window] = []
    for shift_id, start, end in SHIFTS:
        starts = datetime.combine(day, start, TZ)
        ends = datetime.combine(day + timedelta(days=1) if end <= start else day, end, TZ)
        out.append(Window(shift_id, starts, ends, shift_id))
    late_start, late_end = LATE_WINDOW
    nxt = day + timedelta(days=1)
    out.append(Window("late", datetime.combine(nxt, late_start, TZ), datetime.combine(nxt, late_end, TZ), None))
    return out


@dataclass(frozen=True)
class RosterPlan:
    entries: list[ScheduleEntryUpsert]
    host_of_session: dict[int, str]
    """Sessions that lie entirely inside one host's windows (every rostered session of D)."""


class RosterPlanError(ValueError):
    """A session of D is not covered by the roster windows (the simulator's schedule changed)."""


def plan_roster(scenario: Scenario, sessions: Iterable[SessionTruth]) -> RosterPlan:
    """A roster for the rostered accounts on D: one host per chain of windows linked by a session."""
    wins = windows(scenario.day)
    entries: list[ScheduleEntryUpsert] = []
    host_of_session: dict[int, str] = {}
    by_account: dict[int, list[SessionTruth]] = {}
    for s in sessions:
        if s.local_date == scenario.day and s.account_index in scenario.rostered:
            by_account.setdefault(s.account_index, []).append(s)
    for index in scenario.rostered:
        own = sorted(by_account.get(index, []), key=lambda s: s.start)
        parent = list(range(len(wins)))

        def find(i: int, parent: list[int] = parent) -> int:
            while parent[i] != i:
                i = parent[i]
            return i

        touched: dict[int, list[int]] = {}
        for s in own:
            if s.start < wins[0].start or s.scheduled_end > wins[-1].end:
                raise RosterPlanError(f"session {s.session_id} ({s.start}..{s.scheduled_end}) is outside the windows")
            hit = [i for i, w in enumerate(wins) if w.start < s.scheduled_end and w.end > s.start]
            touched[s.session_id] = hit
            for i in hit[1:]:
                parent[find(i)] = find(hit[0])
        roots: list[int] = []
        for i in range(len(wins)):
            if find(i) not in roots:
                roots.append(find(i))
        host_of_root = {root: HOSTS[(index + k) % len(HOSTS)] for k, root in enumerate(roots)}
        acct = account_id(index)
        for i, w in enumerate(wins):
            host = host_of_root[find(i)]
            if w.shift_id is not None:
                entries.append(
                    ScheduleEntryUpsert(
                        entry_id=f"{acct}-{scenario.day.isoformat()}-{w.name}",
                        studio_id=scenario.studio_id,
                        host_id=host,
                        account_id=acct,
                        shift_id=w.shift_id,
                        shift_date=scenario.day,
                    )
                )
            else:
                entries.append(
                    ScheduleEntryUpsert(
                        entry_id=f"{acct}-{scenario.day.isoformat()}-{w.name}",
                        studio_id=scenario.studio_id,
                        host_id=host,
                        account_id=acct,
                        starts_at=w.start,
                        ends_at=w.end,
                    )
                )
        for s in own:
            host_of_session[s.session_id] = host_of_root[find(touched[s.session_id][0])]
    return RosterPlan(entries, host_of_session)


def setup_commands(scenario: Scenario, accounts: Sequence[SimAccount], cipher: CookieCipher) -> list[list[AnyCommand]]:
    """The set-up in phases (each phase may refer to what earlier phases created): studio; hosts, shifts, rules
    and accounts. The roster follows separately (`plan_roster`) once the day's schedule is known."""
    sid = scenario.studio_id
    since = scenario.day - timedelta(days=40)
    first: list[AnyCommand] = [StudioUpsert(studio_id=sid, name="System Test Studio", timezone=TIMEZONE)]
    second: list[AnyCommand] = [HostUpsert(host_id=h, studio_id=sid, name=h.split("-")[1].title()) for h in HOSTS]
    second += [ShiftTemplateUpsert(shift_id=s, studio_id=sid, name=s, start=a, end=b) for s, a, b in SHIFTS]
    second += [
        PayRuleUpsert(
            rule_id="sys-gmv",
            studio_id=sid,
            rule_kind="gmv_percent",
            percent=scenario.gmv_percent,
            effective_from=since,
        ),
        PayRuleUpsert(
            rule_id="sys-order",
            studio_id=sid,
            rule_kind="per_order",
            amount=scenario.per_order,
            effective_from=since,
        ),
    ]
    second += [
        AccountConnect(
            account_id=a.account_id,
            studio_id=sid,
            display_name=f"{a.user_name} (sim #{a.index})",
            encrypted_cookie=cipher.encrypt(a.cookie),
        )
        for a in accounts
    ]
    return [first, second]


# --- expectations ------------------------------------------------------------------------------------------


@dataclass
class Totals:
    """The attribution figures of a host, of the unassigned bucket, or of a session."""

    sessions: set[int] = field(default_factory=set)
    optional: set[int] = field(default_factory=set)
    """Sessions that may or may not count: backfilled ones with nothing to attribute (no sales, no air time)."""
    placed_orders: int = 0
    placed_sales: Decimal = Decimal(0)
    confirmed_orders: int = 0
    confirmed_sales: Decimal = Decimal(0)

    def add(self, s: SessionTruth, *, streamed: bool = True) -> None:
        if streamed or s.placed_orders or s.confirmed_orders or s.placed_gmv or s.confirmed_gmv:
            self.sessions.add(s.session_id)
        else:
            self.optional.add(s.session_id)
        self.placed_orders += s.placed_orders
        self.placed_sales += Decimal(s.placed_gmv)
        self.confirmed_orders += s.confirmed_orders
        self.confirmed_sales += Decimal(s.confirmed_gmv)

    def figures(self) -> dict[str, int | Decimal]:
        return {
            "placed_orders": self.placed_orders,
            "placed_sales": self.placed_sales,
            "confirmed_orders": self.confirmed_orders,
            "confirmed_sales": self.confirmed_sales,
        }


def expected_hosts(
    sessions: Iterable[SessionTruth], host_of_session: Mapping[int, str], streamed_since: datetime | None = None
) -> dict[str | None, Totals]:
    """Per host, and `None` for the unassigned bucket: the sums of the sessions attributed to them.

    Sessions that started before `streamed_since` were backfilled, not seen on air: without sales they have
    nothing to attribute, and whether they count as a session of the unassigned bucket is left open."""
    out: dict[str | None, Totals] = {}
    for s in sessions:
        streamed = streamed_since is None or s.start >= streamed_since
        out.setdefault(host_of_session.get(s.session_id), Totals()).add(s, streamed=streamed)
    return out


def round_rupiah(value: Decimal) -> Decimal:
    """Pay is rounded once, half up, to whole rupiah."""
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def expected_statement_total(scenario: Scenario, totals: Totals) -> Decimal:
    """A host's pay for the period: `gmv_percent` of confirmed GMV (rounded once) plus `per_order` per order."""
    gmv = round_rupiah(totals.confirmed_sales * scenario.gmv_percent / 100) if totals.confirmed_sales > 0 else 0
    orders = scenario.per_order * totals.confirmed_orders if totals.confirmed_orders > 0 else Decimal(0)
    return Decimal(gmv) + orders
