"""Ground truth: what really happened in the simulated world, as of a simulated instant.

`GroundTruth` (served as JSON by `GET /__sim/ground-truth`, returned by `Simulator.ground_truth()`) holds:

- `sessions`: one `SessionTruth` per session that had started by `at` (exact cumulative totals at `at`, with
  `items`: one `ItemTruth` per product shown in the session);
- `account_days`: one `AccountDayTruth` per (account, local date) with at least one session: the sums over the
  sessions that *started* on that local date (Asia/Jakarta by default);
- `commission_sessions` / `commission_days`: affiliate commission per session (its live checkouts) and per
  (account, local purchase date, source): estimated and final, the account's own and including the MCN's share.

Money is whole rupiah (int); commission is an exact `Decimal` (Shopee's 1/100000 units converted).
Times are aware UTC datetimes; `local_date` is in the simulator's timezone.
"Confirmed" figures keep rising until `settles_at`; after that they are final (`settled = True`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shopee_client.simulator.affiliate import (
    AFFILIATE_UNIT,
    LIVE_SOURCE,
    VIDEO_SOURCE,
    Checkout,
    checkouts_between,
    live_checkouts,
)
from shopee_client.simulator.world import SessionPlan, World

__all__ = [
    "AccountDayTruth",
    "CommissionTruth",
    "GroundTruth",
    "ItemTruth",
    "SessionTruth",
    "compute_ground_truth",
]


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=ms)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ItemTruth(_Frozen):
    """One product of one session, cumulative at `at`."""

    item_id: int
    title: str
    price: int
    placed_orders: int
    placed_items_sold: int
    placed_gmv: int
    confirmed_orders: int
    confirmed_items_sold: int
    confirmed_gmv: int
    product_clicks: int
    atc: int


class SessionTruth(_Frozen):
    """One session, cumulative at `at`."""

    session_id: int
    account_index: int
    user_id: int
    local_date: date
    title: str
    start: datetime
    end: datetime | None  # None while still on air at `at`
    scheduled_end: datetime
    is_live: bool
    duration_ms: int  # min(at, end) - start
    placed_orders: int
    placed_items_sold: int
    placed_gmv: int
    confirmed_orders: int
    confirmed_items_sold: int
    confirmed_gmv: int
    buyers: int
    confirmed_buyers: int
    views: int
    viewers: int
    peak_ccu: int
    likes: int
    comments: int
    shares: int
    followers_growth: int
    atc: int
    product_clicks: int
    settles_at: datetime  # last confirmation; confirmed figures are final from then on
    settled: bool
    reports_status_ended_while_live: bool  # the simulator's §3.6 quirk for this session
    history_null_fields: list[str]  # liveList/v2 fields sent as JSON null for this session
    items: list[ItemTruth] = Field(default_factory=list)


class AccountDayTruth(_Frozen):
    """Sums over an account's sessions that started on `local_date`."""

    account_index: int
    user_id: int
    local_date: date
    sessions: int
    session_ids: list[int]
    streamed_ms: int
    placed_orders: int
    placed_items_sold: int
    placed_gmv: int
    confirmed_orders: int
    confirmed_items_sold: int
    confirmed_gmv: int
    views: int
    viewers: int
    likes: int
    comments: int


class CommissionTruth(_Frozen):
    """Affiliate commission of a set of checkouts as of `at`: of one session (`session_id`, source `live`) or of
    one account's checkouts of one source purchased on `local_date`. `estimated*` leave cancelled checkouts out;
    `final*` count completed ones only; `*_with_mcn` include the MCN's share."""

    account_index: int
    session_id: int | None = None
    local_date: date | None = None
    source: str
    checkouts: int
    pending: int
    completed: int
    cancelled: int
    gmv: int
    estimated: Decimal
    estimated_with_mcn: Decimal
    final: Decimal
    final_with_mcn: Decimal


def _source(c: Checkout) -> str:
    return "live" if c.source == LIVE_SOURCE else ("video" if c.source == VIDEO_SOURCE else "other")


def commission_truth(
    checkouts: list[Checkout],
    at_ms: int,
    *,
    account_index: int,
    source: str,
    session_id: int | None = None,
    local_date: date | None = None,
) -> CommissionTruth:
    status = [c.status_at(at_ms) for c in checkouts]
    est = sum((c.own_units() for c, s in zip(checkouts, status, strict=True) if s != "Cancelled"), 0)
    est_mcn = sum((c.gross_units for c, s in zip(checkouts, status, strict=True) if s != "Cancelled"), 0)
    fin = sum((c.own_units() for c, s in zip(checkouts, status, strict=True) if s == "Completed"), 0)
    fin_mcn = sum((c.gross_units for c, s in zip(checkouts, status, strict=True) if s == "Completed"), 0)
    unit = Decimal(AFFILIATE_UNIT)
    return CommissionTruth(
        account_index=account_index,
        session_id=session_id,
        local_date=local_date,
        source=source,
        checkouts=len(checkouts),
        pending=status.count("Pending"),
        completed=status.count("Completed"),
        cancelled=status.count("Cancelled"),
        gmv=sum(c.amount for c in checkouts),
        estimated=Decimal(est) / unit,
        estimated_with_mcn=Decimal(est_mcn) / unit,
        final=Decimal(fin) / unit,
        final_with_mcn=Decimal(fin_mcn) / unit,
    )


class GroundTruth(_Frozen):
    """Ground truth as of `at` for sessions that started on local dates `from_date`..`to_date`."""

    at: datetime
    timezone: str
    from_date: date
    to_date: date
    sessions: list[SessionTruth]
    account_days: list[AccountDayTruth]
    commission_sessions: list[CommissionTruth] = Field(default_factory=list)
    commission_days: list[CommissionTruth] = Field(default_factory=list)

    def session(self, session_id: int) -> SessionTruth:
        for s in self.sessions:
            if s.session_id == session_id:
                return s
        raise KeyError(session_id)


def session_truth(world: World, plan: SessionPlan, at_ms: int, *, include_items: bool = True) -> SessionTruth:
    sess = world.session_of(plan)
    st = sess.state(at_ms)
    account = world.accounts[plan.account]
    items: list[ItemTruth] = []
    if include_items:
        items = [
            ItemTruth(
                item_id=i.item_id,
                title=i.title,
                price=i.min_price,
                placed_orders=i.placed_orders,
                placed_items_sold=i.placed_items_sold,
                placed_gmv=i.placed_gmv,
                confirmed_orders=i.confirmed_orders,
                confirmed_items_sold=i.confirmed_items_sold,
                confirmed_gmv=i.confirmed_gmv,
                product_clicks=i.product_clicks,
                atc=i.atc,
            )
            for i in sess.item_states(at_ms)
        ]
    return SessionTruth(
        session_id=sess.session_id,
        account_index=plan.account,
        user_id=account.user_id,
        local_date=plan.local_date,
        title=sess.title,
        start=_dt(sess.start_ms),
        end=None if st.live else _dt(sess.end_ms),
        scheduled_end=_dt(sess.end_ms),
        is_live=st.live,
        duration_ms=st.duration_ms,
        placed_orders=st.placed_orders,
        placed_items_sold=st.placed_items_sold,
        placed_gmv=st.placed_gmv,
        confirmed_orders=st.confirmed_orders,
        confirmed_items_sold=st.confirmed_items_sold,
        confirmed_gmv=st.confirmed_gmv,
        buyers=st.buyers,
        confirmed_buyers=st.confirmed_buyers,
        views=st.views,
        viewers=st.viewers,
        peak_ccu=st.peak_ccu,
        likes=st.likes,
        comments=st.comments,
        shares=st.shares,
        followers_growth=st.followers_growth,
        atc=st.atc,
        product_clicks=st.product_clicks,
        settles_at=_dt(sess.settles_at_ms),
        settled=at_ms >= sess.settles_at_ms,
        reports_status_ended_while_live=sess.status_lies,
        history_null_fields=sorted(sess.history_nulls),
        items=items,
    )


def compute_ground_truth(
    world: World,
    at: datetime,
    *,
    from_date: date | None = None,
    to_date: date | None = None,
    accounts: Iterable[int] | None = None,
    include_items: bool = True,
    affiliate_complete_delay: timedelta = timedelta(days=3),
) -> GroundTruth:
    """Ground truth at `at` for sessions started by `at` on local dates [from_date, to_date]
    (default: the three local days ending with `at`'s date, the span `sessionList` covers)."""
    at_ms = int(at.timestamp() * 1000)
    last = to_date or world.local_date(at_ms)
    first = from_date or (last - timedelta(days=2))
    wanted = range(world.n_accounts) if accounts is None else [a for a in accounts if 0 <= a < world.n_accounts]
    sessions: list[SessionTruth] = []
    days: list[AccountDayTruth] = []
    commission_sessions: list[CommissionTruth] = []
    commission_days: list[CommissionTruth] = []
    delay_ms = int(affiliate_complete_delay.total_seconds() * 1000)
    for account in wanted:
        by_day: dict[date, list[SessionTruth]] = {}
        for plan in world.plans_between(account, first, last):
            if plan.start_ms > at_ms:
                continue
            truth = session_truth(world, plan, at_ms, include_items=include_items)
            sessions.append(truth)
            bought = [c for c in live_checkouts(world.session_of(plan), delay_ms) if c.purchase_ms <= at_ms]
            commission_sessions.append(
                commission_truth(bought, at_ms, account_index=account, source="live", session_id=plan.session_id)
            )
            by_day.setdefault(plan.local_date, []).append(truth)
        for day, group in sorted(by_day.items()):
            days.append(
                AccountDayTruth(
                    account_index=account,
                    user_id=world.accounts[account].user_id,
                    local_date=day,
                    sessions=len(group),
                    session_ids=[s.session_id for s in group],
                    streamed_ms=sum(s.duration_ms for s in group),
                    placed_orders=sum(s.placed_orders for s in group),
                    placed_items_sold=sum(s.placed_items_sold for s in group),
                    placed_gmv=sum(s.placed_gmv for s in group),
                    confirmed_orders=sum(s.confirmed_orders for s in group),
                    confirmed_items_sold=sum(s.confirmed_items_sold for s in group),
                    confirmed_gmv=sum(s.confirmed_gmv for s in group),
                    views=sum(s.views for s in group),
                    viewers=sum(s.viewers for s in group),
                    likes=sum(s.likes for s in group),
                    comments=sum(s.comments for s in group),
                )
            )
        lo = world._local_ms(first, 0)
        hi = min(world._local_ms(last + timedelta(days=1), 0) - 1, at_ms)
        by_key: dict[tuple[date, str], list[Checkout]] = {}
        for c in checkouts_between(world, account, lo, hi, delay_ms):
            by_key.setdefault((world.local_date(c.purchase_ms), _source(c)), []).append(c)
        for (day, source), bucket in sorted(by_key.items()):
            commission_days.append(
                commission_truth(bucket, at_ms, account_index=account, source=source, local_date=day)
            )
    return GroundTruth(
        commission_sessions=commission_sessions,
        commission_days=commission_days,
        at=at.astimezone(UTC),
        timezone=str(world.tz),
        from_date=first,
        to_date=last,
        sessions=sessions,
        account_days=days,
    )
