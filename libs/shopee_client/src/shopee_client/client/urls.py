"""Builders for the user-facing Shopee links (share link of a live, product page, shop page)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from shopee_client.client.regions import INDONESIA, Region

__all__ = ["live_share_url", "product_url", "shop_url"]


def live_share_url(session_id: int, share_user_id: int, *, region: Region = INDONESIA) -> str:
    """`https://live.shopee.<d>/share?from=live&session={id}&share_user_id={uid}`."""
    query = urlencode({"from": "live", "session": session_id, "share_user_id": share_user_id})
    return f"https://live.shopee.{region.domain}/share?{query}"


def product_url(shop_id: int, item_id: int, *, region: Region = INDONESIA) -> str:
    """`https://shopee.<d>/product/{shopId}/{itemId}`."""
    return f"https://shopee.{region.domain}/product/{shop_id}/{item_id}"


def shop_url(shop_name: str, *, region: Region = INDONESIA) -> str:
    """`https://shopee.<d>/{shopName}`."""
    return f"https://shopee.{region.domain}/{quote(shop_name, safe='')}"
