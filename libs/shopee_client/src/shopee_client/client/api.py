"""`ShopeeClient`: one typed async method per Shopee endpoint, sharing one pooled transport.

Every method takes the `AccountContext` it acts for (except the cookie-less ones, which take a region) and
returns a pydantic model, or raises one of the errors in `shopee_client.client.errors`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from http.cookies import SimpleCookie
from types import TracebackType
from typing import Any, Literal

import httpx
from pydantic import SecretStr, TypeAdapter

from shopee_client.client.account import AccountContext
from shopee_client.client.endpoints import ENDPOINTS, Endpoint
from shopee_client.client.errors import ResponseShapeError, ShopeeError
from shopee_client.client.models import (
    AccountInfo,
    AffiliateReport,
    AudienceProfile,
    LiveHistoryItem,
    OngoingLive,
    Page,
    ProductItem,
    QrCode,
    QrLoginResult,
    QrState,
    QrStatus,
    SessionListItem,
    SessionOverview,
    SessionTrends,
    UserInfo,
)
from shopee_client.client.regions import INDONESIA, Region
from shopee_client.client.settings import ClientSettings
from shopee_client.client.transport import Transport
from shopee_client.clock import SimulatedClock

__all__ = ["ShopeeClient", "TimeDim"]

TimeDim = Literal["1d", "7d", "15d", "30d"]
ProductOrder = Literal["productClicks", "itemSold"]

_SESSION_PAGE = TypeAdapter(Page[SessionListItem])
_HISTORY_PAGE = TypeAdapter(Page[LiveHistoryItem])
_PRODUCT_PAGE = TypeAdapter(Page[ProductItem])
_PROFILES = TypeAdapter(list[AudienceProfile])

DEFAULT_TREND_METRICS = (
    "ccu",
    "engagedCcu",
    "entering",
    "addToCart",
    "order",
    "gmv",
    "confirmedGmv",
    "confirmedOrder",
    "comment",
)


def _ms(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("datetimes passed to the client must be timezone-aware")
    return int(value.timestamp() * 1000)


def _raw(data: Any, _: httpx.Response) -> Any:
    return data


def _cookie_from_response(response: httpx.Response) -> str:
    """Merge the response's Set-Cookie headers into one `name=value; …` cookie string."""
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return "; ".join(f"{k}={morsel.value}" for k, morsel in jar.items())


class ShopeeClient:
    """Typed async client for the Shopee Live endpoints. Create one per process and share it.

    ```python
    async with ShopeeClient(ClientSettings(base_url="http://127.0.0.1:8900")) as client:
        account = AccountContext.create("acct-1", cookie)
        page = await client.session_list(account)
    ```
    `transport` (e.g. `httpx.MockTransport`) or a ready `http_client` can be injected for tests.
    """

    def __init__(
        self,
        settings: ClientSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings or ClientSettings()
        self._transport = Transport(self.settings, transport=transport, http_client=http_client)

    async def __aenter__(self) -> ShopeeClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared `httpx.AsyncClient` (one per process)."""
        return self._transport.http

    async def _call(
        self,
        name: str,
        account: AccountContext | None,
        parse: Any = _raw,
        *,
        region: Region | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        path_params: dict[str, Any] | None = None,
        session_id: int | None = None,
    ) -> Any:
        endpoint: Endpoint = ENDPOINTS[name]
        return await self._transport.request(
            endpoint,
            account,
            parse,
            region=region,
            params=params,
            json=json,
            path_params=path_params,
            session_id=session_id,
        )

    # --- account -------------------------------------------------------------------------------------------

    async def user_info(self, account: AccountContext) -> UserInfo:
        """Cheap cookie probe: `…/userInfo` → userId, userName, avatar. Raises `AuthExpired` on a bad cookie."""
        return await self._call("user_info", account, lambda d, _: UserInfo.model_validate(d))  # type: ignore[no-any-return]

    async def account_info(self, account: AccountContext) -> AccountInfo:
        """`shopee.<d>/api/v4/account/basic/get_account_info` → shop id, username, nickname."""
        return await self._call("account_info", account, lambda d, _: AccountInfo.model_validate(d))  # type: ignore[no-any-return]

    # --- session lists -------------------------------------------------------------------------------------

    async def session_list(
        self,
        account: AccountContext,
        *,
        page: int = 1,
        page_size: int = 50,
        name: str = "",
        order_by: str = "",
        sort: str = "desc",
    ) -> Page[SessionListItem]:
        """`…/realtime/sessionList`: live and recently ended sessions (about 3 days), newest first."""
        params = {"page": page, "pageSize": page_size, "name": name, "orderBy": order_by, "sort": sort}
        return await self._call(  # type: ignore[no-any-return]
            "session_list", account, lambda d, _: _SESSION_PAGE.validate_python(d), params=params
        )

    async def all_sessions(self, account: AccountContext, *, page_size: int = 100) -> list[SessionListItem]:
        """Every row of `sessionList`, walking all pages."""
        first = await self.session_list(account, page=1, page_size=page_size)
        items = list(first.items)
        for page in range(2, first.total_page + 1):
            items.extend((await self.session_list(account, page=page, page_size=page_size)).items)
        return items

    async def live_list(
        self,
        account: AccountContext,
        *,
        end_date: date,
        time_dim: TimeDim = "30d",
        page: int = 1,
        page_size: int = 50,
        name: str = "",
        order_by: str = "",
        sort: str = "desc",
    ) -> Page[LiveHistoryItem]:
        """`…/liveList/v2`: ended sessions whose shop-local start date is in the `time_dim` window ending on
        `end_date` (inclusive). Walk 30-day windows back for backfill (`31d` is not accepted by Shopee)."""
        params = {
            "page": page,
            "pageSize": page_size,
            "name": name,
            "orderBy": order_by,
            "sort": sort,
            "timeDim": time_dim,
            "endDate": end_date.isoformat(),
        }
        return await self._call(  # type: ignore[no-any-return]
            "live_list", account, lambda d, _: _HISTORY_PAGE.validate_python(d), params=params
        )

    async def all_live_history(
        self, account: AccountContext, *, end_date: date, time_dim: TimeDim = "30d", page_size: int = 100
    ) -> list[LiveHistoryItem]:
        """Every row of one `liveList/v2` window, walking all pages."""
        first = await self.live_list(account, end_date=end_date, time_dim=time_dim, page=1, page_size=page_size)
        items = list(first.items)
        for page in range(2, first.total_page + 1):
            more = await self.live_list(account, end_date=end_date, time_dim=time_dim, page=page, page_size=page_size)
            items.extend(more.items)
        return items

    # --- per-session dashboard -----------------------------------------------------------------------------

    async def overview(self, account: AccountContext, session_id: int) -> SessionOverview:
        """`…/realtime/dashboard/overview`: cumulative figures of one session. `NotOwned` if not the account's."""
        return await self._call(  # type: ignore[no-any-return]
            "overview",
            account,
            lambda d, _: SessionOverview.model_validate(d),
            params={"sessionId": session_id},
            session_id=session_id,
        )

    async def product_list(
        self,
        account: AccountContext,
        session_id: int,
        *,
        page: int = 1,
        page_size: int = 100,
        order_by: ProductOrder = "itemSold",
        sort: str = "desc",
        product_name: str = "",
        time_range: int = 0,
    ) -> Page[ProductItem]:
        """One page of `…/realtime/dashboard/productList` (page_size up to 500)."""
        params = {
            "sessionId": session_id,
            "productName": product_name,
            "productListTimeRange": time_range,
            "productListOrderBy": order_by,
            "sort": sort,
            "page": page,
            "pageSize": page_size,
        }
        return await self._call(  # type: ignore[no-any-return]
            "product_list",
            account,
            lambda d, _: _PRODUCT_PAGE.validate_python(d),
            params=params,
            session_id=session_id,
        )

    async def all_products(
        self,
        account: AccountContext,
        session_id: int,
        *,
        page_size: int = 100,
        order_by: ProductOrder = "itemSold",
    ) -> list[ProductItem]:
        """Every product of a session, walking all pages of `productList` (deduplicated by item id, since
        the ordering can shift between pages while the session is live)."""
        first = await self.product_list(account, session_id, page=1, page_size=page_size, order_by=order_by)
        seen: dict[int, ProductItem] = {p.item_id: p for p in first.items}
        for page in range(2, first.total_page + 1):
            more = await self.product_list(account, session_id, page=page, page_size=page_size, order_by=order_by)
            for item in more.items:
                seen.setdefault(item.item_id, item)
        return list(seen.values())

    async def viewer_profile(self, account: AccountContext, session_id: int) -> list[AudienceProfile]:
        return await self._call(  # type: ignore[no-any-return]
            "viewer_profile",
            account,
            lambda d, _: _PROFILES.validate_python(d),
            params={"sessionId": session_id},
            session_id=session_id,
        )

    async def buyer_profile(self, account: AccountContext, session_id: int) -> list[AudienceProfile]:
        return await self._call(  # type: ignore[no-any-return]
            "buyer_profile",
            account,
            lambda d, _: _PROFILES.validate_python(d),
            params={"sessionId": session_id},
            session_id=session_id,
        )

    async def viewer_source(self, account: AccountContext, session_id: int) -> AudienceProfile:
        return await self._call(  # type: ignore[no-any-return]
            "viewer_source",
            account,
            lambda d, _: AudienceProfile.model_validate(d),
            params={"sessionId": session_id},
            session_id=session_id,
        )

    async def trends(
        self,
        account: AccountContext,
        session_id: int,
        *,
        start_time: datetime,
        end_time: datetime,
        metrics: Sequence[str] = DEFAULT_TREND_METRICS,
    ) -> SessionTrends:
        """`…/realtime/dashboard/trends`: `trends[metric] = [TrendPoint(time, value)]`."""
        params = {
            "sessionId": session_id,
            "startTime": _ms(start_time),
            "endTime": _ms(end_time),
            "metricTrend": ",".join(metrics),
        }
        return await self._call(  # type: ignore[no-any-return]
            "trends", account, lambda d, _: SessionTrends.model_validate(d), params=params, session_id=session_id
        )

    async def live_detail(self, account: AccountContext, session_id: int) -> dict[str, Any]:
        """Seller-centre `liveDetail` of an ended session: raw `data{liveInfo, performance, …}`."""
        return await self._dict_call("live_detail", account, params={"sessionId": session_id}, session_id=session_id)

    async def live_coordinate(
        self, account: AccountContext, session_id: int, *, start_time: datetime, size_minutes: int
    ) -> dict[str, Any]:
        """Seller-centre `liveCoordinate/v2`: per-minute points from `start_time` (floored to the minute)."""
        start_ms = _ms(start_time) // 60_000 * 60_000
        params = {"sessionId": session_id, "startTime": start_ms, "size": size_minutes}
        return await self._dict_call("live_coordinate", account, params=params, session_id=session_id)

    # --- public probe, affiliate ---------------------------------------------------------------------------

    async def ongoing_live(self, user_id: int, *, region: Region = INDONESIA) -> OngoingLive:
        """Cookie-less `live.shopee.<d>/api/v1/shop_page/live/ongoing?uid=`: is this seller live now."""
        return await self._call(  # type: ignore[no-any-return]
            "ongoing_live",
            None,
            lambda d, _: OngoingLive.model_validate(d if d is not None else {}),
            region=region,
            params={"uid": user_id},
        )

    async def affiliate_report(
        self,
        account: AccountContext,
        *,
        purchase_time_start: datetime,
        purchase_time_end: datetime,
        page_num: int = 1,
        page_size: int = 500,
    ) -> AffiliateReport:
        """`affiliate.shopee.<d>/api/v3/report/list` (purchase window in unix seconds; money in 1/100000)."""
        params = {
            "page_num": page_num,
            "page_size": page_size,
            "purchase_time_s": _ms(purchase_time_start) // 1000,
            "purchase_time_e": _ms(purchase_time_end) // 1000,
            "version": 1,
        }
        return await self._call(  # type: ignore[no-any-return]
            "affiliate_report", account, lambda d, _: AffiliateReport.model_validate(d), params=params
        )

    # --- QR login ------------------------------------------------------------------------------------------

    async def gen_qrcode(self, *, region: Region = INDONESIA) -> QrCode:
        return await self._call("gen_qrcode", None, lambda d, _: QrCode.model_validate(d), region=region)  # type: ignore[no-any-return]

    async def qrcode_status(self, qrcode_id: str, *, region: Region = INDONESIA) -> QrStatus:
        return await self._call(  # type: ignore[no-any-return]
            "qrcode_status",
            None,
            lambda d, _: QrStatus.model_validate(d),
            region=region,
            params={"qrcode_id": qrcode_id},
        )

    async def qrcode_login(
        self, qrcode_token: str, *, region: Region = INDONESIA, device_fingerprint: str = ""
    ) -> QrLoginResult:
        """Exchange a confirmed QR token for session cookies (read from the `Set-Cookie` headers)."""
        body = {
            "qrcode_token": qrcode_token,
            "device_sz_fingerprint": device_fingerprint,
            "client_identifier": {"security_device_fingerprint": device_fingerprint},
        }

        def parse(data: Any, response: httpx.Response) -> QrLoginResult:
            cookie = _cookie_from_response(response)
            if not cookie:
                raise ResponseShapeError(
                    "qrcode_login returned no Set-Cookie", endpoint="qrcode_login", fields=("set-cookie",)
                )
            user_id: int | None = None
            if isinstance(data, dict):
                raw_uid = data.get("userid", data.get("user_id"))
                user_id = int(raw_uid) if isinstance(raw_uid, int | str) and str(raw_uid).isdigit() else None
            return QrLoginResult(
                cookie=SecretStr(cookie), user_id=user_id, data=data if isinstance(data, dict) else None
            )

        return await self._call("qrcode_login", None, parse, region=region, json=body)  # type: ignore[no-any-return]

    async def wait_for_qr_login(
        self,
        qrcode_id: str,
        *,
        region: Region = INDONESIA,
        poll_interval: float = 1.0,
        timeout: float = 300.0,
    ) -> QrLoginResult:
        """Poll `qrcode_status` until CONFIRMED, then `qrcode_login`. Raises `ShopeeError` if the code expires
        and `TimeoutError` after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                status = await self.qrcode_status(qrcode_id, region=region)
                if status.state is QrState.CONFIRMED and status.qrcode_token:
                    return await self.qrcode_login(status.qrcode_token, region=region)
                if status.state is QrState.EXPIRED:
                    raise ShopeeError("QR code expired", endpoint="qrcode_status")
                await asyncio.sleep(poll_interval)

    # --- seed endpoints with unknown shapes (raw data) -----------------------------------------------------

    async def _dict_call(
        self,
        name: str,
        account: AccountContext,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        path_params: dict[str, Any] | None = None,
        session_id: int | None = None,
    ) -> dict[str, Any]:
        data = await self._call(name, account, params=params, json=json, path_params=path_params, session_id=session_id)
        if data is None:
            return {}
        if not isinstance(data, dict):
            return {"value": data}
        return data

    async def streaming_promotions(self, account: AccountContext, **params: Any) -> dict[str, Any]:
        """`seller.shopee.<d>/api/v4/streaming_promotion/streamer_selector/` (raw data)."""
        return await self._dict_call("streaming_promotions", account, params=params)

    async def ads_promotions_today(self, account: AccountContext, **params: Any) -> dict[str, Any]:
        """`seller-app…/api/app/pas/v1/live_stream/get_promotions_today/` (raw data)."""
        return await self._dict_call("ads_promotions_today", account, params=params)

    async def ads_edit(self, account: AccountContext, payload: dict[str, Any]) -> dict[str, Any]:
        """`POST seller-app…/api/app/pas/v1/live_stream/edit/` (raw data)."""
        return await self._dict_call("ads_edit", account, json=payload)

    async def ads_campaign_expense_today(self, account: AccountContext, **params: Any) -> dict[str, Any]:
        """`seller-app…/live_stream/get_campaign_expense_today/` (raw data)."""
        return await self._dict_call("ads_campaign_expense_today", account, params=params)

    async def ads_meta(self, account: AccountContext, **params: Any) -> dict[str, Any]:
        """`seller-app…/api/app/pas/v1/meta/get_ads_data/` (raw data)."""
        return await self._dict_call("ads_meta", account, params=params)

    async def item_promotions(self, account: AccountContext, **params: Any) -> dict[str, Any]:
        """`live.shopee.<d>/api/v1/item/promotion` (raw data)."""
        return await self._dict_call("item_promotions", account, params=params)

    async def item_promotion(self, account: AccountContext, promo_id: int | str) -> dict[str, Any]:
        """`live.shopee.<d>/api/v1/item/promotion/{promoId}` (raw data)."""
        return await self._dict_call("item_promotion", account, path_params={"promo_id": promo_id})

    async def coin_start(self, account: AccountContext, session_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        """`POST live.shopee.<d>/api/v1/session/{id}/coin/start` (raw data)."""
        return await self._dict_call("coin_start", account, json=payload, path_params={"session_id": session_id})

    async def coin_giveout(self, account: AccountContext, session_id: int, **params: Any) -> dict[str, Any]:
        """`GET live.shopee.<d>/api/v1/session/{id}/coin/giveout` (a GET, as in the Shopee app; raw data)."""
        return await self._dict_call("coin_giveout", account, params=params, path_params={"session_id": session_id})

    async def coin_rewardinfo(self, account: AccountContext, session_id: int) -> dict[str, Any]:
        """`GET live.shopee.<d>/api/v1/session/{id}/coin/rewardinfo` (raw data)."""
        return await self._dict_call("coin_rewardinfo", account, path_params={"session_id": session_id})

    # --- simulator -----------------------------------------------------------------------------------------

    async def fetch_sim_clock(self, base_url: str | None = None) -> SimulatedClock:
        """Read `GET /__sim/clock` from the simulator and return a `SimulatedClock` that tracks it."""
        url = (base_url or self.settings.base_url or "").rstrip("/")
        if not url:
            raise ValueError("fetch_sim_clock needs the simulator's base URL")
        response = await self.http.get(f"{url}/__sim/clock")
        response.raise_for_status()
        return SimulatedClock.from_payload(response.json())
