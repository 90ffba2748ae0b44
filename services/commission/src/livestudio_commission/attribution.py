"""Attribution of a session's sales to the hosts on air: cumulative observations in, exact per-bucket parts out.

What "the host on air at that time" means, precisely:

* Figures are cumulative. For each metric (placed orders, placed GMV, confirmed orders, confirmed GMV) the
  session keeps the last applied value and the time it was known at (`as_of`; the session start before the
  first report). An observation newer than the session's last applied one turns every reported metric into an
  *increment*: new value minus last value (an unreported metric, `None`, changes nothing and stays unknown).
  Equal or older observations are ignored, so applying is idempotent on content.
* **Time increments.** The increment of a metric covers the interval `(as_of, t]` (`t` = the observation's
  `observed_at`, clipped at the session's end when the end is known). It is split over the on-air windows
  overlapping that interval pro rata to overlap duration; where co-hosts overlap, that stretch is split by their
  shares. Time that no window covers goes to the *unassigned* bucket of its local day. An empty interval (an
  observation at the session start) goes to the windows containing `t` (`start < t <= end`), else unassigned.
* **Settlement increments.** Figures that settle after the stream: every `SessionCorrected`, and observations
  whose previous observation is at or after the session's end (`SessionEnded.ended_at`, a correction's
  `ended_at`, or `started_at + duration_ms` of an off-air snapshot). They are split pro rata to the buckets'
  placed GMV so far (hosts and unassigned alike), which keeps each host's share of the session. With no
  positive placed GMV yet (e.g. a backfilled session) they are split by time over the whole session.
* **Exactness.** Each increment is split by largest remainder (orders in whole orders, money in the currency
  quantum), so the buckets of a session always add up exactly to its last applied cumulative figures.
* **On-air time.** For time observations, each window's overlap with `(previous observation, t]` (clipped at
  the end) is added to its bucket's `on_air_ms` (co-hosts each get the full time); uncovered time goes to the
  unassigned bucket.

A bucket is (host or unassigned, the window it came from, local day); the shift of the window rides along so
pay rules can tell shifts and day types apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

from livestudio_commission.money import Weights, allocate_money, allocate_units
from livestudio_commission.roster import OnAirWindow

Metric = Literal["placed_orders", "placed_sales", "confirmed_orders", "confirmed_sales"]
METRICS: tuple[Metric, ...] = ("placed_orders", "placed_sales", "confirmed_orders", "confirmed_sales")
ORDER_METRICS: frozenset[Metric] = frozenset({"placed_orders", "confirmed_orders"})
Value = int | Decimal
ObservationKind = Literal["snapshot", "ended", "corrected"]
IncrementKind = Literal["time", "settle"]
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class Observation:
    """One session event reduced to what attribution needs."""

    kind: ObservationKind
    account_id: str
    session_id: int
    studio_id: str
    started_at: datetime
    observed_at: datetime
    values: Mapping[Metric, Value | None]
    ended_at: datetime | None = None
    on_air: bool | None = None
    duration_ms: int | None = None
    timezone: str = "Asia/Jakarta"
    currency: str = "IDR"


@dataclass(frozen=True)
class SessionState:
    """What is kept per session between observations."""

    account_id: str
    session_id: int
    studio_id: str
    timezone: str
    currency: str
    started_at: datetime
    ended_at: datetime | None
    last_observed_at: datetime | None
    values: Mapping[Metric, Value | None]
    as_of: Mapping[Metric, datetime | None]
    increments: int = 0


@dataclass(frozen=True)
class MetricDelta:
    amount: Value
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Increment:
    seq: int
    kind: IncrementKind
    observed_at: datetime
    deltas: Mapping[Metric, MetricDelta]
    on_air: tuple[datetime, datetime] | None


@dataclass(frozen=True, order=True)
class Bucket:
    host_key: str
    """host id, or "" for the unassigned bucket"""
    window_key: str
    local_day: date
    shift_id: str | None = field(default=None, compare=False)
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Buckets are dictionary keys on the hot path: hash once.
        object.__setattr__(self, "_hash", hash((self.host_key, self.window_key, self.local_day)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def host_id(self) -> str | None:
        return self.host_key or None

    @staticmethod
    def unassigned(day: date) -> Bucket:
        return Bucket("", "", day, None)

    @staticmethod
    def of(window: OnAirWindow) -> Bucket:
        return Bucket(window.host_id, window.key, window.local_day, window.shift_id)


@dataclass
class Figures:
    """Attributed figures of one bucket (or one bucket's contribution); `None` = unknown."""

    values: dict[Metric, Value | None] = field(default_factory=lambda: dict.fromkeys(METRICS))
    on_air_ms: int | None = None

    def add(self, other: Figures) -> None:
        for metric in METRICS:
            delta = other.values.get(metric)
            if delta is not None:
                current = self.values.get(metric)
                self.values[metric] = delta if current is None else current + delta
        if other.on_air_ms is not None:
            self.on_air_ms = other.on_air_ms if self.on_air_ms is None else self.on_air_ms + other.on_air_ms


def new_state(obs: Observation) -> SessionState:
    return SessionState(
        account_id=obs.account_id,
        session_id=obs.session_id,
        studio_id=obs.studio_id,
        timezone=obs.timezone,
        currency=obs.currency,
        started_at=obs.started_at,
        ended_at=None,
        last_observed_at=None,
        values=dict.fromkeys(METRICS),
        as_of=dict.fromkeys(METRICS),
    )


def _known_end(state: SessionState, obs: Observation) -> datetime | None:
    if obs.kind == "ended" and obs.ended_at is not None:
        return obs.ended_at
    if state.ended_at is not None:
        return state.ended_at
    if obs.kind == "corrected" and obs.ended_at is not None:
        return obs.ended_at
    if obs.kind == "snapshot" and obs.on_air is False and obs.duration_ms is not None:
        return state.started_at + timedelta(milliseconds=obs.duration_ms)
    return None


def observe(state: SessionState | None, obs: Observation) -> tuple[SessionState, Increment | None]:
    """Apply one observation to a session's state; the increment to attribute, or None if nothing changed."""
    state = state or new_state(obs)
    ended = _known_end(state, obs)
    if state.last_observed_at is not None and obs.observed_at <= state.last_observed_at:
        return replace(state, ended_at=ended), None
    a = state.last_observed_at or state.started_at
    b = obs.observed_at
    settle = obs.kind == "corrected" or (ended is not None and a >= ended)
    end_clip = min(b, ended) if ended is not None else b
    values = dict(state.values)
    as_of = dict(state.as_of)
    deltas: dict[Metric, MetricDelta] = {}
    for metric in METRICS:
        new = obs.values.get(metric)
        if new is None:
            continue
        previous = state.values.get(metric)
        amount = new - (previous if previous is not None else 0)
        if amount != 0:
            if settle:
                deltas[metric] = MetricDelta(amount, state.started_at, ended or b)
            else:
                start = as_of.get(metric) or state.started_at
                deltas[metric] = MetricDelta(amount, min(start, end_clip), end_clip)
        values[metric] = new
        as_of[metric] = b
    on_air = None if settle or end_clip <= a else (a, end_clip)
    changed = bool(deltas) or on_air is not None
    seq = state.increments + 1 if changed else state.increments
    updated = SessionState(
        account_id=state.account_id,
        session_id=state.session_id,
        studio_id=state.studio_id,
        timezone=state.timezone,
        currency=state.currency,
        started_at=state.started_at,
        ended_at=ended,
        last_observed_at=b,
        values=values,
        as_of=as_of,
        increments=seq,
    )
    if not changed:
        return updated, None
    return updated, Increment(seq, "settle" if settle else "time", b, deltas, on_air)


# --- splitting over time ------------------------------------------------------------------------------------
def _local_midnights(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    out: list[datetime] = []
    day = start.astimezone(tz).date() + timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
        if start < midnight < end:
            out.append(midnight)
        day += timedelta(days=1)
    return out


def _segments(
    windows: Sequence[OnAirWindow], start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[datetime, datetime, list[OnAirWindow]]]:
    """Elementary stretches of (start, end] in which the set of windows on air does not change."""
    relevant = [w for w in windows if w.start < end and w.end > start and w.end > w.start]
    cuts = {start, end, *_local_midnights(start, end, tz)}
    for w in relevant:
        if start < w.start < end:
            cuts.add(w.start)
        if start < w.end < end:
            cuts.add(w.end)
    points = sorted(cuts)
    out: list[tuple[datetime, datetime, list[OnAirWindow]]] = []
    for s, e in pairwise(points):
        out.append((s, e, [w for w in relevant if w.start <= s and w.end >= e]))
    return out


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


Segments = list[tuple[datetime, datetime, list[OnAirWindow]]]


def time_weights(
    windows: Sequence[OnAirWindow],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    segments: Segments | None = None,
) -> list[tuple[Bucket, Fraction | int]]:
    """Weights of the buckets for an increment over (start, end] (a point at `end` if empty)."""
    weights: dict[Bucket, Fraction | int] = {}
    if end <= start:
        active = [w for w in windows if w.start < end <= w.end]
        if not active:
            return [(Bucket.unassigned((end - _MICRO).astimezone(tz).date()), 1)]
        for w in active:
            weights[Bucket.of(w)] = weights.get(Bucket.of(w), 0) + Fraction(w.share)
        return sorted(weights.items())
    for s, e, active in segments if segments is not None else _segments(windows, start, end, tz):
        length = _micros(e - s)
        if len(active) <= 1:  # nobody, or one host: the whole stretch, in integer microseconds
            bucket = Bucket.of(active[0]) if active else Bucket.unassigned(s.astimezone(tz).date())
            weights[bucket] = weights.get(bucket, 0) + length
            continue
        total_share = sum((Fraction(w.share) for w in active), Fraction(0))
        for w in active:
            bucket = Bucket.of(w)
            weights[bucket] = weights.get(bucket, 0) + length * Fraction(w.share) / total_share
    return sorted(weights.items())


def on_air_ms(
    windows: Sequence[OnAirWindow],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    segments: Segments | None = None,
) -> dict[Bucket, int]:
    """Milliseconds each bucket was on air during (start, end]; uncovered time is the unassigned bucket's."""
    micros: dict[Bucket, int] = {}
    for s, e, active in segments if segments is not None else _segments(windows, start, end, tz):
        length = _micros(e - s)
        buckets = [Bucket.of(w) for w in active] or [Bucket.unassigned(s.astimezone(tz).date())]
        for bucket in buckets:
            micros[bucket] = micros.get(bucket, 0) + length
    return {b: (us + 500) // 1000 for b, us in micros.items()}


def allocate_increment(
    increment: Increment,
    windows: Sequence[OnAirWindow],
    tz: ZoneInfo,
    placed_sales: Mapping[Bucket, Value | None],
    quantum: Decimal,
) -> dict[Bucket, Figures]:
    """Split one increment over buckets. `placed_sales`: the session's placed GMV per bucket so far (settlement)."""
    out: dict[Bucket, Figures] = {}
    share_weights: Weights[Bucket] | None = None
    if increment.kind == "settle":
        positive = sorted((b, Fraction(v)) for b, v in placed_sales.items() if v is not None and v > 0)
        share_weights = Weights.of(positive) if positive else None
    # Metrics usually share one interval, and it is usually the on-air interval too: cut it into segments once.
    segments: dict[tuple[datetime, datetime], Segments] = {}
    weights_cache: dict[tuple[datetime, datetime], Weights[Bucket]] = {}
    for metric, delta in increment.deltas.items():
        weights = share_weights
        if weights is None:
            span = (delta.start, delta.end)
            weights = weights_cache.get(span)
            if weights is None:
                cut = None
                if delta.end > delta.start:
                    cut = segments[span] = _segments(windows, delta.start, delta.end, tz)
                weights = weights_cache[span] = Weights.of(time_weights(windows, delta.start, delta.end, tz, cut))
        parts: Mapping[Bucket, Value]
        if len(weights.keys) == 1:  # the common case: one bucket takes it all
            parts = {weights.keys[0]: delta.amount}
        elif metric in ORDER_METRICS:
            parts = allocate_units(int(delta.amount), weights)
        else:
            parts = allocate_money(Decimal(delta.amount), weights, quantum)
        for bucket, amount in parts.items():
            figures = out.get(bucket)
            if figures is None:
                figures = out[bucket] = Figures()
            figures.values[metric] = amount
    if increment.on_air is not None:
        start, end = increment.on_air
        cut = segments.get(increment.on_air) or _segments(windows, start, end, tz)
        for bucket, ms in on_air_ms(windows, start, end, tz, cut).items():
            figures = out.get(bucket)
            if figures is None:
                figures = out[bucket] = Figures()
            figures.on_air_ms = ms
    return out


def merge_into(parts: dict[Bucket, Figures], contributions: Mapping[Bucket, Figures]) -> None:
    for bucket, figures in contributions.items():
        mine = parts.get(bucket)
        if mine is None:
            parts[bucket] = mine = Figures()
        mine.add(figures)


def replay(
    increments: Iterable[Increment], windows: Sequence[OnAirWindow], tz: ZoneInfo, quantum: Decimal
) -> dict[Bucket, Figures]:
    """A session's parts recomputed from its stored increments (after a roster change)."""
    parts: dict[Bucket, Figures] = {}
    for increment in sorted(increments, key=lambda i: i.seq):
        placed = {b: f.values["placed_sales"] for b, f in parts.items()} if increment.kind == "settle" else {}
        merge_into(parts, allocate_increment(increment, windows, tz, placed, quantum))
    return parts


def totals(parts: Mapping[Bucket, Figures]) -> Figures:
    out = Figures()
    for figures in parts.values():
        out.add(figures)
    return out
