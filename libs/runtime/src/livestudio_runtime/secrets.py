"""Encryption of Shopee cookies at rest and in commands: Fernet with key rotation (MultiFernet).

Keys come from the environment as a comma-separated list of Fernet keys; the first encrypts, all decrypt.
Rotation: put the new key first, keep the old ones, run the ingest's `rotate-keys` command (re-encrypts every
stored cookie with the first key), then drop the old keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretDecryptionError(Exception):
    """The token was not made with any configured key (or was tampered with). Carries no secret material."""


class CookieCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        cleaned = [k.strip() for k in keys if k.strip()]
        if not cleaned:
            raise ValueError("at least one Fernet key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in cleaned])

    @classmethod
    def from_env_value(cls, value: str) -> CookieCipher:
        return cls(value.split(","))

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretDecryptionError("credential token does not decrypt with any configured key") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the primary (first) key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretDecryptionError("credential token does not decrypt with any configured key") from None

    def __repr__(self) -> str:
        return "CookieCipher(keys=[REDACTED])"
