"""Event builders and a realistic generated stream for the analytics tests (encoded as the contract's JSON).

Builders write the CloudEvents JSON directly (fast enough for 200k events); a unit test checks that what they
write validates against the contract models.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import msgspec

SESSION_TYPES = {
    "snapshot": "livestudio.session.snapshot.v1",
    "ended": "livestudio.session.ended.v1",
    "corrected": "livestudio.session.corrected.v1",
}
ITEM_TYPE = "livestudio.item.snapshot.v1"
COMMAND_TYPE = "livestudio.command.v1"

TopicKind = Literal["session", "item", "commands"]


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


_ENCODER = msgspec.json.Encoder(decimal_format="string")
"""Fast JSON (200k events in seconds): Decimal as a string, aware datetimes as RFC 3339, dates as ISO."""


def envelope(type_: str, data: dict[str, Any], *, id_: str, time: datetime, subject: str | None) -> bytes:
    body = {
        "specversion": "1.0",
        "id": id_,
        "source": "/livestudio/ingest",
        "type": type_,
        "time": time,
        "subject": subject,
        "datacontenttype": "application/json",
        "dataschema": f"https://schemas.livestudio.dev/{type_}.json",
        "data": data,
    }
    return _ENCODER.encode(body)


def session_event(
    kind: Literal["snapshot", "ended", "corrected"],
    *,
    account_id: str,
    studio_id: str,
    session_id: int,
    started_at: datetime,
    observed_at: datetime,
    metrics: dict[str, Any],
    on_air: bool | None = None,
    ended_at: datetime | None = None,
    title: str | None = None,
    timezone: str = "Asia/Jakarta",
    currency: str = "IDR",
    duration_ms: int | None = None,
    source: str = "overview",
    heartbeat: bool = False,
) -> bytes:
    data: dict[str, Any] = {
        "account_id": account_id,
        "studio_id": studio_id,
        "session_id": session_id,
        "title": title,
        "started_at": started_at,
        "duration_ms": duration_ms,
        "observed_at": observed_at,
        "currency": currency,
        "timezone": timezone,
        "source": source,
        "metrics": metrics,
    }
    if kind == "snapshot":
        data["on_air"] = bool(on_air)
        data["heartbeat"] = heartbeat
    elif kind == "ended":
        data["ended_at"] = ended_at
    else:
        data["ended_at"] = ended_at
        data["reason"] = "settlement"
    subject = f"{account_id}:{session_id}"
    return envelope(
        SESSION_TYPES[kind],
        data,
        id_=f"{kind}:{subject}:{observed_at.timestamp()}:{source}",
        time=observed_at,
        subject=subject,
    )


def items_event(
    *,
    account_id: str,
    studio_id: str,
    session_id: int,
    observed_at: datetime,
    items: list[dict[str, Any]],
    currency: str = "IDR",
) -> bytes:
    subject = f"{account_id}:{session_id}"
    data = {
        "account_id": account_id,
        "studio_id": studio_id,
        "session_id": session_id,
        "observed_at": observed_at,
        "currency": currency,
        "complete": True,
        "items": items,
    }
    return envelope(
        ITEM_TYPE, data, id_=f"items:{subject}:{observed_at.timestamp()}", time=observed_at, subject=subject
    )


def command_event(command_id: str, command: dict[str, Any], *, issued_at: datetime, actor: str = "u-1") -> bytes:
    data = {"command_id": command_id, "actor": actor, "issued_at": issued_at, "command": command}
    return envelope(COMMAND_TYPE, data, id_=command_id, time=issued_at, subject=command.get("account_id"))


def adspend_command(
    command_id: str,
    *,
    account_id: str,
    studio_id: str,
    day: date,
    amount: Decimal | str,
    issued_at: datetime,
    currency: str = "IDR",
) -> bytes:
    command = {
        "kind": "adspend.enter",
        "account_id": account_id,
        "studio_id": studio_id,
        "day": day,
        "amount": str(amount),
        "currency": currency,
    }
    return command_event(command_id, command, issued_at=issued_at)


def foreign_command(command_id: str, *, issued_at: datetime) -> bytes:
    command = {"kind": "host.upsert", "host_id": "h-1", "studio_id": "st-1", "name": "Rina"}
    return command_event(command_id, command, issued_at=issued_at)


# --- a realistic stream ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    topic: TopicKind
    key: bytes
    value: bytes
    poison: bool = False


@dataclass
class _Session:
    account_id: str
    studio_id: str
    session_id: int
    started_at: datetime
    timezone: str
    snapshots: int
    title: str


@dataclass
class StreamSpec:
    seed: int = 7
    accounts: int = 120
    studios: int = 6
    sessions_per_account: int = 30
    snapshots: tuple[int, int] = (20, 60)
    items_every: int = 6
    duplicate_rate: float = 0.03
    swap_rate: float = 0.03
    poison: int = 25
    ad_spend_days: int = 300
    start: datetime = field(default_factory=lambda: datetime(2026, 11, 1, 10, 0, tzinfo=UTC))


_POISON = (
    b"{not json",
    b"",
    b'{"specversion":"1.0"}',
)


def realistic_stream(spec: StreamSpec) -> list[Record]:
    """Interleaved sessions of many accounts, as the ingest would publish them over ~10 days, with duplicates,
    adjacent swaps, ended events, settled corrections days later, item snapshots, ad spend and poison."""
    rng = random.Random(spec.seed)
    timed: list[tuple[datetime, int, Record]] = []
    seq = 0

    def put(ts: datetime, record: Record) -> None:
        nonlocal seq
        seq += 1
        timed.append((ts, seq, record))

    zones = ["Asia/Jakarta"] * 6 + ["Asia/Makassar", "UTC"]
    sessions: list[_Session] = []
    for a in range(spec.accounts):
        account_id = f"acc-{a:04d}"
        studio_id = f"st-{a % spec.studios}"
        tz = zones[a % len(zones)]
        t = spec.start + timedelta(hours=rng.uniform(0, 24))
        for s in range(spec.sessions_per_account):
            t += timedelta(hours=rng.uniform(2, 14))
            sessions.append(
                _Session(
                    account_id,
                    studio_id,
                    10_000_000 + a * 1000 + s,
                    t,
                    tz,
                    rng.randint(*spec.snapshots),
                    f"Live {a}-{s}",
                )
            )

    for sess in sessions:
        key = f"{sess.account_id}:{sess.session_id}".encode()
        viewers = views = likes = comments = orders = items_sold = atc = clicks = 0
        sales = Decimal(0)
        peak = 0
        obs = sess.started_at
        for i in range(sess.snapshots):
            obs = sess.started_at + timedelta(seconds=60 * i + rng.randint(0, 40))
            ccu = rng.randint(5, 400)
            peak = max(peak, ccu)
            viewers += rng.randint(0, 60)
            views += rng.randint(0, 90)
            likes += rng.randint(0, 30)
            comments += rng.randint(0, 10)
            new_orders = rng.choice([0, 0, 0, 1, 2])
            orders += new_orders
            items_sold += new_orders * rng.randint(1, 3)
            sales += Decimal(new_orders * rng.randint(20, 400) * 1000)
            atc += rng.randint(0, 8)
            clicks += rng.randint(0, 20)
            source = "session_list" if i % 3 == 0 else "overview"
            metrics: dict[str, Any]
            if source == "session_list":
                metrics = {"viewers": viewers, "current_viewers": ccu, "peak_viewers": peak, "likes": likes}
            else:
                metrics = {
                    "views": views,
                    "viewers": viewers,
                    "current_viewers": ccu,
                    "peak_viewers": peak,
                    "comments": comments,
                    "likes": likes,
                    "add_to_cart": atc,
                    "product_clicks": clicks,
                    "buyers": orders,
                    "placed_orders": orders,
                    "placed_sales": sales,
                    "placed_items_sold": items_sold,
                    "confirmed_orders": max(0, orders - 1),
                    "confirmed_sales": sales * Decimal("0.9"),
                }
            put(
                obs,
                Record(
                    "session",
                    key,
                    session_event(
                        "snapshot",
                        account_id=sess.account_id,
                        studio_id=sess.studio_id,
                        session_id=sess.session_id,
                        started_at=sess.started_at,
                        observed_at=obs,
                        metrics=metrics,
                        on_air=True,
                        title=sess.title if source == "session_list" else None,
                        timezone=sess.timezone,
                        source=source,
                    ),
                ),
            )
            if i % spec.items_every == spec.items_every - 1:
                items = [
                    {
                        "item_id": 500_000 + (sess.session_id % 97) * 10 + k,
                        "title": f"Product {k}",
                        "min_price": "10000",
                        "max_price": "25000",
                        "product_clicks": clicks // (k + 2),
                        "add_to_cart": atc // (k + 2),
                        "placed_orders": orders // (k + 2),
                        "placed_sales": format(sales / (k + 2), ".2f"),
                        "placed_items_sold": items_sold // (k + 2),
                        "confirmed_orders": None if k == 3 else orders // (k + 3),
                    }
                    for k in range(5)
                ]
                put(
                    obs,
                    Record(
                        "item",
                        key,
                        items_event(
                            account_id=sess.account_id,
                            studio_id=sess.studio_id,
                            session_id=sess.session_id,
                            observed_at=obs,
                            items=items,
                        ),
                    ),
                )
        ended_at = obs + timedelta(seconds=rng.randint(5, 50))
        final = {
            "views": views,
            "viewers": viewers,
            "peak_viewers": peak,
            "placed_orders": orders,
            "placed_sales": sales,
            "confirmed_orders": max(0, orders - 1),
            "confirmed_sales": sales * Decimal("0.9"),
        }
        put(
            ended_at,
            Record(
                "session",
                key,
                session_event(
                    "ended",
                    account_id=sess.account_id,
                    studio_id=sess.studio_id,
                    session_id=sess.session_id,
                    started_at=sess.started_at,
                    observed_at=ended_at,
                    ended_at=ended_at,
                    metrics=final,
                    timezone=sess.timezone,
                    duration_ms=int((ended_at - sess.started_at).total_seconds() * 1000),
                    source="live_detail",
                ),
            ),
        )
        for c in range(rng.choice([0, 1, 1, 2])):
            corrected_at = ended_at + timedelta(days=1 + c, minutes=rng.randint(0, 600))
            settled = sales * Decimal(rng.choice(["0.8", "0.85", "0.95"]))
            put(
                corrected_at,
                Record(
                    "session",
                    key,
                    session_event(
                        "corrected",
                        account_id=sess.account_id,
                        studio_id=sess.studio_id,
                        session_id=sess.session_id,
                        started_at=sess.started_at,
                        observed_at=corrected_at,
                        ended_at=ended_at,
                        metrics={
                            "confirmed_orders": max(0, orders - 1 - c),
                            "confirmed_sales": settled.quantize(Decimal("1")),
                            "paid_orders": max(0, orders - 2),
                            "paid_sales": (settled * Decimal("0.98")).quantize(Decimal("1")),
                        },
                        timezone=sess.timezone,
                        source="live_history",
                    ),
                ),
            )

    end = max(ts for ts, _, _ in timed)
    for n in range(spec.ad_spend_days):
        sess = rng.choice(sessions)
        day = sess.started_at.date()
        issued = spec.start + (end - spec.start) * rng.random()
        put(
            issued,
            Record(
                "commands",
                sess.account_id.encode(),
                adspend_command(
                    f"cmd-ad-{n}",
                    account_id=sess.account_id,
                    studio_id=sess.studio_id,
                    day=day,
                    amount=Decimal(rng.randint(0, 500) * 1000),
                    issued_at=issued,
                ),
            ),
        )
        if n % 10 == 0:
            put(issued, Record("commands", b"h-1", foreign_command(f"cmd-host-{n}", issued_at=issued)))
        if n % 37 == 0:  # rejected: negative amount
            bad = adspend_command(
                f"cmd-bad-{n}",
                account_id=sess.account_id,
                studio_id=sess.studio_id,
                day=day,
                amount="-5",
                issued_at=issued,
            )
            put(issued, Record("commands", sess.account_id.encode(), bad))

    timed.sort(key=lambda t: (t[0], t[1]))
    records = [r for _, _, r in timed]

    # redeliveries by the producer and small reorderings (adjacent swaps)
    out: list[Record] = []
    for r in records:
        out.append(r)
        if rng.random() < spec.duplicate_rate:
            back = rng.randint(1, min(50, len(out)))
            out.append(out[-back])
    for i in range(len(out) - 1):
        if rng.random() < spec.swap_rate:
            out[i], out[i + 1] = out[i + 1], out[i]

    for n in range(spec.poison):
        pos = rng.randrange(len(out))
        topic: TopicKind = "session" if n % 3 else "item"
        value = _impossible(rng, topic) if n % 5 == 0 else _POISON[n % len(_POISON)]
        out.insert(pos, Record(topic, f"acc-poison:{n}".encode(), value, poison=True))
    return out


def _impossible(rng: random.Random, topic: TopicKind) -> bytes:
    ts = datetime(2026, 11, 3, 12, tzinfo=UTC)
    if topic == "item":
        return items_event(
            account_id="acc-x",
            studio_id="st-x",
            session_id=1,
            observed_at=ts,
            items=[{"item_id": 1, "placed_sales": "-10"}],
        )
    return session_event(
        "ended",
        account_id="acc-x",
        studio_id="st-x",
        session_id=1,
        started_at=ts,
        observed_at=ts,
        ended_at=ts - timedelta(days=rng.randint(1, 5)),
        metrics={},
    )
