"""Models of the account endpoints: creator `userInfo` and shop `get_account_info`."""

from __future__ import annotations

from pydantic import Field

from shopee_client.client.models.base import ShopeeModel, SnakeShopeeModel

__all__ = ["AccountInfo", "UserInfo"]


class UserInfo(ShopeeModel):
    """`GET …/lm/sellercenter/userInfo` → `data{avatar, userName, userId}` (the cheap cookie probe)."""

    user_id: int
    user_name: str
    avatar: str | None = None


class AccountInfo(SnakeShopeeModel):
    """`GET shopee.<d>/api/v4/account/basic/get_account_info` → `data{shopid, username, nickname, …}`."""

    username: str
    shop_id: int | None = Field(default=None, alias="shopid")
    user_id: int | None = Field(default=None, alias="userid")
    nickname: str | None = None
