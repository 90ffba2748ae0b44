"""Settings of the ingest service (env prefix `INGEST_`): Shopee access, topics, cadence, liveness, membership.

Intervals that pace requests (`*_interval_s`, backoff) are real seconds. Windows that are about Shopee's own
timeline (`stale_after_s`, `end_confirm_s`, `settle_window_s`) are seconds of the ingest clock: real time for
real Shopee, the simulator's timeline in simulator mode.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from livestudio_runtime.settings import ServiceSettings
from livestudio_schemas.topics import Topic
from shopee_client import ClientSettings

SERVICE = "ingest"
SCHEMA = "ingest"
MIGRATIONS = Path(__file__).parent / "migrations"


def _instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", frozen=True)

    http_port: int = Field(default=8101, ge=0, le=65535)
    instance_id: str = Field(default_factory=_instance_id, description="names this replica in logs and leases")

    # --- credentials --------------------------------------------------------------------------------------
    credentials_keys: SecretStr | None = Field(
        default=None, description="comma-separated Fernet keys; the first encrypts, all decrypt"
    )

    # --- Shopee -------------------------------------------------------------------------------------------
    shopee_mode: Literal["simulator", "real"] = "real"
    shopee_base_url: str | None = Field(default=None, description="one base URL for every host (the simulator)")
    shopee_connect_timeout_s: float = Field(default=5.0, gt=0)
    shopee_read_timeout_s: float = Field(default=10.0, gt=0)
    shopee_max_attempts: int = Field(default=2, ge=1, description="attempts per call for transient errors")
    shopee_max_in_flight: int = Field(default=64, ge=1)
    shopee_max_connections: int = Field(default=100, ge=1)
    shopee_per_account_rate: float = Field(default=5.0, gt=0, description="requests per second per account")
    sim_clock_refresh_s: float = Field(default=5.0, gt=0, description="how often the simulator clock is re-read")

    # --- topics and membership ----------------------------------------------------------------------------
    session_topic: str = Topic.SESSION.value
    item_topic: str = Topic.ITEM.value
    account_topic: str = Topic.ACCOUNT.value
    commands_topic: str = Topic.COMMANDS.value
    accounts_topic: str = "livestudio.ingest.accounts"
    accounts_partitions: int = Field(default=64, ge=1, description="partitions of the membership topic")
    membership: Literal["kafka", "static"] = Field(
        default="kafka", description="kafka: share accounts through group membership; static: poll every account"
    )
    membership_group: str = "livestudio-ingest-accounts"
    commands_group: str = "livestudio-ingest-commands"
    create_topics: bool = True
    consume_commands: bool = True
    command_validation_concurrency: int = Field(
        default=16, ge=1, description="cookies of one command batch validated with Shopee at once"
    )

    # --- cadence (real seconds) ---------------------------------------------------------------------------
    idle_interval_s: float = Field(default=30.0, gt=0, description="sessionList when nothing is on air")
    live_interval_s: float = Field(default=10.0, gt=0, description="sessionList + overview + products when on air")
    history_interval_s: float = Field(default=86_400.0, gt=0, description="re-read of liveList/v2 (last 7 days)")
    history_initial_spread_s: float = Field(default=600.0, ge=0, description="first history read within this")
    backfill_days: int = Field(
        default=90, ge=0, le=3650, description="history backfill depth when an account is connected (0: none)"
    )
    backfill_min_gap_s: float = Field(
        default=2.0,
        gt=0,
        description="a backfill page (liveList/v2) is read only when the next live poll is at least this far away, "
        "and is cut short when it comes: a live poll due always goes first",
    )
    backfill_page_size: int = Field(
        default=20,
        ge=10,
        le=100,
        description="sessions per backfill page: small pages keep each page's mapping short in the poll loop",
    )
    backfill_sessions_per_s: float = Field(
        default=10.0,
        gt=0,
        description="sessions per second the history backfill of this replica may publish (all its accounts "
        "together; a page waits for a later gap when the budget has no room), so that the consumers never build a "
        "backlog of backfill events ahead of the live ones",
    )
    backfill_outbox_share: float = Field(
        default=0.5, gt=0, le=1, description="no backfill page while the outbox is fuller than this share"
    )
    heartbeat_interval_s: float = Field(default=240.0, gt=0, description="re-send unchanged state for freshness")
    jitter: float = Field(default=0.1, ge=0, le=0.5, description="relative jitter of every interval")
    backoff_initial_s: float = Field(default=5.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    degraded_after_failures: int = Field(default=3, ge=1, description="failed cycles in a row before degraded")

    # --- liveness and settling (ingest-clock seconds) ---------------------------------------------------
    stale_after_s: float = Field(default=600.0, gt=0, description="status 1 but duration frozen this long: ended")
    end_confirm_s: float = Field(default=180.0, gt=0, description="status 2 and duration frozen this long: ended")
    settle_window_s: float = Field(default=6 * 3600.0, ge=0, description="keep reading ended sessions this long")
    settle_reads: int = Field(
        default=12,
        ge=0,
        description="reads of an ended session (overview + products) spread evenly over settle_window_s, after the "
        "one in the cycle that decides its end; the poll cycle comes early for them (at most at the rate limit)",
    )
    history_details: bool = Field(
        default=True,
        description="the history re-read also re-reads the overview and products of the ended sessions it lists",
    )
    session_retention_days: int = Field(default=10, ge=8)

    # --- pages --------------------------------------------------------------------------------------------
    session_page_size: int = Field(default=50, ge=10, le=100)
    product_page_size: int = Field(
        default=500, ge=1, le=500, description="products per productList page (Shopee allows 500): one call a session"
    )

    # --- publishing and state -----------------------------------------------------------------------------
    outbox_max_entries: int = Field(default=100_000, ge=10)
    publish_batch: int = Field(
        default=500,
        ge=1,
        description="events in flight at once (sent without waiting for earlier acknowledgements); after a publish "
        "failure, the size of the trial batches sent one at a time until one goes through",
    )
    producer_batch_bytes: int = Field(
        default=512 * 1024,
        ge=16 * 1024,
        le=1024 * 1024,
        description="bytes per partition in one produce request: item events are large, and the producer has one "
        "request in flight per broker, so small batches make a backlog wait several round trips",
    )
    publish_timeout_s: float = Field(default=15.0, gt=0)
    state_flush_interval_s: float = Field(default=1.0, gt=0)
    accounts_refresh_interval_s: float = Field(default=30.0, gt=0, description="full re-read of owned accounts")
    topic_check_interval_s: float = Field(default=10.0, gt=0, description="how often missing topics are looked for")
    startup_timeout_s: float = Field(default=60.0, gt=0)

    # --- QR login -----------------------------------------------------------------------------------------
    qr_poll_interval_s: float = Field(default=1.0, gt=0)
    qr_timeout_s: float = Field(default=300.0, gt=0)
    qr_max_concurrent: int = Field(default=20, ge=1)
    qr_scan_interval_s: float = Field(default=1.0, gt=0, description="how often new QR logins are looked for")

    @field_validator("shopee_base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`INGEST_SHOPEE_BASE_URL=""` (an empty variable in a compose file or a shell) means "not set"."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def service_name(self) -> str:
        return SERVICE


@lru_cache(maxsize=1)
def get_settings() -> IngestSettings:
    return IngestSettings()


def client_settings(settings: IngestSettings) -> ClientSettings:
    """The Shopee client's settings from the ingest's (one client per process, shared by every account)."""
    return ClientSettings(
        base_url=settings.shopee_base_url,
        connect_timeout=settings.shopee_connect_timeout_s,
        read_timeout=settings.shopee_read_timeout_s,
        max_attempts=settings.shopee_max_attempts,
        max_in_flight=settings.shopee_max_in_flight,
        max_connections=settings.shopee_max_connections,
        max_keepalive_connections=settings.shopee_max_connections,
        per_account_rate=settings.shopee_per_account_rate,
    )
