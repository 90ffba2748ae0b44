"""Hours of the day of attributed figures: a bucket's amount split over the local hours of its interval, exactly,
and the property that the hours of every bucket add up to the bucket (so pay and hours never disagree)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings

from livestudio_commission.attribution import (
    METRICS,
    Bucket,
    Figures,
    Observation,
    SessionState,
    allocate_increment,
    merge_into,
    observe,
    replay,
)
from livestudio_commission.hours import HourPart, bucket_sums, hour_spans, merge_hours, replay_hours, split_hours
from livestudio_commission.roster import OnAirWindow
from tests.commission.unit.test_attribution import DAY, JKT, Q, at, obs, scenarios, window


def run_hours(
    observations: list[Observation], windows: list[OnAirWindow]
) -> tuple[SessionState | None, dict[Bucket, Figures], dict[HourPart, Figures]]:
    state: SessionState | None = None
    parts: dict[Bucket, Figures] = {}
    hours: dict[HourPart, Figures] = {}
    for o in observations:
        state, inc = observe(state, o)
        if inc is not None:
            placed = {b: f.values["placed_sales"] for b, f in parts.items()}
            contribution = allocate_increment(inc, windows, JKT, placed, Q)
            merge_into(parts, contribution)
            merge_hours(hours, split_hours(inc, contribution, windows, JKT, Q))
    return state, parts, hours


def of_host(hours: dict[HourPart, Figures], host: str) -> dict[tuple[date, int], Figures]:
    return {(p.local_date, p.hour): f for p, f in hours.items() if p.bucket.host_key == host}


def test_hour_spans_cut_at_local_hours() -> None:
    spans = hour_spans(at(9, 40), at(11, 10), JKT)
    assert [h for h, _, _ in spans] == [(DAY, 9), (DAY, 10), (DAY, 11)]
    assert spans[0][1:] == (at(9, 40), at(10)) and spans[-1][1:] == (at(11), at(11, 10))


def test_an_increment_inside_one_hour_goes_whole_to_that_hour() -> None:
    windows = [window("h1", at(5), at(15))]
    _, _, hours = run_hours([obs(at(9, 30), placed=1_000_001, orders=3, started=at(9, 10))], windows)
    assert {(p.bucket.host_key, p.local_date, p.hour) for p in hours} == {("h1", DAY, 9)}
    figures = next(iter(hours.values()))
    assert figures.values["placed_sales"] == Decimal(1_000_001)
    assert figures.values["placed_orders"] == 3
    assert figures.on_air_ms == 20 * 60_000
    assert figures.values["confirmed_sales"] is None  # unreported stays unknown, never 0


def test_an_increment_over_hours_is_split_by_the_hosts_time_in_each_hour() -> None:
    # h1 until 10:00, h2 from 10:00; (09:30, 11:00]: h1 30 min of hour 9, h2 the whole of hour 10
    windows = [window("h1", at(5), at(10)), window("h2", at(10), at(15))]
    _, parts, hours = run_hours([obs(at(9, 30), placed=0), obs(at(11), placed=3_000_000, orders=7)], windows)
    assert {h: f.values["placed_sales"] for h, f in of_host(hours, "h1").items()} == {(DAY, 9): Decimal(1_000_000)}
    assert {h: f.values["placed_sales"] for h, f in of_host(hours, "h2").items()} == {(DAY, 10): Decimal(2_000_000)}
    # on air: h1 09:00-10:00 split 30 + 30 over the two increments, all in hour 9; h2 one hour in hour 10
    assert {h: f.on_air_ms for h, f in of_host(hours, "h1").items()} == {(DAY, 9): 3_600_000}
    assert {h: f.on_air_ms for h, f in of_host(hours, "h2").items()} == {(DAY, 10): 3_600_000}
    assert _same(bucket_sums(hours), parts)


def test_one_bucket_over_three_hours_is_split_exactly_by_largest_remainder() -> None:
    windows = [window("h1", at(5), at(15))]
    _, parts, hours = run_hours([obs(at(12), placed=1_000_000, orders=10, started=at(9, 30))], windows)
    got = of_host(hours, "h1")
    # 30 + 60 + 60 minutes: 1/5, 2/5, 2/5 of the money; 10 orders 2, 4, 4
    assert {h: f.values["placed_sales"] for h, f in got.items()} == {
        (DAY, 9): Decimal(200_000),
        (DAY, 10): Decimal(400_000),
        (DAY, 11): Decimal(400_000),
    }
    assert {h: f.values["placed_orders"] for h, f in got.items()} == {(DAY, 9): 2, (DAY, 10): 4, (DAY, 11): 4}
    assert sum(f.on_air_ms or 0 for f in got.values()) == 150 * 60_000
    assert _same(bucket_sums(hours), parts)


def test_a_night_shift_keeps_its_pay_day_and_takes_the_calendar_hours() -> None:
    night = OnAirWindow("e-n", "h9", at(23), at(25), Decimal(1), "malam", DAY)
    _, parts, hours = run_hours([obs(at(24, 30), placed=900, started=at(23, 30))], [night])
    next_day = DAY + timedelta(days=1)
    assert {(p.bucket.local_day, p.local_date, p.hour) for p in hours} == {(DAY, DAY, 23), (DAY, next_day, 0)}
    assert {(p.local_date, f.values["placed_sales"]) for p, f in hours.items()} == {
        (DAY, Decimal(450)),
        (next_day, Decimal(450)),
    }
    assert _same(bucket_sums(hours), parts)


def test_replay_hours_gives_replays_parts_to_the_digit() -> None:
    windows = [window("h1", at(5), at(10)), window("h2", at(9, 45), at(15), "2")]
    state = None
    increments = []
    for o in [obs(at(9, 20), placed=777, orders=1), obs(at(11, 5), placed=100_003, orders=9)]:
        state, inc = observe(state, o)
        assert inc is not None
        increments.append(inc)
    parts, hours = replay_hours(increments, windows, JKT, Q)
    assert parts == replay(increments, windows, JKT, Q)
    assert _same(bucket_sums(hours), parts)


def _same(left: dict[Bucket, Figures], right: dict[Bucket, Figures]) -> bool:
    """Equal figures per bucket, where a bucket with no known figure at all may be absent on one side."""

    def known(parts: dict[Bucket, Figures]) -> dict[Bucket, tuple[object, ...]]:
        out: dict[Bucket, tuple[object, ...]] = {}
        for b, f in parts.items():
            row = (*(f.values[m] for m in METRICS), f.on_air_ms)
            if any(v is not None for v in row):
                out[b] = row
        return out

    return known(left) == known(right)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_the_hours_of_every_bucket_add_up_to_the_bucket(scenario: tuple[list[OnAirWindow], list[Observation]]) -> None:
    windows, observations = scenario
    _, parts, hours = run_hours(observations, windows)
    assert _same(bucket_sums(hours), parts)
    for part, figures in hours.items():
        assert 0 <= part.hour <= 23
        for metric in ("placed_orders", "confirmed_orders"):
            value = figures.values[metric]  # type: ignore[index]
            assert value is None or isinstance(value, int)
