"""Models of the QR login flow on `shopee.<d>/api/v2/authentication/…` (§1)."""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, SecretStr

from shopee_client.client.models.base import SnakeShopeeModel

__all__ = ["QrCode", "QrLoginResult", "QrState", "QrStatus"]


class QrState(enum.StrEnum):
    NEW = "NEW"
    SCANNED = "SCANNED"
    CONFIRMED = "CONFIRMED"
    EXPIRED = "EXPIRED"


class QrCode(SnakeShopeeModel):
    """`gen_qrcode` → `data{qrcode_id, qrcode_base64}` (a PNG, base64)."""

    qrcode_id: str
    qrcode_base64: str = ""


class QrStatus(SnakeShopeeModel):
    """`qrcode_status` → `data{status, qrcode_token?}`; the token is present once `CONFIRMED`."""

    status: str
    qrcode_token: str | None = None

    @property
    def state(self) -> QrState | None:
        try:
            return QrState(self.status)
        except ValueError:
            return None


class QrLoginResult(BaseModel):
    """The outcome of `qrcode_login`: the new cookie string (from Set-Cookie) and the body's data."""

    model_config = ConfigDict(frozen=True)

    cookie: SecretStr
    user_id: int | None = None
    data: dict[str, object] | None = None

    def cookie_value(self) -> str:
        return self.cookie.get_secret_value()
