"""The exactly-once consumer fetches and decodes the next batch while one is applied (its transaction waits on
PostgreSQL), through its public API against a real broker and database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka.structs import ConsumerRecord

from livestudio_runtime.db import DbConnection, create_pool
from livestudio_runtime.exactly_once import Decoded, ExactlyOnceConsumer
from livestudio_runtime.migrations import migrate
from tests.fixtures.infra import TopicFactory
from tests.runtime.integration.test_exactly_once import SAMPLE, _produce


async def test_a_batch_arriving_while_one_is_applied_is_decoded_meanwhile(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    topic = await topic_factory("pipelined", partitions=1)
    await migrate(fresh_db, schema="sample", directory=SAMPLE)
    pool = await create_pool(fresh_db, schema="sample", application_name="pipeline-test")
    trace: list[str] = []
    done = asyncio.Event()

    def decode(rec: ConsumerRecord[bytes, bytes]) -> str:
        trace.append(f"decode {rec.value!r}")
        return (rec.value or b"").decode()

    async def apply(conn: DbConnection, batch: Sequence[Decoded[str]]) -> None:
        names = ",".join(d.value for d in batch)
        trace.append(f"apply {names} start")
        if names == "1":
            await conn.execute("SELECT pg_sleep(1.5)")  # the transaction waits on PostgreSQL
        trace.append(f"apply {names} end")
        if names == "2":
            done.set()

    # both records are in the log before the consumer starts; one record per batch
    await _produce(kafka_bootstrap, topic, [b"1", b"2"])
    consumer: ExactlyOnceConsumer[str] = ExactlyOnceConsumer(
        name="pipeline-test", bootstrap=kafka_bootstrap, topics=[topic], pool=pool, decode=decode, apply=apply,
        max_records=1, fetch_max_wait_ms=20, session_timeout_ms=3000, heartbeat_interval_ms=200,
    )  # fmt: skip
    await consumer.start()
    try:
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await consumer.stop()
        await pool.close()
    assert [t for t in trace if t.startswith("apply")] == [
        "apply 1 start",
        "apply 1 end",
        "apply 2 start",
        "apply 2 end",
    ]
    # the second batch was fetched and decoded while the first one's transaction waited (a consumer that fetched
    # only after applying would decode it after "apply 1 end")
    assert trace.index("decode b'2'") < trace.index("apply 1 end"), trace
