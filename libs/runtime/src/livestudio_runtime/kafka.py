"""Kafka wiring shared by services: topic creation, a configured FastStream broker, event (de)serialisation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from livestudio_schemas.envelope import CloudEvent, RawCloudEvent
from livestudio_schemas.topics import Topic

log = structlog.get_logger(__name__)
M = TypeVar("M", bound=BaseModel)


async def ensure_topics(bootstrap: str, topics: Mapping[str, int], *, replication: int = 1) -> None:
    """Create topics that do not exist yet (name -> partitions). Existing topics are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, n, replication) for name, n in topics.items() if name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            log.info("topics_created", topics=[t.name for t in missing])
    finally:
        await admin.close()


def public_topics(partitions: int) -> dict[str, int]:
    """Every contract topic and its DLQ."""
    out: dict[str, int] = {}
    for topic in Topic:
        out[topic.value] = partitions
        out[topic.dlq] = partitions
    return out


def kafka_check(bootstrap: str) -> Any:
    async def check() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2_000)
        await admin.start()
        try:
            await admin.list_topics()
        finally:
            await admin.close()

    return check


def make_broker(bootstrap: str, *, client_id: str, **kwargs: Any) -> KafkaBroker:
    """A FastStream broker with settings that keep latency low and failures visible."""
    return KafkaBroker(
        bootstrap,
        client_id=client_id,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
        linger_ms=5,
        acks="all",
        enable_idempotence=False,  # not required by our semantics, and unsupported by the embedded broker
        logger=structlog.get_logger("faststream"),
        **kwargs,
    )


def encode(event: CloudEvent[Any]) -> bytes:
    return event.model_dump_json().encode()


def decode_envelope(raw: bytes) -> RawCloudEvent:
    """Parse the CloudEvents envelope only; raises pydantic.ValidationError on garbage."""
    return RawCloudEvent.model_validate_json(raw)


def decode_as(raw: bytes, model: type[M]) -> CloudEvent[M]:
    return CloudEvent[model].model_validate_json(raw)  # type: ignore[valid-type]


def dlq_headers(error: str, topic: str, partition: int, offset: int, consumer: str) -> list[tuple[str, bytes]]:
    return [
        ("x-error", error[:1000].encode()),
        ("x-original-topic", topic.encode()),
        ("x-original-partition", str(partition).encode()),
        ("x-original-offset", str(offset).encode()),
        ("x-consumer", consumer.encode()),
    ]


def topic_names(topics: Iterable[Topic]) -> list[str]:
    return [t.value for t in topics]
