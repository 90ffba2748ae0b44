"""Ground truth versus what the gateway returns: every figure, exactly, as a list of differences.

The gateway's JSON is compared as it arrives (money as decimal strings, times as ISO 8601). A difference names
what was compared (`session`, `item`, `host`, `day`, `statement`), its key, the field, and both values; an empty
list means the system agrees with the simulator. Pure functions: tests feed them fetched JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from shopee_client.simulator.ground_truth import AccountDayTruth, ItemTruth, SessionTruth
from tests.system.scenario import Totals

Json = dict[str, Any]

# SessionTruth field -> gateway session-detail metric.
SESSION_METRICS: tuple[tuple[str, str], ...] = (
    ("views", "views"),
    ("viewers", "viewers"),
    ("peak_ccu", "peak_viewers"),
    ("comments", "comments"),
    ("likes", "likes"),
    ("shares", "shares"),
    ("atc", "add_to_cart"),
    ("product_clicks", "product_clicks"),
    ("buyers", "buyers"),
    ("placed_orders", "placed_orders"),
    ("placed_items_sold", "placed_items_sold"),
    ("placed_gmv", "placed_sales"),
    ("confirmed_orders", "confirmed_orders"),
    ("confirmed_items_sold", "confirmed_items_sold"),
    ("confirmed_gmv", "confirmed_sales"),
)
ITEM_METRICS: tuple[tuple[str, str], ...] = (
    ("title", "title"),
    ("price", "min_price"),
    ("product_clicks", "product_clicks"),
    ("atc", "add_to_cart"),
    ("placed_orders", "placed_orders"),
    ("placed_items_sold", "placed_items_sold"),
    ("placed_gmv", "placed_sales"),
    ("confirmed_orders", "confirmed_orders"),
    ("confirmed_items_sold", "confirmed_items_sold"),
    ("confirmed_gmv", "confirmed_sales"),
)
# AccountDayTruth field -> gateway daily figure.
DAY_FIGURES: tuple[tuple[str, str], ...] = (
    ("sessions", "sessions"),
    ("streamed_ms", "streaming_ms"),
    ("viewers", "viewers"),
    ("placed_orders", "placed_orders"),
    ("placed_gmv", "placed_sales"),
    ("confirmed_orders", "confirmed_orders"),
    ("confirmed_gmv", "confirmed_sales"),
)
ATTRIBUTION_FIGURES = ("placed_orders", "placed_sales", "confirmed_orders", "confirmed_sales")


@dataclass(frozen=True)
class Difference:
    what: str
    key: str
    field: str
    expected: object
    actual: object

    def __str__(self) -> str:
        return f"{self.what} {self.key} {self.field}: expected {self.expected!r}, got {self.actual!r}"


def normalise(value: object) -> object:
    """JSON scalars in comparable form: numbers (and decimal strings) as Decimal, ISO times as aware datetimes."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
        if len(value) >= 19 and value[4] == "-" and "T" in value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
    return value


def same(expected: object, actual: object) -> bool:
    return normalise(expected) == normalise(actual)


def _check(out: list[Difference], what: str, key: str, name: str, expected: object, actual: object) -> None:
    if not same(expected, actual):
        out.append(Difference(what, key, name, expected, actual))


def compare_session(
    truth: SessionTruth,
    detail: Json | None,
    *,
    account_id: str,
    host: str | None = None,
    known_only: bool = False,
    items: bool = True,
) -> list[Difference]:
    """One ended session: identity, times, every metric, every product and its host attribution.

    `host`: the host the whole session belongs to (None: unassigned). `known_only`: the session was streamed
    before the stack started (backfilled from Shopee's lists): a figure the gateway reports must be exact, but
    an unknown (null) one is accepted, and products are not required.
    """
    key = f"{account_id}:{truth.session_id}"
    out: list[Difference] = []
    if detail is None:
        return [Difference("session", key, "present", True, False)]
    _check(out, "session", key, "account_id", account_id, detail.get("account_id"))
    _check(out, "session", key, "on_air", False, detail.get("on_air"))
    _check(out, "session", key, "local_day", truth.local_date, detail.get("local_day"))
    _check(out, "session", key, "started_at", truth.start, detail.get("started_at"))
    fields: list[tuple[str, object, object]] = [
        ("title", truth.title, detail.get("title")),
        ("ended_at", truth.end, detail.get("ended_at")),
        ("duration_ms", truth.duration_ms, detail.get("duration_ms")),
    ]
    metrics: Json = detail.get("metrics") or {}
    fields += [(gw, getattr(truth, gt), metrics.get(gw)) for gt, gw in SESSION_METRICS]
    for name, expected, actual in fields:
        if known_only and actual is None:
            continue
        _check(out, "session", key, name, expected, actual)
    if items and not (known_only and not detail.get("products")):
        out += compare_items(key, truth.items, detail.get("products") or [])
    out += compare_session_hosts(key, truth, detail.get("hosts") or [], host)
    return out


def compare_items(key: str, truth: Sequence[ItemTruth], products: Sequence[Json]) -> list[Difference]:
    out: list[Difference] = []
    got = {int(p["item_id"]): p for p in products}
    want = {i.item_id: i for i in truth}
    for item_id in sorted(set(want) - set(got)):
        out.append(Difference("item", f"{key}:{item_id}", "present", True, False))
    for item_id in sorted(set(got) - set(want)):
        out.append(Difference("item", f"{key}:{item_id}", "present", False, True))
    for item_id in sorted(set(want) & set(got)):
        for gt, gw in ITEM_METRICS:
            _check(out, "item", f"{key}:{item_id}", gw, getattr(want[item_id], gt), got[item_id].get(gw))
    return out


def session_totals(truth: SessionTruth) -> dict[str, int]:
    return {
        "placed_orders": truth.placed_orders,
        "placed_sales": truth.placed_gmv,
        "confirmed_orders": truth.confirmed_orders,
        "confirmed_sales": truth.confirmed_gmv,
    }


def compare_session_hosts(key: str, truth: SessionTruth, hosts: Sequence[Json], host: str | None) -> list[Difference]:
    """Attributed + unassigned == the session's totals, exactly; and all of it with `host` (None = unassigned)."""
    out: list[Difference] = []
    totals = session_totals(truth)
    for name in ATTRIBUTION_FIGURES:
        parts = [normalise(h.get(name)) for h in hosts]
        summed = sum((p for p in parts if isinstance(p, Decimal)), Decimal(0))
        _check(out, "attribution", key, f"sum {name}", totals[name], summed)
    holders = {
        h.get("host_id") for h in hosts if any(normalise(h.get(n)) not in (None, 0) for n in ATTRIBUTION_FIGURES)
    }
    if any(totals.values()) and holders != {host}:
        out.append(Difference("attribution", key, "hosts", [host], sorted(holders, key=str)))
    return out


def compare_day(truth: AccountDayTruth, figures: Json | None, *, account_id: str) -> list[Difference]:
    key = f"{account_id}:{truth.local_date.isoformat()}"
    if figures is None:
        return [Difference("day", key, "present", True, False)]
    out: list[Difference] = []
    for gt, gw in DAY_FIGURES:
        _check(out, "day", key, gw, getattr(truth, gt), figures.get(gw))
    return out


def compare_hosts(expected: Mapping[str | None, Totals], performance: Iterable[Json]) -> list[Difference]:
    """Host performance over the period (and the unassigned row, host_id null) against the ground truth."""
    out: list[Difference] = []
    got: dict[str | None, Json] = {}
    for row in performance:
        got[row.get("host_id")] = row.get("figures") or {}
    for host, totals in sorted(expected.items(), key=lambda kv: str(kv[0])):
        key = host or "(unassigned)"
        figures = got.get(host)
        if figures is None:
            out.append(Difference("host", key, "present", True, False))
            continue
        count = normalise(figures.get("sessions"))
        low, high = len(totals.sessions), len(totals.sessions) + len(totals.optional)
        if not (isinstance(count, Decimal) and low <= count <= high):
            want: object = low if low == high else f"{low}..{high}"
            out.append(Difference("host", key, "sessions", want, figures.get("sessions")))
        for name, value in totals.figures().items():
            _check(out, "host", key, name, value, figures.get(name))
    for host in sorted(set(got) - set(expected), key=str):
        figures = got[host]
        if any(normalise(figures.get(n)) not in (None, 0) for n in ATTRIBUTION_FIGURES):
            out.append(Difference("host", host or "(unassigned)", "present", False, True))
    return out


def compare_statements(expected: Mapping[str, Decimal], statements: Iterable[Json]) -> list[Difference]:
    """Each host's statement total for the period (no statement counts as a total of 0)."""
    got: dict[str, object] = {}
    for st in statements:
        if st.get("status") != "void":
            got[str(st["host_id"])] = st.get("total")
    out: list[Difference] = []
    for host in sorted(set(expected) | set(got)):
        want = expected.get(host, Decimal(0))
        actual = got.get(host, Decimal(0) if want == 0 else None)
        _check(out, "statement", host, "total", want, actual)
    return out


def summarise(differences: Sequence[Difference], limit: int = 40) -> str:
    """A readable digest: counts per kind and field, then the first `limit` differences."""
    if not differences:
        return "no differences"
    counts: dict[tuple[str, str], int] = {}
    for d in differences:
        counts[(d.what, d.field)] = counts.get((d.what, d.field), 0) + 1
    lines = [f"{len(differences)} differences:"]
    lines += [f"  {what:<12} {name:<22} {n}" for (what, name), n in sorted(counts.items())]
    lines += ["first ones:"] + [f"  {d}" for d in differences[:limit]]
    return "\n".join(lines)
