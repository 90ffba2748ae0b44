"""Cookie handling: decrypt what the gateway sends, encrypt at rest, re-encrypt on key rotation.

The gateway and the ingest share the Fernet keys (`GATEWAY_CREDENTIALS_KEYS` = `INGEST_CREDENTIALS_KEYS`): the
first key encrypts, every key decrypts. A cookie only exists in plaintext inside a `SecretStr` on its way to
Shopee; errors raised here never carry it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import SecretStr

from livestudio_ingest.accounts import CommandRejected
from livestudio_runtime.secrets import CookieCipher, SecretDecryptionError


class CredentialsUnavailable(RuntimeError):
    """INGEST_CREDENTIALS_KEYS is not set: the service cannot read or store cookies."""


class CredentialVault:
    def __init__(self, cipher: CookieCipher) -> None:
        self._cipher = cipher

    @classmethod
    def from_setting(cls, keys: SecretStr | None) -> CredentialVault:
        if keys is None or not keys.get_secret_value().strip():
            raise CredentialsUnavailable("INGEST_CREDENTIALS_KEYS is not set")
        return cls(CookieCipher.from_env_value(keys.get_secret_value()))

    def open_command_token(self, token: str) -> SecretStr:
        """The cookie inside a command's `encrypted_cookie`; rejects the command if it does not decrypt."""
        try:
            cookie = self._cipher.decrypt(token)
        except SecretDecryptionError:
            raise CommandRejected("encrypted_cookie does not decrypt with the configured credentials keys") from None
        if not cookie.strip():
            raise CommandRejected("the cookie is empty")
        return SecretStr(cookie.strip())

    def seal(self, cookie: SecretStr) -> str:
        return self._cipher.encrypt(cookie.get_secret_value())

    def open(self, ciphertext: str) -> SecretStr:
        """Raises `SecretDecryptionError` (no secret material) when no configured key opens it."""
        return SecretStr(self._cipher.decrypt(ciphertext))

    def rotate(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Re-encrypt (account_id, ciphertext) pairs under the primary key."""
        return [(account_id, self._cipher.rotate(ct)) for account_id, ct in pairs]

    def __repr__(self) -> str:
        return "CredentialVault(keys=[REDACTED])"
