"""Every service reads the replication factor for the topics it creates from its own prefix (default 1), and the
gateway's command publisher creates its topic with it."""

from __future__ import annotations

import pytest

from livestudio_analytics.settings import AnalyticsSettings
from livestudio_commission.settings import CommissionSettings
from livestudio_gateway import publisher as publisher_module
from livestudio_gateway.publisher import CommandPublisher
from livestudio_gateway.settings import GatewaySettings
from livestudio_ingest.settings import IngestSettings
from livestudio_runtime.settings import ServiceSettings


@pytest.mark.parametrize(
    ("settings_class", "prefix"),
    [(AnalyticsSettings, "ANALYTICS_"), (CommissionSettings, "COMMISSION_"), (GatewaySettings, "GATEWAY_"),
     (IngestSettings, "INGEST_")],
)  # fmt: skip
def test_replication_comes_from_the_service_prefix(
    settings_class: type[ServiceSettings], prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_JWT_SECRET", "x" * 32)  # the gateway requires one
    assert settings_class().topic_replication == 1
    monkeypatch.setenv(f"{prefix}TOPIC_REPLICATION", "3")
    assert settings_class().topic_replication == 3
    monkeypatch.setenv(f"{prefix}TOPIC_REPLICATION", "0")
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        settings_class()


async def test_command_publisher_creates_its_topic_with_the_replication(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[tuple[dict[str, int], int]] = []

    async def ensure_topics(bootstrap: str, topics: dict[str, int], *, replication: int = 1) -> None:
        created.append((topics, replication))
        raise RuntimeError("stop before connecting")

    monkeypatch.setattr(publisher_module, "ensure_topics", ensure_topics)
    publisher = CommandPublisher(
        bootstrap="127.0.0.1:1", topic="cmds", client_id="t", timeout_s=1, partitions=6, replication=3
    )
    await publisher.start()  # logs that it could not connect; the first command tries again
    assert created == [({"cmds": 6}, 3)]
