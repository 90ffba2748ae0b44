"""`studio.remove` (owner: commission) on the alerts consumer: a removed studio's timezone and summary setting are
dropped unless a rule or channel of it is kept here; the command is not recorded here and nothing stalls."""

from __future__ import annotations

from tests.alerts.kit import applied, command, eventually, make_settings, produce, rule, running, sinks_running
from tests.fixtures.infra import TopicFactory


async def test_a_removed_studio_is_forgotten_and_the_consumer_goes_on(
    kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory
) -> None:
    records = [
        command({"kind": "studio.upsert", "studio_id": "st-gone", "name": "Gone", "timezone": "Asia/Makassar"}),
        command({"kind": "studio.upsert", "studio_id": "st1", "name": "One", "timezone": "Asia/Jakarta"}),
        command({"kind": "alert.summary.set", "studio_id": "st-gone", "channel_ids": []}),
        rule("r-st1", "data_stale", "st1", minutes=5),
        command({"kind": "studio.remove", "studio_id": "st-gone"}),
        command({"kind": "studio.remove", "studio_id": "st1"}),  # a rule of it is kept here: so is the studio
        rule("r-after", "data_stale", "st1", minutes=10),
    ]
    async with sinks_running() as sinks:
        settings = await make_settings(kafka_bootstrap, fresh_db, topic_factory, sinks)
        async with running(settings) as service:
            pool = service.pool
            assert pool is not None
            await produce(settings.kafka_bootstrap, settings.commands_topic, records)
            await eventually(
                lambda: applied(pool, settings.consumer_group, settings.commands_topic, len(records)),
                what="commands applied",
            )
            studios = {r["studio_id"]: r["timezone"] for r in await pool.fetch("SELECT * FROM studios")}
            summaries = await pool.fetchval("SELECT count(*) FROM summaries")
            results = {r["kind"]: r["status"] for r in await pool.fetch("SELECT kind, status FROM command_results")}
            rules = await pool.fetchval("SELECT count(*) FROM rules")

    assert studios == {"st1": "Asia/Jakarta"}
    assert summaries == 0
    assert rules == 2  # the rule after the removals was applied too
    assert "studio.remove" not in results and results.get("alert.rule.upsert") == "applied"
