"""Token verification, claims and the scoping rules (no server, no database)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from livestudio_gateway.auth import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    InvalidToken,
    JwtKeys,
    Principal,
    TokenVerifier,
    host_filter,
    is_valid_id,
    key_id,
    mint_token,
    principal_from_claims,
    require_writer,
    studio_filter,
)
from livestudio_gateway.problems import Forbidden

SECRET = "unit-secret-" + "z" * 52


def test_mint_and_verify_roundtrip() -> None:
    token = mint_token(SECRET, sub="m1", role="manager", studios=["s1", "s2"])
    principal = TokenVerifier(SECRET).verify(token)
    assert principal == Principal(sub="m1", role="manager", studios=frozenset({"s1", "s2"}))
    assert principal.studio_scope == ["s1", "s2"] and principal.can_write and not principal.all_studios


@pytest.mark.parametrize(
    ("claims", "scope"),
    [
        ({"sub": "o", "role": "owner"}, None),
        ({"sub": "o", "role": "owner", "studios": ["s1"]}, None),
        ({"sub": "svc", "role": "service", "studios": ["*"]}, None),
        ({"sub": "svc", "role": "service", "studios": ["s1"]}, ["s1"]),
        ({"sub": "m", "role": "manager", "studios": ["*"]}, ["*"]),  # '*' means nothing special for a manager
        ({"sub": "h", "role": "host", "studios": ["s1"], "host_id": "h1"}, ["s1"]),
    ],
)
def test_scope_by_role(claims: dict[str, Any], scope: list[str] | None) -> None:
    assert principal_from_claims(claims).studio_scope == scope


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "owner"},
        {"sub": "", "role": "owner"},
        {"sub": "me\n", "role": "owner"},
        {"sub": "a\x00b", "role": "owner"},
        {"sub": "x", "role": "admin"},
        {"sub": "x", "role": "manager", "studios": "s1"},
        {"sub": "x", "role": "manager", "studios": ["bad id"]},
        {"sub": "x", "role": "host", "studios": ["s1"]},
        {"sub": "x", "role": "host", "studios": ["s1"], "host_id": 5},
    ],
)
def test_invalid_claims_are_rejected(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken):
        principal_from_claims(claims)


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "o",
        "role": "owner",
        "exp": time.time() + 60,
        "iss": "https://id.example",
        "aud": "livestudio",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_verifier_rejects_bad_tokens() -> None:
    keys = JwtKeys([SECRET], issuer="https://id.example", audience="livestudio")
    verifier = TokenVerifier(keys)
    good = mint_token(keys, sub="o", role="owner")
    assert verifier.verify(good).sub == "o"
    assert jwt.decode(good, options={"verify_signature": False})["aud"] == "livestudio"
    other_key = JwtKeys([SECRET + "!"], issuer="https://id.example", audience="livestudio")
    for bad in (
        jwt.encode(_claims(iss=None), SECRET, algorithm="HS256"),  # no issuer
        jwt.encode(_claims(aud=None), SECRET, algorithm="HS256"),  # no audience
        jwt.encode(_claims(iss="https://other"), SECRET, algorithm="HS256"),
        jwt.encode(_claims(aud="else"), SECRET, algorithm="HS256"),
        mint_token(other_key, sub="o", role="owner"),
        mint_token(keys, sub="o", role="owner", ttl_s=-120),
        mint_token(SECRET, sub="o", role="owner"),  # the default issuer and audience, not this verifier's
        jwt.encode(_claims(exp=None), SECRET, algorithm="HS256"),  # no exp
        jwt.encode(_claims(), SECRET, algorithm="HS384"),
        "garbage",
    ):
        with pytest.raises(InvalidToken):
            verifier.verify(bad)


def test_defaults_require_issuer_and_audience() -> None:
    token = mint_token(SECRET, sub="o", role="owner")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == (DEFAULT_ISSUER, DEFAULT_AUDIENCE)
    assert TokenVerifier(SECRET).verify(token).sub == "o"
    without = jwt.encode(_claims(iss=None, aud=None), SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        TokenVerifier(SECRET).verify(without)


@pytest.mark.parametrize("secret", ["", "x", "y" * 31])
def test_short_keys_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match=r"32 bytes|at least one"):
        JwtKeys([secret])
    with pytest.raises(ValueError):
        mint_token(secret, sub="o", role="owner")


def test_rotation_first_key_signs_every_key_verifies() -> None:
    old, new = "old-key-" + "o" * 32, "new-key-" + "n" * 32
    before = mint_token(JwtKeys([old]), sub="a", role="owner")
    during = JwtKeys([new, old])
    after = mint_token(during, sub="b", role="owner")
    assert jwt.get_unverified_header(after)["kid"] == key_id(new) != key_id(old)
    verifier = TokenVerifier(during)
    assert verifier.verify(before).sub == "a" and verifier.verify(after).sub == "b"
    unnamed = jwt.encode(_claims(iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE), old, algorithm="HS256")
    assert verifier.verify(unnamed).sub == "o"  # no kid: every key is tried
    with pytest.raises(InvalidToken):  # once the old key is dropped, its tokens are refused
        TokenVerifier(JwtKeys([new])).verify(before)
    assert old not in repr(during) and new not in repr(during)


def test_alg_none_is_refused() -> None:
    unsigned = jwt.encode({"sub": "o", "role": "owner", "exp": time.time() + 60}, key="", algorithm="none")
    with pytest.raises(InvalidToken):
        TokenVerifier(SECRET).verify(unsigned)


def test_cache_honours_expiry() -> None:
    verifier = TokenVerifier(SECRET, leeway_s=0, cache_size=2)
    short = mint_token(SECRET, sub="o", role="owner", ttl_s=1)
    assert verifier.verify(short).sub == "o"
    assert verifier.verify(short).sub == "o"  # from the cache
    time.sleep(2.1)
    with pytest.raises(InvalidToken):
        verifier.verify(short)
    for i in range(5):  # the cache stays bounded
        verifier.verify(mint_token(SECRET, sub=f"u{i}", role="owner"))
    assert verifier.cached <= 2
    assert "z" * 10 not in repr(verifier)


def test_studio_and_host_filters() -> None:
    manager = Principal("m", "manager", frozenset({"s1"}))
    assert studio_filter(manager, None) == ["s1"]
    assert studio_filter(manager, "s1") == ["s1"]
    with pytest.raises(Forbidden):
        studio_filter(manager, "s2")
    assert studio_filter(Principal("o", "owner", frozenset()), "any") == ["any"]
    host = Principal("h", "host", frozenset({"s1"}), host_id="h1")
    assert host_filter(host, None) == "h1" and host_filter(host, "h1") == "h1"
    with pytest.raises(Forbidden):
        host_filter(host, "h2")
    assert host_filter(manager, "h2") == "h2"


def test_writers() -> None:
    owner = Principal("o", "owner", frozenset())
    manager = Principal("m", "manager", frozenset({"s1"}))
    require_writer(owner, None)
    require_writer(owner, "s9")
    require_writer(manager, "s1")
    for principal, studio in (
        (manager, "s2"),
        (manager, None),
        (Principal("svc", "service", frozenset({"*"})), "s1"),
        (Principal("h", "host", frozenset({"s1"}), "h1"), "s1"),
    ):
        with pytest.raises(Forbidden):
            require_writer(principal, studio)


@pytest.mark.parametrize(
    "value", ["demo-studio\n", "demo\nstudio", "demo-studio\r", "\ndemo", "a\x00b", "-x", "", "x" * 129]
)
def test_ids_are_anchored(value: str) -> None:
    assert not is_valid_id(value)


def test_valid_ids() -> None:
    assert is_valid_id("demo-studio") and is_valid_id("a1_b.c:d@e-f") and is_valid_id("x" * 128)
