"""The alerts process killed (SIGKILL) while a webhook delivery is in flight, then started again: nothing is lost,
nothing is decided twice, and the one repeat at the edge carries the same Idempotency-Key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from livestudio_alerts.settings import AlertsSettings
from livestudio_devinfra.alert_sinks import AlertSinks
from livestudio_devinfra.ports import free_port
from tests.alerts.kit import account_event, applied, channels, eventually, make_settings, produce, rule, sinks_running
from tests.fixtures.infra import TopicFactory

pytestmark = pytest.mark.slow


def _start(settings: AlertsSettings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **{f"ALERTS_{k.upper()}": str(v) for k, v in settings.model_dump(mode="json").items() if v is not None},
        "ALERTS_CREDENTIALS_KEYS": settings.credentials_keys.get_secret_value(),
        "ALERTS_HTTP_PORT": str(free_port()),
        "ALERTS_SHUTDOWN_TIMEOUT_S": "2",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "livestudio-alerts")], env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def test_sigkill_mid_delivery_loses_nothing(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory, tmp_path: Path
) -> None:
    async with sinks_running() as sinks:
        settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory, sinks)
        setup = [*channels(sinks), rule("r1", "account_unhealthy", channel_ids=["hook", "tg", "mail"])]
        await produce(kafka_bootstrap, settings.commands_topic, setup)
        pool = await asyncpg.create_pool(fresh_db, min_size=1, max_size=2, server_settings={"search_path": "alerts"})
        assert pool is not None
        first = _start(settings, tmp_path / "first.log")
        try:
            await eventually(
                lambda: _safe(applied(pool, settings.consumer_group, settings.commands_topic, len(setup))),
                timeout=60,
                what="commands applied",
            )
            sinks.webhook_delay_s = 5.0  # a slow webhook: the process dies with the delivery in flight
            await produce(
                kafka_bootstrap,
                settings.account_topic,
                [account_event("acct-1", "credentials_expired", datetime.now(UTC))],
            )
            await eventually(lambda: _has(sinks, "webhook", 1), what="webhook in flight")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        sinks.webhook_delay_s = 0.0
        second = _start(settings, tmp_path / "second.log")
        try:
            await eventually(lambda: _all_sent(pool), timeout=60, what="every delivery sent after the restart")
            notifications = await pool.fetch("SELECT notification_id FROM notifications")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
            await pool.close()
    assert len(notifications) == 1
    key = notifications[0]["notification_id"]
    assert {r.key for r in sinks.of("webhook")} == {key}  # sent again after the kill, under the same key
    assert len(sinks.of("telegram")) in (1, 2) and len(sinks.of("email")) in (1, 2)


async def _safe(check: Awaitable[bool]) -> bool:
    try:
        return await check
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
        return False  # not migrated yet


async def _has(sinks: AlertSinks, channel: str, n: int) -> bool:
    return len(sinks.of(channel)) >= n


async def _all_sent(pool: asyncpg.Pool) -> bool:
    rows = await pool.fetch("SELECT status FROM deliveries")
    return len(rows) == 3 and all(r["status"] == "sent" for r in rows)
