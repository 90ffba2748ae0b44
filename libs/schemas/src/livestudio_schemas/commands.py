"""Payload of `livestudio.commands.v1`: state changes requested over HTTP, consumed by the owning service.

The gateway validates and publishes; the owner (ingest, analytics, commission or alerts) applies the command and records
its outcome under `command_id`. Cookies travel only encrypted (Fernet token made with the credentials key).
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from livestudio_schemas.envelope import event_type
from livestudio_schemas.types import AwareDatetime, Money

COMMAND = event_type("command")

Owner = Literal["ingest", "analytics", "commission", "alerts"]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- accounts (owner: ingest) ---------------------------------------------------------------------------
class AccountConnect(_Command):
    kind: Literal["account.connect"] = "account.connect"
    account_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    display_name: str = Field(min_length=1, max_length=200)
    region: str = "co.id"
    encrypted_cookie: str = Field(min_length=1, description="Fernet token of the cookie string")


class AccountUpdate(_Command):
    kind: Literal["account.update"] = "account.update"
    account_id: str = Field(min_length=1)
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    encrypted_cookie: str | None = None


class AccountPause(_Command):
    kind: Literal["account.pause"] = "account.pause"
    account_id: str = Field(min_length=1)


class AccountResume(_Command):
    kind: Literal["account.resume"] = "account.resume"
    account_id: str = Field(min_length=1)


class AccountRemove(_Command):
    kind: Literal["account.remove"] = "account.remove"
    account_id: str = Field(min_length=1)


class QrLoginStart(_Command):
    """Start a QR login; the ingest stores the QR image and progress under `login_id` for the gateway to read."""

    kind: Literal["account.qr_login.start"] = "account.qr_login.start"
    login_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1, description="account to create or refresh when the QR is confirmed")
    studio_id: str = Field(min_length=1)
    display_name: str = Field(min_length=1, max_length=200)
    region: str = "co.id"


# --- analytics --------------------------------------------------------------------------------------------
class AdSpendEnter(_Command):
    """Ad spend typed in per account per local day (Shopee has no read API for it). Replaces the day's value."""

    kind: Literal["adspend.enter"] = "adspend.enter"
    account_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    day: date
    amount: Money = Field(ge=0)
    currency: str = Field(default="IDR", min_length=3, max_length=3)


# --- roster and pay (owner: commission) -------------------------------------------------------------------
class StudioUpsert(_Command):
    kind: Literal["studio.upsert"] = "studio.upsert"
    studio_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "Asia/Jakarta"
    currency: str = Field(default="IDR", min_length=3, max_length=3)
    pay_period: Literal["monthly", "weekly"] = "monthly"
    holidays: list[date] = Field(default_factory=list)


class HostUpsert(_Command):
    kind: Literal["host.upsert"] = "host.upsert"
    host_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="host", min_length=1, max_length=50, description="host, leader, …")
    active: bool = True


class ShiftTemplateUpsert(_Command):
    """A named shift in the studio's local time; `end` <= `start` means it crosses midnight."""

    kind: Literal["shift.upsert"] = "shift.upsert"
    shift_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=100)
    start: time
    end: time


class ScheduleEntryUpsert(_Command):
    """A host on an account for a window (explicit, or a shift on a local date). Co-hosts share by `share`."""

    kind: Literal["schedule.upsert"] = "schedule.upsert"
    entry_id: str = Field(min_length=1)
    studio_id: str = Field(min_length=1)
    host_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    shift_id: str | None = None
    shift_date: date | None = None
    share: Decimal = Field(default=Decimal(1), gt=0, le=1000, description="relative weight among co-hosts")


class ScheduleEntryRemove(_Command):
    kind: Literal["schedule.remove"] = "schedule.remove"
    entry_id: str = Field(min_length=1)


class HostCheckIn(_Command):
    kind: Literal["host.check_in"] = "host.check_in"
    host_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    at: AwareDatetime


class HostCheckOut(_Command):
    kind: Literal["host.check_out"] = "host.check_out"
    host_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    at: AwareDatetime


class PayTier(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    up_to: Money | None = Field(default=None, description="upper bound of the tier's base; None = no bound")
    percent: Decimal = Field(ge=0, le=100)


class PayRuleUpsert(_Command):
    """A pay rule version. Scope: global (no ids), studio, account, role; the most specific match wins."""

    kind: Literal["rule.upsert"] = "rule.upsert"
    rule_id: str = Field(min_length=1)
    studio_id: str | None = None
    account_id: str | None = None
    role: str | None = None
    rule_kind: Literal["gmv_percent", "per_order", "per_hour"]
    basis: Literal["confirmed", "placed"] = "confirmed"
    percent: Decimal | None = Field(default=None, ge=0, le=100)
    tiers: list[PayTier] = Field(default_factory=list)
    amount: Money | None = Field(default=None, ge=0, description="per order or per hour")
    day_type: Literal["all", "weekday", "weekend", "holiday"] = "all"
    shift_id: str | None = None
    min_threshold: Money | None = Field(default=None, ge=0)
    cap: Money | None = Field(default=None, ge=0)
    effective_from: date
    effective_to: date | None = None


class StatementApprove(_Command):
    kind: Literal["statement.approve"] = "statement.approve"
    statement_id: str = Field(min_length=1)


class StatementPay(_Command):
    kind: Literal["statement.pay"] = "statement.pay"
    statement_id: str = Field(min_length=1)


class StatementVoid(_Command):
    kind: Literal["statement.void"] = "statement.void"
    statement_id: str = Field(min_length=1)
    reason: str | None = None


# --- alerts (owner: alerts) -------------------------------------------------------------------------------
AlertRuleKind = Literal["account_unhealthy", "shift_not_live", "roas_below", "data_stale"]


class AlertChannelUpsert(_Command):
    """A place a studio's notifications go. Secrets (webhook signing secret, Telegram bot token, SMTP password)
    travel only as Fernet tokens made with the credentials key; None keeps the stored one."""

    kind: Literal["alert.channel.upsert"] = "alert.channel.upsert"
    channel_id: str = Field(min_length=1, max_length=128)
    studio_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=200)
    channel_kind: Literal["webhook", "telegram", "email"]
    enabled: bool = True
    url: str | None = Field(default=None, max_length=2000, description="webhook: the https URL to POST to")
    chat_id: str | None = Field(default=None, max_length=200, description="telegram: the chat to send to")
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_username: str | None = Field(default=None, max_length=255)
    smtp_starttls: bool = False
    email_from: str | None = Field(default=None, max_length=320)
    email_to: list[str] = Field(default_factory=list, max_length=20)
    encrypted_secret: str | None = Field(default=None, description="Fernet token of the channel's secret")


class AlertChannelRemove(_Command):
    kind: Literal["alert.channel.remove"] = "alert.channel.remove"
    channel_id: str = Field(min_length=1, max_length=128)
    studio_id: str = Field(min_length=1)


class AlertRuleUpsert(_Command):
    """A per-studio alert rule: what to watch, where to send it, its quiet hours (studio-local, end <= start
    crosses midnight) and its de-duplication window."""

    kind: Literal["alert.rule.upsert"] = "alert.rule.upsert"
    rule_id: str = Field(min_length=1, max_length=128)
    studio_id: str = Field(min_length=1)
    rule_kind: AlertRuleKind
    enabled: bool = True
    channel_ids: list[str] = Field(default_factory=list, max_length=20)
    account_id: str | None = Field(default=None, description="only this account (None: every account)")
    minutes: int | None = Field(default=None, ge=1, le=1440, description="shift_not_live, data_stale: N minutes")
    threshold: Decimal | None = Field(default=None, ge=0, le=1_000_000, description="roas_below: the ROAS floor")
    dedup_minutes: int = Field(default=60, ge=0, le=10_080)
    quiet_start: time | None = None
    quiet_end: time | None = None


class AlertRuleRemove(_Command):
    kind: Literal["alert.rule.remove"] = "alert.rule.remove"
    rule_id: str = Field(min_length=1, max_length=128)
    studio_id: str = Field(min_length=1)


class AlertSummarySet(_Command):
    """The studio's daily summary: sent at `local_time` (studio timezone) about the previous local day."""

    kind: Literal["alert.summary.set"] = "alert.summary.set"
    studio_id: str = Field(min_length=1)
    enabled: bool = True
    local_time: time = time(8, 0)
    channel_ids: list[str] = Field(default_factory=list, max_length=20)


AnyCommand = Annotated[
    AccountConnect
    | AccountUpdate
    | AccountPause
    | AccountResume
    | AccountRemove
    | QrLoginStart
    | AdSpendEnter
    | StudioUpsert
    | HostUpsert
    | ShiftTemplateUpsert
    | ScheduleEntryUpsert
    | ScheduleEntryRemove
    | HostCheckIn
    | HostCheckOut
    | PayRuleUpsert
    | StatementApprove
    | StatementPay
    | StatementVoid
    | AlertChannelUpsert
    | AlertChannelRemove
    | AlertRuleUpsert
    | AlertRuleRemove
    | AlertSummarySet,
    Field(discriminator="kind"),
]

OWNER_BY_PREFIX: dict[str, Owner] = {
    "account.": "ingest",
    "adspend.": "analytics",
    "studio.": "commission",
    "host.": "commission",
    "shift.": "commission",
    "schedule.": "commission",
    "rule.": "commission",
    "statement.": "commission",
    "alert.": "alerts",
}


def owner_of(kind: str) -> Owner:
    """The service that applies a command of this kind."""
    for prefix, owner in OWNER_BY_PREFIX.items():
        if kind.startswith(prefix):
            return owner
    raise ValueError(f"no owner for command kind {kind!r}")


class Command(BaseModel):
    """One command: who asked, when, and what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command_id: str = Field(min_length=1)
    actor: str = Field(min_length=1, description="user id of the caller (JWT subject)")
    issued_at: AwareDatetime
    command: AnyCommand
