"""A straightforward reference computation of every analytics table from the whole set of events.

Written from the definitions, not from the service's code: each figure is the value of the newest observation
that reported it (ties: the larger value; an ended session is off air for good), rollups are plain group-bys in
Python. Order, batching and duplicates cannot matter here because the reference looks at the set of events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from livestudio_schemas.commands import AdSpendEnter, Command
from livestudio_schemas.envelope import CloudEvent, RawCloudEvent
from livestudio_schemas.item import ItemSnapshots
from livestudio_schemas.session import SessionCorrected, SessionEnded, SessionSnapshot

Row = dict[str, Any]
SessionPayload = SessionSnapshot | SessionEnded | SessionCorrected

SESSION_METRICS = [
    "views",
    "viewers",
    "peak_viewers",
    "current_viewers",
    "avg_view_duration_ms",
    "comments",
    "likes",
    "shares",
    "followers_growth",
    "add_to_cart",
    "product_clicks",
    "conversion_rate",
    "buyers",
    "placed_orders",
    "placed_sales",
    "placed_items_sold",
    "confirmed_buyers",
    "confirmed_orders",
    "confirmed_sales",
    "confirmed_items_sold",
    "paid_orders",
    "paid_sales",
]
TIMELINE_METRICS = [
    "viewers",
    "current_viewers",
    "placed_orders",
    "confirmed_orders",
    "placed_sales",
    "confirmed_sales",
]
ITEM_METRICS = [
    "title",
    "min_price",
    "max_price",
    "product_clicks",
    "click_through_rate",
    "add_to_cart",
    "placed_orders",
    "placed_sales",
    "placed_items_sold",
    "confirmed_orders",
    "confirmed_sales",
    "confirmed_items_sold",
]
SUMMED = [
    "views",
    "viewers",
    "buyers",
    "placed_orders",
    "placed_items_sold",
    "confirmed_orders",
    "confirmed_items_sold",
    "paid_orders",
    "placed_sales",
    "confirmed_sales",
    "paid_sales",
]

_TYPES: dict[str, type[SessionPayload]] = {
    "livestudio.session.snapshot.v1": SessionSnapshot,
    "livestudio.session.ended.v1": SessionEnded,
    "livestudio.session.corrected.v1": SessionCorrected,
}


def utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC)


def newest(reports: Iterable[tuple[datetime, Any]]) -> Any:
    """The value of the newest report; equal times: the larger value. None when nothing was reported."""
    best = max(((utc(ts), v) for ts, v in reports if v is not None), default=None)
    return None if best is None else best[1]


def _sum(values: Iterable[Any]) -> Any:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _max(values: Iterable[Any]) -> Any:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def streaming_ms(s: Row) -> int:
    ms: int
    if s["duration_ms"] is not None:
        ms = s["duration_ms"]
    elif s["ended_at"] is not None:
        ms = (s["ended_at"] - s["started_at"]) // timedelta(milliseconds=1)
    elif s["live_observed_at"] is not None:
        ms = (s["live_observed_at"] - s["started_at"]) // timedelta(milliseconds=1)
    else:
        ms = 0
    return max(0, ms)


class Reference:
    def __init__(self) -> None:
        self.sessions: dict[tuple[str, int], list[SessionPayload]] = defaultdict(list)
        self.items: list[ItemSnapshots] = []
        self.ad_spend: list[tuple[str, AdSpendEnter, datetime]] = []
        self.results: dict[str, tuple[str, str]] = {}

    # --- input -------------------------------------------------------------------------------------------
    def add(self, topic: str, raw: bytes) -> None:
        if topic == "session":
            envelope = RawCloudEvent.model_validate_json(raw)
            payload = _TYPES[envelope.type].model_validate(envelope.data)
            self.sessions[(payload.account_id, payload.session_id)].append(payload)
        elif topic == "item":
            self.items.append(CloudEvent[ItemSnapshots].model_validate_json(raw).data)
        else:
            envelope = RawCloudEvent.model_validate_json(raw)
            kind = envelope.data["command"]["kind"]
            if not kind.startswith("adspend."):
                return
            command_id = envelope.data["command_id"]
            try:
                command = CloudEvent[Command].model_validate_json(raw).data
            except ValidationError:
                self.results[command_id] = (kind, "rejected")
                return
            assert isinstance(command.command, AdSpendEnter)
            self.results[command_id] = (kind, "applied")
            self.ad_spend.append((command_id, command.command, command.issued_at))

    # --- tables ------------------------------------------------------------------------------------------
    def session_rows(self) -> dict[tuple[str, int], Row]:
        out: dict[tuple[str, int], Row] = {}
        for key, observations in self.sessions.items():
            identity = max(
                (utc(o.observed_at), o.studio_id, utc(o.started_at), o.timezone, o.currency) for o in observations
            )
            _, studio_id, started_at, tz, currency = identity
            ended = [o for o in observations if not isinstance(o, SessionSnapshot) and o.ended_at is not None]
            if ended:
                on_air: bool | None = False
            else:
                snaps = [o for o in observations if isinstance(o, SessionSnapshot)]
                # newest snapshot; on a tie, off air wins
                on_air = None if not snaps else not max((utc(o.observed_at), not o.on_air) for o in snaps)[1]
            row: Row = {
                "account_id": key[0],
                "session_id": key[1],
                "studio_id": studio_id,
                "title": newest((o.observed_at, o.title) for o in observations),
                "on_air": on_air,
                "started_at": started_at,
                "ended_at": newest((o.observed_at, utc(o.ended_at)) for o in ended if o.ended_at is not None),  # type: ignore[union-attr]
                "duration_ms": newest((o.observed_at, o.duration_ms) for o in observations),
                "local_day": started_at.astimezone(ZoneInfo(tz)).date(),
                "timezone": tz,
                "currency": currency,
                "observed_at": max(utc(o.observed_at) for o in observations),
                "corrected_at": _max(utc(o.observed_at) for o in observations if isinstance(o, SessionCorrected)),
                "live_observed_at": _max(
                    utc(o.observed_at) for o in observations if not isinstance(o, SessionCorrected)
                ),
            }
            for name in SESSION_METRICS:
                row[name] = newest((o.observed_at, getattr(o.metrics, name)) for o in observations)
            row["streaming_ms"] = streaming_ms(row)
            out[key] = row
        return out

    def timeline_rows(self) -> dict[tuple[str, int, datetime], Row]:
        points: dict[tuple[str, int, datetime], list[SessionPayload]] = defaultdict(list)
        for key, observations in self.sessions.items():
            for o in observations:
                if isinstance(o, SessionCorrected):
                    continue
                minute = _chart_time(o).replace(second=0, microsecond=0)
                points[(*key, minute)].append(o)
        out: dict[tuple[str, int, datetime], Row] = {}
        for pkey, observations in points.items():
            row: Row = {"account_id": pkey[0], "session_id": pkey[1], "minute": pkey[2]}
            for name in TIMELINE_METRICS:
                row[name] = newest((o.observed_at, getattr(o.metrics, name)) for o in observations)
            row["observed_at"] = max(utc(o.observed_at) for o in observations)
            out[pkey] = row
        return out

    def item_rows(self) -> dict[tuple[str, int, int], Row]:
        reports: dict[tuple[str, int, int], list[tuple[ItemSnapshots, Any]]] = defaultdict(list)
        for snap in self.items:
            for item in snap.items:
                reports[(snap.account_id, snap.session_id, item.item_id)].append((snap, item))
        out: dict[tuple[str, int, int], Row] = {}
        for key, pairs in reports.items():
            _, studio_id, currency = max((utc(s.observed_at), s.studio_id, s.currency) for s, _ in pairs)
            row: Row = {
                "account_id": key[0],
                "session_id": key[1],
                "item_id": key[2],
                "studio_id": studio_id,
                "currency": currency,
            }
            for name in ITEM_METRICS:
                row[name] = newest((s.observed_at, getattr(i, name)) for s, i in pairs)
            row["observed_at"] = max(utc(s.observed_at) for s, _ in pairs)
            out[key] = row
        return out

    def ad_spend_rows(self) -> dict[tuple[str, date], Row]:
        best: dict[tuple[str, date], tuple[datetime, str, AdSpendEnter]] = {}
        for command_id, cmd, issued_at in self.ad_spend:
            key = (cmd.account_id, cmd.day)
            candidate = (utc(issued_at), command_id, cmd)
            if key not in best or candidate[:2] > best[key][:2]:
                best[key] = candidate
        return {
            key: {
                "account_id": key[0],
                "day": key[1],
                "studio_id": cmd.studio_id,
                "amount": cmd.amount,
                "currency": cmd.currency,
                "command_id": command_id,
                "issued_at": issued_at,
            }
            for key, (issued_at, command_id, cmd) in best.items()
        }

    def command_rows(self) -> dict[str, Row]:
        return {
            cid: {"command_id": cid, "kind": kind, "status": status} for cid, (kind, status) in self.results.items()
        }

    def daily_account_rows(self) -> dict[tuple[str, date], Row]:
        by_day: dict[tuple[str, date], list[Row]] = defaultdict(list)
        for s in self.session_rows().values():
            by_day[(s["account_id"], s["local_day"])].append(s)
        spend = self.ad_spend_rows()
        out: dict[tuple[str, date], Row] = {}
        for key in set(by_day) | set(spend):
            rows = by_day.get(key, [])
            ad = spend.get(key)
            row: Row = {
                "account_id": key[0],
                "day": key[1],
                "studio_id": max(s["studio_id"] for s in rows) if rows else ad["studio_id"],  # type: ignore[index]
                "currency": max(s["currency"] for s in rows) if rows else ad["currency"],  # type: ignore[index]
                "sessions": len(rows),
                "sessions_on_air": sum(1 for s in rows if s["on_air"]),
                "streaming_ms": sum(streaming_ms(s) for s in rows),
                "peak_viewers": _max(s["peak_viewers"] for s in rows),
                "ad_spend": None if ad is None else ad["amount"],
                "observed_at": _max(s["observed_at"] for s in rows),
            }
            for name in SUMMED:
                row[name] = _sum(s[name] for s in rows)
            out[key] = row
        return out

    def daily_studio_rows(self) -> dict[tuple[str, date], Row]:
        by_day: dict[tuple[str, date], list[Row]] = defaultdict(list)
        for d in self.daily_account_rows().values():
            by_day[(d["studio_id"], d["day"])].append(d)
        out: dict[tuple[str, date], Row] = {}
        for key, rows in by_day.items():
            row: Row = {
                "studio_id": key[0],
                "day": key[1],
                "currency": _max(d["currency"] for d in rows),
                "accounts": len(rows),
                "sessions": sum(d["sessions"] for d in rows),
                "sessions_on_air": sum(d["sessions_on_air"] for d in rows),
                "streaming_ms": sum(d["streaming_ms"] for d in rows),
                "peak_viewers": _max(d["peak_viewers"] for d in rows),
                "ad_spend": _sum(d["ad_spend"] for d in rows),
                "observed_at": _max(d["observed_at"] for d in rows),
            }
            for name in SUMMED:
                row[name] = _sum(d[name] for d in rows)
            out[key] = row
        return out

    def tables(self) -> dict[str, dict[Any, Row]]:
        return {
            "sessions": self.session_rows(),  # type: ignore[dict-item]
            "session_timeline": self.timeline_rows(),  # type: ignore[dict-item]
            "session_items": self.item_rows(),  # type: ignore[dict-item]
            "ad_spend": self.ad_spend_rows(),  # type: ignore[dict-item]
            "command_results": self.command_rows(),  # type: ignore[dict-item]
            "daily_account": self.daily_account_rows(),  # type: ignore[dict-item]
            "daily_studio": self.daily_studio_rows(),  # type: ignore[dict-item]
        }


KEYS: dict[str, tuple[str, ...]] = {
    "sessions": ("account_id", "session_id"),
    "session_timeline": ("account_id", "session_id", "minute"),
    "session_items": ("account_id", "session_id", "item_id"),
    "ad_spend": ("account_id", "day"),
    "command_results": ("command_id",),
    "daily_account": ("account_id", "day"),
    "daily_studio": ("studio_id", "day"),
}


def _chart_time(o: SessionPayload) -> datetime:
    """A live observation's chart time: when it was read, or the stream's end (`ended_at`; for an off-air
    snapshot the start plus Shopee's duration) when it was read after that end."""
    read, start = utc(o.observed_at), utc(o.started_at)
    end: datetime | None = None
    if isinstance(o, SessionSnapshot):
        if not o.on_air and o.duration_ms is not None:
            end = start + timedelta(milliseconds=o.duration_ms)
    elif o.ended_at is not None:
        end = utc(o.ended_at)
    return end if end is not None and start <= end < read else read
