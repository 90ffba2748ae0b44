"""Settings of the analytics service (env prefix ANALYTICS_): topics, consumer group, batch size, refresh periods."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from livestudio_runtime.settings import ServiceSettings
from livestudio_schemas.topics import Topic

SERVICE = "analytics"
SCHEMA = "analytics"


class AnalyticsSettings(ServiceSettings):
    """E.g. ANALYTICS_DATABASE_URL, ANALYTICS_KAFKA_BOOTSTRAP, ANALYTICS_SESSION_TOPIC, ANALYTICS_BATCH_SIZE."""

    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore", frozen=True)

    http_port: int = Field(default=8102, ge=0, le=65535)
    consumer_group: str = Field(default="livestudio-analytics", min_length=1)
    session_topic: str = Field(default=Topic.SESSION.value, min_length=1)
    item_topic: str = Field(default=Topic.ITEM.value, min_length=1)
    commands_topic: str = Field(default=Topic.COMMANDS.value, min_length=1)
    batch_size: int = Field(
        default=20_000,
        ge=1,
        le=50_000,
        description="most records fetched and applied per transaction (a batch of 20,000 peaks at ~240 MB of RSS)",
    )
    max_partition_fetch_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    create_topics: bool = Field(default=True, description="create the contract topics (and DLQs) at startup")
    gauge_refresh_s: float = Field(default=15.0, gt=0, description="period of the sessions-on-air gauge query")
    rollup_refresh_ms: int = Field(
        default=5000,
        ge=10,
        le=600_000,
        description="period of the rollup refresher: hourly and product rollups are at most about this much plus "
        "the refresh rounds behind the facts while it keeps up; a round costs about the same whatever the events "
        "since the last one (it recomputes each live session's current hours), so a shorter period costs "
        "PostgreSQL more CPU (analytics README, Performance)",
    )
    rollup_max_defer_ms: int = Field(
        default=60_000,
        ge=0,
        le=3_600_000,
        description="while the consumer catches up a backlog (a full batch or more waiting), refresh rounds are "
        "deferred up to this long, leaving the database to the consumer",
    )
    rollup_refresh_limit: int = Field(
        default=5000, ge=1, le=100_000, description="most dirty marks of each kind handled per refresh transaction"
    )

    @property
    def topics(self) -> list[str]:
        return [self.session_topic, self.item_topic, self.commands_topic]
