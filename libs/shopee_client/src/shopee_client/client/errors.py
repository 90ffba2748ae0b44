"""The client's error taxonomy: every failed call ends in exactly one of these types.

    ShopeeClientError
    ├── AuthExpired        code 30001, HTTP 401, error/err_code 90309999 (login required / anti-bot)
    ├── RateLimited        HTTP 429
    ├── Transient          5xx, timeouts, connection errors, truncated or invalid JSON (retried)
    ├── NotOwned           empty `data` on a session endpoint: the session belongs to another account
    ├── ShopeeError        any other non-zero envelope code, or an unexpected HTTP status (code, message)
    │   └── NotFound       HTTP 404 (wrong path or missing region headers)
    └── ResponseShapeError the response parsed as JSON but does not match the model (endpoint, field)

Messages never contain the cookie: they carry the endpoint name, the account id and Shopee's code/message.
"""

from __future__ import annotations

__all__ = [
    "AuthExpired",
    "NotFound",
    "NotOwned",
    "RateLimited",
    "ResponseShapeError",
    "ShopeeClientError",
    "ShopeeError",
    "Transient",
]


class ShopeeClientError(Exception):
    """Base of every error raised by `shopee_client`."""

    kind = "error"

    def __init__(self, message: str, *, endpoint: str = "", account_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.account_id = account_id

    def __str__(self) -> str:
        where = f"[{self.endpoint}]" if self.endpoint else ""
        who = f"[account={self.account_id}]" if self.account_id else ""
        return f"{where}{who} {self.message}".strip()


class AuthExpired(ShopeeClientError):
    """The cookie is expired or rejected: the account needs to log in again (QR flow)."""

    kind = "auth_expired"

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        account_id: str | None = None,
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, account_id=account_id)
        self.code = code
        self.http_status = http_status


class RateLimited(ShopeeClientError):
    """HTTP 429: slow down. Not retried by default (see `ClientSettings.retry_rate_limited`)."""

    kind = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        account_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, account_id=account_id)
        self.retry_after = retry_after


class Transient(ShopeeClientError):
    """A failure worth retrying: 5xx, timeout, connection error, truncated/invalid JSON."""

    kind = "transient"

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        account_id: str | None = None,
        http_status: int | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(message, endpoint=endpoint, account_id=account_id)
        self.http_status = http_status
        self.reason = reason  # "http_5xx" | "timeout" | "connection" | "invalid_json"


class NotOwned(ShopeeClientError):
    """Empty `data` for a session endpoint: the session id belongs to another account (or does not exist)."""

    kind = "not_owned"

    def __init__(
        self, message: str, *, endpoint: str = "", account_id: str | None = None, session_id: int | None = None
    ) -> None:
        super().__init__(message, endpoint=endpoint, account_id=account_id)
        self.session_id = session_id


class ShopeeError(ShopeeClientError):
    """A non-zero envelope code (other than the auth ones), or an unexpected HTTP status."""

    kind = "shopee_error"

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        account_id: str | None = None,
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, account_id=account_id)
        self.code = code
        self.http_status = http_status


class NotFound(ShopeeError):
    """HTTP 404: a wrong path (e.g. missing `realtime/`) or missing region headers."""

    kind = "not_found"


class ResponseShapeError(ShopeeClientError):
    """The response is valid JSON but does not match the expected model: names the endpoint and field(s)."""

    kind = "response_shape"

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        account_id: str | None = None,
        fields: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, endpoint=endpoint, account_id=account_id)
        self.fields = fields

    @property
    def field(self) -> str:
        """The first offending field path, e.g. `data.list.0.placedOrders`."""
        return self.fields[0] if self.fields else ""
