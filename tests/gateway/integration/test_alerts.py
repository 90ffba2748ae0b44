"""The alerts routes end to end: commands through the gateway applied by a running alerts service, reads scoped
to the caller's studios, secrets never returned, and the alert history after a real notification."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_commission.service import MIGRATIONS as COMMISSION_MIGRATIONS
from livestudio_gateway.main import create_app
from livestudio_ingest.settings import MIGRATIONS as INGEST_MIGRATIONS
from livestudio_runtime.migrations import migrate
from tests.alerts.kit import WEBHOOK_SECRET, account_event, make_settings, produce, running, sinks_running
from tests.fixtures.infra import TopicFactory
from tests.gateway.conftest import CREDENTIALS_KEY, TokenFactory, bearer, gateway_settings

Client = AsyncTestClient[Litestar]


async def _applied(client: Client, auth: str, response: Any) -> None:
    assert response.status_code == 202, response.text
    url = response.json()["status_url"]
    for _ in range(200):
        status = (await client.get(url, headers=bearer(auth))).json()
        if status["status"] != "pending":
            assert status["status"] == "applied" and status["owner"] == "alerts", status
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} still pending")


async def test_alert_routes(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory, token: TokenFactory
) -> None:
    commands_topic = await topic_factory("gw-alerts-commands", partitions=1)
    manager = token("manager", studios=["st1"])
    other = token("manager", studios=["st2"])
    host = token("host", studios=["st1"], host_id="h1")
    # the gateway's ownership check reads the owners' tables (an alert rule may name an account)
    await migrate(fresh_db, schema="commission", directory=COMMISSION_MIGRATIONS)
    await migrate(fresh_db, schema="ingest", directory=INGEST_MIGRATIONS)
    conn = await asyncpg.connect(fresh_db)
    try:  # a daily summary is for a studio that exists
        await conn.execute("INSERT INTO commission.studios (studio_id, name) VALUES ('st1', 'one'), ('st2', 'two')")
    finally:
        await conn.close()
    async with sinks_running() as sinks:
        settings = await make_settings(
            kafka_bootstrap,
            fresh_db,
            topic_factory,
            sinks,
            commands_topic=commands_topic,
            credentials_keys=CREDENTIALS_KEY,
        )
        app = create_app(gateway_settings(fresh_db, kafka_bootstrap, commands_topic=commands_topic))
        async with running(settings), AsyncTestClient(app) as client:
            h = bearer(manager)
            channel = {"name": "hook", "kind": "webhook", "url": f"{sinks.url}/webhook", "secret": WEBHOOK_SECRET}
            await _applied(
                client, manager, await client.put("/api/v1/studios/st1/alerts/channels/hook", headers=h, json=channel)
            )
            rule = {"kind": "account_unhealthy", "channel_ids": ["hook"], "quiet_start": "23:00:00"}
            rule["quiet_end"] = "23:00:00"
            await _applied(
                client, manager, await client.put("/api/v1/studios/st1/alerts/rules/r1", headers=h, json=rule)
            )
            summary = {"local_time": "08:30:00", "channel_ids": ["hook"]}
            await _applied(
                client, manager, await client.put("/api/v1/studios/st1/alerts/summary", headers=h, json=summary)
            )

            channels = await client.get("/api/v1/alerts/channels", headers=h)
            assert channels.status_code == 200 and WEBHOOK_SECRET not in channels.text
            (item,) = channels.json()["items"]
            assert item["has_secret"] is True and item["config"] == {"url": f"{sinks.url}/webhook"}
            (r,) = (await client.get("/api/v1/alerts/rules", headers=h)).json()["items"]
            assert r["rule_id"] == "r1" and r["channel_ids"] == ["hook"] and r["dedup_minutes"] == 60
            (s,) = (await client.get("/api/v1/alerts/summaries?studio_id=st1", headers=h)).json()["items"]
            assert s["local_time"] == "08:30:00"

            # another studio's manager sees nothing, may not filter on st1 nor take its ids; hosts see no alerts
            assert (await client.get("/api/v1/alerts/channels", headers=bearer(other))).json() == {"items": []}
            assert (await client.get("/api/v1/alerts/rules?studio_id=st1", headers=bearer(other))).status_code == 403
            taken = await client.put("/api/v1/studios/st2/alerts/rules/r1", headers=bearer(other), json=rule)
            assert taken.status_code == 404  # the ownership rule: as for an id that does not exist
            assert (await client.get("/api/v1/alerts/history", headers=bearer(host))).status_code == 403
            unknown = await client.put("/api/v1/studios/st1/alerts/channels/x", headers=h, json={**channel, "extra": 1})
            assert unknown.status_code == 400

            await produce(
                kafka_bootstrap,
                settings.account_topic,
                [account_event("acct-1", "credentials_expired", datetime.now(UTC))],
            )
            for _ in range(200):
                history = (await client.get("/api/v1/alerts/history?studio_id=st1", headers=h)).json()["items"]
                if history and history[0]["deliveries"][0]["status"] == "sent":
                    break
                await asyncio.sleep(0.05)
            (notification,) = history
            assert notification["kind"] == "account_unhealthy" and notification["status"] == "queued"
            assert notification["deliveries"][0]["channel_id"] == "hook"
            assert notification["deliveries"][0]["attempts"] == 1
            assert sinks.of("webhook")[0].verified is True

            removed = await client.delete("/api/v1/studios/st1/alerts/rules/r1", headers=h)
            await _applied(client, manager, removed)
            assert (await client.get("/api/v1/alerts/rules", headers=h)).json() == {"items": []}
            pace = {"kind": "gmv_pace", "threshold": "0.8", "elapsed_percent": 30, "channel_ids": ["hook"]}
            await _applied(
                client, manager, await client.put("/api/v1/studios/st1/alerts/rules/pace", headers=h, json=pace)
            )
            (r,) = (await client.get("/api/v1/alerts/rules", headers=h)).json()["items"]
            assert (r["kind"], r["threshold"], r["elapsed_percent"]) == ("gmv_pace", "0.8", 30)
