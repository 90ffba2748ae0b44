"""The account context every call takes: who is asking (our id, Shopee cookie) and in which region.

The cookie is a `SecretStr`: it never shows in `repr()`, `str()`, logs or exceptions. Only the transport reads
it, to build the `cookie` request header.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shopee_client.client.regions import INDONESIA, Region

__all__ = ["AccountContext"]


class AccountContext(BaseModel):
    """One Shopee account as the client sees it.

    `account_id` is the caller's own identifier (used for rate limiting and logs, never in metric labels).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    account_id: str
    cookie: SecretStr
    region: Region = Field(default=INDONESIA)

    @classmethod
    def create(cls, account_id: str, cookie: str, region: Region = INDONESIA) -> AccountContext:
        return cls(account_id=account_id, cookie=SecretStr(cookie), region=region)

    def cookie_value(self) -> str:
        return self.cookie.get_secret_value()

    def with_cookie(self, cookie: str) -> AccountContext:
        """A copy with a new cookie (after a QR login)."""
        return self.model_copy(update={"cookie": SecretStr(cookie)})

    def __repr__(self) -> str:
        return f"AccountContext(account_id={self.account_id!r}, region={self.region.domain!r}, cookie='**********')"

    __str__ = __repr__
