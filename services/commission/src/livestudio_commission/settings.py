"""Settings of the commission service; env prefix COMMISSION_ (e.g. COMMISSION_DATABASE_URL)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from livestudio_runtime.settings import ServiceSettings
from livestudio_schemas.topics import Topic


class CommissionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMMISSION_", extra="ignore", frozen=True)

    http_port: int = Field(default=8103, ge=0, le=65535)
    consumer_group: str = "livestudio-commission"
    session_topic: str = Topic.SESSION.value
    commands_topic: str = Topic.COMMANDS.value
    commission_topic: str = Topic.COMMISSION.value
    affiliate_topic: str = Topic.AFFILIATE.value
    default_timezone: str = Field(default="Asia/Jakarta", description="until a studio.upsert names its own")
    consumer_max_records: int = Field(default=2000, ge=1)
    statement_interval_s: float = Field(default=0.5, gt=0, description="statement worker idle poll")
    outbox_interval_s: float = Field(default=0.25, gt=0, description="outbox publisher idle poll")
    outbox_batch: int = Field(default=500, ge=1)
    outbox_keep_days: int = Field(default=7, ge=0, description="published outbox rows kept for audit")
    hours_backfill_batch: int = Field(
        default=20, ge=1, description="sessions re-attributed per transaction by the hours-of-the-day backfill"
    )
    hours_backfill_pause_s: float = Field(
        default=0.05,
        ge=0,
        description="pause between hours-backfill transactions (leaves the database to the consumer)",
    )
    hours_backfill_lock_timeout_ms: int = Field(
        default=500,
        ge=0,
        description="an hours-backfill transaction waiting longer for a lock the consumer holds gives up and retries"
        " later (0: wait forever)",
    )
