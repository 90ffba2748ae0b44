"""Ownership of what a command names: the one rule every write path applies (gateway and command consumers).

`references(command)` lists every entity a command names (the one it creates or changes, and the ones it points
at) with what the command needs of it; `acting_studio(command)` is the studio it acts in (its own `studio_id`,
else the caller's scope). A service looks the references up in its own tables (`Found`: entity -> its studio,
`GLOBAL` for a global pay rule, absent when it does not exist) and calls `check`, which refuses:

* an entity that exists in another studio (whatever the command needs of it: entities never change studio);
* an entity the command needs to exist (`exists`) that does not;
* a command whose studio differs from the caller's scope.

Every refusal is `NotFound` with the same text for "in another studio" and "does not exist"
(`<entity> '<id>' not found in studio '<studio>'`), so an answer never tells whether an id exists elsewhere.
(A `create` of an id that another studio holds is refused while a free id is created: global ids cannot hide
that; ids minted by the gateway are random, and studios should not reuse guessable ids.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from livestudio_schemas.commands import (
    AccountConnect,
    AccountPause,
    AccountRemove,
    AccountResume,
    AccountUpdate,
    AdSpendEnter,
    AlertChannelRemove,
    AlertChannelUpsert,
    AlertRuleRemove,
    AlertRuleUpsert,
    AlertSummarySet,
    AnyCommand,
    AttendanceCorrect,
    CallerScope,
    HostCheckIn,
    HostCheckOut,
    HostRemove,
    HostUpsert,
    PayRuleRemove,
    PayRuleUpsert,
    QrLoginStart,
    ScheduleEntryRemove,
    ScheduleEntryUpsert,
    ShiftTemplateRemove,
    ShiftTemplateUpsert,
    StatementApprove,
    StatementPay,
    StatementVoid,
    StudioRemove,
    StudioUpsert,
    TargetRemove,
    TargetSet,
)

Entity = Literal[
    "studio", "host", "shift", "schedule entry", "rule", "account", "statement", "alert channel", "alert rule"
]
Need = Literal["create", "exists", "optional"]
"""`create`: the command creates it when absent; `exists`: it must exist; `optional`: it may not be known yet
(commands on different entities arrive in any order), but if it exists it must be in the command's studio."""
GLOBAL: Final = ""
"""The studio of a global pay rule (studio ids are never empty)."""
CHECK_TIME_SLACK: Final = timedelta(minutes=5)
"""How far a check-in/out may lie from the server's time without being a manager's correction."""

ROSTER_EARLY: Final = timedelta(hours=2)
"""A host may check in this long before a schedule entry starts (commission: `roster.CHECK_IN_EARLY`)."""
ROSTER_LATE: Final = timedelta(hours=12)
"""A host may check out this long after a schedule entry ends (commission: `roster.OPEN_CHECK_IN_MAX`)."""

HOST_KINDS: Final = frozenset({"host.check_in", "host.check_out"})
"""The only commands a host may send (for themselves)."""


@dataclass(frozen=True, slots=True)
class Ref:
    entity: Entity
    id: str
    need: Need


Found = Mapping[tuple[str, str], str]
"""(entity, id) -> the studio it belongs to (`GLOBAL` for a global rule); absent when it does not exist."""


class NotFound(Exception):
    """Refused: the same text whether the entity is missing or belongs to another studio."""

    def __init__(self, entity: str, entity_id: str, studio: str | None) -> None:
        where = "" if studio is None else f" in studio {studio or 'global'!r}"
        super().__init__(f"{entity} {entity_id!r} not found{where}")
        self.entity = entity
        self.entity_id = entity_id


class NotAllowed(Exception):
    """Refused: the caller's role may not send this command (not about any entity's existence)."""


def references(c: AnyCommand) -> list[Ref]:
    """Every entity the command names, the target first."""
    if isinstance(c, StudioUpsert):
        return [Ref("studio", c.studio_id, "create")]
    if isinstance(c, StudioRemove):
        return [Ref("studio", c.studio_id, "exists")]
    if isinstance(c, HostUpsert):
        return [Ref("host", c.host_id, "create")]
    if isinstance(c, ShiftTemplateUpsert):
        return [Ref("shift", c.shift_id, "create")]
    if isinstance(c, HostRemove):
        return [Ref("host", c.host_id, "exists")]
    if isinstance(c, ShiftTemplateRemove):
        return [Ref("shift", c.shift_id, "exists")]
    if isinstance(c, PayRuleRemove):
        return [Ref("rule", c.rule_id, "exists")]
    if isinstance(c, ScheduleEntryUpsert):
        refs = [
            Ref("schedule entry", c.entry_id, "create"),
            Ref("host", c.host_id, "optional"),
            Ref("account", c.account_id, "optional"),
        ]
        return refs + ([Ref("shift", c.shift_id, "optional")] if c.shift_id else [])
    if isinstance(c, ScheduleEntryRemove):
        return [Ref("schedule entry", c.entry_id, "exists")]
    if isinstance(c, HostCheckIn | HostCheckOut):
        # the host may not be known yet where commands arrive out of order (the gateway requires it)
        return [Ref("host", c.host_id, "optional"), Ref("account", c.account_id, "optional")]
    if isinstance(c, AttendanceCorrect):
        return [Ref("schedule entry", c.entry_id, "exists")]
    if isinstance(c, PayRuleUpsert):
        refs = [Ref("rule", c.rule_id, "create")]
        refs += [Ref("account", c.account_id, "optional")] if c.account_id else []
        return refs + ([Ref("shift", c.shift_id, "optional")] if c.shift_id else [])
    if isinstance(c, StatementApprove | StatementPay | StatementVoid):
        return [Ref("statement", c.statement_id, "exists")]
    if isinstance(c, AccountConnect | QrLoginStart):
        return [Ref("account", c.account_id, "create")]
    if isinstance(c, AccountUpdate | AccountPause | AccountResume | AccountRemove | AdSpendEnter):
        return [Ref("account", c.account_id, "exists")]
    if isinstance(c, AlertChannelUpsert):
        return [Ref("alert channel", c.channel_id, "create")]
    if isinstance(c, AlertChannelRemove):
        return [Ref("alert channel", c.channel_id, "exists")]
    if isinstance(c, AlertRuleUpsert):
        refs = [Ref("alert rule", c.rule_id, "create")]
        refs += [Ref("account", c.account_id, "optional")] if c.account_id else []
        return refs + [Ref("alert channel", channel, "optional") for channel in c.channel_ids]
    if isinstance(c, AlertRuleRemove):
        return [Ref("alert rule", c.rule_id, "exists")]
    if isinstance(c, AlertSummarySet):
        return [Ref("studio", c.studio_id, "exists")] + [Ref("alert channel", ch, "optional") for ch in c.channel_ids]
    if isinstance(c, TargetSet | TargetRemove):
        # a target is keyed by its studio: it can only name entities of that studio (any of them may arrive later)
        refs = [Ref("studio", c.studio_id, "optional")]
        return refs + ([] if c.scope == "studio" else [Ref(c.scope, c.scope_id, "optional")])
    raise ValueError(f"no ownership rule for command {c.kind}")  # pragma: no cover - every kind is listed


def own_studio(c: AnyCommand) -> str | None:
    """The studio a command names itself (`GLOBAL` for a global pay rule); None when it names none."""
    if isinstance(c, PayRuleUpsert):
        return c.studio_id if c.studio_id is not None else GLOBAL
    studio: str | None = getattr(c, "studio_id", None)
    return studio


def acting_studio(c: AnyCommand, scope: CallerScope | None) -> str | None:
    """The studio the command acts in: its own, else the caller's; None when neither says (an operator's
    command without scope: entities are then checked against each other, not against a caller)."""
    own = own_studio(c)
    if scope is None:
        return own
    claimed = scope.studio_id if scope.studio_id is not None else GLOBAL
    if own is not None and own != claimed:
        raise NotFound("studio", own or "global", claimed)
    return claimed


def check_role(c: AnyCommand, scope: CallerScope | None) -> None:
    """What a role may send at all: hosts only check themselves in and out; global rules are owners' only."""
    if scope is None:
        return
    if scope.role == "host":
        if c.kind not in HOST_KINDS or getattr(c, "host_id", None) != scope.host_id:
            raise NotAllowed("hosts check in and out only themselves")
    elif scope.role == "service":
        raise NotAllowed("service tokens are read-only")
    if isinstance(c, PayRuleUpsert) and c.studio_id is None and scope.role != "owner":
        raise NotAllowed("only owners change global pay rules")


def check(c: AnyCommand, scope: CallerScope | None, found: Found, *, strict: bool = False) -> str | None:
    """Refuse the command unless every entity it names is in its studio; the studio it acts in.

    `strict` (the gateway): `optional` entities must exist too. Otherwise a missing one would be accepted where
    one of another studio is refused, and the answer would tell them apart. The consumers are lenient, because
    commands on different entities reach them in any order, and what they see has passed the gateway."""
    check_role(c, scope)
    studio = acting_studio(c, scope)
    if studio is None:
        # No studio anywhere: every entity named must agree with the first one that exists.
        owners = {found[(r.entity, r.id)] for r in references(c) if (r.entity, r.id) in found}
        studio = next(iter(owners)) if len(owners) == 1 else None
        if len(owners) > 1:
            first = references(c)[0]
            raise NotFound(first.entity, first.id, None)
    for ref in references(c):
        owner = found.get((ref.entity, ref.id))
        if owner is None:
            if ref.need == "exists" or (strict and ref.need == "optional"):
                raise NotFound(ref.entity, ref.id, studio)
        elif studio is not None and owner != studio:
            raise NotFound(ref.entity, ref.id, studio)
    return studio


def check_time(at: datetime, now: datetime, *, correction_from: datetime | None, reason: str | None) -> None:
    """A check-in/out at the server's time (within `CHECK_TIME_SLACK`), or a manager's correction: with a reason,
    not in the future, and not before `correction_from` (the start of the open pay period). `correction_from` None:
    no correction allowed (a host)."""
    if abs(at - now) <= CHECK_TIME_SLACK:
        return
    if correction_from is None:
        raise ValueError("a check-in or check-out is at the current time")
    if at > now + CHECK_TIME_SLACK:
        raise ValueError("a check-in or check-out cannot be in the future")
    if at < correction_from:
        raise ValueError("a correction must lie within the open pay period")
    if not reason or not reason.strip():
        raise ValueError("a correction of the time needs a reason")
