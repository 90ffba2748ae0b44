"""Affiliate checkout events into income parts, inside the consumer's transaction; and their re-attribution.

`apply_checkouts`: the batch's checkouts are row-locked; an event observed after what is stored replaces the
checkout's state (older and equal ones are ignored, so a re-read or a redelivery is applied once), and the parts of
each replaced checkout are recomputed (`income.split`) against the account's sessions and roster.

`reattribute_range`: the parts of an account's checkouts purchased in a time range are recomputed, when a session
of the account appeared or its end became known, or its roster changed, so the result never depends on whether
the checkout, the session events or the roster commands were consumed first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from livestudio_commission import income, metrics
from livestudio_commission import repository as repo
from livestudio_commission.roster import OnAirWindow, effective_windows, requires_check_in
from livestudio_runtime.db import DbConnection

CheckoutKey = tuple[str, str]
ROSTER_MARGIN = timedelta(days=1)  # as sessions.ROSTER_MARGIN: covers check-in pairing around the purchases
_OPEN_END = datetime(9000, 1, 1, tzinfo=UTC)


async def _recompute(conn: DbConnection, checkouts: Sequence[income.Checkout]) -> None:
    if not checkouts:
        return
    lo = min(c.purchased_at for c in checkouts)
    hi = max(c.purchased_at for c in checkouts)
    accounts = {c.account_id for c in checkouts}
    spans = await repo.session_spans(conn, accounts, lo, hi)
    live = [c for c in checkouts if c.source == "live"]
    entries, checks = (
        await repo.load_roster(conn, accounts, lo - ROSTER_MARGIN, hi + ROSTER_MARGIN) if live else ({}, {})
    )
    studios = await repo.get_studios(conn, {c.studio_id for c in checkouts})
    policies = await repo.attribution_policies(conn, {c.studio_id for c in checkouts}) if live else {}
    windows: dict[tuple[str, str], list[OnAirWindow]] = {}
    out: dict[CheckoutKey, tuple[income.Checkout, Sequence[income.Part]]] = {}
    for c in checkouts:
        studio = studios.get(c.studio_id)
        tz_name = studio.timezone if studio is not None else c.timezone
        if tz_name != c.timezone:
            c = income.Checkout(**{**c.__dict__, "timezone": tz_name})
        wkey = (c.account_id, tz_name)
        if c.source == "live" and wkey not in windows:
            windows[wkey] = effective_windows(
                entries.get(c.account_id, []),
                checks.get(c.account_id, []),
                ZoneInfo(tz_name),
                check_in_required=requires_check_in(policies.get(c.studio_id, [])),
            )
        session = income.session_at(c.purchased_at, spans.get(c.account_id, []))
        parts = income.split(c, session, windows.get(wkey, []), income.QUANTUM)
        out[(c.account_id, c.checkout_id)] = (c, parts)
    await repo.replace_checkout_parts(conn, out)


async def apply_checkouts(conn: DbConnection, incoming: Sequence[income.Checkout]) -> None:
    if not incoming:
        return
    stored = await repo.lock_checkouts(conn, [(c.account_id, c.checkout_id) for c in incoming])
    newest: dict[CheckoutKey, income.Checkout] = {}
    for c in incoming:
        key = (c.account_id, c.checkout_id)
        current = newest.get(key) or stored.get(key)
        if income.newer(current.observed_at if current is not None else None, c):
            newest[key] = c
            metrics.CHECKOUTS["applied"].inc()
        else:
            metrics.CHECKOUTS["ignored_old"].inc()
    if not newest:
        return
    changed = [newest[k] for k in sorted(newest)]
    await repo.save_checkouts(conn, changed)
    await _recompute(conn, changed)


async def reattribute_range(conn: DbConnection, spans: Iterable[tuple[str, datetime, datetime | None]]) -> int:
    """Recompute the parts of the checkouts of each (account, from, to) (to None: until now); how many."""
    checkouts: dict[CheckoutKey, income.Checkout] = {}
    for account_id, lo, hi in spans:
        upper = hi if hi is not None else _OPEN_END
        for c in await repo.checkouts_between(conn, account_id, lo - income.GRACE, upper + income.GRACE):
            checkouts[(c.account_id, c.checkout_id)] = c
    await _recompute(conn, [checkouts[k] for k in sorted(checkouts)])
    return len(checkouts)
