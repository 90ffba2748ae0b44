"""Payload of `livestudio.commands.v1`: state changes requested over HTTP, consumed by the owning service.

The gateway validates and publishes; the owner (ingest, analytics, commission or alerts) applies the command and records
its outcome under `command_id`. Cookies travel only encrypted (Fernet token made with the credentials key).

Every input is bounded here, so that no command can carry what a consumer cannot apply: ids match `ID_PATTERN`
(anchored; pydantic's Rust regex engine anchors `$` at the end of the text, so a trailing newline is refused),
names have no control characters, timestamps and dates lie between `EARLIEST` and `LATEST`, lists are short.
`Command.scope` says on whose behalf a command acts (the studio, role and host of the caller, set by the
gateway); consumers check every entity a command names against it (see CONTRIBUTING, "Ownership").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Final, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from livestudio_schemas.envelope import event_type
from livestudio_schemas.types import AwareDatetime, Money

COMMAND = event_type("command")

Owner = Literal["ingest", "analytics", "commission", "alerts"]

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}$"
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)


def _instant_in_range(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


Id = Annotated[str, Field(min_length=1, max_length=128, pattern=ID_PATTERN)]
"""An entity id: letters, digits and `_.:@+-`, starting with a letter or digit, at most 128 characters."""
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
"""A display name: no control characters."""
Text = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
"""A free-text reason: no control characters but line breaks and tabs."""
Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]
Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
Region = Annotated[str, Field(min_length=2, max_length=16, pattern=r"^[a-z]{2,3}(\.[a-z]{2,3})?$")]
Timezone = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")]
Role = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]+$")]
AttributionPolicy = Literal["schedule", "check_in_required"]
AttendanceStatus = Literal["on_time", "late", "left_early", "absent"]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- accounts (owner: ingest) ---------------------------------------------------------------------------
class AccountConnect(_Command):
    kind: Literal["account.connect"] = "account.connect"
    account_id: Id
    studio_id: Id
    display_name: Name
    region: Region = "co.id"
    encrypted_cookie: str = Field(min_length=1, max_length=16384, description="Fernet token of the cookie string")


class AccountUpdate(_Command):
    kind: Literal["account.update"] = "account.update"
    account_id: Id
    display_name: Name | None = None
    encrypted_cookie: str | None = Field(default=None, min_length=1, max_length=16384)


class AccountPause(_Command):
    kind: Literal["account.pause"] = "account.pause"
    account_id: Id


class AccountResume(_Command):
    kind: Literal["account.resume"] = "account.resume"
    account_id: Id


class AccountRemove(_Command):
    kind: Literal["account.remove"] = "account.remove"
    account_id: Id


class QrLoginStart(_Command):
    """Start a QR login; the ingest stores the QR image and progress under `login_id` for the gateway to read."""

    kind: Literal["account.qr_login.start"] = "account.qr_login.start"
    login_id: Id
    account_id: Id = Field(description="account to create or refresh when the QR is confirmed")
    studio_id: Id
    display_name: Name
    region: Region = "co.id"


# --- analytics --------------------------------------------------------------------------------------------
class AdSpendEnter(_Command):
    """Ad spend typed in per account per local day (Shopee has no read API for it). Replaces the day's value."""

    kind: Literal["adspend.enter"] = "adspend.enter"
    account_id: Id
    studio_id: Id
    day: Day
    amount: Money = Field(ge=0)
    currency: Currency = "IDR"


# --- roster and pay (owner: commission) -------------------------------------------------------------------
class StudioUpsert(_Command):
    kind: Literal["studio.upsert"] = "studio.upsert"
    studio_id: Id
    name: Name
    timezone: Timezone = "Asia/Jakarta"
    currency: Currency = "IDR"
    pay_period: Literal["monthly", "weekly"] = "monthly"
    holidays: list[Day] = Field(default_factory=list, max_length=400)
    attendance_grace_minutes: int | None = Field(
        default=None, ge=0, le=240, description="attendance: minutes late or early still on time (None: keep)"
    )
    attribution_policy: AttributionPolicy | None = Field(
        default=None,
        description="schedule: a scheduled window is on air without a check-in; check_in_required: a window "
        "without a check-in goes to the unassigned bucket (None: keep); applies to windows starting from then on",
    )


class StudioRemove(_Command):
    """Remove a studio nothing depends on: no account, host, shift, schedule entry, pay rule, check-in, session,
    statement, target, ad spend, alert channel or alert rule. The organisation keeps its claim on the id (the same
    organisation may create it again)."""

    kind: Literal["studio.remove"] = "studio.remove"
    studio_id: Id


class HostUpsert(_Command):
    kind: Literal["host.upsert"] = "host.upsert"
    host_id: Id
    studio_id: Id
    name: Name
    role: Role = Field(default="host", description="host, leader, …")
    active: bool = True


class ShiftTemplateUpsert(_Command):
    """A named shift in the studio's local time; `end` <= `start` means it crosses midnight."""

    kind: Literal["shift.upsert"] = "shift.upsert"
    shift_id: Id
    studio_id: Id
    name: Annotated[Name, Field(max_length=100)]
    start: time
    end: time


class ScheduleEntryUpsert(_Command):
    """A host on an account for a window (explicit, or a shift on a local date). Co-hosts share by `share`."""

    kind: Literal["schedule.upsert"] = "schedule.upsert"
    entry_id: Id
    studio_id: Id
    host_id: Id
    account_id: Id
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    shift_id: Id | None = None
    shift_date: Day | None = None
    share: Decimal = Field(default=Decimal(1), gt=0, le=1000, description="relative weight among co-hosts")


class ScheduleEntryRemove(_Command):
    kind: Literal["schedule.remove"] = "schedule.remove"
    entry_id: Id


class HostRemove(_Command):
    """Remove a host who has no history: no schedule entry, check-in, attributed session or statement."""

    kind: Literal["host.remove"] = "host.remove"
    host_id: Id
    studio_id: Id


class ShiftTemplateRemove(_Command):
    """Remove a shift template no schedule entry or pay rule names."""

    kind: Literal["shift.remove"] = "shift.remove"
    shift_id: Id
    studio_id: Id


class PayRuleRemove(_Command):
    """Remove every version of a pay rule that paid no statement line (one that did is ended instead)."""

    kind: Literal["rule.remove"] = "rule.remove"
    rule_id: Id


class HostCheckIn(_Command):
    kind: Literal["host.check_in"] = "host.check_in"
    host_id: Id
    account_id: Id
    at: Instant
    reason: Text | None = Field(default=None, description="why a manager corrects the time (required then)")


class HostCheckOut(_Command):
    kind: Literal["host.check_out"] = "host.check_out"
    host_id: Id
    account_id: Id
    at: Instant
    reason: Text | None = Field(default=None, description="why a manager corrects the time (required then)")


class AttendanceCorrect(_Command):
    """A manager's correction of a schedule entry's attendance, with a reason; recomputation never overwrites it.
    `late` needs `late_minutes` > 0, `left_early` needs `left_early_minutes` > 0, `absent` carries no minutes."""

    kind: Literal["schedule.attendance.correct"] = "schedule.attendance.correct"
    entry_id: Id
    studio_id: Id
    status: AttendanceStatus
    late_minutes: int | None = Field(default=None, ge=0, le=1440)
    left_early_minutes: int | None = Field(default=None, ge=0, le=1440)
    reason: Annotated[Text, Field(min_length=1)]

    @model_validator(mode="after")
    def _minutes_fit_the_status(self) -> AttendanceCorrect:
        if not self.reason.strip():
            raise ValueError("a correction needs a reason")
        if self.status == "absent" and (self.late_minutes is not None or self.left_early_minutes is not None):
            raise ValueError("an absent host has no late or early minutes")
        if self.status == "late" and not self.late_minutes:
            raise ValueError("late needs late_minutes > 0")
        if self.status == "left_early" and not self.left_early_minutes:
            raise ValueError("left_early needs left_early_minutes > 0")
        if self.status == "on_time" and (self.late_minutes or self.left_early_minutes):
            raise ValueError("on time has no late or early minutes")
        return self


class PayTier(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    up_to: Money | None = Field(default=None, description="upper bound of the tier's base; None = no bound")
    percent: Decimal = Field(ge=0, le=100)


class PayRuleUpsert(_Command):
    """A pay rule version. Scope: global (no ids), studio, account, role; the most specific match wins."""

    kind: Literal["rule.upsert"] = "rule.upsert"
    rule_id: Id
    studio_id: Id | None = None
    account_id: Id | None = None
    role: Role | None = None
    rule_kind: Literal["gmv_percent", "per_order", "per_hour"]
    basis: Literal["confirmed", "placed"] = "confirmed"
    percent: Decimal | None = Field(default=None, ge=0, le=100)
    tiers: list[PayTier] = Field(default_factory=list, max_length=50)
    amount: Money | None = Field(default=None, ge=0, description="per order or per hour")
    day_type: Literal["all", "weekday", "weekend", "holiday"] = "all"
    shift_id: Id | None = None
    min_threshold: Money | None = Field(default=None, ge=0)
    cap: Money | None = Field(default=None, ge=0)
    effective_from: Day
    effective_to: Day | None = None


class StatementApprove(_Command):
    kind: Literal["statement.approve"] = "statement.approve"
    statement_id: Id


class StatementPay(_Command):
    kind: Literal["statement.pay"] = "statement.pay"
    statement_id: Id


class StatementVoid(_Command):
    kind: Literal["statement.void"] = "statement.void"
    statement_id: Id
    reason: Text | None = None


# --- monthly GMV targets (owner: commission) ---------------------------------------------------------------
MONTH_PATTERN: Final = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Field(min_length=7, max_length=7, pattern=MONTH_PATTERN, description="YYYY-MM, studio-local")]
TargetScope = Literal["studio", "account", "host"]


class _TargetKey(_Command):
    studio_id: Id
    month: Month
    scope: TargetScope
    scope_id: Id = Field(description="the studio's id (scope studio), the account's or the host's")

    @model_validator(mode="after")
    def _studio_scope_names_the_studio(self) -> Self:
        if self.scope == "studio" and self.scope_id != self.studio_id:
            raise ValueError("a studio target's scope_id is its studio_id")
        return self


class TargetSet(_TargetKey):
    """A monthly confirmed-GMV target of a studio, one of its accounts or one of its hosts, in the studio's
    currency; replaces the target of the same month and scope."""

    kind: Literal["target.set"] = "target.set"
    amount: Money = Field(gt=0, le=Decimal("1000000000000000"))


class TargetRemove(_TargetKey):
    kind: Literal["target.remove"] = "target.remove"


# --- alerts (owner: alerts) -------------------------------------------------------------------------------
AlertRuleKind = Literal[
    "account_unhealthy", "shift_not_live", "host_not_checked_in", "roas_below", "data_stale", "gmv_pace"
]


class AlertChannelUpsert(_Command):
    """A place a studio's notifications go. Secrets (webhook signing secret, Telegram bot token, SMTP password)
    travel only as Fernet tokens made with the credentials key; None keeps the stored one."""

    kind: Literal["alert.channel.upsert"] = "alert.channel.upsert"
    channel_id: Id
    studio_id: Id
    name: Name
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
    channel_id: Id
    studio_id: Id


class AlertRuleUpsert(_Command):
    """A per-studio alert rule: what to watch, where to send it, its quiet hours (studio-local, end <= start
    crosses midnight) and its de-duplication window."""

    kind: Literal["alert.rule.upsert"] = "alert.rule.upsert"
    rule_id: Id
    studio_id: Id
    rule_kind: AlertRuleKind
    enabled: bool = True
    channel_ids: list[Id] = Field(default_factory=list, max_length=20)
    account_id: Id | None = Field(default=None, description="only this account (None: every account)")
    minutes: int | None = Field(
        default=None, ge=1, le=1440, description="shift_not_live, host_not_checked_in, data_stale: N minutes"
    )
    threshold: Decimal | None = Field(
        default=None, ge=0, le=1_000_000, description="roas_below: the ROAS floor; gmv_pace: the pace floor (0.8)"
    )
    elapsed_percent: int | None = Field(
        default=None, ge=0, le=100, description="gmv_pace: judge a target once this % of its month has elapsed"
    )
    dedup_minutes: int = Field(default=60, ge=0, le=10_080)
    quiet_start: time | None = None
    quiet_end: time | None = None


class AlertRuleRemove(_Command):
    kind: Literal["alert.rule.remove"] = "alert.rule.remove"
    rule_id: Id
    studio_id: Id


class AlertSummarySet(_Command):
    """The studio's daily summary: sent at `local_time` (studio timezone) about the previous local day."""

    kind: Literal["alert.summary.set"] = "alert.summary.set"
    studio_id: Id
    enabled: bool = True
    local_time: time = time(8, 0)
    channel_ids: list[Id] = Field(default_factory=list, max_length=20)


AnyCommand = Annotated[
    AccountConnect
    | AccountUpdate
    | AccountPause
    | AccountResume
    | AccountRemove
    | QrLoginStart
    | AdSpendEnter
    | StudioUpsert
    | StudioRemove
    | HostUpsert
    | HostRemove
    | ShiftTemplateUpsert
    | ShiftTemplateRemove
    | ScheduleEntryUpsert
    | ScheduleEntryRemove
    | HostCheckIn
    | HostCheckOut
    | AttendanceCorrect
    | PayRuleUpsert
    | PayRuleRemove
    | StatementApprove
    | StatementPay
    | StatementVoid
    | AlertChannelUpsert
    | AlertChannelRemove
    | AlertRuleUpsert
    | AlertRuleRemove
    | AlertSummarySet
    | TargetSet
    | TargetRemove,
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
    "target.": "commission",
    "alert.": "alerts",
}


def owner_of(kind: str) -> Owner:
    """The service that applies a command of this kind."""
    for prefix, owner in OWNER_BY_PREFIX.items():
        if kind.startswith(prefix):
            return owner
    raise ValueError(f"no owner for command kind {kind!r}")


class CallerScope(BaseModel):
    """On whose behalf a command acts: every entity it names must belong to `studio_id` (None: global pay rules,
    owners only). A host's own commands carry `host_id`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    studio_id: Id | None
    role: Literal["owner", "manager", "host", "service"]
    host_id: Id | None = None


class Command(BaseModel):
    """One command: who asked, when, on whose behalf, and what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command_id: str = Field(min_length=1, max_length=128, pattern=ID_PATTERN)
    actor: str = Field(min_length=1, max_length=200, description="user id of the caller (JWT subject)")
    issued_at: Instant
    command: AnyCommand
    scope: CallerScope | None = Field(
        default=None, description="the caller's scope, checked by the owner (None: an operator's command)"
    )
