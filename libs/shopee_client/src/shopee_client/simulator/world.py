"""Generation of the simulated world: accounts, their products, daily schedules and per-session activity.

Everything is a pure function of the seed and, for counters, of simulated time:

- An `Account` (index 0..N-1) has a size tier, a user id, a cookie and a product catalogue (computed on demand).
- An account-day (a local date in the simulator's timezone) has 0-3 sessions placed in shifts
  (05-10, 10-15, 15-20, 20-24 local), generated when first asked for.
- A `Session` holds its schedule, a piecewise-linear CCU curve and a sorted list of order events (time, item,
  qty, price, buyer, confirm time or never). Every counter at time t is computed from these by bisection, so all
  endpoints agree at any instant and the ground truth comes for free.

Session ids encode (day, account, shift slot): `100_000_000 + ((day % 10000) * 10000 + account) * 4 + slot`, so
the owner of any session id is known without a lookup. Money is whole rupiah (int).
"""

from __future__ import annotations

import hashlib
import math
import random
from array import array
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

__all__ = [
    "SHIFTS",
    "Account",
    "Product",
    "Session",
    "SessionState",
    "World",
    "decode_session_id",
    "encode_session_id",
]

SHIFTS: tuple[tuple[int, int], ...] = ((5, 10), (10, 15), (15, 20), (20, 24))
EPOCH_DAY = date(2020, 1, 1)
SESSION_ID_BASE = 100_000_000
USER_ID_BASE = 200_000_000
ITEM_ID_BASE = 10_000_000_000
SHOP_ID_BASE = 300_000_000
CATALOGUE_SIZE = 160
MINUTE_MS = 60_000

TIERS = ("small", "mid", "large")
_BRANDS = ("Wardah", "Somethinc", "Scarlett", "Emina", "MS Glow", "Erigo", "Kahf", "Azarine", "Skintific", "Make Over")
_CATEGORIES = (
    "Serum",
    "Sunscreen",
    "Lip Cream",
    "Facial Wash",
    "Toner",
    "Kaos Oversize",
    "Hijab Voal",
    "Celana Kulot",
    "Sepatu Sneakers",
    "Tas Selempang",
    "Parfum",
    "Body Lotion",
)
_VARIANTS = ("30ml", "50ml", "100ml", "Bundle 2pcs", "Original", "Premium", "Mini", "XL", "Pink", "Hitam")
_TITLE_HOOKS = (
    "Flash Sale",
    "Promo Gajian",
    "Diskon Gila",
    "Live Spesial",
    "Serba Murah",
    "Payday Sale",
    "Bagi Voucher",
)


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in parts))


def _hex(*parts: object, n: int = 32) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:n]


def encode_session_id(day_ordinal: int, account: int, slot: int) -> int:
    return SESSION_ID_BASE + ((day_ordinal % 10_000) * 10_000 + account) * 4 + slot


def decode_session_id(session_id: int) -> tuple[int, int, int] | None:
    """(day ordinal, account index, slot) of a session id, or None if it is not one of ours."""
    x = session_id - SESSION_ID_BASE
    if x < 0 or x >= 4 * 10_000 * 10_000:
        return None
    slot = x % 4
    y = x // 4
    return y // 10_000, y % 10_000, slot


@dataclass(frozen=True, slots=True)
class Product:
    item_id: int
    title: str
    price: int  # whole rupiah (min price; orders pay this)
    max_price: int
    cover_image: str


@dataclass(frozen=True, slots=True)
class Account:
    index: int
    user_id: int
    shop_id: int
    user_name: str
    tier: str
    usual_shifts: tuple[int, ...]
    spc_st: str
    spc_ec: str
    spc_f: str

    @property
    def cookie(self) -> str:
        """The account's original browser cookie string."""
        return make_cookie(self, self.spc_st)


def make_cookie(account: Account, spc_st: str) -> str:
    return (
        f"SPC_EC={account.spc_ec}; SPC_ST=.{spc_st}; SPC_U={account.user_id}; SPC_F={account.spc_f}; "
        f"REC_T_ID={account.spc_f[:16]}; csrftoken={account.spc_ec[:16]}"
    )


class _Curve:
    """Piecewise-linear CCU curve with its running integral and running maximum at the knots."""

    __slots__ = ("cum", "cummax", "t", "v")

    def __init__(self, t: list[int], v: list[float]) -> None:
        self.t = t
        self.v = v
        cum = [0.0]
        cummax = [v[0]]
        for i in range(1, len(t)):
            cum.append(cum[-1] + (v[i - 1] + v[i]) * 0.5 * (t[i] - t[i - 1]))
            cummax.append(max(cummax[-1], v[i]))
        self.cum = cum
        self.cummax = cummax

    def _seg(self, x: int) -> int:
        return bisect_right(self.t, x) - 1

    def value(self, x: int) -> float:
        t = self.t
        if x <= t[0]:
            return self.v[0]
        if x >= t[-1]:
            return self.v[-1]
        k = self._seg(x)
        f = (x - t[k]) / (t[k + 1] - t[k])
        return self.v[k] + (self.v[k + 1] - self.v[k]) * f

    def integral(self, x: int) -> float:
        t = self.t
        if x <= t[0]:
            return 0.0
        if x >= t[-1]:
            return self.cum[-1]
        k = self._seg(x)
        dt = x - t[k]
        slope = (self.v[k + 1] - self.v[k]) / (t[k + 1] - t[k])
        return self.cum[k] + self.v[k] * dt + slope * dt * dt * 0.5

    def peak(self, x: int) -> float:
        t = self.t
        if x <= t[0]:
            return self.v[0]
        if x >= t[-1]:
            return self.cummax[-1]
        k = self._seg(x)
        return max(self.cummax[k], self.value(x))


@dataclass(slots=True)
class _ItemIndex:
    """Per-item order events of one session (built on first use by productList / ground truth)."""

    placed_ts: list[array[int]]
    placed_qty: list[array[int]]  # cumulative, len = events + 1
    placed_amt: list[array[int]]
    conf_ts: list[array[int]]
    conf_qty: list[array[int]]
    conf_amt: list[array[int]]


@dataclass(slots=True)
class SessionState:
    """Every counter of one session at one instant (what the endpoints serve and the ground truth reports)."""

    live: bool
    started: bool
    duration_ms: int
    ccu: int
    peak_ccu: int
    viewers: int
    views: int
    likes: int
    comments: int
    shares: int
    followers_growth: int
    atc: int
    product_clicks: int
    watch_ms: float  # integral of CCU over time (viewer-milliseconds)
    placed_orders: int
    placed_items_sold: int
    placed_gmv: int
    buyers: int
    confirmed_orders: int
    confirmed_items_sold: int
    confirmed_gmv: int
    confirmed_buyers: int

    @property
    def avg_view_ms(self) -> int:
        return int(self.watch_ms / self.viewers) if self.viewers else 0


@dataclass(slots=True)
class ItemState:
    item_id: int
    title: str
    cover_image: str
    min_price: int
    max_price: int
    product_clicks: int
    atc: int
    placed_orders: int
    placed_items_sold: int
    placed_gmv: int
    confirmed_orders: int
    confirmed_items_sold: int
    confirmed_gmv: int


@dataclass(slots=True)
class Session:
    """One generated live session: schedule, curve, totals and order events."""

    session_id: int
    account: int
    local_date: date
    slot: int
    title: str
    cover_image: str
    start_ms: int
    end_ms: int
    status_lies: bool
    history_nulls: frozenset[str]
    curve: _Curve
    total_viewers: int
    total_views: int
    total_likes: int
    total_comments: int
    total_shares: int
    total_followers: int
    products: list[Product]
    item_clicks: list[int]
    item_atc: list[int]
    # order events, sorted by placement time
    order_ts: array[int]
    order_item: array[int]
    order_qty: array[int]
    order_amt: array[int]
    order_conf: array[int]  # confirm time (ms) or -1 (never: cancelled/unpaid)
    cum_qty: array[int]
    cum_amt: array[int]
    cum_buyers: array[int]
    # confirmed events sorted by confirm time
    conf_ts: array[int]
    conf_cum_qty: array[int]
    conf_cum_amt: array[int]
    conf_cum_buyers: array[int]
    settles_at_ms: int  # last confirm time (or end)
    _items: _ItemIndex | None = field(default=None)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def frac(self, t_ms: int) -> float:
        total = self.curve.cum[-1]
        return self.curve.integral(t_ms) / total if total > 0 else 1.0

    def state(self, t_ms: int) -> SessionState:
        started = t_ms >= self.start_ms
        live = started and t_ms < self.end_ms
        tt = min(t_ms, self.end_ms)
        f = self.frac(tt) if started else 0.0
        peak = round(self.curve.peak(tt)) if started else 0
        ccu = round(self.curve.value(tt)) if live else 0
        if f >= 1.0:
            clicks = sum(self.item_clicks)
            atc = sum(self.item_atc)
        else:
            clicks = sum(int(c * f) for c in self.item_clicks)
            atc = sum(int(a * f) for a in self.item_atc)
        i = bisect_right(self.order_ts, t_ms)
        j = bisect_right(self.conf_ts, t_ms)
        return SessionState(
            live=live,
            started=started,
            duration_ms=max(0, tt - self.start_ms),
            ccu=ccu,
            peak_ccu=peak,
            viewers=max(int(self.total_viewers * f), peak) if started else 0,
            views=max(int(self.total_views * f), peak) if started else 0,
            likes=int(self.total_likes * f),
            comments=int(self.total_comments * f),
            shares=int(self.total_shares * f),
            followers_growth=int(self.total_followers * f),
            atc=atc,
            product_clicks=clicks,
            watch_ms=self.curve.integral(tt) if started else 0.0,
            placed_orders=i,
            placed_items_sold=self.cum_qty[i],
            placed_gmv=self.cum_amt[i],
            buyers=self.cum_buyers[i],
            confirmed_orders=j,
            confirmed_items_sold=self.conf_cum_qty[j],
            confirmed_gmv=self.conf_cum_amt[j],
            confirmed_buyers=self.conf_cum_buyers[j],
        )

    def _item_index(self) -> _ItemIndex:
        if self._items is not None:
            return self._items
        n = len(self.products)
        p_ts: list[list[int]] = [[] for _ in range(n)]
        p_q: list[list[int]] = [[0] for _ in range(n)]
        p_a: list[list[int]] = [[0] for _ in range(n)]
        confirmed: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        for ts, it, q, a, c in zip(
            self.order_ts, self.order_item, self.order_qty, self.order_amt, self.order_conf, strict=True
        ):
            p_ts[it].append(ts)
            p_q[it].append(p_q[it][-1] + q)
            p_a[it].append(p_a[it][-1] + a)
            if c >= 0:
                confirmed[it].append((c, q, a))
        c_ts: list[array[int]] = []
        c_q: list[array[int]] = []
        c_a: list[array[int]] = []
        for events in confirmed:
            events.sort()
            cq = [0]
            ca = [0]
            for _, q, a in events:
                cq.append(cq[-1] + q)
                ca.append(ca[-1] + a)
            c_ts.append(array("q", [e[0] for e in events]))
            c_q.append(array("q", cq))
            c_a.append(array("q", ca))
        self._items = _ItemIndex(
            placed_ts=[array("q", x) for x in p_ts],
            placed_qty=[array("q", x) for x in p_q],
            placed_amt=[array("q", x) for x in p_a],
            conf_ts=c_ts,
            conf_qty=c_q,
            conf_amt=c_a,
        )
        return self._items

    def item_states(self, t_ms: int) -> list[ItemState]:
        idx = self._item_index()
        f = self.frac(min(t_ms, self.end_ms)) if t_ms >= self.start_ms else 0.0
        out: list[ItemState] = []
        for k, product in enumerate(self.products):
            i = bisect_right(idx.placed_ts[k], t_ms)
            j = bisect_right(idx.conf_ts[k], t_ms)
            out.append(
                ItemState(
                    item_id=product.item_id,
                    title=product.title,
                    cover_image=product.cover_image,
                    min_price=product.price,
                    max_price=product.max_price,
                    product_clicks=int(self.item_clicks[k] * f),
                    atc=int(self.item_atc[k] * f),
                    placed_orders=i,
                    placed_items_sold=idx.placed_qty[k][i],
                    placed_gmv=idx.placed_amt[k][i],
                    confirmed_orders=j,
                    confirmed_items_sold=idx.conf_qty[k][j],
                    confirmed_gmv=idx.conf_amt[k][j],
                )
            )
        return out


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """A session's schedule only (cheap: used to list and locate sessions)."""

    session_id: int
    account: int
    local_date: date
    slot: int
    start_ms: int
    end_ms: int


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self.data[key] = value
        if len(self.data) > self.size:
            self.data.popitem(last=False)


class World:
    """The deterministic simulated world; generates lazily and caches (bounded) what it generated."""

    def __init__(
        self,
        *,
        seed: int,
        accounts: int,
        timezone: str = "Asia/Jakarta",
        settle_delay: timedelta = timedelta(hours=6),
        status_lie_fraction: float = 0.0,
        history_null_fraction: float = 0.1,
        session_cache_size: int = 30_000,
    ) -> None:
        self.seed = seed
        self.n_accounts = accounts
        self.tz = ZoneInfo(timezone)
        self.settle_delay_ms = int(settle_delay.total_seconds() * 1000)
        self.status_lie_fraction = status_lie_fraction
        self.history_null_fraction = history_null_fraction
        self.accounts: list[Account] = [self._make_account(i) for i in range(accounts)]
        self._by_user_id = {a.user_id: a for a in self.accounts}
        self._plans: _Lru[tuple[int, int], list[SessionPlan]] = _Lru(max(4 * accounts * 8, 1000))
        self._sessions: _Lru[int, Session] = _Lru(session_cache_size)
        self._products: dict[int, Product] = {}

    # --- accounts ------------------------------------------------------------------------------------------

    def _make_account(self, index: int) -> Account:
        rng = _rng(self.seed, "account", index)
        tier = rng.choices(TIERS, weights=(0.6, 0.3, 0.1))[0]
        n_shifts = {"small": 1, "mid": rng.choice((1, 2)), "large": rng.choice((2, 3))}[tier]
        usual = tuple(sorted(rng.sample(range(len(SHIFTS)), n_shifts)))
        name = (
            f"{rng.choice(_BRANDS).lower().replace(' ', '')}.{rng.choice(('official', 'store', 'id', 'live'))}{index}"
        )
        return Account(
            index=index,
            user_id=USER_ID_BASE + index * 1000 + rng.randrange(1000),
            shop_id=SHOP_ID_BASE + index * 1000 + rng.randrange(1000),
            user_name=name,
            tier=tier,
            usual_shifts=usual,
            spc_st=_hex(self.seed, index, "st", n=48),
            spc_ec=_hex(self.seed, index, "ec", n=40),
            spc_f=_hex(self.seed, index, "f", n=32),
        )

    def account_by_user_id(self, user_id: int) -> Account | None:
        return self._by_user_id.get(user_id)

    def product(self, account: int, k: int) -> Product:
        """Product `k` of an account's catalogue (a pure function of seed, account and k; cached)."""
        key = account * CATALOGUE_SIZE + k
        cached = self._products.get(key)
        if cached is not None:
            return cached
        d = hashlib.blake2b(f"{self.seed}:product:{account}:{k}".encode(), digest_size=8).digest()
        price = (60 + int.from_bytes(d[3:5], "big") % 440) * 500  # Rp 30k-250k
        item_id = ITEM_ID_BASE + account * 1000 + k
        product = Product(
            item_id=item_id,
            title=f"{_BRANDS[d[0] % len(_BRANDS)]} {_CATEGORIES[d[1] % len(_CATEGORIES)]} "
            f"{_VARIANTS[d[2] % len(_VARIANTS)]}",
            price=price,
            max_price=price + (0, 0, 0, 5000, 10000, 25000)[d[5] % 6],
            cover_image=f"https://down-id.img.susercontent.com/file/sim-item-{item_id}",
        )
        if len(self._products) > 500_000:
            self._products.clear()
        self._products[key] = product
        return product

    def catalogue(self, account: int) -> list[Product]:
        return [self.product(account, k) for k in range(CATALOGUE_SIZE)]

    # --- schedules -----------------------------------------------------------------------------------------

    def local_date(self, t_ms: int) -> date:
        return datetime.fromtimestamp(t_ms / 1000, self.tz).date()

    def _local_ms(self, day: date, hour: int, minute: int = 0) -> int:
        extra_days, hour = divmod(hour, 24)
        local = datetime.combine(day + timedelta(days=extra_days), time(hour, minute), self.tz)
        return int(local.timestamp() * 1000)

    def plans_for_day(self, account: int, day: date) -> list[SessionPlan]:
        """The sessions an account streams that start on local date `day` (ordered by start)."""
        day_ord = (day - EPOCH_DAY).days
        key = (account, day_ord)
        cached = self._plans.get(key)
        if cached is not None:
            return cached
        acct = self.accounts[account]
        rng = _rng(self.seed, "day", account, day_ord)
        plans: list[SessionPlan] = []
        if rng.random() < 0.88:
            shifts = set(acct.usual_shifts)
            if rng.random() < 0.12:
                shifts.add(rng.randrange(len(SHIFTS)))
            if len(shifts) > 1 and rng.random() < 0.15:
                shifts.discard(rng.choice(sorted(shifts)))
            chosen = sorted(shifts)
            hard_limit = self._local_ms(day, 24 + 4, 30)  # 04:30 next day
            starts = [self._local_ms(day, SHIFTS[s][0]) + rng.randrange(0, 30 * MINUTE_MS) for s in chosen]
            for n, slot in enumerate(chosen):
                start = starts[n]
                if plans and start < plans[-1].end_ms + 10 * MINUTE_MS:
                    start = plans[-1].end_ms + 10 * MINUTE_MS
                hours = min(6.0, max(1.0, rng.lognormvariate(math.log(2.6), 0.45)))
                if rng.random() < 0.03:
                    hours = rng.uniform(6.0, 12.0)
                end = start + int(hours * 3_600_000) + rng.randrange(0, MINUTE_MS)
                limit = starts[n + 1] - 10 * MINUTE_MS if n + 1 < len(chosen) else hard_limit
                end = min(end, limit)
                if end - start < 20 * MINUTE_MS:
                    continue
                plans.append(
                    SessionPlan(
                        session_id=encode_session_id(day_ord, account, slot),
                        account=account,
                        local_date=day,
                        slot=slot,
                        start_ms=start,
                        end_ms=end,
                    )
                )
        self._plans.put(key, plans)
        return plans

    def plans_between(self, account: int, first_day: date, last_day: date) -> list[SessionPlan]:
        out: list[SessionPlan] = []
        day = first_day
        while day <= last_day:
            out.extend(self.plans_for_day(account, day))
            day += timedelta(days=1)
        return out

    def plans_started_within(self, account: int, from_ms: int, to_ms: int) -> list[SessionPlan]:
        """Sessions whose start is in [from_ms, to_ms], newest first."""
        first = self.local_date(from_ms) - timedelta(days=1)
        last = self.local_date(to_ms)
        plans = [p for p in self.plans_between(account, first, last) if from_ms <= p.start_ms <= to_ms]
        plans.sort(key=lambda p: p.start_ms, reverse=True)
        return plans

    def plan(self, session_id: int) -> SessionPlan | None:
        decoded = decode_session_id(session_id)
        if decoded is None:
            return None
        day_ord, account, _slot = decoded
        if account >= self.n_accounts:
            return None
        for p in self.plans_for_day(account, EPOCH_DAY + timedelta(days=day_ord)):
            if p.session_id == session_id:
                return p
        return None

    def current_plan(self, account: int, t_ms: int) -> SessionPlan | None:
        """The session on air at `t_ms`, if any."""
        day = self.local_date(t_ms)
        for p in self.plans_between(account, day - timedelta(days=1), day):
            if p.start_ms <= t_ms < p.end_ms:
                return p
        return None

    # --- sessions ------------------------------------------------------------------------------------------

    def session(self, session_id: int) -> Session | None:
        cached = self._sessions.get(session_id)
        if cached is not None:
            return cached
        plan = self.plan(session_id)
        if plan is None:
            return None
        sess = self._generate(plan)
        self._sessions.put(session_id, sess)
        return sess

    def session_of(self, plan: SessionPlan) -> Session:
        sess = self.session(plan.session_id)
        assert sess is not None
        return sess

    def _generate(self, plan: SessionPlan) -> Session:
        rng = _rng(self.seed, "session", plan.session_id)
        acct = self.accounts[plan.account]
        start, end = plan.start_ms, plan.end_ms
        dur = end - start
        hours = dur / 3_600_000
        scale = min(1.6, max(0.5, hours / 3.0))
        if acct.tier == "small":
            viewers = int(rng.uniform(50, 500) * scale)
            pcu = rng.uniform(5, 40)
            n_orders = rng.randint(0, 15)
            views_ratio = rng.uniform(1.4, 2.2)
        elif acct.tier == "mid":
            viewers = int(math.exp(rng.uniform(math.log(2_000), math.log(20_000))) * scale)
            pcu = math.exp(rng.uniform(math.log(100), math.log(1_000)))
            n_orders = int(math.exp(rng.uniform(math.log(20), math.log(300))))
            views_ratio = rng.uniform(1.8, 2.6)
        else:
            viewers = int(rng.uniform(50_000, 100_000) * scale)
            pcu = rng.uniform(1_000, 4_000)
            n_orders = int(viewers * rng.uniform(0.001, 0.015))
            views_ratio = rng.uniform(2.3, 2.7)
        viewers = max(viewers, int(pcu) + 1)

        # CCU curve: knots every ~10 minutes; ramp up, wander on a plateau, fade out.
        n_seg = max(3, round(dur / (10 * MINUTE_MS)))
        knots_t = [start + (dur * k) // n_seg for k in range(n_seg + 1)]
        level = rng.uniform(0.7, 1.0)
        values: list[float] = []
        ramp = max(1, int(n_seg * rng.uniform(0.1, 0.25)))
        for k in range(n_seg + 1):
            if k <= ramp:
                shape = 0.05 + 0.95 * (k / ramp)
            else:
                level = min(1.0, max(0.45, level + rng.gauss(0, 0.08)))
                shape = level
            if k == n_seg:
                shape *= rng.uniform(0.2, 0.5)
            values.append(shape)
        top = max(values)
        values = [pcu * v / top for v in values]
        curve = _Curve(knots_t, values)

        # Products on show, with skewed popularity.
        n_products = rng.randint(20, 100)
        products = [self.product(plan.account, k) for k in rng.sample(range(CATALOGUE_SIZE), n_products)]
        weights = [1.0 / (r + 1) ** 1.15 for r in range(n_products)]
        total_w = sum(weights)
        cum_weights = list(accumulate(weights))

        # Orders: times follow the audience curve; one item per order. (Hot path: plain lists, local names.)
        rnd = rng.random
        cum = curve.cum
        total_integral = cum[-1]
        last_seg = n_seg - 1
        raw_orders: list[tuple[int, int, int]] = []
        for _ in range(n_orders):
            k = bisect_right(cum, rnd() * total_integral) - 1
            k = 0 if k < 0 else (last_seg if k > last_seg else k)
            ts = knots_t[k] + int(rnd() * (knots_t[k + 1] - knots_t[k]))
            ts = start + 1 if ts <= start else (end - 1 if ts >= end else ts)
            item = bisect_right(cum_weights, rnd() * total_w)
            r = rnd()
            raw_orders.append(
                (ts, item if item < n_products else n_products - 1, 1 if r < 0.72 else (2 if r < 0.92 else 3))
            )
        raw_orders.sort()
        confirm_p = rng.uniform(0.8, 0.97)
        settle_ms = self.settle_delay_ms
        ts_l: list[int] = []
        item_l: list[int] = []
        qty_l: list[int] = []
        amt_l: list[int] = []
        conf_l: list[int] = []
        buyers_of: list[int] = []
        distinct: list[int] = [0]
        seen = 0
        for ts, item, qty in raw_orders:
            if seen and rnd() < 0.1:
                buyer = buyers_of[int(rnd() * len(buyers_of))]
            else:
                seen += 1
                buyer = seen
            buyers_of.append(buyer)
            distinct.append(seen)
            if rnd() < confirm_p:
                if rnd() < 0.6:
                    conf = ts + MINUTE_MS + int(rnd() * 9 * MINUTE_MS)
                else:
                    conf = max(ts + MINUTE_MS, end + int(rnd() * settle_ms))
            else:
                conf = -1
            ts_l.append(ts)
            item_l.append(item)
            qty_l.append(qty)
            amt_l.append(qty * products[item].price)
            conf_l.append(conf)
        o_ts, o_item, o_qty, o_amt, o_conf = (array("q", x) for x in (ts_l, item_l, qty_l, amt_l, conf_l))
        cum_qty = array("q", accumulate(qty_l, initial=0))
        cum_amt = array("q", accumulate(amt_l, initial=0))
        cum_buyers = array("q", distinct)
        confirmed = sorted((c, q, a, b) for c, q, a, b in zip(conf_l, qty_l, amt_l, buyers_of, strict=True) if c >= 0)
        c_seen: set[int] = set()
        c_distinct = [0]
        for row in confirmed:
            c_seen.add(row[3])
            c_distinct.append(len(c_seen))
        c_ts = array("q", [row[0] for row in confirmed])
        c_qty = array("q", accumulate((row[1] for row in confirmed), initial=0))
        c_amt = array("q", accumulate((row[2] for row in confirmed), initial=0))
        c_buy = array("q", c_distinct)

        # Per-item engagement totals (clicks, add-to-cart), skewed like sales.
        total_clicks = int(viewers * rng.uniform(0.05, 0.3))
        item_orders = [0] * n_products
        for it in o_item:
            item_orders[it] += 1
        item_clicks = [int(total_clicks * w / total_w) + 3 * item_orders[k] for k, w in enumerate(weights)]
        item_atc = [int(c * rng.uniform(0.08, 0.2)) + item_orders[k] for k, c in enumerate(item_clicks)]

        hook = rng.choice(_TITLE_HOOKS)
        nulls: frozenset[str] = frozenset()
        if rng.random() < self.history_null_fraction:
            nulls = frozenset({"views", "peakViews", "likes", "followersGrowth", "productClicks", "conversionRate"})
        if rng.random() < 0.3:
            nulls = nulls | {"paidOrders", "paidSales"}
        return Session(
            session_id=plan.session_id,
            account=plan.account,
            local_date=plan.local_date,
            slot=plan.slot,
            title=f"{hook} {products[0].title.split(' ')[1]} {rng.choice((10, 20, 30, 50, 70))}% | {acct.user_name}",
            cover_image=f"https://down-id.img.susercontent.com/file/sim-live-{plan.session_id}",
            start_ms=start,
            end_ms=end,
            status_lies=rng.random() < self.status_lie_fraction,
            history_nulls=nulls,
            curve=curve,
            total_viewers=viewers,
            total_views=int(viewers * views_ratio),
            total_likes=int(viewers * rng.uniform(0.5, 5.0)),
            total_comments=int(viewers * rng.uniform(0.05, 0.5)),
            total_shares=int(viewers * rng.uniform(0.005, 0.03)),
            total_followers=int(viewers * rng.uniform(0.005, 0.03)),
            products=products,
            item_clicks=item_clicks,
            item_atc=item_atc,
            order_ts=o_ts,
            order_item=o_item,
            order_qty=o_qty,
            order_amt=o_amt,
            order_conf=o_conf,
            cum_qty=cum_qty,
            cum_amt=cum_amt,
            cum_buyers=cum_buyers,
            conf_ts=c_ts,
            conf_cum_qty=c_qty,
            conf_cum_amt=c_amt,
            conf_cum_buyers=c_buy,
            settles_at_ms=max([end, *c_ts]),
        )
