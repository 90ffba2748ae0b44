"""`Identity`: what one gateway holds for identity (settings, repository, password hasher, mailer, caches) and
`resolve`, the caller middleware's hook that turns a session cookie, a service key or an organisation's token into
the caller's `Principal`, re-read from the database (at most `principal_cache_s` old, dropped on every change on
this replica), so that a removed person or an ended session is refused at once. Sign-in and sessions live in
`sessions.py`, the people and keys of an organisation in `people.py`.
"""

from __future__ import annotations

import contextvars
import hmac
import re
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Final, Literal

import structlog
from asyncpg import Record
from litestar.types import Scope

from livestudio_gateway.auth import InvalidToken, Principal, Role, TokenVerifier
from livestudio_gateway.caller import Admitted, bearer_token
from livestudio_gateway.identity import credentials
from livestudio_gateway.identity.mail import Mailer
from livestudio_gateway.identity.passwords import Passwords
from livestudio_gateway.identity.repository import IdentityRepository
from livestudio_gateway.problems import ApiError, BadRequest, Forbidden, RateLimited, Unauthorized
from livestudio_gateway.ratelimit import TokenBuckets
from livestudio_gateway.repository import Repository
from livestudio_gateway.settings import GatewaySettings

log = structlog.get_logger(__name__)

CURRENT_CALLER: contextvars.ContextVar[tuple[Principal, str | None] | None] = contextvars.ContextVar(
    "livestudio_caller", default=None
)
"""The caller of the current request and their address, set by `Identity.resolve` (the audit trail reads it)."""

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_STUDIO_PUT = re.compile(r"^/api/v1/studios/([A-Za-z0-9][A-Za-z0-9_.:@-]{0,127})\Z")
WRONG_CREDENTIALS: Final = "the email or password is wrong"
InviteRole = Literal["manager", "host"]


class InvalidLink(BadRequest):
    """A one-time link that is unknown, used, revoked or expired."""

    slug = "invalid-link"


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    csrf_token: str
    session_id: str
    expires_in: int
    user: Record


def normalise_email(email: str) -> str:
    return email.strip().lower()


def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def effective_studios(role: str, own: list[str] | None, org_studios: list[str] | None) -> list[str]:
    """Studios a user sees: an owner every studio of the organisation, others theirs that the organisation owns."""
    org = set(org_studios or [])
    if role == "owner":
        return sorted(org)
    return sorted(set(own or []) & org)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            try:
                jar: SimpleCookie = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return None
            morsel = jar.get(name)
            if morsel is not None and morsel.value:
                return morsel.value
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class Identity:
    def __init__(self, settings: GatewaySettings, verifier: TokenVerifier) -> None:
        self.settings = settings
        self.verifier = verifier
        self.passwords = Passwords(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            max_concurrent=settings.argon2_max_concurrent,
        )
        self.mailer = Mailer(settings)
        self.public_buckets = (
            TokenBuckets(settings.auth_rate_per_minute, settings.auth_rate_burst)
            if settings.rate_limit_enabled
            else None
        )
        """Per client address on the public routes (sign-in, reset, invitations), beside sign-in's own delays."""
        self.csrf_keys = verifier.keys.derive("livestudio-csrf")
        """One CSRF key per JWT key, the first signing (`auth.JwtKeys.derive`): rotation keeps sessions valid."""
        self._repo: IdentityRepository | None = None
        self.reads: Repository | None = None
        """The gateway's read repository (set at start-up): does a studio exist already."""
        self._sessions: dict[tuple[str, str], tuple[Principal, float]] = {}
        self._keys: dict[str, tuple[bytes, Principal | None, float]] = {}
        self._key_touched: dict[str, float] = {}
        self._ended: set[str] = set()

    # --- lifecycle -------------------------------------------------------------------------------------------
    def start(self, repo: IdentityRepository) -> None:
        self._repo = repo

    def stop(self) -> None:
        self._repo = None

    @property
    def repo(self) -> IdentityRepository:
        if self._repo is None:
            raise ApiError("identity is not started", status_code=503, slug="unavailable")
        return self._repo

    def forget(self) -> None:
        """Drop every resolved session and key (after a change of users, roles, sessions or keys)."""
        self._sessions.clear()
        self._keys.clear()

    # --- resolving a request's caller (the caller middleware's hook) ----------------------------------------
    async def resolve(self, scope: Scope) -> Admitted | None:
        """The caller of a request and when its credential expires (None for a service key), or None when the
        request carries nothing identity knows (the middleware then answers 401 or verifies the bearer token
        itself). Raises Unauthorized for an ended session or a bad key, Forbidden for a cookie-authenticated write
        without the CSRF token."""
        token = bearer_token(scope)
        from_cookie = False
        if token is None:
            token = _cookie(scope, credentials.ACCESS_COOKIE)
            from_cookie = token is not None
        if token is None:
            return None
        expires_at: float | None = None
        if token.startswith(credentials.SERVICE_KEY_PREFIX):
            principal = await self._service_key(token, scope)
        else:
            try:
                principal, expires_at = self.verifier.verify_with_expiry(token)
            except InvalidToken:
                if from_cookie:
                    raise Unauthorized("the session has expired; refresh it or sign in again") from None
                return None
            if from_cookie and scope.get("method", "GET") not in SAFE_METHODS and not self._csrf_ok(principal, scope):
                raise Forbidden("a write with the session cookie needs the X-CSRF-Token header", slug="csrf")
            if principal.org is not None:
                principal = await self._session_principal(principal, scope)
        CURRENT_CALLER.set((principal, client_address(scope)))
        return principal, expires_at

    def _csrf_ok(self, principal: Principal, scope: Scope) -> bool:
        presented = _header(scope, credentials.CSRF_HEADER.encode())
        return principal.sid is not None and credentials.csrf_ok(self.csrf_keys, principal.sid, presented)

    async def still_signed_in(self, principal: Principal) -> bool:
        """Whether a signed-in caller's session is still live (an open SSE stream asks at each keep-alive, so a
        removed person's or a signed-out session's stream ends within one keep-alive on every replica). Callers
        without a session (operators' tokens, service keys) are judged by their credential's expiry alone."""
        if principal.sid is None:
            return True
        try:
            await self._live_principal(principal)
        except Unauthorized:
            return False
        return True

    async def _session_principal(self, claimed: Principal, scope: Scope) -> Principal:
        principal = await self._live_principal(claimed)
        if principal.role == "owner" and scope.get("method") == "PUT":
            # A studio created through the API is registered to the creator's organisation (audit.py does that
            # once the command is published): an owner may name a studio that does not exist yet. One that exists
            # without an organisation (an operator's) is not theirs to take.
            match = _STUDIO_PUT.match(scope["path"])
            if (
                match
                and match.group(1) not in principal.studios
                and await self.repo.studio_org(match.group(1)) is None
                and self.reads is not None
                and not await self.reads.studios(None, match.group(1))
            ):
                principal = Principal(
                    sub=principal.sub,
                    role=principal.role,
                    studios=principal.studios | {match.group(1)},
                    org=principal.org,
                    sid=principal.sid,
                )
        return principal

    async def _live_principal(self, claimed: Principal) -> Principal:
        """The caller as identity knows them now (role, studios), while their session lives (cached
        `principal_cache_s`); Unauthorized once it has ended."""
        if claimed.sid is None:
            raise Unauthorized("an organisation's token must belong to a session")
        if claimed.sid in self._ended:
            raise Unauthorized("the session has ended; sign in again")
        key = (claimed.sub, claimed.sid)
        now = time.monotonic()
        cached = self._sessions.get(key)
        if cached is not None and now - cached[1] <= self.settings.principal_cache_s:
            return cached[0]
        row = await self.repo.live_session(claimed.sid, claimed.sub)
        if row is None:
            self._sessions.pop(key, None)
            if len(self._ended) > 100_000:
                self._ended.clear()
            self._ended.add(claimed.sid)  # an ended session never comes back: no more lookups for it
            raise Unauthorized("the session has ended; sign in again")
        role: Role = row["role"]
        principal = Principal(
            sub=row["user_id"],
            role=role,
            studios=frozenset(effective_studios(role, row["studios"], row["org_studios"])),
            host_id=row["host_id"] if role == "host" else None,
            org=row["org_id"],
            sid=claimed.sid,
        )
        if len(self._sessions) > 10_000:
            self._sessions.clear()
        self._sessions[key] = (principal, now)
        return principal

    async def _service_key(self, token: str, scope: Scope) -> Principal:
        parsed = credentials.parse_service_key(token)
        if parsed is None:
            raise Unauthorized("the service key is invalid or revoked")
        key_id, secret_hash = parsed
        now = time.monotonic()
        cached = self._keys.get(key_id)
        if cached is None or now - cached[2] > self.settings.principal_cache_s:
            # a lookup is metered per address (guessed keys must not turn into unlimited database queries)
            if self.public_buckets is not None and self.public_buckets.take(f"key:{client_address(scope)}") > 0:
                raise RateLimited("too many service-key lookups; slow down", headers={"Retry-After": "1"})
            row = await self.repo.service_key(key_id)
            principal: Principal | None = None
            stored = b""
            if row is not None and row["revoked_at"] is None:
                stored = bytes(row["secret_hash"])
                scope = row["studios"]
                studios = row["org_studios"] if "*" in scope else sorted(set(scope) & set(row["org_studios"]))
                principal = Principal(
                    sub=f"key:{key_id}", role="service", studios=frozenset(studios), org=row["org_id"]
                )
            if len(self._keys) > 10_000:
                self._keys.clear()
            cached = (stored, principal, now)
            self._keys[key_id] = cached
        stored, found, _ = cached
        if found is None or not hmac.compare_digest(stored, secret_hash):
            raise Unauthorized("the service key is invalid or revoked")
        if now - self._key_touched.get(key_id, -1e9) >= 60:
            self._key_touched[key_id] = now
            await self.repo.touch_service_key(key_id)
        return found

    def check_password(self, password: str) -> None:
        if len(password) < self.settings.password_min_length:
            raise BadRequest(f"a password needs at least {self.settings.password_min_length} characters")

    # --- audit trail ---------------------------------------------------------------------------------------
    async def audit(
        self,
        *,
        org_id: str | None,
        actor: str,
        role: str | None,
        action: str,
        target: str | None = None,
        studio_id: str | None = None,
        detail: dict[str, Any] | None = None,
        address: str | None = None,
    ) -> None:
        await self.repo.audit(
            org_id=org_id,
            actor=actor,
            actor_role=role,
            action=action,
            target=target,
            studio_id=studio_id,
            detail=detail or {},
            address=address,
        )
