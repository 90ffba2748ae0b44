"""Settings of the gateway (env prefix GATEWAY_): database, broker, JWT, cookie keys, CORS, rate limit, topics."""

from __future__ import annotations

import os
import socket
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from livestudio_runtime.settings import ServiceSettings
from livestudio_schemas.topics import Topic


def _default_instance() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class GatewaySettings(ServiceSettings):
    """E.g. GATEWAY_DATABASE_URL, GATEWAY_JWT_SECRET, GATEWAY_CREDENTIALS_KEYS, GATEWAY_CORS_ORIGINS=a,b."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    http_port: int = Field(default=8000, ge=0, le=65535)

    # --- auth ---------------------------------------------------------------------------------------------
    jwt_secret: SecretStr = Field(description="HS256 secret that signs and verifies bearer tokens")
    jwt_issuer: str | None = Field(default=None, description="when set, tokens must carry this `iss`")
    jwt_audience: str | None = Field(default=None, description="when set, tokens must carry this `aud`")
    jwt_leeway_s: int = Field(default=30, ge=0, le=600)
    credentials_keys: SecretStr | None = Field(
        default=None, description="comma-separated Fernet keys; the first encrypts cookies put into commands"
    )

    # --- HTTP ---------------------------------------------------------------------------------------------
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=1200, ge=1, description="sustained requests per client")
    rate_limit_burst: int = Field(default=200, ge=1, description="requests a client may send at once")
    rate_limit_enabled: bool = True
    max_page_size: int = Field(default=200, ge=1, le=1000)
    freshness_threshold_s: int = Field(default=300, ge=1, description="an account polled longer ago is stale")
    statement_timeout_ms: int = Field(default=5000, ge=100)
    export_max_rows: int = Field(default=50_000, ge=1)

    # --- Kafka --------------------------------------------------------------------------------------------
    commands_topic: str = Topic.COMMANDS.value
    session_topic: str = Topic.SESSION.value
    instance_id: str = Field(default_factory=_default_instance, description="names this replica's Kafka clients")
    live_enabled: bool = Field(default=True, description="consume the session topic for the SSE endpoint")
    sse_keepalive_s: float = Field(default=15.0, gt=0)
    sse_queue_size: int = Field(default=256, ge=1, description="events buffered per browser before dropping")
    sse_max_clients: int = Field(default=2000, ge=1)
    publish_timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def credential_keys(self) -> list[str]:
        if self.credentials_keys is None:
            return []
        return [k.strip() for k in self.credentials_keys.get_secret_value().split(",") if k.strip()]
