"""The analytics service end to end: topics in, read models out, poison to the DLQ, health and metrics, rebuild."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from litestar.testing import AsyncTestClient

from livestudio_analytics.main import MIGRATIONS, create_app, make_consumer
from livestudio_analytics.rebuild import ConsumerRunning, rebuild
from livestudio_analytics.settings import SCHEMA
from livestudio_runtime.db import create_pool
from livestudio_runtime.migrations import migrate
from tests.analytics import kit
from tests.analytics.db import diff_tables, digest, fetch_tables
from tests.analytics.integration.conftest import make_settings, produce, settings_env, wait_applied, wait_rollups
from tests.analytics.reference import Reference
from tests.fixtures.infra import TopicFactory


def small_stream() -> list[kit.Record]:
    return kit.realistic_stream(
        kit.StreamSpec(seed=3, accounts=6, sessions_per_account=3, snapshots=(5, 12), poison=8, ad_spend_days=20)
    )


async def dead_letters(bootstrap: str, topic: str, want: int) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        f"{topic}.dlq", bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None, fetch_max_wait_ms=20
    )
    await consumer.start()
    got: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(got) < want:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    got.extend(records)
    finally:
        await consumer.stop()
    return got


async def test_consumes_topics_into_read_models_with_poison_to_dlq(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(topic_factory, kafka_bootstrap, fresh_db)
    records = small_stream()
    async with AsyncTestClient(create_app(settings)) as client:
        ends = await produce(kafka_bootstrap, settings, records)
        await wait_applied(fresh_db, settings.consumer_group, ends)

        ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"]) == {"postgres", "kafka", "running_lock", "consumer"}
        await asyncio.sleep(0.8)  # one gauge refresh
        metrics = (await client.get("/metrics")).text
        for name in (
            "livestudio_analytics_observations_total",
            "livestudio_analytics_stale_observations_total",
            "livestudio_analytics_late_corrections_total",
            "livestudio_analytics_sessions_on_air",
            "livestudio_analytics_commands_total",
            "livestudio_consumer_lag",
            "livestudio_consumer_dlq_total",
            "livestudio_consumer_batch_size",
            "livestudio_consumer_apply_seconds",
            "livestudio_consumer_last_applied_timestamp_seconds",
        ):
            assert name in metrics, name

    reference = Reference()
    for r in records:
        if not r.poison:
            reference.add(r.topic, r.value)
    expected = reference.tables()
    conn = await asyncpg.connect(fresh_db)
    try:
        problems = diff_tables(expected, await fetch_tables(conn, expected))
        assert not problems, "\n".join(problems)
        assert await conn.fetchval("SELECT count(*) FROM analytics.command_results WHERE status = 'rejected'") > 0
        assert await conn.fetchval("SELECT count(*) FROM analytics.daily_account WHERE ad_spend IS NOT NULL") > 0
        view = await conn.fetchrow(
            "SELECT * FROM analytics.daily_account_v WHERE ad_spend > 0 AND confirmed_sales > 0 LIMIT 1"
        )
        assert view is not None
        assert view["roas"] == round(view["confirmed_sales"] / view["ad_spend"], 4)
        assert view["acos"] == round(view["ad_spend"] / view["confirmed_sales"], 4)
    finally:
        await conn.close()

    poison = [r for r in records if r.poison]
    by_topic = {"session": settings.session_topic, "item": settings.item_topic}
    for kind, topic in by_topic.items():
        want = [r.value for r in poison if r.topic == kind]
        got = await dead_letters(kafka_bootstrap, topic, len(want))
        assert sorted(g.value or b"" for g in got) == sorted(want)
        for g in got:
            headers = dict(g.headers)
            assert headers["x-original-topic"] == topic.encode()
            assert headers["x-consumer"] == settings.consumer_group.encode()
            assert headers["x-error"]


async def test_late_correction_lands_on_the_sessions_local_day(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(topic_factory, kafka_bootstrap, fresh_db)
    started = datetime(2026, 11, 2, 16, 50, tzinfo=UTC)  # 23:50 in Jakarta, 2 Nov
    common = {"account_id": "acc-9", "studio_id": "st-9", "session_id": 5, "started_at": started}
    key = b"acc-9:5"
    records = [
        kit.Record(
            "session",
            key,
            kit.session_event(
                "snapshot",
                observed_at=started + timedelta(minutes=20),  # 3 Nov in Jakarta by now
                metrics={"placed_orders": 4, "placed_sales": "400000", "confirmed_sales": "0"},
                on_air=True,
                **common,  # type: ignore[arg-type]
            ),
        ),
        kit.Record(
            "session",
            key,
            kit.session_event(
                "ended",
                observed_at=started + timedelta(minutes=40),
                ended_at=started + timedelta(minutes=40),
                metrics={"confirmed_sales": "300000"},
                **common,  # type: ignore[arg-type]
            ),
        ),
        kit.Record(
            "session",
            key,
            kit.session_event(
                "corrected",
                observed_at=started + timedelta(days=3),
                ended_at=started + timedelta(minutes=40),
                metrics={"confirmed_sales": "350000", "confirmed_orders": 3},
                **common,  # type: ignore[arg-type]
            ),
        ),
        kit.Record(  # an old snapshot redelivered after the correction changes nothing
            "session",
            key,
            kit.session_event(
                "snapshot",
                observed_at=started + timedelta(minutes=20),
                metrics={"placed_orders": 4, "placed_sales": "400000", "confirmed_sales": "0"},
                on_air=True,
                **common,  # type: ignore[arg-type]
            ),
        ),
    ]
    async with AsyncTestClient(create_app(settings)):
        ends = await produce(kafka_bootstrap, settings, records)
        await wait_applied(fresh_db, settings.consumer_group, ends)
    conn = await asyncpg.connect(fresh_db)
    try:
        session = await conn.fetchrow("SELECT * FROM analytics.sessions")
        assert session is not None
        assert session["on_air"] is False
        assert session["local_day"] == date(2026, 11, 2)
        assert session["confirmed_sales"] == 350000
        assert session["placed_sales"] == 400000  # not reported by the correction: kept
        assert session["corrected_at"] == started + timedelta(days=3)
        assert session["streaming_ms"] == 40 * 60 * 1000
        days = await conn.fetch("SELECT day, sessions, confirmed_sales, confirmed_orders FROM analytics.daily_account")
        assert [tuple(d) for d in days] == [(date(2026, 11, 2), 1, 350000, 3)]
        points = await conn.fetch("SELECT minute FROM analytics.session_timeline ORDER BY minute")
        assert [p["minute"] for p in points] == [started + timedelta(minutes=20), started + timedelta(minutes=40)]
    finally:
        await conn.close()


async def test_rebuild_replays_topics_into_identical_tables(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    settings = await make_settings(topic_factory, kafka_bootstrap, fresh_db)
    records = small_stream()
    async with AsyncTestClient(create_app(settings)):
        ends = await produce(kafka_bootstrap, settings, records)
        await wait_applied(fresh_db, settings.consumer_group, ends)
        await wait_rollups(fresh_db)
        with pytest.raises(ConsumerRunning):
            await rebuild(settings)  # refuses while a consumer of the group runs
    conn = await asyncpg.connect(fresh_db)
    try:
        before = await digest(conn)
        assert before["sessions"][0] > 0
        applied_at = await conn.fetch("SELECT command_id, applied_at FROM analytics.command_results")

        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "livestudio_analytics.rebuild"],
            env=settings_env(settings),
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert all(n == 0 for table, (n, _) in (await digest(conn)).items() if table != "command_results")
        assert await conn.fetchval("SELECT count(*) FROM analytics.consumer_offsets") == 0

        async with AsyncTestClient(create_app(settings)):
            await wait_applied(fresh_db, settings.consumer_group, ends)
            await wait_rollups(fresh_db)
        assert await digest(conn) == before
        assert before["daily_items"][0] > 0 and before["hourly_account"][0] > 0
        assert await conn.fetch("SELECT command_id, applied_at FROM analytics.command_results") == applied_at
    finally:
        await conn.close()


async def test_two_members_and_a_rebalance_give_the_reference_tables(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    """Two consumers of the group share the partitions (rollups of one account-day from both); one leaves."""
    settings = await make_settings(topic_factory, kafka_bootstrap, fresh_db, partitions=4, batch_size=200)
    records = small_stream()
    await migrate(fresh_db, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema=SCHEMA, application_name="two-members", max_size=4)
    first, second = make_consumer(settings, pool), make_consumer(settings, pool)
    try:
        await first.start()
        await second.start()
        half = len(records) // 2
        await produce(kafka_bootstrap, settings, records[:half])
        await asyncio.sleep(1.0)
        await first.stop()  # rebalance: the other member takes over its partitions
        ends = await produce(kafka_bootstrap, settings, records[half:])
        await wait_applied(fresh_db, settings.consumer_group, ends)
    finally:
        await second.stop()
        await pool.close()

    reference = Reference()
    for r in records:
        if not r.poison:
            reference.add(r.topic, r.value)
    expected = reference.tables()
    conn = await asyncpg.connect(fresh_db)
    try:
        problems = diff_tables(expected, await fetch_tables(conn, expected))
        assert not problems, "\n".join(problems)
    finally:
        await conn.close()
