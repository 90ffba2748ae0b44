"""Identity's plain rules: sign-in delays, one-time secrets and service keys, CSRF tokens, studio scopes of an
organisation's people, claims of an organisation's tokens, passwords, and what the audit trail keeps of a command."""

from __future__ import annotations

import pytest

from livestudio_gateway.auth import InvalidToken, JwtKeys, Principal, TokenVerifier, mint_token, require_writer
from livestudio_gateway.identity import credentials
from livestudio_gateway.identity.audit import command_detail
from livestudio_gateway.identity.passwords import Passwords
from livestudio_gateway.identity.service import effective_studios
from livestudio_gateway.identity.throttle import delay_after
from livestudio_gateway.problems import Forbidden
from livestudio_schemas.commands import AccountConnect

SECRET = "unit-secret-" + "y" * 32


def test_delays_start_after_the_free_failures_and_double_up_to_the_cap() -> None:
    assert [delay_after(n, free=3, max_delay_s=10) for n in range(1, 9)] == [0, 0, 1, 2, 4, 8, 10, 10]
    assert delay_after(10_000, free=1, max_delay_s=900) == 900


def test_service_keys_parse_only_when_well_formed() -> None:
    key_id, key, stored = credentials.new_service_key()
    assert credentials.parse_service_key(key) == (key_id, stored)
    assert stored != key.encode() and len(stored) == 32
    for bad in ("", "lsk_", key + "x", key.replace("lsk_", "lsx_"), "Bearer " + key, key_id):
        assert credentials.parse_service_key(bad) is None


def test_csrf_tokens_are_bound_to_the_session() -> None:
    key = b"k" * 32
    token = credentials.csrf_token(key, "ses-1")
    assert credentials.csrf_ok([key], "ses-1", token)
    assert not credentials.csrf_ok([key], "ses-2", token)
    assert not credentials.csrf_ok([b"other" * 8], "ses-1", token)
    assert credentials.csrf_ok([b"new" * 11, key], "ses-1", token)  # still valid while its key is rotated out
    assert not credentials.csrf_ok([key], "ses-1", None)
    assert not credentials.csrf_ok([key], "ses-1", "")


def test_people_see_their_studios_that_the_organisation_owns() -> None:
    org = ["s1", "s2"]
    assert effective_studios("owner", [], org) == ["s1", "s2"]
    assert effective_studios("manager", ["s2", "s9"], org) == ["s2"]
    assert effective_studios("host", ["s9"], org) == []
    assert effective_studios("owner", [], None) == []


def test_an_organisation_token_never_sees_every_studio() -> None:
    operator = Principal(sub="op", role="owner", studios=frozenset())
    owner = Principal(sub="u", role="owner", studios=frozenset({"s1"}), org="acme", sid="ses-1")
    service = Principal(sub="key:1", role="service", studios=frozenset({"*"}), org="acme")
    assert operator.studio_scope is None
    assert owner.studio_scope == ["s1"] and not owner.sees_studio("s2")
    assert service.studio_scope == ["*"] and not service.sees_studio("s1")
    require_writer(operator, None)
    with pytest.raises(Forbidden):
        require_writer(owner, None)  # a global rule would change every organisation's pay
    with pytest.raises(Forbidden):
        require_writer(owner, "s2")


def test_org_and_session_claims_round_trip_through_the_single_minting_function() -> None:
    keys = JwtKeys([SECRET], issuer="i", audience="a")
    token = mint_token(keys, sub="u", role="manager", studios=["s1"], org="acme", sid="ses-1")
    principal = TokenVerifier(keys).verify(token)
    assert (principal.org, principal.sid, principal.studios) == ("acme", "ses-1", frozenset({"s1"}))
    with pytest.raises(InvalidToken):
        mint_token(SECRET, sub="u", role="owner", org="not an id!")


async def test_passwords_verify_and_unknown_accounts_check_a_dummy() -> None:
    passwords = Passwords(time_cost=1, memory_kib=8, parallelism=1)
    stored = await passwords.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert await passwords.verify(stored, "correct horse")
    assert not await passwords.verify(stored, "wrong horse")
    assert not await passwords.verify(None, "correct horse")
    assert not await passwords.verify("not a hash", "correct horse")
    assert not passwords.needs_rehash(stored)
    assert Passwords(time_cost=2, memory_kib=8, parallelism=1).needs_rehash(stored)


def test_the_trail_never_keeps_a_cookie() -> None:
    command = AccountConnect(
        account_id="acc-1", studio_id="s1", display_name="Toko", region="co.id", encrypted_cookie="gAAAA-secret"
    )
    detail = command_detail(command)
    assert detail["encrypted_cookie"] == "(set)" and "gAAAA-secret" not in str(detail)
    assert detail["studio_id"] == "s1"
