"""Command ids that say who may read their outcome: `<nonce>.<studio tag>.<issuer tag>`.

The owners' `command_results` rows carry no studio and the gateway keeps no state, so the id the gateway hands
out carries its own scope: two HMAC tags over a random nonce, one binding the studio the command names (none for
commands that name no studio) and one binding the token subject that issued it, under a key derived from the JWT
keys (every JWT key verifies, so ids survive a key rotation). `GET /commands/{id}` shows an outcome to its issuer,
to a caller whose scope covers that studio (hosts excepted: they see only their own commands), and to callers who
see every studio; to anyone else an id is the same 404 as an id that does not exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

from livestudio_gateway.auth import JwtKeys, Principal

PURPOSE: Final = "livestudio-command-id-v1"
_TAG_BYTES: Final = 12
_NONCE_BYTES: Final = 16


def _tag(key: bytes, kind: str, nonce: str, value: str) -> str:
    mac = hmac.new(key, f"{kind}\x00{nonce}\x00{value}".encode(), hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


class CommandIds:
    """Mints scoped command ids (`new`) and decides who may read an id's outcome (`visible`)."""

    def __init__(self, keys: JwtKeys) -> None:
        self._keys = keys.derive(PURPOSE)

    def new(self, *, studio_id: str | None, issuer: str) -> str:
        nonce = secrets.token_hex(_NONCE_BYTES)
        key = self._keys[0]
        return f"{nonce}.{_tag(key, 'studio', nonce, studio_id or '')}.{_tag(key, 'issuer', nonce, issuer)}"

    def visible(self, command_id: str, principal: Principal) -> bool:
        if principal.all_studios:
            return True
        parts = command_id.split(".")
        if len(parts) != 3:
            return False
        nonce, studio_tag, issuer_tag = parts
        for key in self._keys:
            if hmac.compare_digest(issuer_tag, _tag(key, "issuer", nonce, principal.sub)):
                return True
            if principal.is_host:
                continue  # a host sees only the commands they issued (their own check-ins)
            for studio in principal.studios:
                if hmac.compare_digest(studio_tag, _tag(key, "studio", nonce, studio)):
                    return True
        return False
