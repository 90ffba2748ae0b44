"""Shopee-shaped `data` payloads built from the world's state at one simulated instant.

These functions hold every Shopee naming quirk on the serving side (`placedOrder` vs `placedOrders`, `pcu`,
`peakViews`, `…Whithin…`, nulls in history, ms timestamps, whole-rupiah money); the affiliate report is in
`affiliate.py`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from shopee_client.simulator.world import MINUTE_MS, ItemState, Session, SessionState

__all__ = [
    "history_row",
    "live_coordinate",
    "live_detail",
    "overview",
    "product_rows",
    "profiles",
    "session_row",
    "trends",
    "viewer_source",
]


def _ratio(num: int | float, den: int | float) -> float:
    return round(num / den, 4) if den else 0.0


def status_code(sess: Session, st: SessionState) -> int:
    if st.live and not sess.status_lies:
        return 1
    return 2


def _common_row(sess: Session, st: SessionState) -> dict[str, Any]:
    return {
        "sessionId": sess.session_id,
        "title": sess.title,
        "coverImage": sess.cover_image,
        "status": status_code(sess, st),
        "startTime": sess.start_ms,
        "duration": st.duration_ms,
        "views": st.views,
        "viewers": st.viewers,
        "avgViewsDuration": st.avg_view_ms,
        "comments": st.comments,
        "likes": st.likes,
        "followersGrowth": st.followers_growth,
        "atc": st.atc,
        "productClicks": st.product_clicks,
        "conversionRate": _ratio(st.placed_orders, st.viewers),
        "placedOrders": st.placed_orders,
        "placedSales": st.placed_gmv,
        "confirmedOrders": st.confirmed_orders,
        "confirmedSales": st.confirmed_gmv,
    }


def session_row(sess: Session, st: SessionState) -> dict[str, Any]:
    """One `realtime/sessionList` row."""
    row = _common_row(sess, st)
    row["peakViewers"] = st.peak_ccu
    return row


def history_row(sess: Session, st: SessionState) -> dict[str, Any]:
    """One `liveList/v2` row: `peakViews`, extra metrics, nulls where Shopee has no data."""
    row = _common_row(sess, st)
    row.update(
        {
            "peakViews": st.peak_ccu,
            "engagedUv": int(st.viewers * 0.22),
            "avgEngagedCcu": round(st.watch_ms / max(1, st.duration_ms) * 0.3, 2),
            "thirtyMinsCount": st.duration_ms // (30 * MINUTE_MS),
            "placedItemSold": st.placed_items_sold,
            "confirmedItemSold": st.confirmed_items_sold,
            "paidOrders": st.confirmed_orders,
            "paidSales": st.confirmed_gmv,
        }
    )
    for name in sess.history_nulls:
        row[name] = None
    return row


def overview(sess: Session, st: SessionState, minute_ago: SessionState) -> dict[str, Any]:
    """`realtime/dashboard/overview` data."""
    engaged_ccu = int(st.ccu * 0.3)
    return {
        "status": status_code(sess, st),
        "ccu": st.ccu,
        "pcu": st.peak_ccu,
        "viewers": st.viewers,
        "views": st.views,
        "buyers": st.buyers,
        "confirmedBuyers": st.confirmed_buyers,
        "avgViewTime": st.avg_view_ms,
        "atc": st.atc,
        "placedItemsSold": st.placed_items_sold,
        "placedOrder": st.placed_orders,
        "placedGmv": st.placed_gmv,
        "confirmedItemsSold": st.confirmed_items_sold,
        "confirmedOrder": st.confirmed_orders,
        "confirmedGmv": st.confirmed_gmv,
        "ctr": _ratio(st.product_clicks, st.views),
        "co": _ratio(st.placed_orders, st.viewers),
        "confirmedCo": _ratio(st.confirmed_orders, st.viewers),
        "engagedCcu": engaged_ccu,
        "commentsWhithinLastOneMinute": st.comments - minute_ago.comments,
        "atcWhithinLastOneMinute": st.atc - minute_ago.atc,
        "gpm": st.placed_gmv * 1000 // st.views if st.views else 0,
        "confirmedGpm": st.confirmed_gmv * 1000 // st.views if st.views else 0,
        "abs": st.placed_gmv // st.placed_orders if st.placed_orders else 0,
        "confirmedAbs": st.confirmed_gmv // st.confirmed_orders if st.confirmed_orders else 0,
        "commentsRate": _ratio(st.comments, st.viewers),
        "avgEngagedCcu": round(st.watch_ms / max(1, st.duration_ms) * 0.3, 2),
        "engagedViewers": int(st.viewers * 0.22),
        "engagementData": {
            "likes": st.likes,
            "comments": st.comments,
            "viewers": st.viewers,
            "shares": st.shares,
            "views": st.views,
            "newFollowers": st.followers_growth,
            "avgViewingDuration": st.avg_view_ms,
        },
    }


def product_rows(items: list[ItemState], session_viewers: int) -> list[dict[str, Any]]:
    """`realtime/dashboard/productList` rows (unsorted)."""
    return [
        {
            "itemId": i.item_id,
            "title": i.title,
            "coverImage": i.cover_image,
            "minPrice": i.min_price,
            "maxPrice": i.max_price,
            "productClicks": i.product_clicks,
            "ctr": _ratio(i.product_clicks, session_viewers),
            "atc": i.atc,
            "ordersCreated": i.placed_orders,
            "revenue": i.placed_gmv,
            "itemSold": i.placed_items_sold,
            "cor": _ratio(i.placed_orders, i.product_clicks),
            "confirmedOrderCnt": i.confirmed_orders,
            "confirmedRevenue": i.confirmed_gmv,
            "confirmedItemSold": i.confirmed_items_sold,
            "confirmedCor": _ratio(i.confirmed_orders, i.product_clicks),
        }
        for i in items
    ]


def _shares(key: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    raw = [int(hashlib.blake2b(f"{key}:{n}".encode(), digest_size=2).hexdigest(), 16) % 100 + 5 for n in names]
    total = sum(raw)
    return [{"itemName": n, "value": round(r / total, 4)} for n, r in zip(names, raw, strict=True)]


def profiles(sess: Session, kind: str) -> list[dict[str, Any]]:
    """viewer-profile / buyer-profile: `[{type, distribution[{itemName, value}]}]`."""
    key = f"{sess.session_id}:{kind}"
    return [
        {"type": "gender", "distribution": _shares(key + ":g", ("Female", "Male", "Unknown"))},
        {"type": "age", "distribution": _shares(key + ":a", ("18-24", "25-34", "35-44", "45+"))},
        {
            "type": "city",
            "distribution": _shares(key + ":c", ("Jakarta", "Surabaya", "Bandung", "Medan", "Semarang", "Others")),
        },
    ]


def viewer_source(sess: Session) -> dict[str, Any]:
    names = ("Live Tab", "Follow", "Shop Page", "Push", "Search", "Others")
    return {"type": "source", "distribution": _shares(f"{sess.session_id}:src", names)}


TREND_METRICS = (
    "ccu",
    "engagedCcu",
    "entering",
    "addToCart",
    "order",
    "gmv",
    "confirmedGmv",
    "confirmedOrder",
    "comment",
)


def trends(sess: Session, start_ms: int, end_ms: int, metrics: list[str], now_ms: int) -> dict[str, Any]:
    """Per-minute trend points; cumulative metrics are per-minute deltas, `ccu`/`engagedCcu` instantaneous."""
    lo = max(start_ms, sess.start_ms) // MINUTE_MS * MINUTE_MS
    hi = min(end_ms, sess.end_ms, now_ms)
    wanted = [m for m in metrics if m in TREND_METRICS] or list(TREND_METRICS)
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in wanted}
    if hi <= lo:
        return {"trends": out}
    times = list(range(lo, hi + 1, MINUTE_MS))[-720:]
    prev = sess.state(times[0] - MINUTE_MS)
    for t in times:
        st = sess.state(t)
        values = {
            "ccu": st.ccu,
            "engagedCcu": int(st.ccu * 0.3),
            "entering": st.viewers - prev.viewers,
            "addToCart": st.atc - prev.atc,
            "order": st.placed_orders - prev.placed_orders,
            "gmv": st.placed_gmv - prev.placed_gmv,
            "confirmedGmv": st.confirmed_gmv - prev.confirmed_gmv,
            "confirmedOrder": st.confirmed_orders - prev.confirmed_orders,
            "comment": st.comments - prev.comments,
        }
        for m in wanted:
            out[m].append({"time": t, "value": values[m]})
        prev = st
    return {"trends": out}


def live_detail(sess: Session, st: SessionState) -> dict[str, Any]:
    """Seller-centre `liveDetail` (shape partly guessed: `liveInfo` + `performance`)."""
    paid_null = "paidOrders" in sess.history_nulls
    return {
        "liveInfo": {
            "sessionId": sess.session_id,
            "title": sess.title,
            "coverImage": sess.cover_image,
            "status": status_code(sess, st),
            "startTime": sess.start_ms,
            "endTime": None if st.live else sess.end_ms,
            "duration": st.duration_ms,
        },
        "performance": {
            "views": st.views,
            "viewers": st.viewers,
            "likes": st.likes,
            "comments": st.comments,
            "shares": st.shares,
            "peakViewers": st.peak_ccu,
            "avgViewDuration": st.avg_view_ms,
            "paidOrders": None if paid_null else st.confirmed_orders,
            "paidSales": None if paid_null else st.confirmed_gmv,
            "confirmedOrders": st.confirmed_orders,
            "confirmedSales": st.confirmed_gmv,
            "placedOrders": st.placed_orders,
            "placedSales": st.placed_gmv,
            "placedItemSold": st.placed_items_sold,
            "confirmedItemSold": st.confirmed_items_sold,
            "atc": st.atc,
        },
    }


def live_coordinate(sess: Session, start_ms: int, size: int, now_ms: int) -> dict[str, Any]:
    """Seller-centre `liveCoordinate/v2` per-minute points (shape guessed: `list[{time, ccu, …}]`)."""
    base = start_ms // MINUTE_MS * MINUTE_MS
    points = []
    for k in range(max(0, min(size, 1440))):
        t = base + k * MINUTE_MS
        if t < sess.start_ms or t > min(sess.end_ms, now_ms):
            continue
        st = sess.state(t)
        points.append(
            {
                "time": t,
                "ccu": st.ccu,
                "views": st.views,
                "viewers": st.viewers,
                "placedOrders": st.placed_orders,
                "placedSales": st.placed_gmv,
            }
        )
    return {"sessionId": sess.session_id, "list": points}
