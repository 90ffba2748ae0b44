"""Whether a poller paused at a partition revoke may go on when the partition comes back (issue #23).

The membership protocol is eager: every rebalance revokes every partition before it assigns them again, so a
replica pauses its pollers at each revoke (state written to Postgres) and, when the same accounts come back,
would rather resume them (schedule and caches intact, acknowledgements that arrived after the revoke included)
than start them cold. That is only right if no other replica polled the account in between: its pollers
published events and wrote state that the paused poller never saw, and resuming would publish them again.

What tells: a replica that starts a poller from Postgres first claims the account (`poll_state.owner` = its
`PollEngine.token`, `updated_at` = now). At revoke the engine remembers each paused account's mark (owner and
when its poll state was last written, read after its final write); at the next assignment it reads the marks
again. A paused poller resumes only if it was ours at revoke and nobody claimed or wrote the account's poll
state since; otherwise (another replica took it over, a broker reset made every replica forget what it
published, the mark could not be read) it is dropped and the account starts again from Postgres, as on a fresh
assignment. Only public APIs: the rebalance listener's callbacks and our own tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class StateMark:
    """One account's row in `poll_state`: who last started polling it, when any of it was last written."""

    owner: str | None
    written_at: datetime


class Handover(StrEnum):
    RESUME = "resume"
    """Nobody touched the account since we paused it: the paused poller goes on."""
    RELOAD = "reload"
    """Someone else did (or we cannot tell): drop the paused poller, start again from Postgres."""


def handover(token: str, at_revoke: StateMark | None, now: StateMark | None) -> Handover:
    """The decision for one account paused by the replica `token`, from its mark at revoke and its mark now."""
    if at_revoke is None or at_revoke.owner != token or now != at_revoke:
        return Handover.RELOAD
    return Handover.RESUME


def resumable(token: str, at_revoke: Mapping[str, StateMark | None], now: Mapping[str, StateMark]) -> set[str]:
    """The paused accounts (keys of `at_revoke`) whose pollers may resume."""
    return {a for a, mark in at_revoke.items() if handover(token, mark, now.get(a)) is Handover.RESUME}
