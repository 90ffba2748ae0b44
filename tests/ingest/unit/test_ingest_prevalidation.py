"""Cookies of a command batch validated ahead, concurrently but bounded; outcomes answered once each."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from pydantic import SecretStr

from livestudio_ingest.accounts import CommandRejected
from livestudio_ingest.commands import CookieValidator
from livestudio_ingest.prevalidation import BatchCookieValidator
from shopee_client.client.models import UserInfo


class _Shopee:
    """Stands in for `CookieValidator`: slow, counts calls and the most in flight; rejects cookies named bad."""

    def __init__(self) -> None:
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def validate(self, account_id: str, cookie: SecretStr, region: str) -> UserInfo:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.05)
        finally:
            self.in_flight -= 1
        if cookie.get_secret_value().startswith("bad"):
            raise CommandRejected("Shopee rejected the cookie: it is expired or invalid")
        return UserInfo.model_validate({"userId": 1000 + int(account_id.split("-")[1]), "userName": account_id})


def _validator(shopee: _Shopee, concurrency: int) -> BatchCookieValidator:
    return BatchCookieValidator(cast(CookieValidator, shopee), concurrency=concurrency)


async def test_a_batch_is_validated_concurrently_within_the_bound_and_answered_from_memory() -> None:
    shopee = _Shopee()
    validator = _validator(shopee, concurrency=4)
    cookies = [(f"acct-{i}", SecretStr(f"c{i}"), "co.id") for i in range(20)]
    started = asyncio.get_running_loop().time()
    assert await validator.prefetch([*cookies, cookies[3]]) == 20  # the same cookie twice: validated once
    elapsed = asyncio.get_running_loop().time() - started
    assert shopee.max_in_flight == 4
    assert elapsed < 20 * 0.05 / 2  # serially it would take 1 s
    for account_id, cookie, region in cookies:
        user = await validator.validate(account_id, cookie, region)
        assert user.user_id == 1000 + int(account_id.split("-")[1])
    assert shopee.calls == 20  # no second round trip when the commands are applied


async def test_a_rejection_is_raised_when_the_command_is_applied_and_outcomes_last_one_batch() -> None:
    shopee = _Shopee()
    validator = _validator(shopee, concurrency=8)
    await validator.prefetch([("acct-1", SecretStr("bad-1"), "co.id"), ("acct-2", SecretStr("c2"), "co.id")])
    with pytest.raises(CommandRejected, match="rejected the cookie"):
        await validator.validate("acct-1", SecretStr("bad-1"), "co.id")
    assert (await validator.validate("acct-2", SecretStr("c2"), "co.id")).user_id == 1002
    assert shopee.calls == 2
    validator.clear()
    await validator.validate("acct-2", SecretStr("c2"), "co.id")  # not kept beyond the batch: asked again
    await validator.validate("acct-3", SecretStr("c3"), "co.id")  # never prefetched (QR login, CLI): asked
    assert shopee.calls == 4
