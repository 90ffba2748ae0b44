"""Who is calling and what they may see: JWT verification, the caller's `Principal` and studio scoping rules.

Tokens are HS256 JWTs with the claims `sub`, `role` (`owner|manager|host|service`), `studios` (list of studio ids)
and `host_id` (role host), plus `exp`, `iss` and `aud` (all required and checked). `JwtKeys` holds the keys: the
first signs, every one verifies (rotation without downtime); a token names its key in the `kid` header. `mint_token`
is the only place tokens are made. Roles:

* `owner` sees and changes the studios of their organisation (claim `org`, resolved by `identity`); a token
  without `org` (operators, the token CLI) sees and changes every studio;
* `manager` sees and changes the studios in the token;
* `host` sees only their own sessions, statements and performance, in the studios of the token;
* `service` reads (never writes) the studios in the token; `"*"` grants every studio (for other teams' jobs).

Every read is filtered by `Principal.studio_scope`; a resource outside it is answered 404 (its existence is not
revealed), an explicit filter naming a studio outside it 403.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal, cast, get_args

import jwt

from livestudio_gateway.problems import Forbidden

Role = Literal["owner", "manager", "host", "service"]
ROLES: Final = frozenset(get_args(Role))
WRITERS: Final = frozenset({"owner", "manager"})
ALL_STUDIOS: Final = "*"
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}\Z"
"""Anchored at the very end (`\\Z`): `$` would also match before a trailing newline."""
_ID_RE = re.compile(ID_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ALGORITHM: Final = "HS256"
DEFAULT_ISSUER: Final = "livestudio"
DEFAULT_AUDIENCE: Final = "livestudio-api"
MIN_KEY_BYTES: Final = 32
"""HS256 keys shorter than this are refused (RFC 7518 3.2: at least the hash size)."""


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
    return _ID_RE.match(value) is not None


def split_keys(text: str) -> list[str]:
    """A comma-separated key list (settings, the token CLI): blanks dropped, order kept."""
    return [part.strip() for part in text.split(",") if part.strip()]


def key_id(secret: str) -> str:
    """The `kid` of a key: a short fingerprint that names it without revealing it."""
    return hashlib.sha256(b"livestudio-jwt-kid\x00" + secret.encode()).hexdigest()[:16]


class JwtKeys:
    """The HS256 keys, issuer and audience of the gateway's tokens.

    The first key signs; every key verifies, so a key can be rotated without downtime (add the new key second,
    then move it first, then drop the old one once the tokens it signed have expired). Every key must be at least
    `MIN_KEY_BYTES` long; issuer and audience are required."""

    __slots__ = ("_by_kid", "_keys", "audience", "issuer")

    def __init__(
        self, secrets: Iterable[str], *, issuer: str = DEFAULT_ISSUER, audience: str = DEFAULT_AUDIENCE
    ) -> None:
        keys = tuple(dict.fromkeys(secrets))
        if not keys:
            raise ValueError("at least one JWT key is required")
        for key in keys:
            if len(key.encode()) < MIN_KEY_BYTES:
                raise ValueError(f"every JWT key must be at least {MIN_KEY_BYTES} bytes long")
        if not issuer or not audience:
            raise ValueError("the JWT issuer and audience are required")
        self._keys = keys
        self._by_kid = {key_id(key): key for key in keys}
        self.issuer = issuer
        self.audience = audience

    @property
    def signing_key(self) -> str:
        return self._keys[0]

    def candidates(self, kid: object) -> tuple[str, ...]:
        """The keys to try for a token: the one its `kid` names, else every key."""
        key = self._by_kid.get(kid) if isinstance(kid, str) else None
        return (key,) if key is not None else self._keys

    def derive(self, purpose: str) -> tuple[bytes, ...]:
        """One sub-key per key for another use (e.g. binding command ids), in the same order; the keys
        themselves never leave this object."""
        return tuple(hmac.new(key.encode(), purpose.encode(), hashlib.sha256).digest() for key in self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"JwtKeys(keys=[REDACTED x{len(self._keys)}], issuer={self.issuer!r}, audience={self.audience!r})"


def as_keys(keys: JwtKeys | str) -> JwtKeys:
    return keys if isinstance(keys, JwtKeys) else JwtKeys([keys])


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    sub = claims.get("sub")
    role = claims.get("role")
    studios = claims.get("studios", [])
    host_id = claims.get("host_id")
    if not isinstance(sub, str) or not sub or len(sub) > 200 or _CONTROL.search(sub):
        raise InvalidToken("claim sub must be a non-empty string without control characters")
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

    def __init__(self, keys: JwtKeys | str, *, leeway_s: int = 30, cache_size: int = 10_000) -> None:
        self.keys = as_keys(keys)
        self._leeway = leeway_s
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        return self.verify_with_expiry(token)[0]

    @property
    def cached(self) -> int:
        """Verified tokens held now (at most `cache_size`)."""
        return len(self._cache)

    def verify_with_expiry(self, token: str) -> tuple[Principal, float]:
        """The caller and the token's `exp` (epoch seconds)."""
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None:
            if now <= cached[1] + self._leeway:
                return cached
            del self._cache[token]
        claims = self._decode(token)
        principal = principal_from_claims(claims)
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        entry = (principal, float(claims["exp"]))
        self._cache[token] = entry
        return entry

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        error: jwt.PyJWTError | None = None
        for key in self.keys.candidates(kid):
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    issuer=self.keys.issuer,
                    audience=self.keys.audience,
                    leeway=self._leeway,
                    options={"require": ["exp", "sub", "iss", "aud"]},
                )
                return claims
            except jwt.InvalidSignatureError as exc:
                error = exc  # another key may have signed it
            except jwt.PyJWTError as exc:
                raise InvalidToken(str(exc)) from None
        raise InvalidToken(str(error) if error is not None else "no key verifies this token")

    def __repr__(self) -> str:
        return "TokenVerifier(secret=[REDACTED])"


def mint_token(
    keys: JwtKeys | str,
    *,
    sub: str,
    role: Role,
    studios: list[str] | None = None,
    host_id: str | None = None,
    ttl_s: int = 12 * 3600,
    now: float | None = None,
    org: str | None = None,
    sid: str | None = None,
) -> str:
    """A signed token with the gateway's claims, signed with the first key and naming it in `kid` (the only
    place tokens are made: the `tokens` CLI, the demo stack and tests use it)."""
    jwt_keys = as_keys(keys)
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role,
        "studios": studios or [],
        "iat": issued,
        "exp": issued + ttl_s,
        "iss": jwt_keys.issuer,
        "aud": jwt_keys.audience,
    }
    if host_id is not None:
        claims["host_id"] = host_id
    if org is not None:  # identity (issue #18)
        claims["org"] = org
    if sid is not None:
        claims["sid"] = sid
    principal_from_claims(claims)  # refuse to mint what the gateway would reject
    signing = jwt_keys.signing_key
    return jwt.encode(claims, signing, algorithm=ALGORITHM, headers={"kid": key_id(signing)})


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
