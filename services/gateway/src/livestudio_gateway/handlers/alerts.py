"""Routes of the studio's alerts: channels, rules, the daily summary and the alert history (reads and commands).

Reads are the repository's read-only SELECTs on the alerts service's schema (`Repository.alert_*`), limited to
the caller's studios like every other read; hosts see none of it. Channel secrets (webhook signing secret,
Telegram bot token, SMTP password) are never returned, only whether one is stored (`has_secret`); one given in a
request is encrypted here (GATEWAY_CREDENTIALS_KEYS, the key the alerts service decrypts with) before it enters a
command. Writes are `alert.*` commands applied by the alerts service, which refuses rules and channels of another
studio.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Annotated, Any, Literal

from litestar import Response, delete, get, put
from litestar.params import JSONBody, QueryParameter
from msgspec import Meta, Struct

from livestudio_gateway import commands
from livestudio_gateway.auth import require_writer, studio_filter
from livestudio_gateway.handlers.common import (
    READS,
    WRITES,
    ApiRequest,
    IdPath,
    StudioQ,
    caller,
    not_host,
    submit,
)
from livestudio_gateway.models import CommandAccepted, Id, Name
from livestudio_gateway.problems import BadRequest, Unavailable
from livestudio_gateway.repository import Scope
from livestudio_gateway.state import Gateway
from livestudio_schemas.commands import (
    AlertChannelRemove,
    AlertChannelUpsert,
    AlertRuleRemove,
    AlertRuleUpsert,
    AlertSummarySet,
)

RuleKind = Literal["account_unhealthy", "shift_not_live", "host_not_checked_in", "roas_below", "data_stale", "gmv_pace"]
ChannelKind = Literal["webhook", "telegram", "email"]
Secret = Annotated[str, Meta(min_length=1, max_length=4096, pattern=r"^[^\x00-\x1f\x7f]+$")]
Email = Annotated[str, Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Threshold = Annotated[str, Meta(pattern=r"^[0-9]{1,7}(\.[0-9]{1,4})?$", description="decimal string")]


# --- shapes ---------------------------------------------------------------------------------------------------
class AlertChannel(Struct, kw_only=True):
    channel_id: str
    studio_id: str
    name: str
    kind: str
    enabled: bool
    config: dict[str, Any]
    has_secret: bool
    updated_at: datetime


class AlertChannelList(Struct, kw_only=True):
    items: list[AlertChannel]


class AlertRule(Struct, kw_only=True):
    rule_id: str
    studio_id: str
    kind: str
    enabled: bool
    channel_ids: list[str]
    account_id: str | None
    minutes: int | None
    threshold: str | None
    elapsed_percent: int | None
    dedup_minutes: int
    quiet_start: time | None
    quiet_end: time | None
    updated_at: datetime


class AlertRuleList(Struct, kw_only=True):
    items: list[AlertRule]


class AlertSummary(Struct, kw_only=True):
    studio_id: str
    enabled: bool
    local_time: time
    channel_ids: list[str]
    last_day: str | None
    updated_at: datetime


class AlertSummaryList(Struct, kw_only=True):
    items: list[AlertSummary]


class AlertDelivery(Struct, kw_only=True):
    channel_id: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


class AlertNotification(Struct, kw_only=True):
    notification_id: str
    studio_id: str
    rule_id: str | None
    kind: str
    subject: str
    status: str
    title: str
    body: str
    decided_at: datetime
    deliveries: list[AlertDelivery]


class AlertHistory(Struct, kw_only=True):
    items: list[AlertNotification]


class AlertChannelBody(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    kind: ChannelKind
    enabled: bool = True
    url: Annotated[str, Meta(max_length=2000, pattern=r"^https?://[^\s]+$")] | None = None
    chat_id: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\s]+$")] | None = None
    smtp_host: Annotated[str, Meta(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.\-]+$")] | None = None
    smtp_port: Annotated[int, Meta(ge=1, le=65535)] | None = None
    smtp_username: Annotated[str, Meta(min_length=1, max_length=255)] | None = None
    smtp_starttls: bool = False
    email_from: Email | None = None
    email_to: Annotated[list[Email], Meta(max_length=20)] = []
    secret: Secret | None = None
    """Webhook signing secret, Telegram bot token or SMTP password; write-only (null keeps the stored one)."""


class AlertRuleBody(Struct, kw_only=True, forbid_unknown_fields=True):
    kind: RuleKind
    enabled: bool = True
    channel_ids: Annotated[list[Id], Meta(max_length=20)] = []
    account_id: Id | None = None
    minutes: Annotated[int, Meta(ge=1, le=1440)] | None = None
    threshold: Threshold | None = None
    """roas_below: the ROAS floor; gmv_pace: the pace floor (0.8 = alert below 80 % of the expected GMV)."""
    elapsed_percent: Annotated[int, Meta(ge=0, le=100)] | None = None
    """gmv_pace: judge a target once this % of its month has passed (default 20)."""
    dedup_minutes: Annotated[int, Meta(ge=0, le=10080)] = 60
    quiet_start: time | None = None
    quiet_end: time | None = None


class AlertSummaryBody(Struct, kw_only=True, forbid_unknown_fields=True):
    enabled: bool = True
    local_time: time
    channel_ids: Annotated[list[Id], Meta(max_length=20)] = []


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _scope(request: ApiRequest, studio_id: str | None) -> tuple[Gateway, Scope]:
    principal, gw = caller(request)
    not_host(principal)
    scope = studio_filter(principal, studio_id)
    return gw, None if scope is None else list(scope)


# --- reads ------------------------------------------------------------------------------------------------------
@get("/alerts/channels", summary="Alert channels (secrets never shown)", tags=["alerts"], responses=READS)
async def list_channels(request: ApiRequest, studio_id: StudioQ = None) -> AlertChannelList:
    gw, scope = _scope(request, studio_id)
    rows = await gw.repo.alert_channels(scope)
    items = [AlertChannel(**{**dict(r), "config": _json(r["config"])}) for r in rows]
    return AlertChannelList(items=items)


@get("/alerts/rules", summary="Alert rules", tags=["alerts"], responses=READS)
async def list_rules(request: ApiRequest, studio_id: StudioQ = None) -> AlertRuleList:
    gw, scope = _scope(request, studio_id)
    rows = await gw.repo.alert_rules(scope)
    return AlertRuleList(items=[AlertRule(**{**dict(r), "channel_ids": list(r["channel_ids"])}) for r in rows])


@get("/alerts/summaries", summary="Daily summary settings", tags=["alerts"], responses=READS)
async def list_summaries(request: ApiRequest, studio_id: StudioQ = None) -> AlertSummaryList:
    gw, scope = _scope(request, studio_id)
    rows = await gw.repo.alert_summaries(scope)
    return AlertSummaryList(items=[AlertSummary(**{**dict(r), "channel_ids": list(r["channel_ids"])}) for r in rows])


@get(
    "/alerts/history",
    summary="Notifications decided, newest first, with their deliveries",
    tags=["alerts"],
    responses=READS,
)
async def alert_history(
    request: ApiRequest,
    studio_id: StudioQ = None,
    before: Annotated[datetime | None, QueryParameter(description="only notifications decided before")] = None,
    kind: Annotated[
        str | None, QueryParameter(pattern=r"^[a-z_]{1,40}$", description="rule kind or daily_summary")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200, description="page size")] = 50,
) -> AlertHistory:
    gw, scope = _scope(request, studio_id)
    if before is not None and before.tzinfo is None:
        raise BadRequest("before needs a timezone offset")
    rows = await gw.repo.alert_history(scope, before, kind, limit)
    items = [
        AlertNotification(
            **{k: v for k, v in dict(r).items() if k != "deliveries"},
            deliveries=[
                AlertDelivery(
                    channel_id=d["channel_id"],
                    status=d["status"],
                    attempts=d["attempts"],
                    last_error=d["last_error"],
                    sent_at=None if d["sent_at"] is None else datetime.fromisoformat(d["sent_at"]),
                )
                for d in _json(r["deliveries"])
            ],
        )
        for r in rows
    ]
    return AlertHistory(items=items)


# --- commands ---------------------------------------------------------------------------------------------------
def _encrypt(gw: Gateway, secret: str | None) -> str | None:
    if secret is None:
        return None
    if gw.cipher is None:
        raise Unavailable("secret encryption is not configured (GATEWAY_CREDENTIALS_KEYS)")
    return gw.cipher.encrypt(secret)


@put(
    "/studios/{studio_id:str}/alerts/channels/{channel_id:str}",
    summary="Create or update an alert channel (command)",
    tags=["alerts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def upsert_channel(
    request: ApiRequest, studio_id: IdPath, channel_id: IdPath, data: JSONBody[AlertChannelBody]
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = commands.make(
        AlertChannelUpsert,
        channel_id=channel_id,
        studio_id=studio_id,
        name=data.name,
        channel_kind=data.kind,
        enabled=data.enabled,
        url=data.url,
        chat_id=data.chat_id,
        smtp_host=data.smtp_host,
        smtp_port=data.smtp_port,
        smtp_username=data.smtp_username,
        smtp_starttls=data.smtp_starttls,
        email_from=data.email_from,
        email_to=list(data.email_to),
        encrypted_secret=_encrypt(gw, data.secret),
    )
    return await submit(gw, principal, command)


@delete(
    "/studios/{studio_id:str}/alerts/channels/{channel_id:str}",
    summary="Remove an alert channel (command)",
    tags=["alerts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_channel(request: ApiRequest, studio_id: IdPath, channel_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    return await submit(gw, principal, AlertChannelRemove(channel_id=channel_id, studio_id=studio_id))


@put(
    "/studios/{studio_id:str}/alerts/rules/{rule_id:str}",
    summary="Create or update an alert rule (command)",
    description="Quiet hours are studio-local (end <= start crosses midnight); `dedup_minutes` is the window in "
    "which the same situation is not notified twice. `gmv_pace` (monthly GMV targets behind pace) needs "
    "`threshold` (the pace floor) and takes `elapsed_percent`; it notifies once per target and month. "
    "`shift_not_live`, `host_not_checked_in` (a rostered host with no check-in) and `data_stale` need `minutes`.",
    tags=["alerts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def upsert_rule(
    request: ApiRequest, studio_id: IdPath, rule_id: IdPath, data: JSONBody[AlertRuleBody]
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = commands.make(
        AlertRuleUpsert,
        rule_id=rule_id,
        studio_id=studio_id,
        rule_kind=data.kind,
        enabled=data.enabled,
        channel_ids=list(data.channel_ids),
        account_id=data.account_id,
        minutes=data.minutes,
        threshold=None if data.threshold is None else commands.money(data.threshold, "threshold"),
        elapsed_percent=data.elapsed_percent,
        dedup_minutes=data.dedup_minutes,
        quiet_start=data.quiet_start,
        quiet_end=data.quiet_end,
    )
    return await submit(gw, principal, command)


@delete(
    "/studios/{studio_id:str}/alerts/rules/{rule_id:str}",
    summary="Remove an alert rule (command)",
    tags=["alerts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def remove_rule(request: ApiRequest, studio_id: IdPath, rule_id: IdPath) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    return await submit(gw, principal, AlertRuleRemove(rule_id=rule_id, studio_id=studio_id))


@put(
    "/studios/{studio_id:str}/alerts/summary",
    summary="Set the studio's daily summary (command)",
    description="Sent at `local_time` (studio timezone) about the previous local day.",
    tags=["alerts", "commands"],
    status_code=202,
    responses=WRITES,
)
async def set_summary(
    request: ApiRequest, studio_id: IdPath, data: JSONBody[AlertSummaryBody]
) -> Response[CommandAccepted]:
    principal, gw = caller(request)
    require_writer(principal, studio_id)
    command = commands.make(
        AlertSummarySet,
        studio_id=studio_id,
        enabled=data.enabled,
        local_time=data.local_time,
        channel_ids=list(data.channel_ids),
    )
    return await submit(gw, principal, command)


ROUTES = [
    list_channels,
    list_rules,
    list_summaries,
    alert_history,
    upsert_channel,
    remove_channel,
    upsert_rule,
    remove_rule,
    set_summary,
]
