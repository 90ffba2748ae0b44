"""Cookie encryption round-trips, rotates to a new key, and fails with a typed error that leaks nothing."""

from __future__ import annotations

import pytest

from livestudio_runtime.secrets import CookieCipher, SecretDecryptionError

COOKIE = "SPC_EC=abc; SPC_ST=secret-token; SPC_U=1"


def test_round_trip_and_rotation() -> None:
    old, new = CookieCipher.generate_key(), CookieCipher.generate_key()
    token = CookieCipher([old]).encrypt(COOKIE)
    assert COOKIE not in token
    both = CookieCipher([new, old])
    assert both.decrypt(token) == COOKIE
    rotated = both.rotate(token)
    assert CookieCipher([new]).decrypt(rotated) == COOKIE
    with pytest.raises(SecretDecryptionError) as err:
        CookieCipher([old]).decrypt(rotated)
    assert "secret-token" not in str(err.value)
    assert "REDACTED" in repr(both)
