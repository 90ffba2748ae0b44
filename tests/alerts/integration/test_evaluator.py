"""The time-based rules and the daily summary against the real commission and analytics read models: each
situation is notified once however often the evaluator runs, an account a session event shows on air is not
"not live", and the summary reads yesterday's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg

from livestudio_analytics.main import MIGRATIONS as ANALYTICS_MIGRATIONS
from livestudio_commission.service import MIGRATIONS as COMMISSION_MIGRATIONS
from livestudio_runtime.migrations import migrate
from tests.alerts.kit import (
    account_event,
    applied,
    channels,
    command,
    eventually,
    make_settings,
    produce,
    rule,
    running,
    sinks_running,
)
from tests.commission.kit import session_event
from tests.fixtures.infra import TopicFactory

NOW = datetime.now(UTC).replace(microsecond=0)
YESTERDAY = NOW.astimezone(ZoneInfo("Asia/Jakarta")).date() - timedelta(days=1)


async def _read_models(dsn: str) -> None:
    await migrate(dsn, schema="commission", directory=COMMISSION_MIGRATIONS)
    await migrate(dsn, schema="analytics", directory=ANALYTICS_MIGRATIONS)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO commission.hosts (host_id, studio_id, name) VALUES ('h1', 'st1', 'Ayu'), ('h2', 'st1', 'Budi')"
        )
        await conn.execute(
            "INSERT INTO commission.shifts (shift_id, studio_id, name, start_local, end_local)"
            " VALUES ('pagi', 'st1', 'pagi', '05:00', '10:00'), ('sore', 'st1', 'sore', '15:00', '20:00')"
        )
        await conn.execute(
            "INSERT INTO commission.schedule_entries (entry_id, studio_id, host_id, account_id, starts_at, ends_at)"
            " VALUES ('e1', 'st1', 'h1', 'acct-s', $1, $2), ('e2', 'st1', 'h2', 'acct-live', $1, $2)",
            NOW - timedelta(minutes=20),
            NOW + timedelta(hours=1),
        )
        # Budi checked in five minutes before his entry began; Ayu has not checked in
        await conn.execute(
            "INSERT INTO commission.host_checks (check_id, host_id, account_id, kind, at)"
            " VALUES ('chk-1', 'h2', 'acct-live', 'in', $1)",
            NOW - timedelta(minutes=25),
        )
        await conn.executemany(
            "INSERT INTO commission.attribution_parts (account_id, session_id, host_key, window_key, local_day,"
            " host_id, studio_id, shift_id, confirmed_orders, confirmed_sales)"
            " VALUES ('acct-s', $1, $2, $3, $4, $2, 'st1', $3, $5, $6)",
            [(1, "h1", "pagi", YESTERDAY, 3, Decimal(100000)), (2, "h2", "sore", YESTERDAY, 5, Decimal(50000))],
        )
        await conn.executemany(
            "INSERT INTO commission.attributions (studio_id, host_id, account_id, session_id, local_day,"
            " confirmed_orders, confirmed_sales) VALUES ('st1', $1, 'acct-s', $2, $3, $4, $5)",
            [("h1", 1, YESTERDAY, 3, Decimal(100000)), ("h2", 2, YESTERDAY, 5, Decimal(50000))],
        )
        await conn.execute(
            "INSERT INTO analytics.daily_studio (studio_id, day, currency, accounts, sessions, sessions_on_air,"
            " streaming_ms, confirmed_orders, confirmed_sales, ad_spend) VALUES ('st1', $1, 'IDR', 1, 2, 0, 0, 8,"
            " 150000, 100000)",
            YESTERDAY,
        )
        await conn.execute(
            "INSERT INTO analytics.sessions (account_id, session_id, studio_id, started_at, local_day, timezone,"
            " currency, observed_at, field_observed_at) VALUES ('acct-s', 1, 'st1', $1, $2, 'Asia/Jakarta', 'IDR',"
            " $1, '{}')",
            NOW - timedelta(days=1),
            YESTERDAY,
        )
        await conn.execute(
            "INSERT INTO analytics.session_items (account_id, session_id, item_id, studio_id, currency, title,"
            " confirmed_orders, confirmed_sales, observed_at, field_observed_at) VALUES"
            " ('acct-s', 1, 11, 'st1', 'IDR', 'Serum', 2, 60000, $1, '{}'),"
            " ('acct-s', 1, 12, 'st1', 'IDR', 'Toner', 1, 90000, $1, '{}')",
            NOW - timedelta(days=1),
        )
    finally:
        await conn.close()


async def test_time_rules_and_summary_notify_once(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory
) -> None:
    await _read_models(fresh_db)
    async with sinks_running() as sinks:
        settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory, sinks)
        async with running(settings, clock=lambda: NOW) as service:
            assert service.pool is not None and service.evaluator is not None
            pool = service.pool
            setup = [
                *channels(sinks),
                rule("r-stale", "data_stale", minutes=15, channel_ids=["hook"]),
                rule("r-shift", "shift_not_live", minutes=10, channel_ids=["hook"]),
                rule("r-checkin", "host_not_checked_in", minutes=10, channel_ids=["hook"]),
                rule("r-roas", "roas_below", threshold="2", channel_ids=["hook"]),
                command(
                    {"kind": "alert.summary.set", "studio_id": "st1", "local_time": "00:00", "channel_ids": ["hook"]}
                ),
            ]
            await produce(kafka_bootstrap, settings.commands_topic, setup)
            await produce(
                kafka_bootstrap,
                settings.account_topic,
                [account_event("acct-s", "active", NOW - timedelta(minutes=1), last_poll=NOW - timedelta(minutes=30))],
            )
            await eventually(lambda: applied(pool, settings.consumer_group, settings.commands_topic, len(setup)))
            on_air = session_event("snapshot", "acct-live", 9, NOW - timedelta(minutes=30), NOW - timedelta(minutes=1))
            await produce(kafka_bootstrap, settings.session_topic, [on_air])
            await eventually(lambda: applied(pool, settings.consumer_group, settings.account_topic, 1))
            await eventually(lambda: applied(pool, settings.consumer_group, settings.session_topic, 1))
            assert await service.evaluator.evaluate_once() == 5
            assert await service.evaluator.evaluate_once() == 0
            await eventually(lambda: _received(sinks, 5), what="five webhooks")
            kinds = sorted(r["kind"] for r in await pool.fetch("SELECT kind FROM notifications"))
    assert kinds == ["daily_summary", "data_stale", "host_not_checked_in", "roas_below", "shift_not_live"]
    by_kind = {r.detail["kind"]: r for r in sinks.of("webhook")}
    summary = by_kind["daily_summary"]
    assert summary.detail["data"]["gmv"] == "150000" and summary.detail["data"]["roas"] == "1.5000"
    assert "Best shift: pagi" in summary.text and "Weakest shift: sore" in summary.text
    assert summary.text.index("Toner") < summary.text.index("Serum") and "Ayu" in summary.text
    assert "Ayu" in by_kind["shift_not_live"].text and "acct-live" not in by_kind["shift_not_live"].text
    assert "30 minutes" in by_kind["data_stale"].text
    not_in = by_kind["host_not_checked_in"]
    assert "Ayu" in not_in.text and "Budi" not in not_in.text and not_in.detail["data"]["entry_id"] == "e1"


async def _received(sinks: object, n: int) -> bool:
    return len(getattr(sinks, "received", [])) >= n
