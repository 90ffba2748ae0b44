"""Publishing commands to `livestudio.commands.v1` (CloudEvent[Command], key = target entity id).

The producer is started lazily and re-created after a failure, so the API keeps serving reads while the broker
is away; a command that cannot be acknowledged by the broker (acks=all) within the timeout is answered 503 and
never reported as accepted.
"""

from __future__ import annotations

import asyncio

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from livestudio_gateway.metrics import COMMAND_PUBLISH_FAILURES, COMMANDS_PUBLISHED
from livestudio_gateway.problems import Unavailable
from livestudio_runtime.kafka import encode, ensure_topics
from livestudio_schemas.commands import Command
from livestudio_schemas.envelope import CloudEvent

log = structlog.get_logger(__name__)


class CommandPublisher:
    def __init__(
        self, *, bootstrap: str, topic: str, client_id: str, timeout_s: float, partitions: int, replication: int = 1
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.client_id = client_id
        self.timeout_s = timeout_s
        self.partitions = partitions
        self.replication = replication
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _ensure(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        async with self._lock:
            if self._producer is None:
                await ensure_topics(self.bootstrap, {self.topic: self.partitions}, replication=self.replication)
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    client_id=self.client_id,
                    acks="all",
                    enable_idempotence=False,  # the embedded broker has no idempotent producer
                    linger_ms=0,
                    request_timeout_ms=int(self.timeout_s * 1000),
                    retry_backoff_ms=200,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def start(self) -> None:
        """Connect now if the broker is there; otherwise the first command connects."""
        try:
            await asyncio.wait_for(self._ensure(), self.timeout_s)
        except Exception as exc:
            log.warning("command_producer_not_started", error=f"{type(exc).__name__}: {exc}")

    async def publish(self, key: str, event: CloudEvent[Command]) -> None:
        try:
            producer = await asyncio.wait_for(self._ensure(), self.timeout_s)
            await asyncio.wait_for(producer.send_and_wait(self.topic, encode(event), key=key.encode()), self.timeout_s)
        except (KafkaError, OSError, TimeoutError) as exc:
            COMMAND_PUBLISH_FAILURES.inc()
            log.warning("command_publish_failed", command_id=event.id, error=f"{type(exc).__name__}: {exc}")
            await self._reset()
            raise Unavailable("the command could not be published; nothing was changed, retry later") from None
        COMMANDS_PUBLISHED.labels(event.data.command.kind).inc()
        log.info("command_published", command_id=event.id, kind=event.data.command.kind, actor=event.data.actor)

    async def _reset(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 5)
            except Exception as exc:
                log.debug("command_producer_stop_failed", error=str(exc))

    async def stop(self) -> None:
        await self._reset()

    def __repr__(self) -> str:
        return f"CommandPublisher(topic={self.topic!r})"
