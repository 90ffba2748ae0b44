"""What an observation contributes to each read model: the register layout of the tables and the conversion.

Plain functions from contract payloads (msgspec Structs from `livestudio_schemas.fast`, or the pydantic models
for records only pydantic could judge: both have the models' attributes) to `lww.State`s, plus the checks that
reject impossible values (they raise `ImpossibleValue`, which sends the record to the DLQ). The local day of a
session is the date of its `started_at` in the event's `timezone` (the studio's). `SessionEnded`, and a
correction that knows the end, take the session off air for good: their off-air report carries `TERMINAL`, newer
than any snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any, Literal
from zoneinfo import ZoneInfo

from livestudio_analytics.lww import Column, Entry, Register, State, TableSpec, scalar
from livestudio_runtime.exactly_once import PoisonMessage

TERMINAL = datetime(9999, 12, 31, tzinfo=UTC)
"""observed_at given to the off-air report of an ended session: no later snapshot can put it back on air."""

MAX_COUNT = 10**12
"""No Shopee counter gets near this; larger values are corrupt (and would overflow the bigint rollups)."""
MAX_ID = 2**63 - 1
CLOCK_SKEW = timedelta(minutes=10)
"""How far before `started_at` an observation or end may be stamped before it counts as impossible."""

MONEY = "numeric(22,2)"
RATIO = "numeric(26,6)"
COUNT = "bigint"


class ImpossibleValue(PoisonMessage):
    """A record that validates against the schema but cannot be true (negative money, end before start, …)."""


SESSION_METRICS: tuple[tuple[str, str], ...] = (
    ("views", COUNT),
    ("viewers", COUNT),
    ("peak_viewers", COUNT),
    ("current_viewers", COUNT),
    ("avg_view_duration_ms", COUNT),
    ("comments", COUNT),
    ("likes", COUNT),
    ("shares", COUNT),
    ("followers_growth", COUNT),
    ("add_to_cart", COUNT),
    ("product_clicks", COUNT),
    ("conversion_rate", RATIO),
    ("buyers", COUNT),
    ("placed_orders", COUNT),
    ("placed_sales", MONEY),
    ("placed_items_sold", COUNT),
    ("confirmed_buyers", COUNT),
    ("confirmed_orders", COUNT),
    ("confirmed_sales", MONEY),
    ("confirmed_items_sold", COUNT),
    ("paid_orders", COUNT),
    ("paid_sales", MONEY),
)

SESSIONS = TableSpec(
    table="sessions",
    keys=(Column("account_id", "text"), Column("session_id", "bigint")),
    registers=(
        Register(
            "identity",
            (
                Column("studio_id", "text"),
                Column("started_at", "timestamptz"),
                Column("timezone", "text"),
                Column("currency", "text"),
                Column("local_day", "date"),
            ),
        ),
        scalar("title", "text"),
        scalar("on_air", "boolean", descending=True),
        scalar("ended_at", "timestamptz"),
        scalar("duration_ms", COUNT),
        *(scalar(name, typ) for name, typ in SESSION_METRICS),
    ),
    maxima=("observed_at", "corrected_at", "live_observed_at"),
)

TIMELINE_METRICS: tuple[tuple[str, str], ...] = (
    ("viewers", COUNT),
    ("current_viewers", COUNT),
    ("placed_orders", COUNT),
    ("confirmed_orders", COUNT),
    ("placed_sales", MONEY),
    ("confirmed_sales", MONEY),
)

TIMELINE = TableSpec(
    table="session_timeline",
    keys=(Column("account_id", "text"), Column("session_id", "bigint"), Column("minute", "timestamptz")),
    registers=tuple(scalar(name, typ) for name, typ in TIMELINE_METRICS),
)

ITEM_METRICS: tuple[tuple[str, str], ...] = (
    ("title", "text"),
    ("min_price", MONEY),
    ("max_price", MONEY),
    ("product_clicks", COUNT),
    ("click_through_rate", RATIO),
    ("add_to_cart", COUNT),
    ("placed_orders", COUNT),
    ("placed_sales", MONEY),
    ("placed_items_sold", COUNT),
    ("confirmed_orders", COUNT),
    ("confirmed_sales", MONEY),
    ("confirmed_items_sold", COUNT),
)

ITEMS = TableSpec(
    table="session_items",
    keys=(Column("account_id", "text"), Column("session_id", "bigint"), Column("item_id", "bigint")),
    registers=(
        Register("identity", (Column("studio_id", "text"), Column("currency", "text"))),
        *(scalar(name, typ) for name, typ in ITEM_METRICS),
    ),
)

_IDENTITY, _TITLE, _ON_AIR, _ENDED_AT, _DURATION = (
    SESSIONS.position(name) for name in ("identity", "title", "on_air", "ended_at", "duration_ms")
)
_METRIC_VALUES = attrgetter(*(n for n, _ in SESSION_METRICS))
_COUNT_VALUES = attrgetter(*(n for n, typ in SESSION_METRICS if typ == COUNT and n != "followers_growth"))
_DECIMAL_VALUES = attrgetter(*(n for n, typ in SESSION_METRICS if typ != COUNT))
_TIMELINE_ENTRIES = itemgetter(*(SESSIONS.position(n) for n, _ in TIMELINE_METRICS))
_TIMELINE_VALUES = attrgetter(*(n for n, _ in TIMELINE_METRICS))
_ZERO = Decimal(0)
_FIRST_METRIC = 5
_SESSION_METRIC_NAMES = tuple(n for n, _ in SESSION_METRICS)
assert [SESSIONS.position(n) for n in _SESSION_METRIC_NAMES] == [_FIRST_METRIC + i for i in range(len(SESSION_METRICS))]
assert [TIMELINE.position(n) for n, _ in TIMELINE_METRICS] == list(range(len(TIMELINE_METRICS)))
_TIMELINE_METRIC_NAMES = tuple(n for n, _ in TIMELINE_METRICS)
_ITEM_IDENTITY = ITEMS.position("identity")
_ITEM_METRIC_PLAN = tuple((name, ITEMS.position(name)) for name, _ in ITEM_METRICS)


# --- checks ------------------------------------------------------------------------------------------------
def check_text(field: str, value: str) -> None:
    if value.isascii() and "\x00" not in value:
        return
    if "\x00" in value:
        raise ImpossibleValue(f"{field}: NUL character")
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise ImpossibleValue(f"{field}: not valid text ({exc.reason})") from exc


def _check_number(field: str, value: int) -> None:
    if not -MAX_COUNT <= value <= MAX_COUNT:
        raise ImpossibleValue(f"{field}: {value} is out of range")


def check_id(field: str, value: int) -> None:
    if not 0 < value <= MAX_ID:
        raise ImpossibleValue(f"{field}: {value} is out of range")


def check_currency(value: str) -> None:
    if not (len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()):
        raise ImpossibleValue(f"currency: {value!r} is not an ISO 4217 code")


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for malformed keys, …
        raise ImpossibleValue(f"timezone: unknown zone {name!r}") from exc


@lru_cache(maxsize=16384)
def local_day(started_at: datetime, timezone: str) -> date:
    """The studio-local date a session belongs to (cached: every snapshot of a session asks again)."""
    try:
        return started_at.astimezone(zone(timezone)).date()
    except OverflowError as exc:
        raise ImpossibleValue(f"started_at: {started_at} has no local date") from exc


def _utc(value: datetime) -> datetime:
    """The same instant in `datetime.UTC`. Always converted: two datetimes that share the tzinfo object compare
    ~20x faster than pydantic's per-value tzinfo objects (every merge and sort compares them)."""
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ImpossibleValue(f"timestamp {value} is out of range") from exc


# --- sessions ----------------------------------------------------------------------------------------------
SessionKind = Literal["snapshot", "ended", "corrected"]
SessionPayload = Any
"""The `data` of a session snapshot, end or correction: a Struct of `livestudio_schemas.fast`, or the model."""
ItemsPayload = Any
"""The `data` of an item snapshot: a Struct of `livestudio_schemas.fast`, or `ItemSnapshots`."""


def check_session(obs: SessionPayload, kind: SessionKind) -> tuple[datetime, datetime]:
    """Raise `ImpossibleValue` for values of a session observation that cannot be true; return its observation
    and start times in UTC.

    Runs for every record (a poison record goes to the DLQ whether or not a newer one supersedes it).
    """
    check_text("account_id", obs.account_id)
    check_text("studio_id", obs.studio_id)
    check_id("session_id", obs.session_id)
    check_currency(obs.currency)
    timezone = obs.timezone
    check_text("timezone", timezone)
    ts = _utc(obs.observed_at)
    started = _utc(obs.started_at)
    if ts < started - CLOCK_SKEW:
        raise ImpossibleValue(f"observed_at {obs.observed_at} is before the session started ({obs.started_at})")
    local_day(started, timezone)  # unknown zone, no local date
    _check_session_metrics(obs.metrics)
    if obs.title is not None:
        check_text("title", obs.title)
    if kind != "snapshot" and obs.ended_at is not None:
        ended_at = _utc(obs.ended_at)
        if ended_at < started - CLOCK_SKEW:
            raise ImpossibleValue(f"ended_at {ended_at} is before the session started ({obs.started_at})")
    if obs.duration_ms is not None:
        _check_number("duration_ms", obs.duration_ms)
    return ts, started


def session_states(
    obs: SessionPayload, kind: SessionKind, ts: datetime, started: datetime
) -> tuple[State, tuple[datetime, State] | None]:
    """The session row and the timeline point (minute, point) as this one checked observation knows them.

    `ts` and `started` are what `check_session` returned. Corrections are settled figures, not chart points of
    the stream: they have no timeline point.
    """
    # registers: identity, title, on_air, ended_at, duration_ms, then the metrics in SESSION_METRICS order
    entries: list[Entry | None] = [None, None, None, None, None]
    entries += [None if v is None else (ts, (v,)) for v in _METRIC_VALUES(obs.metrics)]
    timezone, currency = obs.timezone, obs.currency
    entries[_IDENTITY] = (ts, (obs.studio_id, started, timezone, currency, local_day(started, timezone)))
    if obs.title is not None:
        entries[_TITLE] = (ts, (obs.title,))
    if kind == "snapshot":
        entries[_ON_AIR] = (ts, (obs.on_air,))
    elif obs.ended_at is not None:  # an end, or a correction that knows the end
        entries[_ON_AIR] = (TERMINAL, (False,))
        entries[_ENDED_AT] = (ts, (_utc(obs.ended_at),))
    if obs.duration_ms is not None:
        entries[_DURATION] = (ts, (obs.duration_ms,))
    if kind == "corrected":
        return State(entries, [ts, ts, None]), None
    point = list(_TIMELINE_ENTRIES(entries))  # the same reports, per minute
    return State(entries, [ts, None, ts]), (minute_of(chart_time(obs, kind, ts, started)), State(point, [ts]))


def timeline_point(
    obs: SessionPayload, kind: SessionKind, ts: datetime, started: datetime
) -> tuple[datetime, State] | None:
    """Only the timeline point of `session_states` (cheaper when the session row is not needed)."""
    if kind == "corrected":
        return None
    point: list[Entry | None] = [None if v is None else (ts, (v,)) for v in _TIMELINE_VALUES(obs.metrics)]
    return minute_of(chart_time(obs, kind, ts, started)), State(point, [ts])


def chart_time(obs: SessionPayload, kind: SessionKind, ts: datetime, started: datetime) -> datetime:
    """When the figures of a live observation stood: its observation time, except for a session read off air
    after its stream ended (a session first seen already ended, a settling re-read, a late end), whose figures
    are the stream's totals: those stood at the stream's end (`ended_at`, else the start plus Shopee's
    duration). Without this, the totals of a week of sessions listed when an account connects would all land
    in the minute (and the hour of the day) they were read."""
    if kind == "snapshot":
        if obs.on_air or obs.duration_ms is None:
            return ts
        end = started + timedelta(milliseconds=obs.duration_ms)
    elif obs.ended_at is not None:
        end = _utc(obs.ended_at)
    else:
        return ts
    return end if started <= end < ts else ts


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


def minute_of(ts: datetime) -> datetime:
    """The UTC minute of a timeline point (arithmetic on the epoch: `replace` with keywords, or building a
    `timedelta` from the seconds, is about twice as slow)."""
    return ts - (ts - EPOCH) % _MINUTE


Reports = Callable[[SessionPayload], bool]
"""Whether a snapshot reports anything a merged state lacks (see `row_gaps`)."""


def _always(_: SessionPayload) -> bool:
    return True


def _never(_: SessionPayload) -> bool:
    return False


def _reporting(names: Sequence[str], title: bool = False, duration: bool = False) -> Reports:
    """A test for whether a snapshot reports any of these metrics (or its title or duration)."""
    if not names and not title and not duration:
        return _never
    get = attrgetter(*names) if names else None
    unreported: Any = None if len(names) == 1 else (None,) * len(names)  # what `get` returns if none is reported

    def reports(snapshot: SessionPayload) -> bool:
        if title and snapshot.title is not None:
            return True
        if duration and snapshot.duration_ms is not None:
            return True
        return get is not None and get(snapshot.metrics) != unreported

    return reports


def row_gaps(row: State) -> Reports:
    """For a merged session row: does an (older) snapshot report any register the row lacks, or its live time?"""
    if row.maxima[2] is None:
        return _always
    missing = [i for i, entry in enumerate(row.entries) if entry is None]
    if any(i in (_IDENTITY, _ON_AIR) for i in missing):  # every snapshot reports these
        return _always
    names = [_SESSION_METRIC_NAMES[i - _FIRST_METRIC] for i in missing if i >= _FIRST_METRIC]
    return _reporting(names, title=_TITLE in missing, duration=_DURATION in missing)  # never ended_at


def point_gaps(point: State) -> Reports:
    """For a merged timeline point: does a snapshot of the same minute report a figure the point lacks?"""
    return _reporting([_TIMELINE_METRIC_NAMES[i] for i, entry in enumerate(point.entries) if entry is None])


def _check_session_metrics(reported: Any) -> None:
    """Counters within range (the schema already says >= 0), amounts and rates not negative."""
    for value in _COUNT_VALUES(reported):
        if value is not None and value > MAX_COUNT:
            break
    else:
        for value in _DECIMAL_VALUES(reported):
            if value is not None and value < _ZERO:
                break
        else:
            growth = reported.followers_growth
            if growth is None or -MAX_COUNT <= growth <= MAX_COUNT:
                return
    for name, typ in SESSION_METRICS:  # slow path: name the culprit
        value = getattr(reported, name)
        if value is None:
            continue
        if typ == COUNT and not -MAX_COUNT <= value <= MAX_COUNT:
            raise ImpossibleValue(f"metrics.{name}: {value} is out of range")
        if typ != COUNT and value < _ZERO:
            raise ImpossibleValue(f"metrics.{name}: negative amount {value}")
    raise AssertionError("unreachable")  # pragma: no cover


# --- items -------------------------------------------------------------------------------------------------
def item_states(snap: ItemsPayload) -> tuple[tuple[int, State], ...]:
    """(item_id, row) per product of the snapshot; raises `ImpossibleValue` for values that cannot be true."""
    check_text("account_id", snap.account_id)
    check_text("studio_id", snap.studio_id)
    check_id("session_id", snap.session_id)
    check_currency(snap.currency)
    ts = _utc(snap.observed_at)
    identity: Entry = (ts, (snap.studio_id, snap.currency))
    out: list[tuple[int, State]] = []
    for item in snap.items:
        item_id = item.item_id
        check_id("items.item_id", item_id)
        entries: list[Entry | None] = [None] * len(ITEMS.registers)
        entries[_ITEM_IDENTITY] = identity
        for name, pos in _ITEM_METRIC_PLAN:
            value = getattr(item, name)
            if value is None:
                continue
            if value.__class__ is str:
                check_text(f"items[{item_id}].{name}", value)
            elif value.__class__ is int:
                if value > MAX_COUNT:
                    raise ImpossibleValue(f"items[{item_id}].{name}: {value} is out of range")
            elif value < 0:
                raise ImpossibleValue(f"items[{item_id}].{name}: negative amount {value}")
            entries[pos] = (ts, (value,))
        out.append((item_id, State(entries, [ts])))
    return tuple(out)
