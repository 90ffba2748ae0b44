"""Simulator configuration: the world (seed, accounts, speed, start), settling, and fault injection.

Both are pydantic models so the CLI, the admin API (`POST /__sim/faults`) and tests share one validated shape.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["FaultConfig", "SimulatorConfig"]


class FaultConfig(BaseModel):
    """Injected faults. Rates are probabilities per API request (their sum must be <= 1); admin paths
    (`/__sim/*`) are never faulted. Decisions are deterministic given the seed and each account's request order.
    """

    model_config = ConfigDict(extra="forbid")

    latency_ms: float = Field(default=0.0, ge=0)  # added to every API request
    latency_jitter_ms: float = Field(default=0.0, ge=0)  # plus uniform [0, jitter)
    rate_429: float = Field(default=0.0, ge=0, le=1)
    rate_5xx: float = Field(default=0.0, ge=0, le=1)
    rate_timeout: float = Field(default=0.0, ge=0, le=1)  # hang `hang_seconds`, then 504
    hang_seconds: float = Field(default=20.0, ge=0)
    rate_truncated: float = Field(default=0.0, ge=0, le=1)  # JSON body cut in half
    rate_invalid_json: float = Field(default=0.0, ge=0, le=1)  # an HTML error page with status 200
    rate_wrong_type: float = Field(default=0.0, ge=0, le=1)  # a field of `data` replaced by a string
    rate_not_owned: float = Field(default=0.0, ge=0, le=1)  # session endpoints answer empty data
    expired_accounts: list[int] = Field(default_factory=list)  # account indexes whose cookies are rejected
    endpoints: list[str] | None = None  # restrict random faults to these endpoint names (None = all)

    @property
    def total_rate(self) -> float:
        return (
            self.rate_429
            + self.rate_5xx
            + self.rate_timeout
            + self.rate_truncated
            + self.rate_invalid_json
            + self.rate_wrong_type
            + self.rate_not_owned
        )


class SimulatorConfig(BaseModel):
    """The simulated world. Same `seed` → same accounts, sessions, orders and faults."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 1
    accounts: int = Field(default=50, ge=1, le=10_000)
    speed: float = Field(default=60.0, ge=0)  # simulated seconds per real second (0 = frozen)
    start: datetime | None = None  # simulated time at startup (aware); default: the real current time
    timezone: str = "Asia/Jakarta"
    region_domain: str = "co.id"
    settle_delay: timedelta = timedelta(hours=6)  # confirmed figures settle within this after a session ends
    affiliate_complete_delay: timedelta = timedelta(days=3)  # affiliate commission is final this long after
    # a live order's confirmation (video and other checkouts: after the purchase, plus up to a day)
    status_lie_fraction: float = Field(default=0.0, ge=0, le=1)  # on-air sessions that report status 2
    history_null_fraction: float = Field(default=0.1, ge=0, le=1)  # history rows with null metrics
    qr_auto_advance: bool = True  # qrcode_status goes NEW → SCANNED → CONFIRMED on successive polls
    request_log_size: int = Field(default=200_000, ge=0)
    session_cache_size: int = Field(default=20_000, ge=100)  # generated sessions kept (regenerated if evicted)
    prewarm: bool = False  # generate the last 3 local days of every account before serving (~7 ms/account)
    faults: FaultConfig = Field(default_factory=FaultConfig)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("start must be timezone-aware")
        return value
