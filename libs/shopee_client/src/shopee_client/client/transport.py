"""The HTTP layer: one pooled `httpx.AsyncClient`, throttling, retries, envelope checks and error mapping.

Per call: wait for the account's rate limiter (aiolimiter token bucket), then a global in-flight slot
(`slots.Slots`; calls inside `follow_up()` are served first), send, and classify the response into data or
one typed error (see `errors.py`). Only `Transient` failures are retried (and `RateLimited` if
`retry_rate_limited`), with exponential backoff and full jitter (tenacity); every attempt passes through the
limiter again. Metrics are recorded per attempt. The cookie only ever goes into the request header; httpx's
cookie jar is disabled so that a `Set-Cookie` from one account can never leak into another account's requests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, TypeVar

import httpx
import pydantic
import pydantic_core
import structlog
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from shopee_client.client.account import AccountContext
from shopee_client.client.endpoints import Endpoint, Envelope
from shopee_client.client.errors import (
    AuthExpired,
    NotFound,
    NotOwned,
    RateLimited,
    ResponseShapeError,
    ShopeeClientError,
    ShopeeError,
    Transient,
)
from shopee_client.client.metrics import ERRORS, IN_FLIGHT, LATENCY, REQUESTS, RETRIES
from shopee_client.client.pool import ShardedTransport
from shopee_client.client.regions import HostFamily, Region
from shopee_client.client.settings import ClientSettings
from shopee_client.client.slots import Slots

__all__ = ["Transport", "shape_error_from_validation"]

T = TypeVar("T")
Parser = Callable[[Any, httpx.Response], T]

log = structlog.get_logger("shopee_client")

CODE_COOKIE_EXPIRED = 30001
CODE_LOGIN_REQUIRED = 90309999


def _no_cookie_jar() -> CookieJar:
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def shape_error_from_validation(
    exc: pydantic.ValidationError, *, endpoint: str, account_id: str | None, prefix: str = "data"
) -> ResponseShapeError:
    """Turn a pydantic error into a `ResponseShapeError` naming the endpoint and the Shopee field path(s)."""
    fields: list[str] = []
    details: list[str] = []
    for err in exc.errors(include_url=False, include_input=False):
        path = ".".join([prefix, *(str(p) for p in err["loc"])])
        fields.append(path)
        details.append(f"{path}: {err['msg']}")
    message = f"unexpected response shape from {endpoint}: " + "; ".join(details[:5])
    return ResponseShapeError(message, endpoint=endpoint, account_id=account_id, fields=tuple(fields))


def _is_empty(data: Any) -> bool:
    return data is None or (isinstance(data, dict | list) and len(data) == 0)


class Transport:
    """Sends requests for all accounts of the process through one `httpx.AsyncClient`."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self._owns_http = http_client is None
        limits = httpx.Limits(
            max_connections=settings.max_connections,
            max_keepalive_connections=settings.max_keepalive_connections,
            keepalive_expiry=settings.keepalive_expiry,
        )
        if transport is None and settings.pool_shards != 1:
            shards = settings.pool_shards or max(1, math.ceil(settings.max_in_flight / 4))
            if shards > 1:
                transport = ShardedTransport(shards, limits)
        self.http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.write_timeout,
                pool=settings.pool_timeout,
            ),
            limits=limits,
            headers={"accept": "application/json", "user-agent": settings.user_agent},
            cookies=_no_cookie_jar(),
            follow_redirects=False,
        )
        self._limiters: dict[str, AsyncLimiter] = {}
        self._semaphore: Slots | None = None

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    def _limiter(self, key: str) -> AsyncLimiter:
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = AsyncLimiter(self.settings.per_account_rate, self.settings.per_account_period)
            self._limiters[key] = limiter
        return limiter

    def _slots(self) -> Slots:
        if self._semaphore is None:
            self._semaphore = Slots(self.settings.max_in_flight)
        return self._semaphore

    def _headers(self, endpoint: Endpoint, region: Region, account: AccountContext | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if endpoint.region_headers:
            headers.update(region.headers())
        if endpoint.family in (HostFamily.CREATOR, HostFamily.SELLER_CENTRE):
            headers["referer"] = f"https://creator.shopee.{region.domain}/insight/live/list"
        elif endpoint.family is HostFamily.AFFILIATE:
            headers["affiliate-program-type"] = "1"
            headers["referer"] = f"https://affiliate.shopee.{region.domain}/report/conversion_report"
        if account is not None and endpoint.needs_cookie:
            headers["cookie"] = account.cookie_value()
        return headers

    async def request(
        self,
        endpoint: Endpoint,
        account: AccountContext | None,
        parse: Parser[T],
        *,
        region: Region | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        path_params: Mapping[str, Any] | None = None,
        session_id: int | None = None,
    ) -> T:
        """Send one logical call (with retries) and return `parse(data, response)`; raise a typed error."""
        reg = region or (account.region if account is not None else None)
        if reg is None:
            raise ValueError("a region is needed when no account is given")
        path = endpoint.path.format(**path_params) if path_params else endpoint.path
        url = self.settings.url(reg, endpoint.family, path)
        headers = self._headers(endpoint, reg, account)
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        account_id = account.account_id if account is not None else None
        limiter_key = account_id if account_id is not None else f"anon:{endpoint.family.value}"

        retry_types: tuple[type[BaseException], ...] = (Transient,)
        if self.settings.retry_rate_limited:
            retry_types = (Transient, RateLimited)

        def before_sleep(state: RetryCallState) -> None:
            RETRIES.labels(endpoint.name).inc()
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "shopee_retry",
                endpoint=endpoint.name,
                account_id=account_id,
                attempt=state.attempt_number,
                error=type(exc).__name__ if exc else None,
                reason=getattr(exc, "reason", None),
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(retry_types),
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=wait_random_exponential(multiplier=self.settings.backoff_initial, max=self.settings.backoff_max),
            before_sleep=before_sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(
                    endpoint,
                    account_id,
                    limiter_key,
                    parse,
                    url=url,
                    headers=headers,
                    params=clean_params,
                    json=json,
                    session_id=session_id,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        endpoint: Endpoint,
        account_id: str | None,
        limiter_key: str,
        parse: Parser[T],
        *,
        url: str,
        headers: dict[str, str],
        params: dict[str, Any],
        json: Any,
        session_id: int | None,
    ) -> T:
        await self._limiter(limiter_key).acquire()
        async with self._slots().hold():
            IN_FLIGHT.inc()
            started = time.perf_counter()
            try:
                result = await self._send_and_parse(
                    endpoint,
                    account_id,
                    parse,
                    url=url,
                    headers=headers,
                    params=params,
                    json=json,
                    session_id=session_id,
                )
            except ShopeeClientError as exc:
                LATENCY.labels(endpoint.name).observe(time.perf_counter() - started)
                REQUESTS.labels(endpoint.name, exc.kind).inc()
                ERRORS.labels(endpoint.name, exc.kind).inc()
                raise
            finally:
                IN_FLIGHT.dec()
        LATENCY.labels(endpoint.name).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint.name, "ok").inc()
        return result

    async def _send_and_parse(
        self,
        endpoint: Endpoint,
        account_id: str | None,
        parse: Parser[T],
        *,
        url: str,
        headers: dict[str, str],
        params: dict[str, Any],
        json: Any,
        session_id: int | None,
    ) -> T:
        name = endpoint.name
        try:
            response = await self.http.request(endpoint.method, url, params=params, headers=headers, json=json)
        except httpx.TimeoutException:
            raise Transient("request timed out", endpoint=name, account_id=account_id, reason="timeout") from None
        except httpx.TransportError as exc:
            raise Transient(
                f"connection error: {type(exc).__name__}", endpoint=name, account_id=account_id, reason="connection"
            ) from None

        status = response.status_code
        if status == 401:
            raise AuthExpired("HTTP 401: logged out", endpoint=name, account_id=account_id, http_status=401)
        if status == 429:
            retry_after = response.headers.get("retry-after")
            raise RateLimited(
                "HTTP 429: rate limited",
                endpoint=name,
                account_id=account_id,
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        if status >= 500:
            raise Transient(
                f"HTTP {status}", endpoint=name, account_id=account_id, http_status=status, reason="http_5xx"
            )
        if status == 404:
            raise NotFound(
                "HTTP 404: wrong path or missing region headers", endpoint=name, account_id=account_id, http_status=404
            )
        if status >= 400 or status < 200:
            raise ShopeeError(f"HTTP {status}", endpoint=name, account_id=account_id, http_status=status)

        try:
            body = pydantic_core.from_json(response.content)
        except ValueError:
            raise Transient(
                "truncated or invalid JSON body", endpoint=name, account_id=account_id, reason="invalid_json"
            ) from None
        if not isinstance(body, dict):
            raise ResponseShapeError(
                "response body is not a JSON object", endpoint=name, account_id=account_id, fields=("$",)
            )
        data = self._check_envelope(endpoint, account_id, body)
        if endpoint.session_scoped and _is_empty(data):
            raise NotOwned(
                f"empty data for session {session_id}: it belongs to another account or does not exist",
                endpoint=name,
                account_id=account_id,
                session_id=session_id,
            )
        try:
            return parse(data, response)
        except pydantic.ValidationError as exc:
            raise shape_error_from_validation(exc, endpoint=name, account_id=account_id) from None

    @staticmethod
    def _check_envelope(endpoint: Endpoint, account_id: str | None, body: dict[str, Any]) -> Any:
        name = endpoint.name
        envelope = endpoint.envelope
        if envelope is Envelope.AUTO:
            for candidate in (Envelope.CODE, Envelope.ERROR, Envelope.ERR_CODE):
                if candidate.code_field in body:
                    envelope = candidate
                    break
            else:
                return body.get("data", body)
        code = body.get(envelope.code_field, ...)
        if code is ...:
            raise ResponseShapeError(
                f"envelope field {envelope.code_field!r} missing",
                endpoint=name,
                account_id=account_id,
                fields=(envelope.code_field,),
            )
        if code is None:
            code = 0
        if isinstance(code, bool) or not isinstance(code, int):
            raise ResponseShapeError(
                f"envelope field {envelope.code_field!r} is not an integer",
                endpoint=name,
                account_id=account_id,
                fields=(envelope.code_field,),
            )
        if code == 0:
            return body.get("data")
        message = str(body.get(envelope.message_field) or "")
        if code in (CODE_COOKIE_EXPIRED, CODE_LOGIN_REQUIRED):
            raise AuthExpired(
                f"code {code}: {message or 'login required'}", endpoint=name, account_id=account_id, code=code
            )
        raise ShopeeError(f"code {code}: {message}", endpoint=name, account_id=account_id, code=code)
