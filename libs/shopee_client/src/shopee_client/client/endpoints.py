"""The endpoint table: name (the bounded metric label), host family, path, method and envelope of each call.

Paths are the real Shopee paths. The simulator imports this table too, so both sides agree on every path.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from shopee_client.client.regions import CREATOR_PREFIX, SELLER_CENTRE_PREFIX, HostFamily

__all__ = ["ENDPOINTS", "Endpoint", "Envelope"]


class Envelope(enum.Enum):
    """Which field carries the status code (and which the message)."""

    CODE = ("code", "msg")  # creator / seller centre / affiliate
    ERROR = ("error", "error_msg")  # shopee.<d>/api/v2, /api/v4
    ERR_CODE = ("err_code", "err_msg")  # live.shopee.<d>/api/v1
    AUTO = ("", "")  # shape unknown: whichever of the three is present

    @property
    def code_field(self) -> str:
        return self.value[0]

    @property
    def message_field(self) -> str:
        return self.value[1]


_FAMILY_ENVELOPE = {
    HostFamily.CREATOR: Envelope.CODE,
    HostFamily.SELLER_CENTRE: Envelope.CODE,
    HostFamily.AFFILIATE: Envelope.CODE,
    HostFamily.SHOP: Envelope.ERROR,
    HostFamily.LIVE: Envelope.ERR_CODE,
    HostFamily.SELLER: Envelope.AUTO,
    HostFamily.SELLER_APP: Envelope.AUTO,
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    family: HostFamily
    path: str  # may hold {placeholders}
    method: str = "GET"
    session_scoped: bool = False  # empty data means "not your session" (NotOwned)
    needs_cookie: bool = True
    region_headers: bool = True
    envelope_override: Envelope | None = None

    @property
    def envelope(self) -> Envelope:
        return self.envelope_override or _FAMILY_ENVELOPE[self.family]


_C = CREATOR_PREFIX
_S = SELLER_CENTRE_PREFIX
_ADS = "/api/app/pas/v1"

ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("user_info", HostFamily.CREATOR, f"{_C}/userInfo"),
        Endpoint("session_list", HostFamily.CREATOR, f"{_C}/realtime/sessionList"),
        Endpoint("live_list", HostFamily.CREATOR, f"{_C}/liveList/v2"),
        Endpoint("overview", HostFamily.CREATOR, f"{_C}/realtime/dashboard/overview", session_scoped=True),
        Endpoint("product_list", HostFamily.CREATOR, f"{_C}/realtime/dashboard/productList", session_scoped=True),
        Endpoint("viewer_profile", HostFamily.CREATOR, f"{_C}/realtime/dashboard/viewer-profile", session_scoped=True),
        Endpoint("buyer_profile", HostFamily.CREATOR, f"{_C}/realtime/dashboard/buyer-profile", session_scoped=True),
        Endpoint("viewer_source", HostFamily.CREATOR, f"{_C}/realtime/dashboard/viewer-source", session_scoped=True),
        Endpoint("trends", HostFamily.CREATOR, f"{_C}/realtime/dashboard/trends", session_scoped=True),
        Endpoint("live_detail", HostFamily.SELLER_CENTRE, f"{_S}/liveDetail", session_scoped=True),
        Endpoint("live_coordinate", HostFamily.SELLER_CENTRE, f"{_S}/liveCoordinate/v2", session_scoped=True),
        Endpoint("account_info", HostFamily.SHOP, "/api/v4/account/basic/get_account_info"),
        Endpoint("gen_qrcode", HostFamily.SHOP, "/api/v2/authentication/gen_qrcode", needs_cookie=False),
        Endpoint("qrcode_status", HostFamily.SHOP, "/api/v2/authentication/qrcode_status", needs_cookie=False),
        Endpoint(
            "qrcode_login", HostFamily.SHOP, "/api/v2/authentication/qrcode_login", method="POST", needs_cookie=False
        ),
        Endpoint(
            "ongoing_live",
            HostFamily.LIVE,
            "/api/v1/shop_page/live/ongoing",
            needs_cookie=False,
            region_headers=False,
        ),
        Endpoint("affiliate_report", HostFamily.AFFILIATE, "/api/v3/report/list"),
        Endpoint("streaming_promotions", HostFamily.SELLER, "/api/v4/streaming_promotion/streamer_selector/"),
        Endpoint("ads_promotions_today", HostFamily.SELLER_APP, f"{_ADS}/live_stream/get_promotions_today/"),
        Endpoint("ads_edit", HostFamily.SELLER_APP, f"{_ADS}/live_stream/edit/", method="POST"),
        Endpoint(
            "ads_campaign_expense_today", HostFamily.SELLER_APP, f"{_ADS}/live_stream/get_campaign_expense_today/"
        ),
        Endpoint("ads_meta", HostFamily.SELLER_APP, f"{_ADS}/meta/get_ads_data/"),
        Endpoint("item_promotions", HostFamily.LIVE, "/api/v1/item/promotion"),
        Endpoint("item_promotion", HostFamily.LIVE, "/api/v1/item/promotion/{promo_id}"),
        Endpoint("coin_start", HostFamily.LIVE, "/api/v1/session/{session_id}/coin/start", method="POST"),
        Endpoint("coin_giveout", HostFamily.LIVE, "/api/v1/session/{session_id}/coin/giveout"),
        Endpoint("coin_rewardinfo", HostFamily.LIVE, "/api/v1/session/{session_id}/coin/rewardinfo"),
    )
}
