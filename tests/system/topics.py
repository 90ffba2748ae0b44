"""What a new subscriber finds on the session topic: the newest event per session, read from the beginning.

After the embedded broker restarts empty, a team that subscribes from the beginning sees only what was published
since. `latest_on_topic` reads the whole topic (no consumer group, every partition up to its high-water mark) and
keeps, per session, the newest observation; `missing_recent` tells which recent sessions are absent or stale.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from livestudio_schemas.topics import Topic
from shopee_client.simulator.ground_truth import SessionTruth


@dataclass(frozen=True)
class Latest:
    observed_at: datetime
    type: str
    metrics: dict[str, Any]


async def _read(bootstrap: str, topic: str, timeout: float) -> dict[tuple[str, int], Latest]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    out: dict[tuple[str, int], Latest] = {}
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return out
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=300, max_records=5000)
            for records in batch.values():
                for rec in records:
                    try:
                        event = json.loads(rec.value or b"{}")
                        data = event["data"]
                        key = (str(data["account_id"]), int(data["session_id"]))
                        seen = Latest(datetime.fromisoformat(data["observed_at"]), event["type"], data["metrics"])
                    except (ValueError, KeyError, TypeError):
                        continue
                    if key not in out or out[key].observed_at <= seen.observed_at:
                        out[key] = seen
            done = True
            for tp in tps:
                high = consumer.highwater(tp)
                if high is None or await consumer.position(tp) < high:
                    done = False
            if done and not batch:
                break
    finally:
        await consumer.stop()
    return out


def latest_on_topic(
    bootstrap: str, topic: str = Topic.SESSION.value, timeout: float = 60.0
) -> dict[tuple[str, int], Latest]:
    return asyncio.run(_read(bootstrap, topic, timeout))


def missing_recent(
    latest: Mapping[tuple[str, int], Latest], recent: Iterable[SessionTruth], account_ids: Mapping[int, str]
) -> tuple[list[int], list[int]]:
    """(absent, stale): recent sessions with no event on the topic, and those whose newest event's placed and
    confirmed figures differ from the ground truth."""
    absent: list[int] = []
    stale: list[int] = []
    for s in recent:
        seen = latest.get((account_ids[s.account_index], s.session_id))
        if seen is None:
            absent.append(s.session_id)
            continue
        figures = (seen.metrics.get("placed_orders"), seen.metrics.get("confirmed_orders"))
        if figures != (s.placed_orders, s.confirmed_orders):
            stale.append(s.session_id)
    return absent, stale
