"""Client settings: timeouts, pool size, retries, rate limits and base-URL overrides, in one pydantic model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shopee_client.client.regions import BaseUrls, HostFamily, Region

__all__ = ["DEFAULT_USER_AGENT", "ClientSettings"]

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)


class ClientSettings(BaseModel):
    """Everything tunable about `ShopeeClient`. Defaults follow what production tools do against Shopee."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    # Where to send requests. `base_url` points every host family at one server (the simulator);
    # `base_urls` overrides per family; otherwise the region's real Shopee hosts are used.
    base_url: str | None = None
    base_urls: BaseUrls | None = None

    # httpx: one AsyncClient per process, HTTP/1.1 keep-alive.
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    write_timeout: float = 5.0
    pool_timeout: float = 30.0
    max_connections: int = 100
    max_keepalive_connections: int = 50
    keepalive_expiry: float = 30.0
    user_agent: str = DEFAULT_USER_AGENT
    # Connection pool shards (see client/pool.py): None = one per 4 requests in flight; 1 = plain httpx pool.
    pool_shards: int | None = Field(default=None, ge=1)

    # Retries (transient errors only): exponential backoff with full jitter.
    max_attempts: int = Field(default=4, ge=1)
    backoff_initial: float = Field(default=0.2, ge=0)
    backoff_max: float = Field(default=5.0, ge=0)
    retry_rate_limited: bool = False

    # Throttling: per-account token bucket and a global cap on requests in flight.
    per_account_rate: float = Field(default=5.0, gt=0)  # requests per `per_account_period`
    per_account_period: float = Field(default=1.0, gt=0)  # seconds
    max_in_flight: int = Field(default=20, ge=1)

    def urls_for(self, region: Region) -> BaseUrls:
        if self.base_urls is not None:
            return self.base_urls
        if self.base_url is not None:
            return BaseUrls.single(self.base_url)
        return BaseUrls.for_region(region)

    def url(self, region: Region, family: HostFamily, path: str) -> str:
        return self.urls_for(region).for_family(family) + path
