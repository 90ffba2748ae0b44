"""Contract tests: recorded-shape JSON of every endpoint parses into the right model (MockTransport)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shopee_client import AccountContext, ShopeeClient
from shopee_client.client.urls import live_share_url, product_url, shop_url
from shopee_client.models import QrState
from tests.shopee_client.kit import MockShopee

pytestmark = pytest.mark.unit

A = {"a": 1}

C = "/supply/api/lm/sellercenter"


async def test_user_info(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture(f"{C}/userInfo", "user_info.json")
    info = await client.user_info(account)
    assert info.user_id == 123456789
    assert info.user_name == "tokocantik.official"
    assert info.model_extra == {"shopId": 987654}


async def test_account_info_v4_envelope(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture("/api/v4/account/basic/get_account_info", "account_info.json")
    info = await client.account_info(account)
    assert (info.shop_id, info.user_id, info.username, info.nickname) == (
        987654,
        123456789,
        "tokocantik.official",
        "Toko Cantik",
    )


async def test_session_list(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture(f"{C}/realtime/sessionList", "session_list.json")
    page = await client.session_list(account, page=1, page_size=10)
    assert (page.page, page.page_size, page.total, page.total_page) == (1, 10, 2, 1)
    live, ended = page.items
    assert live.session_id == 142857001
    assert live.status == 1
    assert live.start_time == datetime(2025, 6, 2, 7, 0, tzinfo=UTC)
    assert live.duration == timedelta(milliseconds=5412345)
    assert live.duration_ms == 5412345
    assert live.end_time == live.start_time + timedelta(milliseconds=5412345)
    assert live.peak_viewers == 812
    assert live.avg_views_duration == timedelta(seconds=183)
    assert live.placed_sales == Decimal(17250000)
    assert isinstance(live.placed_sales, Decimal)
    assert live.conversion_rate == pytest.approx(0.0112)
    assert live.model_extra == {"shareCount": 45}  # unknown fields kept
    assert ended.cover_image == ""
    request = shopee.requests[0]
    assert request.url.params["pageSize"] == "10"
    assert request.url.params["sort"] == "desc"
    assert request.headers["x-region"] == "id"
    assert request.headers["x-region-domain"] == "co.id"
    assert request.headers["x-region-timezone"] == "+0700"
    assert request.headers["cookie"].startswith("SPC_EC=")


async def test_live_list_nulls_and_peak_views(
    client: ShopeeClient, shopee: MockShopee, account: AccountContext
) -> None:
    shopee.fixture(f"{C}/liveList/v2", "live_list_v2.json")
    page = await client.live_list(account, end_date=date(2025, 6, 2), time_dim="30d")
    with_nulls, full = page.items
    # JSON null stays None (unknown is not zero)
    assert with_nulls.views is None
    assert with_nulls.peak_viewers is None
    assert with_nulls.likes is None
    assert with_nulls.followers_growth is None
    assert with_nulls.product_clicks is None
    assert with_nulls.conversion_rate is None
    assert with_nulls.paid_orders is None
    assert with_nulls.paid_sales is None
    assert with_nulls.avg_engaged_ccu == 120.5
    assert with_nulls.placed_item_sold == 130
    assert full.peak_viewers == 210  # from peakViews
    assert full.paid_sales == Decimal(2700000)
    assert full.model_extra == {"newField2026": {"x": 1}}
    params = shopee.requests[0].url.params
    assert params["timeDim"] == "30d"
    assert params["endDate"] == "2025-06-02"


async def test_overview_misspellings_and_names(
    client: ShopeeClient, shopee: MockShopee, account: AccountContext
) -> None:
    shopee.fixture(f"{C}/realtime/dashboard/overview", "overview.json")
    ov = await client.overview(account, 142857001)
    assert ov.placed_orders == 115  # placedOrder (singular)
    assert ov.confirmed_orders == 98  # confirmedOrder
    assert ov.placed_gmv == Decimal(17250000)
    assert ov.peak_viewers == 812  # pcu
    assert ov.comments_within_last_one_minute == 23  # commentsWhithinLastOneMinute
    assert ov.atc_within_last_one_minute == 4
    assert ov.avg_view_time == timedelta(seconds=183)
    assert ov.avg_view_time_ms == 183000
    assert ov.avg_basket_size == Decimal(150000)
    assert ov.gmv_per_mille == Decimal(687250)
    assert ov.engagement_data is not None
    assert ov.engagement_data.new_followers == 87
    assert ov.engagement_data.avg_viewing_duration == timedelta(seconds=183)
    assert shopee.requests[0].url.params["sessionId"] == "142857001"


async def test_overview_missing_optional_block(
    client: ShopeeClient, shopee: MockShopee, account: AccountContext
) -> None:
    shopee.fixture(f"{C}/realtime/dashboard/overview", "overview_minimal.json")
    ov = await client.overview(account, 1)
    assert ov.engagement_data is None
    assert ov.buyers is None
    assert ov.placed_gmv == Decimal("17250000.5")  # float money read exactly
    assert ov.model_extra == {"someNewMetric": 7}


async def test_product_pages_walked(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    path = f"{C}/realtime/dashboard/productList"
    shopee.fixture(path, "product_list_page1.json")
    shopee.fixture(path, "product_list_page2.json")
    shopee.fixture(path, "product_list_page3.json")
    items = await client.all_products(account, 142857001, page_size=2)
    assert [i.item_id for i in items] == [20000000001, 20000000002, 20000000003, 20000000004, 20000000005]
    first = items[0]
    assert first.orders_created == 30
    assert first.confirmed_orders == 29  # confirmedOrderCnt
    assert first.revenue == Decimal(30 * 99000)
    assert first.min_price == Decimal(99000)
    pages = [r.url.params["page"] for r in shopee.requests]
    assert pages == ["1", "2", "3"]
    assert shopee.requests[0].url.params["productListOrderBy"] == "itemSold"


async def test_profiles_and_source(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture(f"{C}/realtime/dashboard/viewer-profile", "viewer_profile.json")
    shopee.fixture(f"{C}/realtime/dashboard/buyer-profile", "buyer_profile.json")
    shopee.fixture(f"{C}/realtime/dashboard/viewer-source", "viewer_source.json")
    viewers = await client.viewer_profile(account, 1)
    assert viewers[0].type == "gender"
    assert viewers[0].distribution[0].item_name == "Female"
    assert viewers[0].distribution[0].value == pytest.approx(0.71)
    buyers = await client.buyer_profile(account, 1)
    assert buyers[0].type == 1
    assert buyers[0].distribution[1].value is None
    source = await client.viewer_source(account, 1)
    assert [b.item_name for b in source.distribution] == ["Live Tab", "Follow"]


async def test_trends(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture(f"{C}/realtime/dashboard/trends", "trends.json")
    start = datetime(2025, 6, 2, 7, tzinfo=UTC)
    trends = await client.trends(account, 1, start_time=start, end_time=start + timedelta(hours=1), metrics=["ccu"])
    assert trends.trends["ccu"][1].time == start + timedelta(minutes=1)
    assert trends.trends["ccu"][1].value == Decimal(35)
    assert trends.trends["gmv"][1].value == Decimal(199000)
    params = shopee.requests[0].url.params
    assert params["metricTrend"] == "ccu"
    assert params["startTime"] == str(int(start.timestamp() * 1000))


async def test_ongoing_live_public(client: ShopeeClient, shopee: MockShopee) -> None:
    path = "/api/v1/shop_page/live/ongoing"
    shopee.fixture(path, "ongoing_live_on.json")
    shopee.fixture(path, "ongoing_live_off.json")
    on = await client.ongoing_live(123456789)
    assert on.is_live
    assert on.ongoing_live is not None
    assert on.ongoing_live.session_id == 142857001
    assert on.ongoing_live.model_extra == {"cover_pic": "abc", "ccu": 640}
    off = await client.ongoing_live(123456789)
    assert not off.is_live
    assert "cookie" not in shopee.requests[0].headers
    assert shopee.requests[0].url.params["uid"] == "123456789"


async def test_affiliate_money_units(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture("/api/v3/report/list", "affiliate_report.json")
    start = datetime(2025, 6, 1, tzinfo=UTC)
    report = await client.affiliate_report(account, purchase_time_start=start, purchase_time_end=start + timedelta(1))
    assert report.total_count == 2
    done, cancelled = report.items
    assert done.estimated_total_commission == Decimal("1234")
    assert done.estimated_total_commission_with_mcn == Decimal("1234.56789")  # exact, from a string
    assert done.purchase_time == datetime.fromtimestamp(1748850000, UTC)
    assert done.is_from_live
    assert done.orders[0].items[0].item_price == Decimal(99000)
    assert done.orders[0].items[0].model_extra == {"shop_id": 987654}
    assert cancelled.is_cancelled
    assert not cancelled.is_from_live
    request = shopee.requests[0]
    assert request.headers["affiliate-program-type"] == "1"
    assert request.url.params["purchase_time_s"] == str(int(start.timestamp()))
    assert request.url.params["version"] == "1"


async def test_qr_login_flow(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture("/api/v2/authentication/gen_qrcode", "gen_qrcode.json")
    status = "/api/v2/authentication/qrcode_status"
    shopee.fixture(status, "qrcode_status_new.json")
    shopee.fixture(status, "qrcode_status_scanned.json")
    shopee.fixture(status, "qrcode_status_confirmed.json")
    shopee.fixture(
        "/api/v2/authentication/qrcode_login",
        "qrcode_login.json",
        headers={"set-cookie": "SPC_ST=.newtoken; Path=/; Domain=.shopee.co.id; HttpOnly"},
    )
    qr = await client.gen_qrcode()
    assert qr.qrcode_id == "q-abc-123"
    result = await client.wait_for_qr_login(qr.qrcode_id, poll_interval=0)
    assert result.cookie_value() == "SPC_ST=.newtoken"
    assert result.user_id == 123456789
    assert "newtoken" not in repr(result)
    login_request = shopee.requests[-1]
    assert login_request.method == "POST"
    assert b'"qrcode_token":"tok-xyz"' in login_request.content
    # httpx's cookie jar is disabled: the new cookie never rides along on other requests
    shopee.fixture(f"{C}/userInfo", "user_info.json")
    await client.user_info(account)
    assert "newtoken" not in shopee.requests[-1].headers["cookie"]


async def test_qr_status_states(client: ShopeeClient, shopee: MockShopee) -> None:
    shopee.fixture("/api/v2/authentication/qrcode_status", "qrcode_status_confirmed.json")
    status = await client.qrcode_status("q")
    assert status.state is QrState.CONFIRMED
    assert status.qrcode_token == "tok-xyz"


async def test_seller_centre_raw_endpoints(client: ShopeeClient, shopee: MockShopee, account: AccountContext) -> None:
    shopee.fixture("/api/supply/lm/sellercenter/liveDetail", "live_detail.json")
    shopee.fixture("/api/supply/lm/sellercenter/liveCoordinate/v2", "live_coordinate.json")
    detail = await client.live_detail(account, 142857000)
    assert detail["performance"]["paidOrders"] == 90
    start = datetime(2025, 6, 1, 7, 0, 42, tzinfo=UTC)
    coords = await client.live_coordinate(account, 142857000, start_time=start, size_minutes=30)
    assert len(coords["list"]) == 2
    assert shopee.requests[-1].url.params["startTime"] == str(
        int(datetime(2025, 6, 1, 7, tzinfo=UTC).timestamp()) * 1000
    )


@pytest.mark.parametrize(
    ("method", "kwargs", "path", "body"),
    [
        ("streaming_promotions", {}, "/api/v4/streaming_promotion/streamer_selector/", {"code": 0, "data": {"a": 1}}),
        ("ads_promotions_today", {}, "/live_stream/get_promotions_today/", {"code": 0, "msg": "", "data": {"a": 1}}),
        ("ads_edit", {"payload": {"x": 1}}, "/live_stream/edit/", {"error": 0, "data": {"a": 1}}),
        ("ads_campaign_expense_today", {}, "/get_campaign_expense_today/", {"code": 0, "data": {"a": 1}}),
        ("ads_meta", {}, "/meta/get_ads_data/", {"code": 0, "data": {"a": 1}}),
        ("item_promotions", {}, "/api/v1/item/promotion", {"err_code": 0, "data": {"a": 1}}),
        ("item_promotion", {"promo_id": 55}, "/api/v1/item/promotion/55", {"err_code": 0, "data": {"a": 1}}),
        (
            "coin_start",
            {"session_id": 9, "payload": {}},
            "/api/v1/session/9/coin/start",
            {"err_code": 0, "data": {"a": 1}},
        ),
        ("coin_giveout", {"session_id": 9}, "/api/v1/session/9/coin/giveout", {"err_code": 0, "data": {"a": 1}}),
        ("coin_rewardinfo", {"session_id": 9}, "/api/v1/session/9/coin/rewardinfo", {"err_code": 0, "data": {"a": 1}}),
    ],
)
async def test_seed_endpoints_raw(
    client: ShopeeClient,
    shopee: MockShopee,
    account: AccountContext,
    method: str,
    kwargs: dict[str, Any],
    path: str,
    body: dict[str, Any],
) -> None:
    import json

    shopee.add(path, (200, json.dumps(body).encode(), {}))
    result = await getattr(client, method)(account, **kwargs)
    assert result == {"a": 1}
    assert shopee.requests[-1].url.path.endswith(path)


def test_url_builders() -> None:
    assert live_share_url(1, 2) == "https://live.shopee.co.id/share?from=live&session=1&share_user_id=2"
    assert product_url(3, 4) == "https://shopee.co.id/product/3/4"
    assert shop_url("toko cantik") == "https://shopee.co.id/toko%20cantik"
