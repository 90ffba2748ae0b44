"""Public routes of identity, `/api/v1/auth/*`: sign-in, refresh, sign-out, password reset, accepting an
invitation (the organisation's routes are in `org_handlers.py`, both assembled by `routes.py`).

Browser sessions: sign-in and refresh set `ls_access` (the access JWT, HttpOnly, path /api), `ls_refresh`
(HttpOnly, path /api/v1/auth) and `ls_csrf` (readable by the page); all SameSite=Strict, Secure over TLS.
Refresh and sign-out, which go by cookie, need `X-CSRF-Token`; so does every write authenticated by `ls_access`.
The public routes are limited per client address; sign-in has its own growing delays (`service.Identity`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Final

from litestar import Request, Response, post
from litestar.datastructures import Cookie, State
from litestar.params import CookieParameter, HeaderParameter, JSONBody

from livestudio_gateway.handlers.common import API_PREFIX
from livestudio_gateway.identity import credentials, people, sessions
from livestudio_gateway.identity.models import (
    AcceptBody,
    Accepted,
    ResetConfirmBody,
    ResetRequestBody,
    SignedIn,
    SignInBody,
    User,
)
from livestudio_gateway.identity.service import Identity, Tokens
from livestudio_gateway.problems import RateLimited, Unavailable, problem_responses
from livestudio_gateway.state import Gateway

AUTH: Final = "/auth"
PUBLIC_PREFIX: Final = API_PREFIX + AUTH
"""Routes the caller middleware lets through without a credential."""
PUBLIC = problem_responses((400, 401, 403, 429, 503))
PUBLIC_WRITES = problem_responses((400, 401, 403, 409, 429, 503))
ANONYMOUS: Final[list[dict[str, list[str]]]] = [{}]

PublicRequest = Request[Any, Any, State]
RefreshCookie = Annotated[
    str | None,
    CookieParameter(
        name=credentials.REFRESH_COOKIE, max_length=200, pattern=r"^[A-Za-z0-9_-]+\Z", description="set by sign-in"
    ),
]
CsrfHeader = Annotated[
    str | None,
    HeaderParameter(
        name="X-CSRF-Token", max_length=128, pattern=r"^[0-9a-f]+\Z", description="csrf_token of the session"
    ),
]


# --- helpers ------------------------------------------------------------------------------------------------------
def _identity(request: PublicRequest) -> Identity:
    gw: Gateway = request.app.state.gateway
    if gw.identity is None:
        raise Unavailable("identity is disabled on this gateway")
    return gw.identity


def address(request: PublicRequest) -> str | None:
    return request.client.host if request.client else None


def _limit_public(request: PublicRequest) -> None:
    buckets = _identity(request).public_buckets
    if buckets is None:
        return
    wait = buckets.take("ip:" + (address(request) or "unknown"))
    if wait > 0:
        raise RateLimited("too many requests; slow down", headers={"Retry-After": str(max(1, math.ceil(wait)))})


def _secure(request: PublicRequest, identity: Identity) -> bool:
    configured = identity.settings.cookie_secure
    return configured if configured is not None else request.url.scheme == "https"


def _session_cookies(request: PublicRequest, identity: Identity, tokens: Tokens | None) -> list[Cookie]:
    """The three cookies of a browser session (expired ones when `tokens` is None: sign-out)."""
    secure = _secure(request, identity)
    s = identity.settings
    values = (
        (credentials.ACCESS_COOKIE, tokens.access_token if tokens else "", "/api", True, s.access_ttl_s),
        (credentials.REFRESH_COOKIE, tokens.refresh_token if tokens else "", PUBLIC_PREFIX, True, s.session_ttl_s),
        (credentials.CSRF_COOKIE, tokens.csrf_token if tokens else "", "/", False, s.session_ttl_s),
    )
    return [
        Cookie(
            key=name,
            value=value,
            path=path,
            httponly=httponly,
            secure=secure,
            samesite="strict",
            max_age=max_age if tokens else 0,
        )
        for name, value, path, httponly, max_age in values
    ]


def user_view(row: Any) -> User:
    return User(
        user_id=row["user_id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        studios=list(row["studios"]),
        host_id=row["host_id"],
        created_at=row["created_at"],
    )


def _signed_in(request: PublicRequest, identity: Identity, tokens: Tokens) -> Response[SignedIn]:
    body = SignedIn(
        access_token=tokens.access_token,
        token_type="Bearer",  # noqa: S106 - the scheme's name, not a secret
        expires_in=tokens.expires_in,
        csrf_token=tokens.csrf_token,
        org_id=tokens.user["org_id"],
        user=user_view(tokens.user),
    )
    return Response(
        body,
        cookies=_session_cookies(request, identity, tokens),
        headers={"Cache-Control": "no-store"},
    )


# --- public: sign-in and sessions ---------------------------------------------------------------------------------
@post(
    f"{AUTH}/signin",
    summary="Sign in with email and password",
    description="Sets the session cookies and returns the access token. A wrong email and a wrong password get "
    "the same 401; repeated failures per account and per address get 429 with a growing Retry-After.",
    tags=["auth"],
    status_code=200,
    responses=PUBLIC,
    security=ANONYMOUS,
)
async def sign_in(request: PublicRequest, data: JSONBody[SignInBody]) -> Response[SignedIn]:
    _limit_public(request)
    identity = _identity(request)
    tokens = await sessions.sign_in(identity, data.email, data.password, address(request))
    return _signed_in(request, identity, tokens)


@post(
    f"{AUTH}/refresh",
    summary="Rotate the session's refresh token and get a new access token",
    description="Needs the `ls_refresh` cookie and `X-CSRF-Token`. A refresh token works once: presenting a used "
    "one ends the whole session.",
    tags=["auth"],
    status_code=200,
    responses=PUBLIC,
    security=ANONYMOUS,
)
async def refresh(
    request: PublicRequest, refresh_cookie: RefreshCookie = None, csrf: CsrfHeader = None
) -> Response[SignedIn]:
    _limit_public(request)
    identity = _identity(request)
    tokens = await sessions.refresh(identity, refresh_cookie, csrf, address(request))
    return _signed_in(request, identity, tokens)


@post(
    f"{AUTH}/signout",
    summary="End the browser session",
    description="Needs the `ls_refresh` cookie and `X-CSRF-Token`; clears the cookies.",
    tags=["auth"],
    status_code=204,
    responses=PUBLIC,
    security=ANONYMOUS,
)
async def sign_out(
    request: PublicRequest, refresh_cookie: RefreshCookie = None, csrf: CsrfHeader = None
) -> Response[None]:
    _limit_public(request)
    identity = _identity(request)
    await sessions.sign_out(identity, refresh_cookie, csrf, address(request))
    return Response(None, status_code=204, cookies=_session_cookies(request, identity, None))


@post(
    f"{AUTH}/password-reset",
    summary="Mail a one-time password reset link",
    description="Always 202, whether or not the email has an account.",
    tags=["auth"],
    status_code=202,
    responses=PUBLIC,
    security=ANONYMOUS,
)
async def request_reset(request: PublicRequest, data: JSONBody[ResetRequestBody]) -> Accepted:
    _limit_public(request)
    sessions.request_reset(_identity(request), data.email, address(request))
    return Accepted(status="accepted")


@post(
    f"{AUTH}/password-reset/confirm",
    summary="Set a new password with a reset link's token",
    description="Ends every session of the account.",
    tags=["auth"],
    status_code=204,
    responses=PUBLIC,
    security=ANONYMOUS,
)
async def confirm_reset(request: PublicRequest, data: JSONBody[ResetConfirmBody]) -> None:
    _limit_public(request)
    await sessions.confirm_reset(_identity(request), data.token, data.password, address(request))


@post(
    f"{AUTH}/invitations/accept",
    summary="Accept an invitation: create the account with a password",
    tags=["auth"],
    status_code=201,
    responses=PUBLIC_WRITES,
    security=ANONYMOUS,
)
async def accept_invitation(request: PublicRequest, data: JSONBody[AcceptBody]) -> User:
    _limit_public(request)
    user = await people.accept(_identity(request), data.token, data.password, data.name, address(request))
    return user_view(user)


ROUTES = [sign_in, refresh, sign_out, request_reset, confirm_reset, accept_invitation]
