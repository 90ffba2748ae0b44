"""Token verification, claims and the scoping rules (no server, no database)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from livestudio_gateway.auth import (
    InvalidToken,
    Principal,
    TokenVerifier,
    host_filter,
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


def test_verifier_rejects_bad_tokens() -> None:
    verifier = TokenVerifier(SECRET, issuer="https://id.example", audience="livestudio")
    good = mint_token(SECRET, sub="o", role="owner", issuer="https://id.example", audience="livestudio")
    assert verifier.verify(good).sub == "o"
    for bad in (
        mint_token(SECRET, sub="o", role="owner", audience="livestudio"),  # no issuer
        mint_token(SECRET, sub="o", role="owner", issuer="https://other", audience="livestudio"),
        mint_token(SECRET, sub="o", role="owner", issuer="https://id.example", audience="else"),
        mint_token(SECRET + "!", sub="o", role="owner", issuer="https://id.example", audience="livestudio"),
        mint_token(SECRET, sub="o", role="owner", issuer="https://id.example", audience="livestudio", ttl_s=-120),
        jwt.encode({"sub": "o", "role": "owner"}, SECRET, algorithm="HS256"),  # no exp
        jwt.encode(
            {"sub": "o", "role": "owner", "exp": time.time() + 60, "iss": "https://id.example", "aud": "livestudio"},
            SECRET,
            algorithm="HS384",
        ),
        "garbage",
    ):
        with pytest.raises(InvalidToken):
            verifier.verify(bad)


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
    assert len(verifier._cache) <= 2
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
