"""Cookie encryption: command tokens, storage, rotation; nothing secret in errors or reprs."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from livestudio_ingest.accounts import CommandRejected
from livestudio_ingest.credentials import CredentialsUnavailable, CredentialVault
from livestudio_runtime.secrets import CookieCipher

COOKIE = "SPC_EC=ec-secret-value-123; SPC_ST=.st-secret-value-456; SPC_U=200001"


def test_command_token_round_trip_and_storage() -> None:
    key = CookieCipher.generate_key()
    vault = CredentialVault.from_setting(SecretStr(key))
    token = CookieCipher([key]).encrypt(COOKIE)
    cookie = vault.open_command_token(token)
    assert cookie.get_secret_value() == COOKIE
    stored = vault.seal(cookie)
    assert "secret-value" not in stored
    assert vault.open(stored).get_secret_value() == COOKIE
    assert "secret" not in repr(vault) or "REDACTED" in repr(vault)


def test_a_token_from_another_key_is_rejected_without_secrets() -> None:
    vault = CredentialVault.from_setting(SecretStr(CookieCipher.generate_key()))
    token = CookieCipher([CookieCipher.generate_key()]).encrypt(COOKIE)
    with pytest.raises(CommandRejected) as err:
        vault.open_command_token(token)
    assert "secret-value" not in str(err.value)
    assert token not in str(err.value)


def test_rotation_re_encrypts_under_the_new_primary_key() -> None:
    old, new = CookieCipher.generate_key(), CookieCipher.generate_key()
    before = CredentialVault.from_setting(SecretStr(old))
    stored = before.seal(SecretStr(COOKIE))
    both = CredentialVault.from_setting(SecretStr(f"{new},{old}"))
    [(account, rotated)] = both.rotate([("a1", stored)])
    assert account == "a1"
    only_new = CredentialVault.from_setting(SecretStr(new))
    assert only_new.open(rotated).get_secret_value() == COOKIE


def test_missing_keys_are_reported() -> None:
    with pytest.raises(CredentialsUnavailable):
        CredentialVault.from_setting(None)
