"""Deciding a notification once and queueing its deliveries, inside the caller's transaction.

The consumer calls `record` in the transaction that stores its offsets; the evaluator in its own transaction.
Either way the notification row (keyed by the alert's idempotency key) and its outbox rows commit together with
what caused them, or not at all: a replayed event or a repeated evaluation finds the key and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from livestudio_alerts import metrics
from livestudio_alerts import repository as repo
from livestudio_alerts.rules import Alert, Rule, Status, decide
from livestudio_runtime.db import DbConnection


async def record(
    conn: DbConnection, alert: Alert, rule: Rule | None, *, timezone: str, channel_ids: Sequence[str]
) -> Status | None:
    """Store the decision about `alert` and queue it for its enabled channels; None when it was decided before."""
    if await repo.notification_exists(conn, alert.key):
        return None
    last = await repo.last_queued_at(conn, rule.rule_id, alert.subject) if rule is not None else None
    channels = await repo.enabled_channels(conn, alert.studio_id, channel_ids)
    status = decide(rule, alert, timezone=timezone, last_sent_at=last, channels=channels)
    if not await repo.insert_notification(conn, alert, status):
        return None
    if status == "queued":
        await repo.insert_deliveries(conn, alert.key, channels)
    metrics.DECISIONS.labels(alert.kind, status).inc()
    return status
