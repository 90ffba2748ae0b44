"""Secrets handed to people and programs, and what the gateway keeps of them.

One-time tokens (invitation, password reset, refresh) are 256-bit random strings; only their SHA-256 is stored
(they are high-entropy, so a fast hash is enough). Service keys read `lsk_<key id>_<secret>`. The CSRF token of a
browser session is an HMAC of the session id (signed double submit): the browser reads it from a readable cookie
and echoes it in `X-CSRF-Token` on every cookie-authenticated write.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from typing import Final

ACCESS_COOKIE: Final = "ls_access"
REFRESH_COOKIE: Final = "ls_refresh"
CSRF_COOKIE: Final = "ls_csrf"
CSRF_HEADER: Final = "x-csrf-token"
SERVICE_KEY_PREFIX: Final = "lsk_"
_SERVICE_KEY_RE = re.compile(r"^lsk_([a-z0-9]{16})_([A-Za-z0-9_-]{43})\Z")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_service_key() -> tuple[str, str, bytes]:
    """(key id, the full key to show once, the stored hash of its secret)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, f"{SERVICE_KEY_PREFIX}{key_id}_{secret}", digest(secret)


def parse_service_key(token: str) -> tuple[str, bytes] | None:
    """(key id, hash of the secret) of a well-formed service key, else None."""
    match = _SERVICE_KEY_RE.match(token)
    if match is None:
        return None
    return match.group(1), digest(match.group(2))


def csrf_token(key: bytes, session_id: str) -> str:
    return hmac.new(key, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def csrf_ok(keys: Sequence[bytes], session_id: str, presented: str | None) -> bool:
    """Whether `presented` is the session's CSRF token under any of the keys (the first signs; the others are
    JWT keys being rotated out, so a session keeps working through a rotation)."""
    return presented is not None and any(hmac.compare_digest(csrf_token(k, session_id), presented) for k in keys)
