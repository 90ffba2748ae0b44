"""Settings of the alerts service; env prefix ALERTS_ (e.g. ALERTS_DATABASE_URL, ALERTS_CREDENTIALS_KEYS)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from livestudio_alerts.egress import EgressPolicy, parse_networks
from livestudio_runtime.settings import ServiceSettings
from livestudio_schemas.topics import Topic


class AlertsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ALERTS_", extra="ignore", frozen=True)

    http_port: int = Field(default=8104, ge=0, le=65535)
    consumer_group: str = "livestudio-alerts"
    account_topic: str = Topic.ACCOUNT.value
    session_topic: str = Topic.SESSION.value
    commands_topic: str = Topic.COMMANDS.value
    default_timezone: str = Field(default="Asia/Jakarta", description="until a studio.upsert names the studio's")
    credentials_keys: SecretStr = Field(
        default=SecretStr(""),
        description="comma-separated Fernet keys (the gateway's GATEWAY_CREDENTIALS_KEYS): the first encrypts the"
        " stored channel secrets, all decrypt",
    )
    notify_max_age_s: float = Field(
        default=3600.0,
        gt=0,
        description="an account event observed longer ago than this updates the account but notifies nobody (a"
        " first start or a replay reads old history)",
    )
    consumer_max_records: int = Field(default=500, ge=1)
    evaluate_interval_s: float = Field(default=30.0, gt=0, description="how often the time-based rules run")
    dispatch_interval_s: float = Field(default=0.5, gt=0, description="outbox idle poll")
    dispatch_batch: int = Field(default=20, ge=1)
    retry_base_s: float = Field(default=5.0, gt=0, description="first retry delay of a failed delivery")
    retry_max_s: float = Field(default=900.0, gt=0, description="longest delay between two attempts")
    max_attempts: int = Field(default=8, ge=1, description="attempts before a delivery is reported failed")
    send_timeout_s: float = Field(default=10.0, gt=0)
    telegram_api_url: str = Field(default="https://api.telegram.org", description="a fake's URL in tests / make up")
    egress_allow_networks: str = Field(
        default="",
        max_length=2000,
        description="comma-separated networks webhooks and SMTP may reach although not public (e.g. 127.0.0.1/32"
        " for the local fakes of make up); every other destination must resolve to public addresses only",
    )

    @field_validator("egress_allow_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    def egress(self) -> EgressPolicy:
        return EgressPolicy(parse_networks(self.egress_allow_networks))

    def keys(self) -> list[str]:
        return [k for k in self.credentials_keys.get_secret_value().split(",") if k.strip()]
