"""Shopee responses -> contract payloads: metric mapping, merging, payload builders and deterministic ids.

Shopee's names stay here (`placedGmv`, `pcu`, `atc`, …): everything after this module speaks the contract's
names. Unknown stays `None`: a metric Shopee did not send, sent as null, or sent as garbage (a negative count)
is `None`, never 0. Money and ratios become exact `Decimal`s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pydantic import BaseModel

from livestudio_schemas.account import ACCOUNT_STATUS, AccountState, AccountStatus
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id
from livestudio_schemas.item import ITEM_SNAPSHOT, ItemMetrics, ItemSnapshots
from livestudio_schemas.session import (
    SESSION_CORRECTED,
    SESSION_ENDED,
    SESSION_SNAPSHOT,
    ObservationSource,
    SessionCorrected,
    SessionEnded,
    SessionMetrics,
    SessionSnapshot,
)
from livestudio_schemas.topics import session_key
from shopee_client.client.models import LiveHistoryItem, ProductItem, SessionListItem, SessionOverview

SOURCE = "/livestudio/ingest"
_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")
_MAX_MONEY = Decimal("1e18")
_MAX_RATIO = Decimal("1e14")

# --- scalar conversions -------------------------------------------------------------------------------------


def count(value: int | None) -> int | None:
    """A Shopee counter, or None when unknown (a negative count is garbage, not a value)."""
    if value is None or value < 0:
        return None
    return int(value)


def signed(value: int | None) -> int | None:
    return None if value is None else int(value)


def money(value: Decimal | None) -> Decimal | None:
    """Exact money with at most two decimals (IDR is whole rupiah and passes unchanged)."""
    if value is None or not value.is_finite() or abs(value) >= _MAX_MONEY:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return value
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def ratio(value: float | Decimal | None) -> Decimal | None:
    """A rate as Shopee reported it (its shortest decimal repr), at most six decimals."""
    if value is None:
        return None
    dec = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if not dec.is_finite() or dec < 0 or dec >= _MAX_RATIO:
        return None
    exponent = dec.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -6:
        return dec
    return dec.quantize(_MICRO, rounding=ROUND_HALF_EVEN)


def millis(value: Any) -> int | None:
    """A timedelta (client durations) as whole milliseconds."""
    if value is None:
        return None
    ms = int(value.total_seconds() * 1000)
    return ms if ms >= 0 else None


# --- metrics ------------------------------------------------------------------------------------------------


def metrics_from_row(row: SessionListItem | LiveHistoryItem) -> SessionMetrics:
    """A `sessionList` or `liveList/v2` row (history also carries items sold and paid figures)."""
    fields: dict[str, Any] = {
        "views": count(row.views),
        "viewers": count(row.viewers),
        "peak_viewers": count(row.peak_viewers),
        "avg_view_duration_ms": millis(row.avg_views_duration),
        "comments": count(row.comments),
        "likes": count(row.likes),
        "followers_growth": signed(row.followers_growth),
        "add_to_cart": count(row.atc),
        "product_clicks": count(row.product_clicks),
        "conversion_rate": ratio(row.conversion_rate),
        "placed_orders": count(row.placed_orders),
        "placed_sales": money(row.placed_sales),
        "confirmed_orders": count(row.confirmed_orders),
        "confirmed_sales": money(row.confirmed_sales),
    }
    if isinstance(row, LiveHistoryItem):
        fields.update(
            placed_items_sold=count(row.placed_item_sold),
            confirmed_items_sold=count(row.confirmed_item_sold),
            paid_orders=count(row.paid_orders),
            paid_sales=money(row.paid_sales),
        )
    return SessionMetrics(**fields)


def metrics_from_overview(ov: SessionOverview, *, on_air: bool) -> SessionMetrics:
    """`realtime/dashboard/overview` (CCU only while on air; engagement figures from `engagementData`)."""
    eng = ov.engagement_data
    return SessionMetrics(
        views=count(ov.views),
        viewers=count(ov.viewers),
        peak_viewers=count(ov.peak_viewers),
        current_viewers=count(ov.ccu) if on_air else None,
        avg_view_duration_ms=count(ov.avg_view_time_ms),
        comments=count(eng.comments) if eng else None,
        likes=count(eng.likes) if eng else None,
        shares=count(eng.shares) if eng else None,
        followers_growth=signed(eng.new_followers) if eng else None,
        add_to_cart=count(ov.atc),
        buyers=count(ov.buyers),
        placed_orders=count(ov.placed_orders),
        placed_sales=money(ov.placed_gmv),
        placed_items_sold=count(ov.placed_items_sold),
        confirmed_buyers=count(ov.confirmed_buyers),
        confirmed_orders=count(ov.confirmed_orders),
        confirmed_sales=money(ov.confirmed_gmv),
        confirmed_items_sold=count(ov.confirmed_items_sold),
    )


def merge_metrics(older: SessionMetrics | None, newer: SessionMetrics) -> SessionMetrics:
    """`newer` wins where it knows a value; an unknown (None) never erases a known one."""
    if older is None:
        return newer
    base = older.model_dump()
    for name, value in newer.model_dump().items():
        if value is not None:
            base[name] = value
    return SessionMetrics(**base)


def changed_fields(before: SessionMetrics | None, after: SessionMetrics) -> list[str]:
    """Metrics `after` knows whose value differs from `before` (unknown in `after` is not a change)."""
    old = before.model_dump() if before is not None else {}
    return sorted(k for k, v in after.model_dump().items() if v is not None and old.get(k) != v)


def item_metrics(p: ProductItem) -> ItemMetrics:
    return ItemMetrics(
        item_id=p.item_id,
        title=p.title or None,
        min_price=money(p.min_price),
        max_price=money(p.max_price),
        product_clicks=count(p.product_clicks),
        click_through_rate=ratio(p.ctr),
        add_to_cart=count(p.atc),
        placed_orders=count(p.orders_created),
        placed_sales=money(p.revenue),
        placed_items_sold=count(p.item_sold),
        confirmed_orders=count(p.confirmed_orders),
        confirmed_sales=money(p.confirmed_revenue),
        confirmed_items_sold=count(p.confirmed_item_sold),
    )


# --- hashing and ids ----------------------------------------------------------------------------------------

_VOLATILE = {"observed_at", "heartbeat"}


def content_hash(payload: BaseModel) -> str:
    """Hash of what was observed (everything but when): publish-on-change compares these."""
    raw = payload.model_dump_json(exclude=_VOLATILE)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def items_hash(items: Iterable[ItemMetrics]) -> str:
    h = hashlib.sha256()
    for item in sorted(items, key=lambda i: i.item_id):
        h.update(item.model_dump_json().encode())
    return h.hexdigest()[:32]


# --- payloads -------------------------------------------------------------------------------------------------


class SessionContext(BaseModel):
    """Who and which session an observation is about (shared by every session event)."""

    account_id: str
    studio_id: str
    session_id: int
    title: str | None
    started_at: datetime
    duration_ms: int | None
    currency: str = "IDR"
    timezone: str = "Asia/Jakarta"


def _common(
    ctx: SessionContext, observed_at: datetime, source: ObservationSource, metrics: SessionMetrics
) -> dict[str, Any]:
    return {
        "account_id": ctx.account_id,
        "studio_id": ctx.studio_id,
        "session_id": ctx.session_id,
        "title": ctx.title,
        "started_at": ctx.started_at,
        "duration_ms": ctx.duration_ms,
        "observed_at": observed_at,
        "currency": ctx.currency,
        "timezone": ctx.timezone,
        "source": source,
        "metrics": metrics,
    }


def session_snapshot(
    ctx: SessionContext,
    *,
    observed_at: datetime,
    source: ObservationSource,
    metrics: SessionMetrics,
    on_air: bool,
    shopee_status: int | None,
    heartbeat: bool = False,
) -> SessionSnapshot:
    return SessionSnapshot(
        **_common(ctx, observed_at, source, metrics), on_air=on_air, shopee_status=shopee_status, heartbeat=heartbeat
    )


def session_ended(
    ctx: SessionContext,
    *,
    observed_at: datetime,
    source: ObservationSource,
    metrics: SessionMetrics,
    ended_at: datetime,
) -> SessionEnded:
    return SessionEnded(**_common(ctx, observed_at, source, metrics), ended_at=ended_at)


def session_corrected(
    ctx: SessionContext,
    *,
    observed_at: datetime,
    metrics: SessionMetrics,
    ended_at: datetime | None,
    backfill: bool,
) -> SessionCorrected:
    return SessionCorrected(
        **_common(ctx, observed_at, "live_history", metrics),
        ended_at=ended_at,
        reason="backfill" if backfill else "settlement",
    )


def item_snapshots(
    ctx: SessionContext, *, observed_at: datetime, items: list[ItemMetrics], complete: bool = True
) -> ItemSnapshots:
    return ItemSnapshots(
        account_id=ctx.account_id,
        studio_id=ctx.studio_id,
        session_id=ctx.session_id,
        observed_at=observed_at,
        currency=ctx.currency,
        complete=complete,
        items=sorted(items, key=lambda i: i.item_id),
    )


def account_status(
    *,
    account_id: str,
    studio_id: str,
    display_name: str | None,
    region: str,
    shopee_user_id: int | None,
    state: AccountState,
    reason: str | None,
    observed_at: datetime,
    last_successful_poll_at: datetime | None,
    on_air_session_id: int | None,
) -> AccountStatus:
    return AccountStatus(
        account_id=account_id,
        studio_id=studio_id,
        display_name=display_name,
        region=region,
        shopee_user_id=shopee_user_id,
        state=state,
        reason=reason,
        observed_at=observed_at,
        last_successful_poll_at=last_successful_poll_at,
        on_air_session_id=on_air_session_id,
    )


# --- envelopes ------------------------------------------------------------------------------------------------


def wrap_session_event(payload: SessionSnapshot | SessionEnded | SessionCorrected) -> CloudEvent[Any]:
    """The envelope of a session event. The id covers account, session, type and what was observed, so a
    re-poll or a restart that observes the same thing produces the same id (consumers deduplicate)."""
    if isinstance(payload, SessionEnded):
        type_ = SESSION_ENDED
        # Emitted once per session: the id depends only on the session and Shopee's end, not on later figures.
        identity = payload.ended_at.isoformat()
    elif isinstance(payload, SessionCorrected):
        type_ = SESSION_CORRECTED
        identity = content_hash(payload)
    else:
        type_ = SESSION_SNAPSHOT
        identity = content_hash(payload)
        if payload.heartbeat:
            identity = f"heartbeat:{identity}:{payload.observed_at.isoformat()}"
    return CloudEvent[Any].wrap(
        payload,
        type_=type_,
        source=SOURCE,
        time=payload.observed_at,
        subject=session_key(payload.account_id, payload.session_id),
        id_=deterministic_event_id(payload.account_id, payload.session_id, type_, identity),
    )


def wrap_items(payload: ItemSnapshots, digest: str) -> CloudEvent[Any]:
    return CloudEvent[Any].wrap(
        payload,
        type_=ITEM_SNAPSHOT,
        source=SOURCE,
        time=payload.observed_at,
        subject=session_key(payload.account_id, payload.session_id),
        id_=deterministic_event_id(payload.account_id, payload.session_id, ITEM_SNAPSHOT, digest),
    )


def wrap_status(payload: AccountStatus) -> CloudEvent[Any]:
    last = payload.last_successful_poll_at.isoformat() if payload.last_successful_poll_at else ""
    return CloudEvent[Any].wrap(
        payload,
        type_=ACCOUNT_STATUS,
        source=SOURCE,
        time=payload.observed_at,
        subject=payload.account_id,
        id_=deterministic_event_id(payload.account_id, ACCOUNT_STATUS, payload.state, payload.reason or "", last),
    )


def metrics_from_json(data: Mapping[str, Any] | None) -> SessionMetrics | None:
    return None if data is None else SessionMetrics.model_validate(data)
