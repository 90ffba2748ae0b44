"""Hypothesis strategies: small worlds of sessions and the messy ways their events arrive.

A `Scenario` is a set of events (snapshots, ends, late corrections, item snapshots, ad-spend and foreign
commands) plus how they are delivered: duplicated, reordered within a window, split into batches, and some
batches delivered again (redelivery after a crash).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from aiokafka.structs import ConsumerRecord
from hypothesis import strategies as st

from livestudio_analytics.events import Event
from livestudio_analytics.handlers import Decoder, Topics
from tests.analytics import kit

BASE = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)  # 23:00 in Jakarta: starts around it fall on two local days
ZONES = ("Asia/Jakarta", "UTC", "Pacific/Kiritimati", "America/New_York")
COUNTS = st.none() | st.integers(0, 6)
MONEY = st.none() | st.sampled_from([Decimal(0), Decimal("1.50"), Decimal("100"), Decimal("250000")])
SESSION_FIELDS = ("viewers", "peak_viewers", "current_viewers", "placed_orders", "confirmed_orders", "paid_orders")
MONEY_FIELDS = ("placed_sales", "confirmed_sales", "paid_sales")


@dataclass(frozen=True)
class Message:
    topic: kit.TopicKind
    value: bytes


@dataclass(frozen=True)
class Scenario:
    messages: tuple[Message, ...]
    """Every distinct message, each once (what the reference sees)."""
    batches: tuple[tuple[Message, ...], ...]
    """What the consumer applies, in order: duplicates, reordering and redelivered batches included."""


_DECODE = Decoder(Topics("session", "item", "commands"))


def decode_message(message: Message) -> Event:
    """Decode as the consumer does."""
    return _DECODE(ConsumerRecord(message.topic, 0, 0, 0, 0, None, message.value, None, 0, 0, []))


@st.composite
def _metrics(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SESSION_FIELDS:
        value = draw(COUNTS)
        if value is not None:
            out[name] = value
    for name in MONEY_FIELDS:
        money = draw(MONEY)
        if money is not None:
            out[name] = money
    if draw(st.booleans()):
        out["conversion_rate"] = draw(st.sampled_from([Decimal("0.01"), Decimal("0.125")]))
    return out


@st.composite
def _session_message(draw: st.DrawFn, world: dict[tuple[str, int], dict[str, Any]]) -> Message:
    key = draw(st.sampled_from(sorted(world)))
    facts = dict(world[key])
    if draw(st.integers(0, 3)) == 0:  # a later observation reports a different start/studio/zone
        facts["started_at"] = BASE + timedelta(minutes=draw(st.sampled_from([-120, 30, 90])))
        facts["studio_id"] = draw(st.sampled_from(["s1", "s2"]))
        facts["timezone"] = draw(st.sampled_from(ZONES))
    kinds: list[Literal["snapshot", "ended", "corrected"]] = ["snapshot", "snapshot", "snapshot", "ended", "corrected"]
    kind = draw(st.sampled_from(kinds))
    offset = timedelta(minutes=draw(st.integers(0, 4)), seconds=draw(st.sampled_from([0, 30])))
    if kind == "corrected":
        offset += timedelta(days=draw(st.integers(1, 3)))
    observed = facts["started_at"] + offset
    ended_at = None
    if kind == "ended" or (kind == "corrected" and draw(st.booleans())):
        ended_at = facts["started_at"] + timedelta(minutes=draw(st.integers(1, 5)))
    raw = kit.session_event(
        kind,
        account_id=key[0],
        studio_id=facts["studio_id"],
        session_id=key[1],
        started_at=facts["started_at"],
        observed_at=observed,
        metrics=draw(_metrics()),
        on_air=draw(st.booleans()),
        ended_at=ended_at,
        title=draw(st.none() | st.sampled_from(["Sale", "Promo"])),
        timezone=facts["timezone"],
        duration_ms=draw(st.none() | st.integers(0, 10_000_000)),
    )
    return Message("session", raw)


@st.composite
def _items_message(draw: st.DrawFn, world: dict[tuple[str, int], dict[str, Any]]) -> Message:
    key = draw(st.sampled_from(sorted(world)))
    facts = world[key]
    items = []
    for item_id in draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)):
        item: dict[str, Any] = {"item_id": item_id}
        for name in ("placed_orders", "confirmed_orders", "product_clicks"):
            value = draw(COUNTS)
            if value is not None:
                item[name] = value
        for name in ("placed_sales", "confirmed_sales", "min_price"):
            money = draw(MONEY)
            if money is not None:
                item[name] = money
        title = draw(st.none() | st.sampled_from(["Lipstick", "Serum"]))
        if title is not None:
            item["title"] = title
        items.append(item)
    raw = kit.items_event(
        account_id=key[0],
        studio_id=facts["studio_id"],
        session_id=key[1],
        observed_at=facts["started_at"] + timedelta(minutes=draw(st.integers(0, 4))),
        items=items,
    )
    return Message("item", raw)


def _command_catalogue(seed: int) -> dict[str, bytes]:
    """Command ids map to fixed contents: a redelivered command is byte-identical."""
    rng = random.Random(seed)
    out: dict[str, bytes] = {}
    for n in range(5):
        cid = f"cmd-{seed}-{n}"
        day = date(2026, 11, 2) + timedelta(days=rng.randint(0, 1))
        amount = "-1" if n == 4 else str(rng.choice([0, 50000, 125000]))
        out[cid] = kit.adspend_command(
            cid,
            account_id=rng.choice(["a1", "a2", "a3"]),
            studio_id=rng.choice(["s1", "s2"]),
            day=day,
            amount=amount,
            issued_at=BASE + timedelta(minutes=rng.randint(0, 3)),
        )
    out[f"cmd-{seed}-host"] = kit.foreign_command(f"cmd-{seed}-host", issued_at=BASE)
    return out


@st.composite
def scenarios(draw: st.DrawFn, max_events: int = 25) -> Scenario:
    world: dict[tuple[str, int], dict[str, Any]] = {}
    for account in ("a1", "a2"):
        for session_id in range(1, draw(st.integers(1, 3)) + 1):
            world[(account, session_id)] = {
                "studio_id": "s1" if account == "a1" else draw(st.sampled_from(["s1", "s2"])),
                "started_at": BASE + timedelta(minutes=draw(st.sampled_from([-90, -30, 0, 45, 75]))),
                "timezone": draw(st.sampled_from(ZONES)),
            }
    catalogue = _command_catalogue(draw(st.integers(0, 10_000)))
    message = st.one_of(
        _session_message(world),
        _session_message(world),
        _items_message(world),
        st.sampled_from(sorted(catalogue)).map(lambda cid: Message("commands", catalogue[cid])),
    )
    distinct = draw(st.lists(message, min_size=1, max_size=max_events))

    # delivery: producer duplicates, reordering within a window, batches, redelivered batches
    delivered = list(distinct)
    for index in draw(st.lists(st.integers(0, len(distinct) - 1), max_size=5)):
        delivered.insert(min(len(delivered), index + draw(st.integers(0, 3))), distinct[index])
    rnd = draw(st.randoms(use_true_random=False))
    window = draw(st.integers(1, 4))
    for start in range(0, len(delivered), window):
        chunk = delivered[start : start + window]
        rnd.shuffle(chunk)
        delivered[start : start + window] = chunk
    batches: list[tuple[Message, ...]] = []
    position = 0
    while position < len(delivered):
        size = draw(st.integers(1, 8))
        batches.append(tuple(delivered[position : position + size]))
        position += size
    for _ in range(draw(st.integers(0, 2))):  # a crash before the offsets committed: the batch comes again
        batches.insert(draw(st.integers(0, len(batches))), batches[draw(st.integers(0, len(batches) - 1))])
    unique = tuple(dict.fromkeys(distinct))
    return Scenario(messages=unique, batches=tuple(batches))
