"""The gmv_pace rule against the real commission and analytics read models: a host's target behind pace is
notified once (however often the evaluator runs, on later days too), an on-track target and a target without
figures never are, and a rule without its floor is rejected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from livestudio_analytics.main import MIGRATIONS as ANALYTICS_MIGRATIONS
from livestudio_commission.service import MIGRATIONS as COMMISSION_MIGRATIONS
from livestudio_runtime.migrations import migrate
from tests.alerts.kit import applied, channels, eventually, make_settings, produce, rule, running, sinks_running
from tests.fixtures.infra import TopicFactory

NOW = datetime(2026, 11, 16, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta: 15.5 of November's 30 days passed
NOVEMBER = date(2026, 11, 1)


async def _read_models(dsn: str) -> None:
    await migrate(dsn, schema="commission", directory=COMMISSION_MIGRATIONS)
    await migrate(dsn, schema="analytics", directory=ANALYTICS_MIGRATIONS)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("INSERT INTO commission.studios (studio_id, name) VALUES ('st1', 'Studio Satu')")
        await conn.execute("INSERT INTO commission.hosts (host_id, studio_id, name) VALUES ('h1', 'st1', 'Ayu')")
        await conn.executemany(
            "INSERT INTO commission.targets (studio_id, month, scope, scope_id, amount, set_at, set_by, command_id)"
            " VALUES ('st1', $1, $2, $3, $4, $5, 'owner', $6)",
            [
                (NOVEMBER, "host", "h1", Decimal(3_000_000), NOW, "t1"),  # expected 1.55 M by now, has 0.9 M
                (NOVEMBER, "studio", "st1", Decimal(1_000_000), NOW, "t2"),  # on track
                (NOVEMBER, "account", "acct-quiet", Decimal(1_000_000), NOW, "t3"),  # no figures: unknown
                (date(2026, 10, 1), "host", "h1", Decimal(1), NOW, "t4"),  # last month: never judged now
            ],
        )
        await conn.executemany(  # the commission's per-day host rollup (one session per day here)
            "INSERT INTO commission.host_days (studio_id, host_id, local_day, sessions, confirmed_orders,"
            " confirmed_sales) VALUES ('st1', $1, $2, 1, 1, $3)",
            [
                ("h1", date(2026, 11, 3), Decimal(400_000)),
                ("h1", date(2026, 11, 15), Decimal(500_000)),
                ("h1", date(2026, 10, 31), Decimal(9_000_000)),  # October: not this month's progress
                (None, date(2026, 11, 15), Decimal(7_000_000)),  # unassigned: nobody's progress
            ],
        )
        await conn.execute(
            "INSERT INTO analytics.daily_studio (studio_id, day, currency, accounts, sessions, sessions_on_air,"
            " streaming_ms, confirmed_orders, confirmed_sales) VALUES ('st1', $1, 'IDR', 1, 4, 0, 0, 4, 7900000)",
            date(2026, 11, 15),
        )
    finally:
        await conn.close()


async def test_a_target_behind_pace_is_notified_once(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory
) -> None:
    await _read_models(fresh_db)
    clock = [NOW]
    async with sinks_running() as sinks:
        settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory, sinks)
        async with running(settings, clock=lambda: clock[0]) as service:
            assert service.pool is not None and service.evaluator is not None
            pool = service.pool
            setup = [
                *channels(sinks),
                rule("r-pace", "gmv_pace", threshold="0.8", elapsed_percent=25, channel_ids=["hook"]),
                rule("r-no-floor", "gmv_pace", channel_ids=["hook"]),
            ]
            await produce(kafka_bootstrap, settings.commands_topic, setup)
            await eventually(lambda: applied(pool, settings.consumer_group, settings.commands_topic, len(setup)))
            assert await service.evaluator.evaluate_once() == 1
            assert await service.evaluator.evaluate_once() == 0
            clock[0] = NOW + timedelta(days=2)  # still behind two days later: already told
            assert await service.evaluator.evaluate_once() == 0
            await eventually(lambda: _received(sinks, 1), what="one webhook")
            rows = await pool.fetch("SELECT kind, subject, data FROM notifications")
            rejected = await pool.fetchval("SELECT error FROM command_results WHERE status = 'rejected'")
    assert [(r["kind"], r["subject"]) for r in rows] == [("gmv_pace", "host:h1:2026-11")]
    assert rejected == "a gmv_pace rule needs threshold"
    (hook,) = sinks.of("webhook")
    data = hook.detail["data"]
    assert (data["progress"], data["expected"], data["pace"]) == ("900000", "1550000.00", "0.5806")
    assert data["projection"] == "1741935.48"
    assert "Ayu" in hook.text and "behind its 2026-11 target" in hook.text


async def _received(sinks: object, n: int) -> bool:
    return len(getattr(sinks, "received", [])) >= n
