"""The time-based rules (shift not live, stale data, ROAS, GMV pace) and the daily summaries, evaluated every
ALERTS_EVALUATE_INTERVAL_S.

Each round reads what the consumer built (accounts, rules) and the other owners' read models (the schedule, the
day's figures), runs the pure rules, and records every alert in its own short transaction. Keys name the
situation (rule, subject, window / episode / day), so a round repeated after a crash, or run by two replicas at
once, decides nothing twice. A summary and its `last_day` mark commit together.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from livestudio_alerts import metrics, notify
from livestudio_alerts import repository as repo
from livestudio_alerts.rules import (
    Alert,
    Rule,
    data_stale,
    gmv_pace,
    host_not_checked_in,
    roas_below,
    shift_not_live,
)
from livestudio_alerts.summary import compose, due_day
from livestudio_runtime.db import DbConnection
from livestudio_runtime.targets import month_of

log = structlog.get_logger(__name__)
TIMED_KINDS = ("shift_not_live", "host_not_checked_in", "data_stale", "roas_below", "gmv_pace")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Evaluator:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        interval_s: float,
        default_timezone: str,
        clock: Callable[[], datetime] = utc_now,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.pool = pool
        self.interval_s = interval_s
        self.default_timezone = default_timezone
        self.clock = clock
        self.on_queued = on_queued
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alerts-evaluator")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 15)
            except TimeoutError:
                self._task.cancel()

    async def check(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("evaluator is not running")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.evaluate_once()
                metrics.EVALUATIONS.labels("ok").inc()
            except asyncio.CancelledError:
                raise
            except Exception:
                metrics.EVALUATIONS.labels("error").inc()
                log.exception("evaluation_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)

    async def evaluate_once(self) -> int:
        """One round; how many notifications were queued."""
        now = self.clock()
        queued = 0
        async with self.pool.acquire() as conn:
            timezones = await repo.studio_timezones(conn)
            rules = await repo.enabled_rules(conn, TIMED_KINDS)
            accounts = await repo.all_accounts(conn)
            windows = await repo.running_windows(conn, now) if any(r.kind == "shift_not_live" for r in rules) else []
            rostered = (
                await repo.rostered_hosts(conn, now) if any(r.kind == "host_not_checked_in" for r in rules) else []
            )
            by_id = {a.account_id: a for a in accounts}
            for rule in rules:
                timezone = timezones.get(rule.studio_id, self.default_timezone)
                alerts: list[Alert] = []
                if rule.kind == "shift_not_live":
                    alerts = shift_not_live(rule, windows, by_id, now)
                elif rule.kind == "host_not_checked_in":
                    alerts = host_not_checked_in(rule, rostered, now)
                elif rule.kind == "data_stale":
                    alerts = data_stale(rule, accounts, now)
                elif rule.kind == "roas_below":
                    alerts = await self._roas(conn, rule, timezone, now)
                elif rule.kind == "gmv_pace":
                    targets = await repo.month_targets(conn, rule.studio_id, month_of(now, timezone))
                    alerts = gmv_pace(rule, targets, now, timezone)
                for alert in alerts:
                    async with conn.transaction():
                        status = await notify.record(conn, alert, rule, timezone=timezone, channel_ids=rule.channel_ids)
                    queued += status == "queued"
            for row in await repo.summaries_enabled(conn):
                timezone = row["timezone"] or self.default_timezone
                day = due_day(now, timezone, row["local_time"], row["last_day"])
                if day is None:
                    continue
                figures = await repo.summary_figures(conn, row["studio_id"], day)
                async with conn.transaction():
                    status = await notify.record(
                        conn, compose(figures, now=now), None, timezone=timezone, channel_ids=row["channel_ids"]
                    )
                    await repo.mark_summary(conn, row["studio_id"], day)
                queued += status == "queued"
        if queued and self.on_queued is not None:
            self.on_queued()
        return queued

    async def _roas(self, conn: DbConnection, rule: Rule, timezone: str, now: datetime) -> list[Alert]:
        """The previous local day (closed): its ROAS for the studio, or the rule's account."""
        day = now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)
        figures = await repo.day_sales(conn, rule.studio_id, rule.account_id, day)
        if figures is None:
            return []
        alert = roas_below(rule, day, rule.account_id or rule.studio_id, figures[0], figures[1], now)
        return [] if alert is None else [alert]
