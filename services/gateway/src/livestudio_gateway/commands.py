"""Turning validated HTTP requests into contract commands (`livestudio_schemas.commands`), as plain functions.

The gateway checks what it can see (shape, ranges, the caller's scope, terminal statement states); the owning
service re-validates against its own state and records the outcome under the command id. Cookies are encrypted
here, before they enter a command; the plaintext never leaves this module.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from livestudio_gateway.analytics import check_day
from livestudio_gateway.models import PayTierBody, RuleBody, ScheduleBody
from livestudio_gateway.problems import BadRequest, Conflict, FieldError, Unavailable
from livestudio_runtime.ownership import CHECK_TIME_SLACK, check_time
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import (
    COMMAND,
    AnyCommand,
    CallerScope,
    Command,
    PayRuleUpsert,
    PayTier,
    ScheduleEntryUpsert,
    owner_of,
)
from livestudio_schemas.envelope import CloudEvent

SOURCE = "/livestudio/gateway"
M = TypeVar("M", bound=BaseModel)
_SUBJECT_FIELDS = (
    "account_id",
    "host_id",
    "statement_id",
    "studio_id",
    "rule_id",
    "entry_id",
    "shift_id",
    "login_id",
)
_COOKIE_PAIR = re.compile(r"(?:^|;)\s*SPC_[A-Za-z0-9_]+=[^;\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_WINDOW = timedelta(hours=48)


def new_id() -> str:
    return str(uuid.uuid4())


def new_account_id() -> str:
    return f"acct-{uuid.uuid4().hex[:16]}"


def subject_of(command: AnyCommand) -> str:
    """The target entity id: the Kafka key (per-entity order) and the CloudEvent subject."""
    for name in _SUBJECT_FIELDS:
        value = getattr(command, name, None)
        if value:
            return str(value)
    raise ValueError(f"command {command.kind} has no target id")


def envelope(
    command: AnyCommand, *, actor: str, command_id: str, now: datetime, scope: CallerScope | None = None
) -> CloudEvent[Command]:
    body = Command(command_id=command_id, actor=actor, issued_at=now, command=command, scope=scope)
    return CloudEvent[Command].wrap(
        body, type_=COMMAND, source=SOURCE, time=now, subject=subject_of(command), id_=command_id
    )


def owner(command: AnyCommand) -> str:
    return owner_of(command.kind)


def make(model: type[M], **fields: Any) -> M:
    """Build a contract model; its own validation errors become a 400 problem."""
    try:
        return model(**fields)
    except ValidationError as exc:
        errors = [
            FieldError(message=err["msg"], key=".".join(str(p) for p in err["loc"]) or None, source="body")
            for err in exc.errors()
        ]
        raise BadRequest("the command is not valid", errors=errors) from None


def encrypt_cookie(cipher: CookieCipher | None, cookie: str) -> str:
    """Check that `cookie` looks like a Shopee session cookie, then encrypt it (Fernet token)."""
    value = cookie.strip()
    if _CONTROL.search(value) or not _COOKIE_PAIR.search(value):
        raise BadRequest("the cookie must be the browser cookie string with the SPC_… session cookies")
    if cipher is None:
        raise Unavailable("cookie encryption is not configured (GATEWAY_CREDENTIALS_KEYS)")
    return cipher.encrypt(value)


def money(value: str, name: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise BadRequest(f"{name} must be a decimal amount") from None


def check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except Exception:
        raise BadRequest(f"unknown timezone {name!r}") from None


def _tiers(tiers: list[PayTierBody]) -> list[PayTier]:
    out: list[PayTier] = []
    previous: Decimal | None = None
    for i, tier in enumerate(tiers):
        up_to = None if tier.up_to is None else money(tier.up_to, "tiers.up_to")
        if up_to is None and i != len(tiers) - 1:
            raise BadRequest("only the last tier may be unbounded (up_to null)")
        if up_to is not None and previous is not None and up_to <= previous:
            raise BadRequest("tiers must be in increasing up_to order")
        previous = up_to
        out.append(make(PayTier, up_to=up_to, percent=money(tier.percent, "tiers.percent")))
    return out


def build_rule(rule_id: str, body: RuleBody) -> PayRuleUpsert:
    check_day(body.effective_from, "effective_from")
    if body.effective_to is not None:
        check_day(body.effective_to, "effective_to")
        if body.effective_to < body.effective_from:
            raise BadRequest("effective_to is before effective_from")
    if body.account_id is not None and body.studio_id is None:
        raise BadRequest("an account rule needs its studio_id")
    if body.rule_kind == "gmv_percent":
        if body.percent is None and not body.tiers:
            raise BadRequest("a gmv_percent rule needs percent or tiers")
        if body.percent is not None and body.tiers:
            raise BadRequest("give either percent or tiers, not both")
        if body.amount is not None:
            raise BadRequest("amount is for per_order and per_hour rules")
    else:
        if body.amount is None:
            raise BadRequest(f"a {body.rule_kind} rule needs amount")
        if body.percent is not None or body.tiers:
            raise BadRequest("percent and tiers are for gmv_percent rules")
    return make(
        PayRuleUpsert,
        rule_id=rule_id,
        studio_id=body.studio_id,
        account_id=body.account_id,
        role=body.role,
        rule_kind=body.rule_kind,
        basis=body.basis,
        percent=None if body.percent is None else money(body.percent, "percent"),
        tiers=_tiers(body.tiers),
        amount=None if body.amount is None else money(body.amount, "amount"),
        day_type=body.day_type,
        shift_id=body.shift_id,
        min_threshold=None if body.min_threshold is None else money(body.min_threshold, "min_threshold"),
        cap=None if body.cap is None else money(body.cap, "cap"),
        effective_from=body.effective_from,
        effective_to=body.effective_to,
    )


def build_schedule(entry_id: str, studio_id: str, body: ScheduleBody) -> ScheduleEntryUpsert:
    window = body.starts_at is not None or body.ends_at is not None
    shift = body.shift_id is not None or body.shift_date is not None
    if window == shift:
        raise BadRequest("give either starts_at/ends_at or shift_id/shift_date")
    if window:
        if body.starts_at is None or body.ends_at is None:
            raise BadRequest("a window needs both starts_at and ends_at")
        if body.ends_at <= body.starts_at:
            raise BadRequest("ends_at must be after starts_at")
        if body.ends_at - body.starts_at > MAX_WINDOW:
            raise BadRequest("a schedule window may span at most 48 hours")
        check_day(body.starts_at.date(), "starts_at")
    else:
        if body.shift_id is None or body.shift_date is None:
            raise BadRequest("a shift entry needs both shift_id and shift_date")
        check_day(body.shift_date, "shift_date")
    share = money(body.share, "share")
    if not Decimal(0) < share <= Decimal(1000):
        raise BadRequest("share must be greater than 0 and at most 1000")
    return make(
        ScheduleEntryUpsert,
        entry_id=entry_id,
        studio_id=studio_id,
        host_id=body.host_id,
        account_id=body.account_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        shift_id=body.shift_id,
        shift_date=body.shift_date,
        share=share,
    )


StatementAction = Literal["approve", "pay", "void"]
_TERMINAL = {"paid", "void"}
_PAST = {"approve": "approved", "pay": "paid", "void": "voided"}


def check_statement_action(status: str, action: StatementAction) -> None:
    """Refuse what can never succeed; the owner decides the rest (the read model may lag a step behind)."""
    if status in _TERMINAL:
        raise Conflict(f"the statement is {status}; it cannot be {_PAST[action]}")


def open_period_start(at: datetime, timezone: str, pay_period: str) -> datetime:
    """Start of the pay period `at` falls in, in the studio's calendar (months, or ISO weeks from Monday)."""
    zone = ZoneInfo(timezone)
    day = at.astimezone(zone).date()
    start = day - timedelta(days=day.weekday()) if pay_period == "weekly" else day.replace(day=1)
    return datetime(start.year, start.month, start.day, tzinfo=zone)


def check_in_time(
    at: datetime | None, now: datetime, *, correction_from: datetime | None, reason: str | None
) -> datetime:
    """The time of a check-in/out: the server's, or a manager's correction in the open pay period with a reason
    (`correction_from` None: a host, who always checks in at the server's time)."""
    if at is None or (correction_from is None and abs(at - now) <= CHECK_TIME_SLACK):
        return now
    try:
        check_time(at, now, correction_from=correction_from, reason=reason)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return at


def check_not_future(day: date, today: date, name: str) -> None:
    check_day(day, name)
    if day > today + timedelta(days=1):
        raise BadRequest(f"{name} is in the future")
