"""Validating the cookies of a batch of commands concurrently (bounded) before the batch is applied in order.

Validating a cookie is a `userInfo` round trip to Shopee. Applied one command at a time, a bulk connect of many
accounts runs at one round trip per account (about one a second on a busy replica, whose client is shared with
the pollers). `BatchCookieValidator.prefetch()` starts the validations of every cookie of a batch at once, at
most `concurrency` in flight, and keeps the outcomes; the commands are then applied one by one, in order, in the
consumer's transaction, and `validate()` answers from the kept outcomes. Validation only reads Shopee, so
doing it early changes neither the order per account nor the exactly-once recording of results. Outcomes are
kept for one batch only (`clear()`); a cookie that was not prefetched (QR logins, the CLI) is validated then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from pydantic import SecretStr

from livestudio_ingest.commands import CookieValidator
from shopee_client.client.models import UserInfo

CookieKey = tuple[str, str, str]
"""(account id, cookie, region): what a validation depends on."""


def _key(account_id: str, cookie: SecretStr, region: str) -> CookieKey:
    return account_id, cookie.get_secret_value(), region


class BatchCookieValidator:
    """A `CookieValidator` that can validate the cookies of a whole batch ahead of time."""

    def __init__(self, inner: CookieValidator, *, concurrency: int) -> None:
        self.inner = inner
        self.concurrency = concurrency
        self._outcomes: dict[CookieKey, UserInfo | Exception] = {}

    async def prefetch(self, cookies: Iterable[tuple[str, SecretStr, str]]) -> int:
        """Validate these (account id, cookie, region) at once, bounded; returns how many were validated."""
        wanted: dict[CookieKey, tuple[str, SecretStr, str]] = {}
        for account_id, cookie, region in cookies:
            key = _key(account_id, cookie, region)
            if key not in self._outcomes:
                wanted.setdefault(key, (account_id, cookie, region))
        if not wanted:
            return 0
        slots = asyncio.Semaphore(self.concurrency)

        async def one(key: CookieKey, account_id: str, cookie: SecretStr, region: str) -> None:
            async with slots:
                try:
                    self._outcomes[key] = await self.inner.validate(account_id, cookie, region)
                except Exception as exc:  # CommandRejected (or a bug): raised again when the command is applied
                    self._outcomes[key] = exc

        await asyncio.gather(*(one(key, *args) for key, args in wanted.items()))
        return len(wanted)

    async def validate(self, account_id: str, cookie: SecretStr, region: str) -> UserInfo:
        outcome = self._outcomes.get(_key(account_id, cookie, region))
        if outcome is None:
            return await self.inner.validate(account_id, cookie, region)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def clear(self) -> None:
        self._outcomes.clear()
