"""The consumer's decode, prepare and apply functions (thin: events → batch plan → repository, plus metrics).

`prepare_batch` is the pure part (the plan, its COPY records and the sessions whose hours it touches): the
consumer runs it while the previous batch is applied. `apply_prepared` runs inside the exactly-once consumer's
transaction, together with the offsets; it is idempotent on content, so a redelivered or reordered record leaves
every table unchanged. It keeps the daily rollups itself and only marks the keys of the hourly, product and monthly
rollups dirty; the refresher (`rollups.py`) recomputes those.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from aiokafka.structs import ConsumerRecord

from livestudio_analytics import metrics, repository
from livestudio_analytics.batch import BatchPlan, plan_batch, stale_counts
from livestudio_analytics.events import Event, decode_command, decode_items, decode_session
from livestudio_runtime.db import DbConnection
from livestudio_runtime.exactly_once import Decoded, PoisonMessage

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Topics:
    session: str
    item: str
    commands: str


class Decoder:
    """Picks the decoder by topic (names are configurable, so tests can use their own topics)."""

    def __init__(self, topics: Topics) -> None:
        self.topics = topics

    def __call__(self, record: ConsumerRecord[bytes, bytes]) -> Event:
        if record.topic == self.topics.session:
            return decode_session(record.value)
        if record.topic == self.topics.item:
            return decode_items(record.value)
        if record.topic == self.topics.commands:
            return decode_command(record.value)
        raise PoisonMessage(f"analytics does not consume topic {record.topic!r}")


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """What `prepare_batch` builds before the transaction: the collapsed batch and its COPY records."""

    plan: BatchPlan
    staged: repository.StagedBatch
    hour_sessions: list[tuple[str, int, datetime]]
    item_sessions: list[tuple[str, int]]


def first_minutes(timeline: Iterable[tuple[str, int, datetime]]) -> list[tuple[str, int, datetime]]:
    """(account, session, earliest minute) per session of these timeline keys, in key order."""
    first: dict[tuple[str, int], datetime] = {}
    for account_id, session_id, minute in timeline:
        key = (account_id, session_id)
        seen = first.get(key)
        if seen is None or minute < seen:
            first[key] = minute
    return [(k[0], k[1], m) for k, m in sorted(first.items())]


def prepare_batch(batch: Sequence[Decoded[Event]]) -> PreparedBatch:
    plan = plan_batch(d.value for d in batch)
    return PreparedBatch(
        plan,
        repository.StagedBatch.of(plan.sessions, plan.timeline, plan.items),
        first_minutes(plan.timeline),
        sorted({(k[0], k[1]) for k in plan.items}),
    )


async def apply_batch(conn: DbConnection, batch: Sequence[Decoded[Event]]) -> None:
    """Prepare and apply in one go (tests, tools)."""
    await apply_prepared(conn, prepare_batch(batch))


async def apply_prepared(conn: DbConnection, prepared: PreparedBatch) -> None:
    plan, staged = prepared.plan, prepared.staged
    await repository.begin_batch(conn)
    merged = await repository.merge_sessions(conn, staged)
    await repository.merge_timeline(conn, staged)
    prior_items = await repository.merge_items(conn, staged)
    ad_spend = list(plan.ad_spend.values())
    await repository.upsert_ad_spend(conn, ad_spend)
    await repository.record_command_results(conn, list(plan.command_results.values()))

    days = {(a.account_id, a.day) for a in ad_spend}
    for m in merged:
        days.add((m.account_id, m.local_day))
        if m.old_local_day is not None and m.old_local_day != m.local_day:
            days.add((m.account_id, m.old_local_day))
    await repository.recompute_days(conn, days)
    item_days = [(m.account_id, m.local_day) for m in merged if m.moved]
    item_days += [(m.account_id, m.old_local_day) for m in merged if m.moved and m.old_local_day is not None]
    months = sorted({(a, repository.month_of(d)) for a, d in days})  # monthly_account follows daily_account
    await repository.mark_dirty(
        conn, repository.DirtyMarks(item_days, prepared.item_sessions, prepared.hour_sessions, months)
    )

    # Metrics (best effort: a failed commit rolls back the rows, not these counts).
    stale = stale_counts(plan, {(m.account_id, m.session_id): m.old_observed_at for m in merged}, prior_items)
    for kind, n in plan.observation_counts().items():
        metrics.OBSERVATIONS.labels(kind).inc(n)
    if stale.sessions:
        metrics.STALE.labels("session").inc(stale.sessions)
    if stale.items:
        metrics.STALE.labels("item").inc(stale.items)
    if stale.late_corrections:
        metrics.LATE_CORRECTIONS.inc(stale.late_corrections)
    for table, rows in (("sessions", plan.sessions), ("session_timeline", plan.timeline), ("items", plan.items)):
        if rows:
            metrics.ROWS_MERGED.labels(table).inc(len(rows))
    for _, kind, status, _ in plan.command_results.values():
        metrics.COMMANDS.labels(kind, status).inc()
    for owner, n in plan.ignored_commands.items():
        metrics.COMMANDS_IGNORED.labels(owner).inc(n)
    metrics.DAYS_RECOMPUTED.observe(len(days))
