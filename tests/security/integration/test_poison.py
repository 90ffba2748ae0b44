"""No record can stop a consumer (#17 class 2): poison injected into the real commission consumer.

A check-in dated 9999-12-31 (refused by the gateway and by the contract now; on the topic it is recorded as
rejected), a session event whose times overflow while it is applied, and a command that breaks a database
constraint: each is isolated (the DLQ gets what fails to apply, with the error in its headers), the consumer keeps
applying what follows, stays ready, and the DLQ can be replayed once the cause is fixed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY

from livestudio_runtime import dlq
from tests.commission.kit import read_topic, session_event
from tests.fixtures.infra import TopicFactory
from tests.security.kit import OWNER, Stack, auth, stack

FAR = "9999-12-31T23:00:00Z"


@pytest.fixture
async def running(kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory) -> AsyncIterator[Stack]:
    async with stack(kafka_bootstrap, fresh_db, topic_factory) as s:
        await s.applied("PUT", "/studios/studio-a", {"name": "A"})
        await s.applied("PUT", "/studios/studio-a/hosts/host-a1", {"name": "Ayu"})
        yield s


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    value: bytes = dict(record.headers)[name]
    return value.decode()


async def _host_name(s: Stack, host_id: str) -> str | None:
    name: str | None = await s.pool.fetchval("SELECT name FROM hosts WHERE host_id = $1", host_id)
    return name


async def test_a_far_future_check_in_cannot_stop_commission(running: Stack) -> None:
    s = running
    host = auth("host", ["studio-a"], host_id="host-a1")
    for headers in (host, auth("manager", ["studio-a"])):
        response = await s.client.post(
            "/api/v1/studios/studio-a/hosts/host-a1/check-in", json={"account_id": "acc-a1", "at": FAR}, headers=headers
        )
        assert response.status_code == 400, response.text
    poisoned = await s.inject({"kind": "host.check_in", "host_id": "host-a1", "account_id": "acc-a1", "at": FAR})
    after = await s.accepted("PUT", "/studios/studio-a/hosts/host-a2", {"name": "Budi"}, headers=OWNER)
    assert await s.outcome(after) == ("applied", None)  # commission moved on
    status, error = await s.outcome(poisoned)
    assert status == "rejected" and error is not None and "9999" in error
    await s.commission.consumer.check()  # type: ignore[union-attr]


async def test_records_that_fail_to_apply_go_to_the_dlq_and_can_be_replayed(running: Stack) -> None:
    s = running
    consumer = s.commission.consumer
    assert consumer is not None
    labels = {"consumer": consumer.name, "topic": s.commands_topic}
    failed_before = REGISTRY.get_sample_value("livestudio_consumer_apply_failed_total", labels) or 0.0
    # a session whose times overflow when applied (decodes fine: the session contract has no bounds)
    far = datetime(9999, 12, 31, 23, tzinfo=UTC)
    key, value = session_event("snapshot", "acc-a1", 9001, far, far, placed=1, studio_id="studio-a")
    await s.produce_raw(s.session_topic, key, value)
    # a command that breaks a database rule (a stand-in for any bug or constraint the models do not know)
    await s.pool.execute("ALTER TABLE hosts ADD CONSTRAINT no_poison CHECK (name <> 'poison') NOT VALID")
    poisoned = await s.accepted("PUT", "/studios/studio-a/hosts/host-p", {"name": "poison"})
    after = await s.accepted("PUT", "/studios/studio-a/hosts/host-q", {"name": "fine"})

    assert await s.outcome(after) == ("applied", None)
    dead = await read_topic(s.bootstrap, f"{s.commands_topic}.dlq", 1)
    assert poisoned.encode() in dead[0].value
    assert "CheckViolationError" in _header(dead[0], "x-error")
    assert _header(dead[0], "x-original-topic") == s.commands_topic
    dead_sessions = await read_topic(s.bootstrap, f"{s.session_topic}.dlq", 1)
    assert "Error" in _header(dead_sessions[0], "x-error")
    assert REGISTRY.get_sample_value("livestudio_consumer_apply_failed_total", labels) == failed_before + 1
    await consumer.check()  # ready: it makes progress

    # the operator fixes the cause and replays the DLQ: the command applies once
    await s.pool.execute("ALTER TABLE hosts DROP CONSTRAINT no_poison")
    letters = await dlq.list_letters(s.bootstrap, f"{s.commands_topic}.dlq")
    assert [letter.original_topic for letter in letters] == [s.commands_topic]
    cli = ["--bootstrap", s.bootstrap, "--topic", f"{s.commands_topic}.dlq"]
    assert await asyncio.to_thread(dlq.main, ["replay", *cli, "--dry-run"]) == 0  # what the runbook runs first
    replayed = await dlq.replay(s.bootstrap, f"{s.commands_topic}.dlq")
    assert [target for _, target in replayed] == [s.commands_topic]
    assert await s.outcome(poisoned) == ("applied", None)
    assert await _host_name(s, "host-p") == "poison"
    assert await dlq.replay(s.bootstrap, f"{s.commands_topic}.dlq") == []  # the group remembers
