"""Notifications end to end: a real broker and PostgreSQL, the service in process, the local fake receivers.

Exactly once across a failed transaction and a full replay, a channel that is down retried then reported, the
outbox picking up after a restart, quiet hours, the de-duplication window, the webhook signature, and commands
that name another studio's rules or channels refused like missing ones.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from prometheus_client import REGISTRY

from livestudio_alerts.service import AlertsService
from tests.alerts.kit import (
    BOT_TOKEN,
    CIPHER,
    WEBHOOK_SECRET,
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
from tests.fixtures.infra import TopicFactory

ALL = ["hook", "tg", "mail"]


async def _results(service: AlertsService) -> dict[str, tuple[str, str | None]]:
    assert service.pool is not None
    rows = await service.pool.fetch("SELECT command_id, status, error FROM command_results")
    return {r["command_id"]: (r["status"], r["error"]) for r in rows}


async def _setup(service: AlertsService, records: list[tuple[str, bytes]]) -> None:
    s = service.settings
    await produce(s.kafka_bootstrap, s.commands_topic, records)
    assert service.pool is not None
    pool = service.pool
    await eventually(lambda: applied(pool, s.consumer_group, s.commands_topic, len(records)), what="commands applied")


def _failed_webhooks() -> float:
    return (
        REGISTRY.get_sample_value("livestudio_alerts_deliveries_total", {"channel": "webhook", "outcome": "failed"})
        or 0.0
    )


async def test_expired_cookie_notifies_each_channel_once(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory
) -> None:
    async with sinks_running() as sinks:
        settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory, sinks)
        t0 = datetime.now(UTC) - timedelta(minutes=2)
        events = [
            account_event("acct-1", "active", t0),
            account_event("acct-1", "credentials_expired", t0 + timedelta(minutes=1)),
        ]
        async with running(settings) as service:
            await _setup(service, [*channels(sinks), rule("r-exp", "account_unhealthy", channel_ids=ALL)])
            assert service.consumer is not None
            original = service.consumer.apply
            failures: list[int] = []

            async def crash_before_commit(conn: Any, batch: Any) -> None:
                await original(conn, batch)  # the notification is decided and queued …
                if not failures:
                    failures.append(1)
                    raise RuntimeError("injected crash before the offsets commit")  # … and rolled back

            service.consumer.apply = crash_before_commit
            await produce(kafka_bootstrap, settings.account_topic, events)
            await eventually(lambda: _count(sinks, 3), what="three deliveries")
            assert failures == [1]

        # a full replay (offsets and account states lost) decides nothing again: the key is already stored
        conn_pool = await _pool(fresh_db)
        try:
            await conn_pool.execute("UPDATE alerts.consumer_offsets SET next_offset = 0, last_record_ts = NULL")
            await conn_pool.execute("DELETE FROM alerts.accounts")
        finally:
            await conn_pool.close()
        async with running(settings) as service:
            assert service.pool is not None
            pool = service.pool
            await eventually(lambda: applied(pool, settings.consumer_group, settings.account_topic, 2), what="replay")
            await asyncio.sleep(0.3)
            rows = await pool.fetch("SELECT notification_id, status FROM notifications")
            deliveries = await pool.fetch("SELECT channel_id, status, attempts FROM deliveries ORDER BY channel_id")

    assert [r["status"] for r in rows] == ["queued"]
    key = rows[0]["notification_id"]
    assert [(d["channel_id"], d["status"], d["attempts"]) for d in deliveries] == [
        ("hook", "sent", 1),
        ("mail", "sent", 1),
        ("tg", "sent", 1),
    ]
    (hook,) = sinks.of("webhook")
    (tg,) = sinks.of("telegram")
    (mail,) = sinks.of("email")
    assert hook.verified is True and hook.key == key and "cookie expired" in hook.text
    assert tg.detail == {"chat_id": "-100200"} and "cookie expired" in tg.text
    assert mail.key == key and mail.detail["to"] == ["owner@studio.test"]


async def _count(sinks: Any, n: int) -> bool:
    return len(sinks.received) >= n


async def _pool(dsn: str) -> Any:
    import asyncpg

    return await asyncpg.create_pool(dsn, min_size=1, max_size=1)


async def test_down_channel_is_retried_then_reported_and_a_restart_delivers(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory
) -> None:
    async with sinks_running() as sinks:
        settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory, sinks)
        now = datetime.now(UTC)
        sinks.webhook_status = 503
        failed_before = _failed_webhooks()
        async with running(settings) as service:
            assert service.pool is not None
            pool = service.pool
            await _setup(service, [*channels(sinks), rule("r1", "account_unhealthy", channel_ids=ALL)])
            await produce(kafka_bootstrap, settings.account_topic, [account_event("acct-1", "degraded", now)])

            async def webhook_failed() -> bool:
                return bool(
                    await pool.fetchval("SELECT 1 FROM deliveries WHERE channel_id = 'hook' AND status = 'failed'")
                )

            await eventually(webhook_failed, what="webhook reported failed")
            row = await pool.fetchrow("SELECT attempts, last_error FROM deliveries WHERE channel_id = 'hook'")
            assert row is not None and row["attempts"] == 3 and "503" in row["last_error"]
            await eventually(lambda: _count(sinks, 2), what="telegram and email")
            assert _failed_webhooks() == failed_before + 1
            assert sinks.of("webhook") == []

            # Telegram goes down; the service stops while its delivery is still being retried
            sinks.telegram_status = 502
        slow = settings.model_copy(update={"max_attempts": 1000})
        async with running(slow) as service:
            assert service.pool is not None
            pool = service.pool
            await produce(
                kafka_bootstrap, settings.account_topic, [account_event("acct-2", "credentials_expired", now)]
            )

            async def telegram_retrying() -> bool:
                return bool(
                    await pool.fetchval(
                        "SELECT 1 FROM deliveries d JOIN notifications n USING (notification_id)"
                        " WHERE d.channel_id = 'tg' AND n.subject LIKE 'acct-2:%' AND d.attempts >= 2"
                    )
                )

            await eventually(telegram_retrying, what="telegram retried")
        sinks.telegram_status = 200
        async with running(slow) as service:
            await eventually(lambda: _count_channel(sinks, "telegram", 2), what="telegram after restart")
            await asyncio.sleep(0.3)
    assert len(sinks.of("telegram")) == 2 and "acct-2" in sinks.of("telegram")[1].text


async def _count_channel(sinks: Any, channel: str, n: int) -> bool:
    return len(sinks.of(channel)) >= n


async def test_quiet_hours_suppress_and_dedup_window_holds(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory
) -> None:
    async with sinks_running() as sinks:
        settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory, sinks)
        now = datetime.now(UTC)
        local = now.astimezone(ZoneInfo("Asia/Jakarta"))
        quiet = {
            "quiet_start": (local - timedelta(hours=1)).time().replace(microsecond=0).isoformat(),
            "quiet_end": (local + timedelta(hours=1)).time().replace(microsecond=0).isoformat(),
        }
        async with running(settings) as service:
            assert service.pool is not None
            pool = service.pool
            await _setup(
                service,
                [
                    *channels(sinks),
                    rule("r-quiet", "account_unhealthy", account_id="acct-q", channel_ids=["hook"], **quiet),
                    rule("r-dedup", "account_unhealthy", account_id="acct-d", channel_ids=["hook"], dedup_minutes=60),
                ],
            )
            t = now - timedelta(minutes=10)
            await produce(
                kafka_bootstrap,
                settings.account_topic,
                [
                    account_event("acct-q", "credentials_expired", t),
                    account_event("acct-d", "credentials_expired", now - timedelta(hours=3)),  # history: no alert
                    account_event("acct-d", "active", t),
                    account_event("acct-d", "credentials_expired", t + timedelta(minutes=1)),
                    account_event("acct-d", "active", t + timedelta(minutes=2)),
                    account_event("acct-d", "credentials_expired", t + timedelta(minutes=3)),
                ],
            )
            await eventually(lambda: applied(pool, settings.consumer_group, settings.account_topic, 6), what="applied")
            await eventually(lambda: _count(sinks, 1), what="one webhook")
            await asyncio.sleep(0.3)
            rows = await pool.fetch("SELECT rule_id, status FROM notifications ORDER BY decided_at, rule_id")
    assert [(r["rule_id"], r["status"]) for r in rows] == [
        ("r-quiet", "suppressed_quiet"),
        ("r-dedup", "queued"),
        ("r-dedup", "suppressed_dedup"),
    ]
    assert len(sinks.received) == 1 and sinks.received[0].verified is True


async def test_commands_are_scoped_to_their_studio(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory
) -> None:
    async with sinks_running() as sinks:
        settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory, sinks)
        async with running(settings) as service:
            assert service.pool is not None
            await _setup(
                service,
                [*channels(sinks), *channels(sinks, "st2", "st2-"), rule("r-st2", "data_stale", "st2", minutes=5)],
            )
            probes = {
                "foreign-channel": rule("r-a", "account_unhealthy", channel_ids=["st2-hook"]),
                "missing-channel": rule("r-b", "account_unhealthy", channel_ids=["nope"]),
                "foreign-rule": rule("r-st2", "account_unhealthy"),
                "remove-foreign-rule": command({"kind": "alert.rule.remove", "rule_id": "r-st2", "studio_id": "st1"}),
                "remove-missing-rule": command({"kind": "alert.rule.remove", "rule_id": "r-zz", "studio_id": "st1"}),
                "take-foreign-channel": command(
                    {
                        "kind": "alert.channel.upsert",
                        "channel_id": "st2-tg",
                        "studio_id": "st1",
                        "name": "mine now",
                        "channel_kind": "telegram",
                        "chat_id": "1",
                        "encrypted_secret": CIPHER.encrypt("x"),
                    }
                ),
                "bad-secret": command(
                    {
                        "kind": "alert.channel.upsert",
                        "channel_id": "hook2",
                        "studio_id": "st1",
                        "name": "h",
                        "channel_kind": "webhook",
                        "url": "https://example.test/h",
                        "encrypted_secret": "not-a-token",
                    }
                ),
                "metadata-webhook": command(
                    {
                        "kind": "alert.channel.upsert",
                        "channel_id": "hook3",
                        "studio_id": "st1",
                        "name": "cloud metadata",
                        "channel_kind": "webhook",
                        "url": "http://169.254.169.254/latest/meta-data/",
                        "encrypted_secret": CIPHER.encrypt("s"),
                    }
                ),
                "private-smtp": command(
                    {
                        "kind": "alert.channel.upsert",
                        "channel_id": "mail2",
                        "studio_id": "st1",
                        "name": "internal relay",
                        "channel_kind": "email",
                        "smtp_host": "10.0.0.7",
                        "email_from": "a@studio.test",
                        "email_to": ["b@studio.test"],
                    }
                ),
                "summary-foreign-channel": command(
                    {"kind": "alert.summary.set", "studio_id": "st1", "channel_ids": ["st2-mail"]}
                ),
                # a caller of studio st2 naming st1, and a host: refused before any lookup
                "other-scope": command(
                    {"kind": "alert.rule.remove", "rule_id": "r-ok", "studio_id": "st1"},
                    scope={"studio_id": "st2", "role": "manager"},
                ),
                "host": command(
                    {"kind": "alert.summary.set", "studio_id": "st1", "channel_ids": []},
                    scope={"studio_id": "st1", "role": "host", "host_id": "h1"},
                ),
                "ok": rule("r-ok", "account_unhealthy", channel_ids=["hook"]),
            }
            await _setup(service, list(probes.values()))
            results = await _results(service)
            stored = await service.pool.fetch("SELECT channel_id, secret_ciphertext FROM channels ORDER BY channel_id")
            st2_rule = await service.pool.fetchval("SELECT kind FROM rules WHERE rule_id = 'r-st2'")
            for table, key in (("channels", "channel_id = 'hook'"), ("rules", "rule_id = 'r-st2'")):
                with pytest.raises(asyncpg.IntegrityConstraintViolationError):  # the database refuses a move too
                    await service.pool.execute(f"UPDATE {table} SET studio_id = 'elsewhere' WHERE {key}")

    def outcome(name: str) -> tuple[str, str | None]:
        import json

        command_id = json.loads(probes[name][1])["data"]["command_id"]
        return results[command_id]

    assert outcome("foreign-channel") == ("rejected", "channel 'st2-hook' not found in studio 'st1'")
    assert outcome("missing-channel") == ("rejected", "channel 'nope' not found in studio 'st1'")
    assert outcome("foreign-rule") == ("rejected", "rule 'r-st2' not found in studio 'st1'")
    assert outcome("remove-foreign-rule") == ("rejected", "rule 'r-st2' not found in studio 'st1'")
    assert outcome("remove-missing-rule") == ("rejected", "rule 'r-zz' not found in studio 'st1'")
    assert outcome("take-foreign-channel") == ("rejected", "channel 'st2-tg' not found in studio 'st1'")
    assert outcome("bad-secret")[0] == "rejected"
    assert outcome("other-scope") == ("rejected", "studio 'st1' not found in studio 'st2'")
    assert outcome("host")[0] == "rejected"
    assert outcome("metadata-webhook") == (
        "rejected",
        "notifications go only to public addresses: 169.254.169.254 is not a public address",
    )
    assert outcome("private-smtp") == (
        "rejected",
        "notifications go only to public addresses: 10.0.0.7 is not a public address",
    )
    assert outcome("summary-foreign-channel") == ("rejected", "channel 'st2-mail' not found in studio 'st1'")
    assert outcome("ok") == ("applied", None)
    assert st2_rule == "data_stale"
    secrets = {r["channel_id"]: r["secret_ciphertext"] for r in stored}
    assert CIPHER.decrypt(secrets["hook"]) == WEBHOOK_SECRET and WEBHOOK_SECRET not in secrets["hook"]
    assert CIPHER.decrypt(secrets["tg"]) == BOT_TOKEN and secrets["mail"] is None
