"""Command ids carry who may read their outcome: the issuer, the studio's callers, callers who see every studio."""

from __future__ import annotations

from livestudio_gateway.auth import JwtKeys, Principal
from livestudio_gateway.command_ids import CommandIds

OLD, NEW = "old-key-" + "o" * 32, "new-key-" + "n" * 32
ISSUER = Principal("m-a", "manager", frozenset({"studio-a"}))
COLLEAGUE = Principal("m-a2", "manager", frozenset({"studio-a", "studio-c"}))
STRANGER = Principal("m-b", "manager", frozenset({"studio-b"}))
OWNER = Principal("o", "owner", frozenset())
EVERYWHERE = Principal("svc", "service", frozenset({"*"}))


def test_scope_of_a_studio_command() -> None:
    ids = CommandIds(JwtKeys([OLD]))
    command_id = ids.new(studio_id="studio-a", issuer=ISSUER.sub)
    assert len(command_id) <= 128 and command_id.count(".") == 2
    assert ids.visible(command_id, ISSUER) and ids.visible(command_id, COLLEAGUE)
    assert ids.visible(command_id, OWNER) and ids.visible(command_id, EVERYWHERE)
    assert not ids.visible(command_id, STRANGER)
    assert ids.visible(command_id, Principal("m-a", "manager", frozenset()))  # the issuer, by subject
    host = Principal("h-a", "host", frozenset({"studio-a"}), host_id="h1")
    assert not ids.visible(command_id, host)  # a host of the studio sees only their own commands
    assert ids.visible(ids.new(studio_id="studio-a", issuer="h-a"), host)


def test_forged_and_foreign_ids_are_invisible() -> None:
    ids = CommandIds(JwtKeys([OLD]))
    command_id = ids.new(studio_id="studio-a", issuer=ISSUER.sub)
    nonce, studio_tag, issuer_tag = command_id.split(".")
    other_nonce = nonce[:-1] + ("1" if nonce.endswith("0") else "0")
    for forged in (
        "0b7e5d2a-1c9f-4f7e-9a57-1d2e3f4a5b6c",  # an id of the old shape
        f"{nonce}.{studio_tag}",
        f"{other_nonce}.{studio_tag}.{issuer_tag}",
        CommandIds(JwtKeys([NEW])).new(studio_id="studio-b", issuer=STRANGER.sub).replace("studio", "x"),
    ):
        assert not ids.visible(forged, STRANGER) and not ids.visible(forged, ISSUER)
    assert ids.visible("0b7e5d2a-unknown", OWNER)  # owners see every id (a missing one reads as pending)


def test_no_studio_means_issuer_only_and_ids_survive_rotation() -> None:
    before = CommandIds(JwtKeys([OLD])).new(studio_id=None, issuer=ISSUER.sub)
    rotated = CommandIds(JwtKeys([NEW, OLD]))
    assert rotated.visible(before, ISSUER) and not rotated.visible(before, COLLEAGUE)
    assert not CommandIds(JwtKeys([NEW])).visible(before, ISSUER)
