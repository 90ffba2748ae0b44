"""Attribution: increments between observations split over on-air windows; settlement by placed GMV share;
and the property that every attributed unit adds up to the session's cumulative figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from livestudio_commission.attribution import (
    METRICS,
    Bucket,
    Figures,
    Metric,
    Observation,
    ObservationKind,
    SessionState,
    Value,
    allocate_increment,
    merge_into,
    observe,
    replay,
    time_weights,
    totals,
)
from livestudio_commission.roster import OnAirWindow

JKT = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 2)
Q = Decimal(1)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=JKT) + timedelta(hours=hour, minutes=minute)


def window(host: str, start: datetime, end: datetime, share: str = "1", key: str | None = None) -> OnAirWindow:
    return OnAirWindow(key or f"e-{host}", host, start, end, Decimal(share), "shift", DAY)


def obs(
    observed: datetime,
    kind: ObservationKind = "snapshot",
    *,
    placed: int | None = None,
    orders: int | None = None,
    confirmed: int | None = None,
    ended_at: datetime | None = None,
    on_air: bool = True,
    started: datetime | None = None,
) -> Observation:
    values: dict[Metric, Value | None] = {
        "placed_orders": orders,
        "placed_sales": None if placed is None else Decimal(placed),
        "confirmed_orders": None,
        "confirmed_sales": None if confirmed is None else Decimal(confirmed),
    }
    return Observation(
        kind=kind,
        account_id="acc",
        session_id=1,
        studio_id="st",
        started_at=started or at(9),
        observed_at=observed,
        values=values,
        ended_at=ended_at,
        on_air=on_air,
    )


def run(
    observations: list[Observation], windows: list[OnAirWindow]
) -> tuple[SessionState | None, dict[Bucket, Figures]]:
    state: SessionState | None = None
    parts: dict[Bucket, Figures] = {}
    for o in observations:
        state, inc = observe(state, o)
        if inc is not None:
            placed = {b: f.values["placed_sales"] for b, f in parts.items()}
            merge_into(parts, allocate_increment(inc, windows, JKT, placed, Q))
    return state, parts


def by_host(parts: dict[Bucket, Figures], metric: Metric) -> dict[str, Value | None]:
    out: dict[str, Value | None] = {}
    for b, f in parts.items():
        name = b.host_id or "unassigned"
        v = f.values[metric]
        if v is not None:
            out[name] = out.get(name, 0) + v  # type: ignore[operator]
    return out


def test_increase_goes_to_the_host_on_air_pro_rata_to_overlap() -> None:
    windows = [window("h1", at(5), at(10)), window("h2", at(10), at(15))]
    _, parts = run(
        [obs(at(9, 30), placed=1_000_000), obs(at(10, 30), placed=2_000_000)],
        windows,
    )
    # (09:00, 09:30] is h1's; (09:30, 10:30] is half h1, half h2
    assert by_host(parts, "placed_sales") == {"h1": Decimal(1_500_000), "h2": Decimal(500_000)}
    assert {b.host_id: f.on_air_ms for b, f in parts.items()} == {"h1": 3_600_000, "h2": 1_800_000}


def test_co_hosts_split_by_share_with_exact_rounding() -> None:
    windows = [window("h3", at(10), at(15), "3"), window("h4", at(10), at(15), "1")]
    _, parts = run([obs(at(12), placed=2_000_002, orders=41, started=at(10))], windows)
    assert by_host(parts, "placed_sales") == {"h3": Decimal(1_500_002), "h4": Decimal(500_000)}
    assert by_host(parts, "placed_orders") == {"h3": 31, "h4": 10}


def test_time_outside_every_window_is_unassigned_by_local_day() -> None:
    windows = [window("h5", at(15), at(20))]
    _, parts = run([obs(at(14, 30), placed=500_000), obs(at(15, 30), placed=1_700_001)], windows)
    assert by_host(parts, "placed_sales") == {"unassigned": Decimal(1_100_001), "h5": Decimal(600_000)}
    assert {b.local_day for b in parts} == {DAY}


def test_unassigned_time_across_midnight_splits_by_local_day() -> None:
    weights = dict(time_weights([], at(23), at(25), JKT))
    assert weights == {Bucket.unassigned(DAY): 3600 * 10**6, Bucket.unassigned(date(2026, 3, 3)): 3600 * 10**6}


def test_older_equal_and_unreported_observations_change_nothing() -> None:
    state, parts = run(
        [
            obs(at(10), placed=100, confirmed=50),
            obs(at(10), placed=999),  # equal observed_at: ignored
            obs(at(9, 30), placed=5),  # older: ignored
            obs(at(11), placed=300),  # confirmed not reported: stays 50, still known as of 10:00
            obs(at(12), placed=300, confirmed=80),
        ],
        [window("h1", at(9), at(11)), window("h2", at(11), at(13))],
    )
    assert state is not None
    assert state.values["placed_sales"] == 300 and state.values["confirmed_sales"] == 80
    # confirmed +30 covered (10:00, 12:00]: half h1, half h2
    assert by_host(parts, "confirmed_sales") == {"h1": Decimal(65), "h2": Decimal(15)}
    assert by_host(parts, "placed_sales") == {"h1": Decimal(300)}
    assert totals(parts).values["placed_orders"] is None  # never reported: unknown, not zero


def test_settlement_after_the_end_follows_placed_gmv_shares() -> None:
    windows = [window("h1", at(9), at(10)), window("h2", at(10), at(11))]
    _, parts = run(
        [
            obs(at(10), placed=2_500_000, confirmed=2_000_000),
            obs(at(11), "ended", placed=4_200_000, confirmed=3_360_000, ended_at=at(11)),
            obs(at(12, day=date(2026, 3, 3)), "corrected", placed=4_200_000, confirmed=3_780_000, ended_at=at(11)),
        ],
        windows,
    )
    assert by_host(parts, "confirmed_sales") == {"h1": Decimal(2_250_000), "h2": Decimal(1_530_000)}


def test_a_snapshot_after_the_end_is_settlement_too() -> None:
    windows = [window("h1", at(9), at(10)), window("h2", at(10), at(11))]
    _, parts = run(
        [
            obs(at(10), placed=300, confirmed=0),
            obs(at(11), "ended", placed=400, confirmed=0, ended_at=at(11)),
            obs(at(18), placed=400, confirmed=100, on_air=False),  # hours later: would all be "nobody's" by time
        ],
        windows,
    )
    assert by_host(parts, "confirmed_sales") == {"h1": Decimal(75), "h2": Decimal(25)}


def test_a_backfilled_session_without_placed_gmv_is_split_over_the_whole_session_by_time() -> None:
    windows = [window("h1", at(9), at(10))]
    _, parts = run(
        [obs(at(20), "corrected", confirmed=1_000, ended_at=at(11))],
        windows,
    )
    assert by_host(parts, "confirmed_sales") == {"h1": Decimal(500), "unassigned": Decimal(500)}


def test_observation_at_the_start_goes_to_the_window_containing_it() -> None:
    _, parts = run([obs(at(9), placed=10, started=at(9))], [window("h1", at(8), at(10))])
    assert by_host(parts, "placed_sales") == {"h1": Decimal(10)}


def test_replay_equals_incremental_application() -> None:
    windows = [window("h1", at(9), at(10)), window("h2", at(9, 30), at(11), "2")]
    observations = [
        obs(at(9, 20), placed=101, orders=3, confirmed=7),
        obs(at(9, 50), placed=333, orders=9),
        obs(at(10, 40), "ended", placed=1_001, orders=17, confirmed=500, ended_at=at(10, 45)),
        obs(at(13), "corrected", placed=1_001, orders=17, confirmed=777, ended_at=at(10, 45)),
    ]
    state: SessionState | None = None
    increments = []
    for o in observations:
        state, inc = observe(state, o)
        if inc is not None:
            increments.append(inc)
    _, incremental = run(observations, windows)
    assert replay(increments, windows, JKT, Q) == incremental


# --- property: conservation --------------------------------------------------------------------------------
HOSTS = ("h1", "h2", "h3")


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[OnAirWindow], list[Observation]]:
    base = at(0)
    windows = []
    for i in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, 720))
        length = draw(st.integers(1, 300))
        share = draw(st.sampled_from(["1", "2", "0.5", "3"]))
        host = draw(st.sampled_from(HOSTS))
        windows.append(
            window(host, base + timedelta(minutes=start), base + timedelta(minutes=start + length), share, f"w{i}")
        )
    started = base + timedelta(minutes=draw(st.integers(0, 600)))
    count = draw(st.integers(1, 12))
    times = sorted(draw(st.lists(st.integers(-30, 900), min_size=count, max_size=count)))
    end_index = draw(st.integers(0, count))
    observations = []
    values: dict[str, int] = {"orders": 0, "placed": 0, "confirmed": 0}
    for i, minute in enumerate(times):
        for name in values:
            values[name] = max(0, values[name] + draw(st.integers(-50, 10_000)))
        kind: ObservationKind = "snapshot"
        if i == end_index:
            kind = "ended"
        elif i > end_index:
            kind = draw(st.sampled_from(["snapshot", "corrected"]))
        observations.append(
            obs(
                started + timedelta(minutes=minute, seconds=draw(st.integers(0, 59))),
                kind,
                placed=draw(st.one_of(st.none(), st.just(values["placed"]))),
                orders=draw(st.one_of(st.none(), st.just(values["orders"]))),
                confirmed=draw(st.one_of(st.none(), st.just(values["confirmed"]))),
                ended_at=started + timedelta(minutes=times[end_index]) if i >= end_index else None,
                on_air=i < end_index,
                started=started,
            )
        )
    # Replays and duplicates are part of life.
    observations += draw(st.lists(st.sampled_from(observations), max_size=3))
    return windows, observations


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_attribution_conserves_every_unit(scenario: tuple[list[OnAirWindow], list[Observation]]) -> None:
    windows, observations = scenario
    state, parts = run(observations, windows)
    assert state is not None
    total = totals(parts)
    for metric in METRICS:
        applied = state.values[metric]
        attributed = total.values[metric]
        if applied is None or applied == 0:
            assert attributed in (None, 0)
        else:
            assert attributed == applied, metric
    for figures in parts.values():
        for metric in ("placed_orders", "confirmed_orders"):
            value = figures.values[metric]  # type: ignore[index]
            assert value is None or isinstance(value, int)
