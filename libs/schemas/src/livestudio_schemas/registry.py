"""Which payload model each event type carries and on which topic: the single index of the contract."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from livestudio_schemas import account, affiliate, commands, commission, item, session
from livestudio_schemas.topics import Topic


@dataclass(frozen=True)
class EventSpec:
    type: str
    topic: Topic
    model: type[BaseModel]  # type: ignore[valid-type]
    summary: str


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        session.SESSION_SNAPSHOT,
        Topic.SESSION,
        session.SessionSnapshot,
        "cumulative metrics of a session at observed_at",
    ),
    EventSpec(session.SESSION_ENDED, Topic.SESSION, session.SessionEnded, "a session went off air (once)"),
    EventSpec(
        session.SESSION_CORRECTED,
        Topic.SESSION,
        session.SessionCorrected,
        "settled figures re-read from history after the stream",
    ),
    EventSpec(item.ITEM_SNAPSHOT, Topic.ITEM, item.ItemSnapshots, "all products of a session at observed_at"),
    EventSpec(
        account.ACCOUNT_STATUS,
        Topic.ACCOUNT,
        account.AccountStatus,
        "account connected, paused, credentials expired, polling degraded/recovered",
    ),
    EventSpec(commands.COMMAND, Topic.COMMANDS, commands.Command, "a command from the gateway to its owner"),
    EventSpec(
        commission.STATEMENT_CALCULATED, Topic.COMMISSION, commission.StatementChanged, "a statement was (re)calculated"
    ),
    EventSpec(commission.STATEMENT_APPROVED, Topic.COMMISSION, commission.StatementChanged, "a statement was approved"),
    EventSpec(commission.STATEMENT_PAID, Topic.COMMISSION, commission.StatementChanged, "a statement was paid"),
    EventSpec(commission.STATEMENT_VOIDED, Topic.COMMISSION, commission.StatementChanged, "a statement was voided"),
    EventSpec(
        affiliate.AFFILIATE_CHECKOUT,
        Topic.AFFILIATE,
        affiliate.AffiliateCheckout,
        "an affiliate checkout (orders, items, status, estimated and final commission) as Shopee reports it now",
    ),
)

BY_TYPE: dict[str, EventSpec] = {spec.type: spec for spec in EVENTS}


def model_for(event_type: str) -> type[BaseModel]:
    try:
        return BY_TYPE[event_type].model
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None
