"""Typed response models of the Shopee endpoints (Shopee names as aliases, snake_case inside)."""

from shopee_client.client.models.account import AccountInfo, UserInfo
from shopee_client.client.models.affiliate import AffiliateCheckout, AffiliateItem, AffiliateOrder, AffiliateReport
from shopee_client.client.models.auth import QrCode, QrLoginResult, QrState, QrStatus
from shopee_client.client.models.base import Page, ShopeeModel
from shopee_client.client.models.dashboard import (
    AudienceProfile,
    EngagementData,
    ProductItem,
    ProfileBucket,
    SessionOverview,
    SessionTrends,
    TrendPoint,
)
from shopee_client.client.models.public import OngoingLive, OngoingLiveInfo
from shopee_client.client.models.sessions import LiveHistoryItem, SessionListItem

__all__ = [
    "AccountInfo",
    "AffiliateCheckout",
    "AffiliateItem",
    "AffiliateOrder",
    "AffiliateReport",
    "AudienceProfile",
    "EngagementData",
    "LiveHistoryItem",
    "OngoingLive",
    "OngoingLiveInfo",
    "Page",
    "ProductItem",
    "ProfileBucket",
    "QrCode",
    "QrLoginResult",
    "QrState",
    "QrStatus",
    "SessionListItem",
    "SessionOverview",
    "SessionTrends",
    "ShopeeModel",
    "TrendPoint",
    "UserInfo",
]
