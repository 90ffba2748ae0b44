"""Hours of the day of attributed figures: each bucket's share of an increment split over studio-local hours.

Pay does not depend on this module: it takes the per-bucket figures `attribution.allocate_increment` already
produced for one increment and splits each bucket's amount again, over the local hours (calendar date + hour
0..23 in the studio's timezone) that the metric's delta interval covers, weighted by the bucket's time inside
each hour (its `time_weights` within that hour; co-hosts by their shares). The split is exact (`allocate_units`
/ `allocate_money`, largest remainder), so the hours of a bucket add up to the bucket's figures to the digit;
on-air milliseconds likewise, weighted by the bucket's on-air time in each hour.

An hour part keeps the bucket it came from, so its pay day (`Bucket.local_day`, the shift's day) and its calendar
date may differ for a shift past midnight: sums over a bucket's hours equal the bucket, whatever the dates.

When an interval lies in one local hour (the common case of a per-poll increment) the whole amount goes to that
hour without any allocation work. An empty interval (a point) goes to the hour holding its end. A bucket without
time in the interval (a settlement share of a bucket that was on air elsewhere in the session) goes to the hour
holding the interval's last instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from livestudio_commission.attribution import (
    ORDER_METRICS,
    Bucket,
    Figures,
    Increment,
    allocate_increment,
    merge_into,
    time_weights,
)
from livestudio_commission.money import Weights, allocate_money, allocate_units
from livestudio_commission.roster import OnAirWindow

_MICRO = timedelta(microseconds=1)
_HOUR = timedelta(hours=1)
LocalHour = tuple[date, int]
"""(local calendar date, hour 0..23) in the studio's timezone"""


class HourPart(NamedTuple):
    """One bucket's figures in one local hour (a tuple: cheap to build and hash on the consumer's hot path)."""

    bucket: Bucket
    local_date: date
    hour: int


def local_hour(at: datetime, tz: ZoneInfo) -> LocalHour:
    local = at.astimezone(tz)
    return local.date(), local.hour


def last_hour(end: datetime, tz: ZoneInfo) -> LocalHour:
    """The local hour holding the last instant of an interval ending at `end`."""
    return local_hour(end - _MICRO, tz)


def hour_spans(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[LocalHour, datetime, datetime]]:
    """(start, end] cut at local hour boundaries: each piece with the local hour it lies in (UTC bounds)."""
    out: list[tuple[LocalHour, datetime, datetime]] = []
    s = start
    while s < end:
        local = s.astimezone(tz)
        floor = local.replace(minute=0, second=0, microsecond=0)
        # The next boundary in UTC: an hour after the local floor (wall-clock arithmetic would break at DST).
        e = min(end, floor.astimezone(UTC) + _HOUR)
        if e <= s:  # a floor that is not a real instant (DST gap): step one hour in absolute time
            e = min(end, s + _HOUR)
        out.append(((local.date(), local.hour), s, e))
        s = e
    return out


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _weights_per_bucket(
    windows: Sequence[OnAirWindow], start: datetime, end: datetime, tz: ZoneInfo
) -> dict[Bucket, list[tuple[LocalHour, Fraction | int]]]:
    """Each bucket's time weight in every local hour of (start, end]."""
    out: dict[Bucket, list[tuple[LocalHour, Fraction | int]]] = {}
    for hour, s, e in hour_spans(start, end, tz):
        for bucket, weight in time_weights(windows, s, e, tz):
            if weight:
                out.setdefault(bucket, []).append((hour, weight))
    return out


def _on_air_per_bucket(
    windows: Sequence[OnAirWindow], start: datetime, end: datetime, tz: ZoneInfo
) -> dict[Bucket, list[tuple[LocalHour, int]]]:
    """Each bucket's on-air microseconds in every local hour of (start, end] (co-hosts each the full time)."""
    out: dict[Bucket, list[tuple[LocalHour, int]]] = {}
    for hour, s, e in hour_spans(start, end, tz):
        relevant = [w for w in windows if w.start < e and w.end > s and w.end > w.start]
        cuts = sorted(
            {s, e, *(w.start for w in relevant if s < w.start < e), *(w.end for w in relevant if s < w.end < e)}
        )
        micros: dict[Bucket, int] = {}
        for a, b in pairwise(cuts):
            active = [Bucket.of(w) for w in relevant if w.start <= a and w.end >= b]
            for bucket in active or [Bucket.unassigned(hour[0])]:
                micros[bucket] = micros.get(bucket, 0) + _micros(b - a)
        for bucket, us in micros.items():
            out.setdefault(bucket, []).append((hour, us))
    return out


def _put(out: dict[HourPart, Figures], part: HourPart) -> Figures:
    figures = out.get(part)
    if figures is None:
        figures = out[part] = Figures()
    return figures


def split_hours(
    increment: Increment,
    contribution: Mapping[Bucket, Figures],
    windows: Sequence[OnAirWindow],
    tz: ZoneInfo,
    quantum: Decimal,
) -> dict[HourPart, Figures]:
    """The hours of one increment's per-bucket figures (`allocate_increment`'s result for it); per bucket, the
    hours add up to its figures exactly. In the one-hour case the result shares the contribution's `Figures`
    objects (callers merge them, never change them)."""
    hour = _single_hour(increment, tz)
    if hour is not None:
        return {HourPart(bucket, hour[0], hour[1]): figures for bucket, figures in contribution.items()}
    out: dict[HourPart, Figures] = {}
    spans: dict[tuple[datetime, datetime], dict[Bucket, list[tuple[LocalHour, Fraction | int]]] | LocalHour] = {}
    for metric, delta in increment.deltas.items():
        key = (delta.start, delta.end)
        per_hour = spans.get(key)
        if per_hour is None:
            last = last_hour(delta.end, tz)
            one_hour = delta.end <= delta.start or local_hour(delta.start, tz) == last
            per_hour = spans[key] = last if one_hour else _weights_per_bucket(windows, delta.start, delta.end, tz)
        for bucket, figures in contribution.items():
            amount = figures.values.get(metric)
            if amount is None:
                continue
            weights = per_hour.get(bucket) if isinstance(per_hour, dict) else None
            if not weights:  # one hour, or no time of this bucket in the interval: the interval's last hour
                hour = per_hour if isinstance(per_hour, tuple) else last_hour(delta.end, tz)
                _put(out, HourPart(bucket, *hour)).values[metric] = amount
                continue
            parts: Mapping[LocalHour, int | Decimal]
            if len(weights) == 1:
                parts = {weights[0][0]: amount}
            elif metric in ORDER_METRICS:
                parts = allocate_units(int(amount), Weights.of(weights))
            else:
                parts = allocate_money(Decimal(amount), Weights.of(weights), quantum)
            for hour, value in parts.items():
                _put(out, HourPart(bucket, *hour)).values[metric] = value
    if increment.on_air is not None:
        start, end = increment.on_air
        one = local_hour(start, tz) == last_hour(end, tz)
        on_air = None if one else _on_air_per_bucket(windows, start, end, tz)
        for bucket, figures in contribution.items():
            ms = figures.on_air_ms
            if ms is None:
                continue
            micros = on_air.get(bucket) if on_air is not None else None
            if not micros:
                _put(out, HourPart(bucket, *last_hour(end, tz))).on_air_ms = ms
                continue
            for hour, value in allocate_units(ms, Weights.of(micros)).items():
                _put(out, HourPart(bucket, *hour)).on_air_ms = value
    return out


def _single_hour(increment: Increment, tz: ZoneInfo) -> LocalHour | None:
    """The local hour every interval of the increment lies in, or None when they cover more than one."""
    spans = {(d.start, d.end) for d in increment.deltas.values()}
    if increment.on_air is not None:
        spans.add(increment.on_air)
    hour: LocalHour | None = None
    for start, end in spans:
        last = last_hour(end, tz)
        if end > start and local_hour(start, tz) != last:
            return None
        if hour is None:
            hour = last
        elif hour != last:
            return None
    return hour


def replay_hours(
    increments: Iterable[Increment], windows: Sequence[OnAirWindow], tz: ZoneInfo, quantum: Decimal
) -> tuple[dict[Bucket, Figures], dict[HourPart, Figures]]:
    """`attribution.replay` (the same parts, computed the same way) plus the hours of every increment."""
    parts: dict[Bucket, Figures] = {}
    hours: dict[HourPart, Figures] = {}
    for increment in sorted(increments, key=lambda i: i.seq):
        placed = {b: f.values["placed_sales"] for b, f in parts.items()} if increment.kind == "settle" else {}
        contribution = allocate_increment(increment, windows, tz, placed, quantum)
        merge_into(parts, contribution)
        merge_hours(hours, split_hours(increment, contribution, windows, tz, quantum))
    return parts, hours


def merge_hours(hours: dict[HourPart, Figures], contributions: Mapping[HourPart, Figures]) -> None:
    for part, figures in contributions.items():
        mine = hours.get(part)
        if mine is None:
            hours[part] = Figures(dict(figures.values), figures.on_air_ms)
        else:
            mine.add(figures)


def bucket_sums(hours: Mapping[HourPart, Figures]) -> dict[Bucket, Figures]:
    """The hours summed back per bucket (what the tests compare with the buckets)."""
    out: dict[Bucket, Figures] = {}
    for part, figures in hours.items():
        mine = out.get(part.bucket)
        if mine is None:
            mine = out[part.bucket] = Figures()
        mine.add(figures)
    return out
