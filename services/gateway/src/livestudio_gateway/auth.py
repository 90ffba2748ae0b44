"""Who is calling and what they may see: JWT verification, the caller's `Principal` and studio scoping rules.

Tokens are HS256 JWTs with the claims `sub`, `role` (`owner|manager|host|service`), `studios` (list of studio ids)
and `host_id` (role host), plus `exp` (and `iss`/`aud` when configured). Roles:

* `owner` sees and changes the studios of their organisation (claim `org`, resolved by `identity`); a token
  without `org` (operators, the token CLI) sees and changes every studio;
* `manager` sees and changes the studios in the token;
* `host` sees only their own sessions, statements and performance, in the studios of the token;
* `service` reads (never writes) the studios in the token; `"*"` grants every studio (for other teams' jobs).

Every read is filtered by `Principal.studio_scope`; a resource outside it is answered 404 (its existence is not
revealed), an explicit filter naming a studio outside it 403.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Final, Literal, cast, get_args

import jwt

from livestudio_gateway.problems import Forbidden

Role = Literal["owner", "manager", "host", "service"]
ROLES: Final = frozenset(get_args(Role))
WRITERS: Final = frozenset({"owner", "manager"})
ALL_STUDIOS: Final = "*"
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
_ID_RE = re.compile(ID_PATTERN)
ALGORITHM: Final = "HS256"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired, wrongly signed or carries invalid claims."""


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    role: Role
    studios: frozenset[str]
    host_id: str | None = None
    # --- identity (issue #18): the caller's organisation and browser session, when signed in through identity.
    # A principal with an `org` sees exactly `studios` (resolved from the organisation by identity.resolve);
    # only a token without `org` (operators, token CLI) may see every studio.
    org: str | None = None
    sid: str | None = None

    @property
    def all_studios(self) -> bool:
        if self.org is not None:
            return False
        return self.role == "owner" or (self.role == "service" and ALL_STUDIOS in self.studios)

    @property
    def studio_scope(self) -> list[str] | None:
        """Studio ids the caller may read; None means every studio."""
        return None if self.all_studios else sorted(self.studios)

    def sees_studio(self, studio_id: str) -> bool:
        return self.all_studios or studio_id in self.studios

    @property
    def is_host(self) -> bool:
        return self.role == "host"

    @property
    def can_write(self) -> bool:
        return self.role in WRITERS


def is_valid_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    sub = claims.get("sub")
    role = claims.get("role")
    studios = claims.get("studios", [])
    host_id = claims.get("host_id")
    if not isinstance(sub, str) or not sub or len(sub) > 200:
        raise InvalidToken("claim sub must be a non-empty string")
    if role not in ROLES:
        raise InvalidToken(f"claim role must be one of {sorted(ROLES)}")
    if not isinstance(studios, list) or len(studios) > 1000:
        raise InvalidToken("claim studios must be a list of studio ids")
    for studio in studios:
        if not isinstance(studio, str) or not (studio == ALL_STUDIOS or is_valid_id(studio)):
            raise InvalidToken("claim studios must be a list of studio ids")
    if role == "host":
        if not isinstance(host_id, str) or not is_valid_id(host_id):
            raise InvalidToken("role host needs a host_id claim")
    elif host_id is not None and not isinstance(host_id, str):
        raise InvalidToken("claim host_id must be a string")
    org, sid = claims.get("org"), claims.get("sid")  # identity (issue #18)
    for value in (org, sid):
        if value is not None and not (isinstance(value, str) and is_valid_id(value)):
            raise InvalidToken("claims org and sid must be ids")
    return Principal(
        sub=sub,
        role=cast(Role, role),
        studios=frozenset(studios),
        host_id=host_id if role == "host" else None,
        org=org,
        sid=sid,
    )


class TokenVerifier:
    """Verifies bearer tokens; a verified token is cached until it expires (verification is on every request)."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_s: int = 30,
        cache_size: int = 10_000,
    ) -> None:
        if not secret:
            raise ValueError("a JWT secret is required")
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_s
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None:
            principal, expires = cached
            if now <= expires + self._leeway:
                return principal
            del self._cache[token]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        principal = principal_from_claims(claims)
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[token] = (principal, float(claims["exp"]))
        return principal

    def __repr__(self) -> str:
        return "TokenVerifier(secret=[REDACTED])"


def mint_token(
    secret: str,
    *,
    sub: str,
    role: Role,
    studios: list[str] | None = None,
    host_id: str | None = None,
    ttl_s: int = 12 * 3600,
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
    org: str | None = None,
    sid: str | None = None,
) -> str:
    """A signed token with the gateway's claims (the `tokens` CLI and tests use it)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"sub": sub, "role": role, "studios": studios or [], "iat": issued, "exp": issued + ttl_s}
    if host_id is not None:
        claims["host_id"] = host_id
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    if org is not None:  # identity (issue #18)
        claims["org"] = org
    if sid is not None:
        claims["sid"] = sid
    principal_from_claims(claims)  # refuse to mint what the gateway would reject
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# --- scoping rules -----------------------------------------------------------------------------------------
def studio_filter(principal: Principal, requested: str | None) -> list[str] | None:
    """Studios a read is limited to: the requested one (403 when not visible) or the caller's scope."""
    if requested is not None:
        if not principal.sees_studio(requested):
            raise Forbidden(f"studio {requested!r} is outside your scope")
        return [requested]
    return principal.studio_scope


def host_filter(principal: Principal, requested: str | None) -> str | None:
    """Host a read is limited to: a host always sees only themselves."""
    if principal.is_host:
        if requested is not None and requested != principal.host_id:
            raise Forbidden("hosts see only their own figures")
        return principal.host_id
    return requested


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role!r} may not do this")


def require_writer(principal: Principal, studio_id: str | None) -> None:
    """Commands: owners anywhere; managers in their studios; hosts and services never."""
    if not principal.can_write:
        raise Forbidden(f"role {principal.role!r} is read-only here")
    if studio_id is None:
        if principal.role != "owner" or principal.org is not None:
            raise Forbidden("only an operator may change what belongs to no studio")
        return
    if not principal.sees_studio(studio_id):
        raise Forbidden(f"studio {studio_id!r} is outside your scope")
