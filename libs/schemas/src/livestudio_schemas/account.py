"""Payload of `shopee.account.v1`: account lifecycle and polling health. Never carries credentials."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from livestudio_schemas.envelope import event_type
from livestudio_schemas.types import AwareDatetime

ACCOUNT_STATUS = event_type("account.status")

AccountState = Literal[
    "connected",
    "active",
    "paused",
    "credentials_expired",
    "degraded",
    "recovered",
    "removed",
]


class AccountStatus(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    account_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    display_name: str | None = None
    region: str = Field(default="co.id")
    shopee_user_id: int | None = None
    state: AccountState
    reason: str | None = None
    observed_at: AwareDatetime
    last_successful_poll_at: AwareDatetime | None = None
    on_air_session_id: int | None = None
