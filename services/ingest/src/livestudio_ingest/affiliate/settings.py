"""Settings of the affiliate reader (env prefix `INGEST_AFFILIATE_`). Windows and intervals are on the ingest
clock (Shopee's timeline: real time for real Shopee, the simulator's time in simulator mode) except `tick_s`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from livestudio_schemas.topics import Topic


class AffiliateSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_AFFILIATE_", extra="ignore", frozen=True)

    enabled: bool = True
    topic: str = Topic.AFFILIATE.value
    backfill_days: int = Field(default=30, ge=1, le=30, description="read this far back when an account connects")
    new_interval_s: float = Field(default=900.0, gt=0, description="read new checkouts this often")
    new_overlap_s: float = Field(default=3600.0, ge=0, description="each read of new checkouts re-reads this much")
    reread_interval_s: float = Field(default=6 * 3600.0, gt=0, description="re-read checkouts that can change")
    reread_horizon_days: int = Field(default=60, ge=1, description="pending checkouts older than this are left")
    page_size: int = Field(default=500, ge=1, le=500)
    tick_s: float = Field(default=1.0, gt=0, description="real seconds between looks at what is due")
    concurrency: int = Field(default=4, ge=1, description="accounts read at once")
    events_per_s: float = Field(
        default=500.0,
        gt=0,
        description="checkout events one replica puts in the outbox per second at most: a backfill of many accounts"
        " is spread out instead of queued ahead of the live snapshots",
    )
