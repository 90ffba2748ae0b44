"""An event the core wants published, and what its acknowledgement or its drop changes in the core's state.

The core never calls the outbox: it returns `Emit`s. The driver puts them into the outbox and, when the broker
acknowledged one (or the outbox dropped it because it was full), hands `on_ack` (or `on_drop`) back to the core
module that made it (`live.acknowledged`, `live.dropped`, `account.status_acknowledged`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from livestudio_schemas.envelope import CloudEvent
from livestudio_schemas.session import SessionMetrics

HashKind = Literal["list", "snapshot", "items", "corrected"]
SlotKind = Literal["list", "snapshot", "items", "ended", "corrected", "status", "affiliate"]
Slot = tuple[SlotKind, str, int]
"""(kind, account id, session id or 0): what an event is about; the outbox keeps the newest event per slot."""
TopicKind = Literal["session", "item", "account"]


@dataclass(frozen=True, slots=True)
class Published:
    """A session event of `kind` with content `digest` was acknowledged (`metrics`: the figures it carried)."""

    session_id: int
    kind: HashKind
    digest: str
    metrics: SessionMetrics | None


@dataclass(frozen=True, slots=True)
class EndPublished:
    """The SessionEnded of `session_id` was acknowledged."""

    session_id: int


@dataclass(frozen=True, slots=True)
class StatusPublished:
    """An account-status event for stored state `state` was acknowledged."""

    state: str


@dataclass(frozen=True, slots=True)
class Unsent:
    """A session event of `kind` was dropped before publication: the same content may be sent again."""

    session_id: int
    kind: HashKind


Ack = Published | EndPublished | StatusPublished


@dataclass(frozen=True, slots=True)
class Emit:
    slot: Slot
    topic: TopicKind
    key: str
    event: CloudEvent[Any]
    essential: bool = False
    """Never dropped when the outbox is full (ends and status)."""
    on_ack: Ack | None = None
    on_drop: Unsent | None = None
