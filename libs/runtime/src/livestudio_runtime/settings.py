"""Settings every service shares. Each service subclasses `ServiceSettings` with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from livestudio_runtime.gc_policy import GC_INTERVAL_S


class ServiceSettings(BaseSettings):
    """Common settings; e.g. ANALYTICS_KAFKA_BOOTSTRAP, ANALYTICS_DATABASE_URL for the analytics service."""

    model_config = SettingsConfigDict(env_prefix="LIVESTUDIO_", extra="ignore", frozen=True)

    kafka_bootstrap: str = "127.0.0.1:9092"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    topic_partitions: int = Field(default=12, ge=1, description="partitions when this service creates a topic")
    topic_replication: int = Field(
        default=1,
        ge=1,
        description="replication factor when this service creates a topic: 1 for a single broker (the dev stack,"
        " compose), 3 on a production cluster, where a topic created with 1 loses its records with one broker",
    )
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    shutdown_timeout_s: float = Field(default=20.0, gt=0)
    gc_interval_s: float = Field(
        default=GC_INTERVAL_S, gt=0, description="period of the full garbage collection (allocation-driven GC is off)"
    )
    kafka_fetch_max_wait_ms: int = Field(default=50, ge=0)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(default=1_000, ge=50)
