"""Who is calling, once per request: the bearer token read and verified, the caller metered, then admitted or refused.

Every route but the ops routes (`/health`, `/metrics`, `/schema`) needs a valid bearer token: the
`Authorization: Bearer …` header, or on the SSE route `?access_token=` (EventSource cannot send headers). Before
that verdict every caller is metered by a token bucket (`ratelimit.TokenBuckets`): by the token's subject, or by the
client address when there is no valid token, so that guessing tokens is limited too. A refused request is a 429 or
401 problem+json (raised here, rendered by the app's exception handling); an admitted one carries its `Principal`
as `request.user` and its token's expiry (epoch seconds) as `request.auth` (the SSE route ends its stream then).

The client address is the TCP peer's: uvicorn rewrites it from `X-Forwarded-For` only when the peer is one of
`GATEWAY_TRUSTED_PROXIES` (`server.uvicorn_config`), so a header sent by anyone else cannot pick a fresh bucket.

One plain ASGI middleware does both jobs because both need the caller: the header is read and the token verified
once, and Litestar's middleware wrappers (path-pattern checks and a connection object per layer) are not paid on
every request.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from livestudio_gateway.auth import InvalidToken, Principal, TokenVerifier
from livestudio_gateway.metrics import RATE_LIMITED
from livestudio_gateway.problems import RateLimited, Unauthorized
from livestudio_gateway.ratelimit import TokenBuckets

_GUARDED = (ScopeType.HTTP, ScopeType.WEBSOCKET)
Admitted = tuple[Principal, float | None]
"""A caller and when its credential expires (epoch seconds; None: a service key, valid until revoked)."""
Resolver = Callable[[Scope], Awaitable[Admitted | None]]
"""identity (issue #18): resolves session cookies, service keys and organisation tokens (None: not its business)."""
LIVE_PATH_PREFIX = "/api/v1/live"
"""The SSE route, where the token may also come as `?access_token=`."""


def bearer_token(scope: Scope) -> str | None:
    """The token of the first Authorization header when it is a Bearer one; on the SSE route without that header,
    the `access_token` query parameter."""
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    if scope["path"].startswith(LIVE_PATH_PREFIX):
        for key, query_token in parse_qsl(scope["query_string"].decode("latin-1")):
            if key == "access_token":
                return query_token or None
    return None


class CallerMiddleware:
    """Sets `scope["user"]` to the caller's `Principal`, or raises `RateLimited` / `Unauthorized`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: TokenVerifier,
        buckets: TokenBuckets | None,
        exclude_prefixes: tuple[str, ...],
        resolve: Resolver | None = None,
    ) -> None:
        self.app = app
        self.resolve = resolve
        self.verifier = verifier
        self.buckets = buckets
        self.exclude_prefixes = exclude_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in _GUARDED and not scope["path"].startswith(self.exclude_prefixes):
            found = await self.resolve(scope) if self.resolve is not None else None  # identity (issue #18)
            principal, expires_at = self._admit(scope, found)
            scope["user"] = principal
            scope["auth"] = expires_at
        await self.app(scope, receive, send)

    def _admit(self, scope: Scope, found: Admitted | None = None) -> tuple[Principal, float | None]:
        token = bearer_token(scope)
        principal: Principal | None = None
        expires_at: float | None = None
        if found is not None:
            principal, expires_at = found
        elif token is not None:
            with contextlib.suppress(InvalidToken):  # refused below, once the attempt is metered
                principal, expires_at = self.verifier.verify_with_expiry(token)
        if self.buckets is not None and scope["type"] == ScopeType.HTTP:
            wait = self.buckets.take(_client_key(scope, principal))
            if wait > 0:
                RATE_LIMITED.inc()
                raise RateLimited("too many requests; slow down", headers={"Retry-After": str(max(1, math.ceil(wait)))})
        if principal is None:
            raise Unauthorized() if token is None else Unauthorized("the bearer token is invalid or expired")
        return principal, expires_at


def _client_key(scope: Scope, principal: Principal | None) -> str:
    if principal is not None:
        return "sub:" + principal.sub
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")
