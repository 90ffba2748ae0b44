"""Settings of the gateway (env prefix GATEWAY_): database, broker, JWT, cookie keys, CORS, rate limit, topics.

The gateway refuses to start (a validation error) without a JWT key, with a key shorter than 32 bytes, or with a
trusted proxy that is not an address or network."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from livestudio_gateway.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, MIN_KEY_BYTES, JwtKeys, split_keys
from livestudio_runtime.settings import ServiceSettings
from livestudio_schemas.topics import Topic


def _default_instance() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class GatewaySettings(ServiceSettings):
    """E.g. GATEWAY_DATABASE_URL, GATEWAY_JWT_SECRET, GATEWAY_CREDENTIALS_KEYS, GATEWAY_CORS_ORIGINS=a,b."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    http_port: int = Field(default=8000, ge=0, le=65535)

    # --- auth ---------------------------------------------------------------------------------------------
    jwt_secret: SecretStr | None = Field(default=None, description="HS256 key that signs and verifies bearer tokens")
    jwt_secrets: SecretStr | None = Field(
        default=None,
        description="comma-separated HS256 keys for rotation: the first signs, all verify (before jwt_secret)",
    )
    jwt_issuer: str = Field(default=DEFAULT_ISSUER, min_length=1, description="every token must carry this `iss`")
    jwt_audience: str = Field(default=DEFAULT_AUDIENCE, min_length=1, description="every token must carry this `aud`")
    jwt_leeway_s: int = Field(default=30, ge=0, le=600)
    credentials_keys: SecretStr | None = Field(
        default=None, description="comma-separated Fernet keys; the first encrypts cookies put into commands"
    )

    # --- HTTP ---------------------------------------------------------------------------------------------
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=1200, ge=1, description="sustained requests per client")
    rate_limit_burst: int = Field(default=200, ge=1, description="requests a client may send at once")
    rate_limit_enabled: bool = True
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="request bodies above this are refused")
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
    sse_max_clients: int = Field(default=2000, ge=1, description="live streams per replica")
    sse_max_per_caller: int = Field(default=8, ge=1, description="live streams per token subject per replica")
    publish_timeout_s: float = Field(default=10.0, gt=0)

    # --- identity (issue #18): sign-in, browser sessions, invitations, mail ---------------------------------
    identity_enabled: bool = Field(default=True, description="users, sign-in and the audit trail (schema identity)")
    identity_db_pool_max: int = Field(default=4, ge=1, description="read-write pool of the identity schema")
    access_ttl_s: int = Field(default=600, ge=30, le=3600, description="lifetime of a browser's access token")
    session_ttl_s: int = Field(default=14 * 86400, ge=300, description="a browser session ends this long after sign-in")
    refresh_reuse_grace_s: float = Field(
        default=20.0,
        ge=0,
        le=120,
        description="a refresh token used again this soon after its first use rotates again (two tabs at once, a lost"
        " answer) instead of ending the session as a stolen token would",
    )
    invitation_ttl_s: int = Field(default=7 * 86400, ge=60)
    password_reset_ttl_s: int = Field(default=3600, ge=60)
    cookie_secure: bool | None = Field(default=None, description="Secure cookies; unset = when the request is https")
    public_url: str = Field(default="http://localhost:8000", description="base of the links put in mails")
    password_min_length: int = Field(default=10, ge=8)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    argon2_max_concurrent: int = Field(default=2, ge=1, description="password hashes computed at once")
    signin_free_failures: int = Field(default=5, ge=1, description="failed sign-ins per account before delays")
    signin_address_free_failures: int = Field(default=20, ge=1, description="the same per client address")
    signin_max_delay_s: int = Field(default=900, ge=1, description="the longest delay after repeated failures")
    auth_rate_per_minute: int = Field(default=60, ge=1, description="public auth requests per client address")
    auth_rate_burst: int = Field(default=20, ge=1)
    principal_cache_s: float = Field(default=2.0, ge=0, description="how long a resolved session is reused")
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Live Studio <no-reply@livestudio.local>"
    # --- end identity --------------------------------------------------------------------------------------

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # ValueError -> a validation error naming the setting
        return value

    @model_validator(mode="after")
    def _check_jwt_keys(self) -> GatewaySettings:
        keys = self.jwt_key_list()
        if not keys:
            raise ValueError("GATEWAY_JWT_SECRET (or GATEWAY_JWT_SECRETS) is required")
        if any(len(key.encode()) < MIN_KEY_BYTES for key in keys):
            raise ValueError(f"every JWT key must be at least {MIN_KEY_BYTES} bytes long")
        return self

    def jwt_key_list(self) -> list[str]:
        """The JWT keys in order: GATEWAY_JWT_SECRETS (first signs), then GATEWAY_JWT_SECRET."""
        keys = split_keys(self.jwt_secrets.get_secret_value()) if self.jwt_secrets is not None else []
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value():
            keys.append(self.jwt_secret.get_secret_value())
        return list(dict.fromkeys(keys))

    def jwt_keys(self) -> JwtKeys:
        return JwtKeys(self.jwt_key_list(), issuer=self.jwt_issuer, audience=self.jwt_audience)

    def credential_keys(self) -> list[str]:
        if self.credentials_keys is None:
            return []
        return [k.strip() for k in self.credentials_keys.get_secret_value().split(",") if k.strip()]
