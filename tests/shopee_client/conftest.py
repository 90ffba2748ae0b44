"""Fixtures for the shopee_client tests (helpers live in kit.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopee_client import AccountContext, ClientSettings, ShopeeClient
from tests.shopee_client.kit import COOKIE, MockShopee


@pytest.fixture
def shopee() -> MockShopee:
    return MockShopee()


@pytest.fixture
def account() -> AccountContext:
    return AccountContext.create("acct-1", COOKIE)


@pytest.fixture
async def client(shopee: MockShopee) -> Any:
    settings = ClientSettings(
        base_url="http://shopee.test",
        backoff_initial=0.001,
        backoff_max=0.01,
        per_account_rate=1000,
        max_attempts=3,
    )
    async with ShopeeClient(settings, transport=httpx.MockTransport(shopee.handler)) as c:
        yield c
