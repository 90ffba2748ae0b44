"""Topic names of the public contract, their keys and the DLQ naming rule."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    SESSION = "shopee.live.session.v1"
    ITEM = "shopee.live.item.v1"
    ACCOUNT = "shopee.account.v1"
    COMMANDS = "livestudio.commands.v1"
    COMMISSION = "livestudio.commission.v1"
    AFFILIATE = "shopee.affiliate.v1"

    @property
    def dlq(self) -> str:
        return f"{self.value}.dlq"


def session_key(account_id: str, session_id: int) -> str:
    """Key of the session and item topics: keeps per-session order and spreads accounts over partitions."""
    return f"{account_id}:{session_id}"


def affiliate_key(account_id: str, checkout_id: str) -> str:
    """Key of the affiliate topic: keeps the events of one checkout in order (each carries its whole state, so
    the order between checkouts does not matter) and lets a backfill's thousands of checkouts be in flight at once."""
    return f"{account_id}:{checkout_id}"
