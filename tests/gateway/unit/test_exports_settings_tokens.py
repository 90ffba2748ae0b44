"""CSV cells, settings parsing, the token CLI, and the coupling of positional structs to their queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from livestudio_gateway import exports, tokens
from livestudio_gateway.auth import JwtKeys, TokenVerifier
from livestudio_gateway.settings import GatewaySettings
from livestudio_schemas.topics import Topic


def test_csv_cells() -> None:
    assert exports.cell(None) == ""
    assert exports.cell(Decimal("1.50")) == "1.50"
    assert exports.cell(Decimal("1E+3")) == "1000"
    assert exports.cell(date(2026, 11, 1)) == "2026-11-01"
    assert exports.cell("-500.00") == "-500.00"
    for formula in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx"):
        assert exports.cell(formula).startswith("'")
    text = exports.to_csv(("a", "b"), [{"a": "x,y", "b": None}])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["x,y", ""]]


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_JWT_SECRET", "s3cret-" + "s" * 32)
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("GATEWAY_CREDENTIALS_KEYS", "k1,k2 ,")
    settings = GatewaySettings()  # type: ignore[call-arg]
    assert settings.http_port == 8000
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.credential_keys() == ["k1", "k2"]
    assert settings.commands_topic == Topic.COMMANDS.value and settings.session_topic == Topic.SESSION.value
    assert "s3cret" not in repr(settings) and "k1" not in repr(settings)
    assert (settings.jwt_issuer, settings.jwt_audience) == ("livestudio", "livestudio-api")
    monkeypatch.delenv("GATEWAY_JWT_SECRET")
    with pytest.raises(ValidationError):
        GatewaySettings()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "env",
    [
        {"GATEWAY_JWT_SECRET": "x"},  # 1 byte used to be accepted
        {"GATEWAY_JWT_SECRET": "y" * 31},
        {"GATEWAY_JWT_SECRETS": "k" * 40 + ",short"},
        {"GATEWAY_JWT_SECRET": "z" * 40, "GATEWAY_JWT_ISSUER": ""},
        {"GATEWAY_JWT_SECRET": "z" * 40, "GATEWAY_TRUSTED_PROXIES": "not-a-network"},
    ],
)
def test_settings_refuse_weak_auth(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        GatewaySettings()  # type: ignore[call-arg]


def test_settings_key_list_and_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = "n" * 40, "o" * 40
    monkeypatch.setenv("GATEWAY_JWT_SECRETS", f"{new}, {old}")
    monkeypatch.setenv("GATEWAY_JWT_SECRET", old)
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7")
    settings = GatewaySettings()  # type: ignore[call-arg]
    assert settings.jwt_key_list() == [new, old]
    assert len(settings.jwt_keys()) == 2 and settings.trusted_proxies == ["10.0.0.0/8", "192.168.1.7"]
    assert new not in repr(settings)


def test_token_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GATEWAY_JWT_SECRET", "cli-secret-" + "c" * 32)
    assert tokens.main(["--role", "manager", "--sub", "demo", "--studio", "s1", "--studio", "s2"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    principal = TokenVerifier("cli-secret-" + "c" * 32).verify(token)  # default issuer and audience
    assert principal.role == "manager" and principal.studio_scope == ["s1", "s2"]
    assert tokens.main(["--role", "host", "--sub", "h"]) == 2  # a host token needs --host-id
    monkeypatch.setenv("GATEWAY_JWT_ISSUER", "https://id.example")
    monkeypatch.setenv("GATEWAY_JWT_AUDIENCE", "dash")
    assert tokens.main(["--role", "owner", "--sub", "demo"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    keys = JwtKeys(["cli-secret-" + "c" * 32], issuer="https://id.example", audience="dash")
    assert TokenVerifier(keys).verify(token).sub == "demo"
    monkeypatch.setenv("GATEWAY_JWT_SECRET", "short")
    assert tokens.main(["--role", "owner", "--sub", "demo"]) == 2  # the gateway would refuse this key
    monkeypatch.delenv("GATEWAY_JWT_SECRET")
    assert tokens.main(["--role", "owner", "--sub", "demo"]) == 2


def test_rows_become_structs_by_name() -> None:
    """Structs are built from rows by column name: they refuse positions, and each nested row list names exactly
    the struct's fields (their order does not matter)."""
    import re

    import pytest

    from livestudio_gateway import models, repository

    session_cols = re.findall(r"s\.(\w+)", repository._SESSION_COLUMNS)
    assert set(session_cols) == set(models.SessionSummary.__struct_fields__)
    statement_cols = [c.split(" AS ")[-1].split("::")[0].strip() for c in repository._STATEMENT_COLUMNS.split(",")]
    assert set(statement_cols) == set(models.Statement.__struct_fields__)
    for fields, struct in (
        (repository.TIMELINE_ROW, models.TimelinePoint),
        (repository.PRODUCT_ROW, models.SessionProduct),
        (repository.HOST_ROW, models.SessionHost),
    ):
        assert sorted(name for name, _ in fields) == sorted(struct.__struct_fields__)
    with pytest.raises(TypeError):
        models.TimelinePoint(None, None, None, None, None, None, None)  # type: ignore[misc, arg-type]


def test_named_binds_number_in_order_and_take_values_by_name() -> None:
    import pytest

    from livestudio_gateway.repository import SESSION_LIST_SQL, Named

    query = Named.compile("SELECT :b::text, :a::int WHERE x = :b AND y::text = 'y'")
    assert query.sql == "SELECT $1::text, $2::int WHERE x = $1 AND y::text = 'y'"
    assert query.args(a=2, b="one") == ("one", 2)
    with pytest.raises(TypeError):
        query.args(a=2)
    with pytest.raises(TypeError):
        query.args(a=2, b="one", c=3)
    for compiled in SESSION_LIST_SQL.values():
        numbers = sorted({int(n) for n in re.findall(r"\$(\d+)", compiled.sql)})
        assert numbers == list(range(1, len(compiled.names) + 1))
        assert not re.search(r"(?<![:\w]):[a-z_]", compiled.sql)
