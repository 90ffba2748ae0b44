"""Sharing accounts between replicas through Kafka group membership (no coordinator of our own).

Every replica joins the consumer group `livestudio-ingest-accounts` on the internal topic
`livestudio.ingest.accounts` (P partitions). An account belongs to partition `crc32(account_id) % P`; a replica
polls exactly the accounts of the partitions it is assigned. The rebalance listener stops the pollers of revoked
partitions (and writes their state) before the group moves on, and starts the pollers of assigned ones, so an
account is polled by two replicas at most while a member that died is being timed out. The protocol is eager
(every rebalance revokes everything first): when a partition comes back, the engine resumes its paused pollers
(schedule and caches intact) instead of starting them cold, unless another replica claimed or wrote the account
in between; it tells from Postgres, not from the group (`handover.py`).

The topic carries no data we need; the loop keeps fetching only so that the member stays in the group. A broker
that lost its topics (the embedded broker forgets everything on restart) leaves us with no assignment: the loop
then recreates the topic (`livestudio_runtime.log_reset`, membership's part of the contract); the consumer's
next metadata refresh (every `METADATA_MAX_AGE_MS`) sees it and the group reassigns.

Public aiokafka API only: `ConsumerRebalanceListener`, `subscribe`, `getmany`, `assignment`,
`partitions_for_topic` and the admin client's `describe_topics`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from livestudio_runtime.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

PartitionsCallback = Callable[[set[int]], Awaitable[None]]
AssignCallback = Callable[[set[int], int | None], Awaitable[None]]
METADATA_MAX_AGE_MS = 2_000
"""How often the member refreshes its metadata: how soon it sees a topic recreated after a broker restart."""


async def described_partitions(bootstrap: str, topic: str) -> int | None:
    """Partitions of `topic` as the cluster describes it now (admin API); None if it does not know the topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    for entry in described:
        if entry.get("topic") == topic and not entry.get("error_code") and entry.get("partitions"):
            return len(entry["partitions"])
    return None


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: KafkaMembership) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        parts = {tp.partition for tp in revoked if tp.topic == self.owner.topic}
        self.owner.assigned -= parts
        if parts:
            log.info("accounts_partitions_revoked", partitions=len(parts))
            await self.owner.on_revoked(parts)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        parts = {tp.partition for tp in assigned if tp.topic == self.owner.topic}
        self.owner.assigned |= parts
        total = await self.owner.partition_count()
        log.info("accounts_partitions_assigned", partitions=len(parts), of=total)
        # Never drop an assignment: a member whose metadata does not know the topic yet (it was just recreated
        # after a broker restart) would hold the partitions in the group and poll none of them. An empty one is
        # passed on too: the engine forgets the pollers it paused.
        await self.owner.on_assigned(parts, total)


class KafkaMembership:
    def __init__(
        self,
        *,
        bootstrap: str,
        topic: str,
        group: str,
        client_id: str,
        on_assigned: AssignCallback,
        on_revoked: PartitionsCallback,
        ensure_topic: Callable[[], Awaitable[None]],
        session_timeout_ms: int,
        heartbeat_interval_ms: int,
        describe_partitions: Callable[[], Awaitable[int | None]] | None = None,
    ) -> None:
        self.topic = topic
        self.describe_partitions = describe_partitions or (lambda: described_partitions(bootstrap, topic))
        self.on_assigned = on_assigned
        self.on_revoked = on_revoked
        self.ensure_topic = ensure_topic
        self.assigned: set[int] = set()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            rebalance_timeout_ms=max(session_timeout_ms, 10_000),
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            fetch_max_wait_ms=500,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.consumer.subscribe([self.topic], listener=_Listener(self))
        await self.consumer.start()
        self._task = asyncio.create_task(self._run(), name="ingest-membership")

    async def stop(self) -> None:
        """Leave the group (the others take our accounts over at once) after stopping our pollers."""
        await cancel_and_wait(self._task)
        if self.assigned:
            parts, self.assigned = set(self.assigned), set()
            await self.on_revoked(parts)
        with contextlib.suppress(Exception):
            await self.consumer.stop()

    async def partition_count(self) -> int | None:
        """Partitions of the membership topic as this member's metadata knows them (asked of the cluster if it
        does not know the topic yet); None if still unknown (the engine then keeps the count it has)."""
        parts = self.consumer.partitions_for_topic(self.topic)
        if parts:
            return len(parts)
        try:
            return await self.describe_partitions()
        except Exception as exc:
            log.debug("membership_describe_failed", error=type(exc).__name__)
            return None

    async def check(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("membership loop is not running")

    async def _run(self) -> None:
        unassigned_since: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self.consumer.getmany(timeout_ms=500, max_records=100)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("membership_fetch_error", error=type(exc).__name__)
                await asyncio.sleep(0.5)
            if self.consumer.assignment():
                unassigned_since = None
                continue
            if unassigned_since is None:
                unassigned_since = loop.time()
            elif loop.time() - unassigned_since > 5.0:
                # No partitions for a while: the topic may be gone (broker restarted). Recreate it; the next
                # metadata refresh sees it and the group rejoins.
                unassigned_since = loop.time()
                try:
                    await self.ensure_topic()
                except Exception as exc:
                    log.debug("membership_topic_repair_failed", error=type(exc).__name__)
