"""Error signals → typed errors, retry policy, secrecy of the cookie, throttling and metrics (MockTransport)."""

from __future__ import annotations

import asyncio
import io
import time

import httpx
import pytest
import structlog
from prometheus_client import REGISTRY

from shopee_client import (
    AccountContext,
    AuthExpired,
    ClientSettings,
    NotFound,
    NotOwned,
    RateLimited,
    ResponseShapeError,
    ShopeeClient,
    ShopeeClientError,
    ShopeeError,
    Transient,
)
from shopee_client.client import transport
from tests.shopee_client.kit import COOKIE, MockShopee, fixture_bytes

pytestmark = pytest.mark.unit

C = "/supply/api/lm/sellercenter"
SESSION_LIST = f"{C}/realtime/sessionList"
OVERVIEW = f"{C}/realtime/dashboard/overview"


@pytest.mark.parametrize(
    ("path", "status", "fixture", "error", "attempts"),
    [
        (SESSION_LIST, 200, "error_cookie_expired.json", AuthExpired, 1),
        (SESSION_LIST, 401, "error_other_code.json", AuthExpired, 1),
        ("/api/v4/account/basic/get_account_info", 200, "error_v4_login_required.json", AuthExpired, 1),
        ("/api/v4/account/basic/get_account_info", 200, "error_cookie_expired.json", ResponseShapeError, 1),
        (SESSION_LIST, 429, "error_other_code.json", RateLimited, 1),
        (SESSION_LIST, 503, "error_other_code.json", Transient, 3),
        (SESSION_LIST, 500, "error_other_code.json", Transient, 3),
        (SESSION_LIST, 200, "error_truncated.json", Transient, 3),
        (SESSION_LIST, 200, "error_other_code.json", ShopeeError, 1),
        (SESSION_LIST, 404, "error_other_code.json", NotFound, 1),
        (SESSION_LIST, 200, "error_wrong_type.json", ResponseShapeError, 1),
        (SESSION_LIST, 200, "error_missing_field.json", ResponseShapeError, 1),
        (SESSION_LIST, 200, "error_missing_envelope.json", ResponseShapeError, 1),
    ],
)
async def test_error_signals(
    client: ShopeeClient,
    shopee: MockShopee,
    account: AccountContext,
    path: str,
    status: int,
    fixture: str,
    error: type[ShopeeClientError],
    attempts: int,
) -> None:
    shopee.fixture(path, fixture, status=status)
    call = client.account_info(account) if "account_info" in path else client.session_list(account)
    with pytest.raises(error) as info:
        await call
    assert type(info.value) is error
    assert info.value.account_id == "acct-1"
    assert info.value.endpoint in ("session_list", "account_info")
    assert shopee.count(path) == attempts  # only transient failures are retried


async def test_live_host_login_required(client: ShopeeClient, shopee: MockShopee) -> None:
    shopee.fixture("/api/v1/shop_page/live/ongoing", "error_live_login_required.json")
    with pytest.raises(AuthExpired) as info:
        await client.ongoing_live(1)
    assert info.value.code == 90309999


async def test_error_codes_carried(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture(SESSION_LIST, "error_other_code.json")
    with pytest.raises(ShopeeError) as info:
        await client.session_list(account)
    assert info.value.code == 10002
    assert "invalid params" in str(info.value)
    shopee.routes.clear()
    shopee.fixture(SESSION_LIST, "error_cookie_expired.json")
    with pytest.raises(AuthExpired) as expired:
        await client.session_list(account)
    assert expired.value.code == 30001


async def test_shape_error_names_endpoint_and_field(
    client: ShopeeClient, shopee: MockShopee, account: AccountContext
) -> None:
    shopee.fixture(SESSION_LIST, "error_wrong_type.json")
    with pytest.raises(ResponseShapeError) as wrong:
        await client.session_list(account)
    assert wrong.value.endpoint == "session_list"
    assert wrong.value.field == "data.list.0.placedOrders"
    assert "session_list" in str(wrong.value)
    assert "data.list.0.placedOrders" in str(wrong.value)
    shopee.routes.clear()
    shopee.fixture(SESSION_LIST, "error_missing_field.json")
    with pytest.raises(ResponseShapeError) as missing:
        await client.session_list(account)
    assert missing.value.field == "data.list.0.sessionId"


@pytest.mark.parametrize("fixture", ["error_empty_session.json", "error_null_session.json"])
async def test_empty_session_data_is_not_owned(
    client: ShopeeClient, shopee: MockShopee, account: AccountContext, fixture: str
) -> None:
    shopee.fixture(OVERVIEW, fixture)
    with pytest.raises(NotOwned) as info:
        await client.overview(account, 555)
    assert info.value.session_id == 555
    assert shopee.count(OVERVIEW) == 1


async def test_transient_then_success(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.add(SESSION_LIST, (503, b"oops", {}), (200, b"{not json", {}))
    shopee.fixture(SESSION_LIST, "session_list.json")
    page = await client.session_list(account)
    assert page.total == 2
    assert shopee.count(SESSION_LIST) == 3


async def test_timeouts_and_connection_errors_are_transient(
    client: ShopeeClient, shopee: MockShopee, account: AccountContext
) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    shopee.add(SESSION_LIST, timeout, refused)
    with pytest.raises(Transient) as info:
        await client.session_list(account)
    assert info.value.reason == "connection"
    assert shopee.count(SESSION_LIST) == 3
    shopee.routes.clear()
    shopee.add(SESSION_LIST, timeout)
    with pytest.raises(Transient) as slow:
        await client.session_list(account)
    assert slow.value.reason == "timeout"


async def test_rate_limited_retried_when_enabled(shopee: MockShopee, account: AccountContext) -> None:
    settings = ClientSettings(
        base_url="http://shopee.test", backoff_initial=0.001, backoff_max=0.01, retry_rate_limited=True
    )
    shopee.add(SESSION_LIST, (429, b"", {"retry-after": "1"}))
    shopee.fixture(SESSION_LIST, "session_list.json")
    async with ShopeeClient(settings, transport=httpx.MockTransport(shopee.handler)) as client:
        page = await client.session_list(account)
    assert page.total == 2
    assert shopee.count(SESSION_LIST) == 2


async def test_cookie_never_leaks(
    client: ShopeeClient, shopee: MockShopee, account: AccountContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "secret" not in repr(account)
    assert "secret" not in str(account)
    assert "secret" not in account.model_dump_json()
    # the client's own logger, rendered into a buffer: independent of how earlier tests in this process configured
    # structlog and stdlib logging (their handlers hold the streams of the test that configured them)
    written = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(written),
        processors=[structlog.processors.JSONRenderer()],
        wrapper_class=structlog.BoundLogger,
        cache_logger_on_first_use=False,
    )
    monkeypatch.setattr(transport, "log", logger)
    for fixture, status in (("error_cookie_expired.json", 200), ("error_other_code.json", 503)):
        shopee.routes.clear()
        shopee.fixture(SESSION_LIST, fixture, status=status)
        with pytest.raises(ShopeeClientError) as info:
            await client.session_list(account)
        assert "secret" not in str(info.value)
        assert "secret" not in repr(info.value)
        assert "secret" not in repr(info.value.__dict__)
    out = written.getvalue()
    assert "shopee_retry" in out  # retries were logged...
    assert "secret" not in out  # ...without the cookie


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_bounded_labels(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    ok_before = _sample("shopee_client_requests_total", {"endpoint": "overview", "outcome": "ok"})
    err_before = _sample("shopee_client_errors_total", {"endpoint": "overview", "kind": "not_owned"})
    hist_before = _sample("shopee_client_request_duration_seconds_count", {"endpoint": "overview"})
    shopee.add(
        OVERVIEW, (200, fixture_bytes("overview.json"), {}), (200, fixture_bytes("error_empty_session.json"), {})
    )
    await client.overview(account, 1)
    with pytest.raises(NotOwned):
        await client.overview(account, 2)
    assert _sample("shopee_client_requests_total", {"endpoint": "overview", "outcome": "ok"}) == ok_before + 1
    assert _sample("shopee_client_errors_total", {"endpoint": "overview", "kind": "not_owned"}) == err_before + 1
    assert _sample("shopee_client_request_duration_seconds_count", {"endpoint": "overview"}) == hist_before + 2
    for metric in REGISTRY.collect():
        if metric.name.startswith("shopee_client"):
            for sample in metric.samples:
                assert set(sample.labels) <= {"endpoint", "outcome", "kind", "le"}
                assert "/" not in sample.labels.get("endpoint", "")


async def test_per_account_rate_limit_and_global_cap(shopee: MockShopee) -> None:
    in_flight = 0
    peak = 0
    stamps: dict[str, list[float]] = {}

    async def slow_handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        stamps.setdefault(request.headers["cookie"], []).append(time.monotonic())
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(200, content=fixture_bytes("session_list.json"))

    settings = ClientSettings(
        base_url="http://shopee.test", per_account_rate=10, per_account_period=1.0, max_in_flight=3
    )
    accounts = [AccountContext.create(f"a{i}", COOKIE.replace("123456789", str(i))) for i in range(4)]
    async with ShopeeClient(settings, transport=httpx.MockTransport(slow_handler)) as client:
        started = time.monotonic()
        await asyncio.gather(*[client.session_list(a) for a in accounts for _ in range(15)])
        elapsed = time.monotonic() - started
    assert peak <= 3
    # 15 requests per account at 10/s (burst 10) need at least ~0.5 s
    assert elapsed >= 0.45
    for times in stamps.values():
        times.sort()
        for i in range(len(times) - 11):
            assert times[i + 11] - times[i] >= 0.1 - 1e-3  # bucket of 10, refilling at 10/s
