"""Attacks on the gateway's edge (issue #17), each against a running gateway process on real PostgreSQL and the
broker: streams that outlive their token, one caller taking every SSE slot, command outcomes of other studios,
X-Forwarded-For rotation past the rate limit, deeply nested and oversized bodies, ids with a trailing newline,
money written with an exponent, weak or unrotatable JWT keys, tokens without `iss`/`aud`, readiness leaking
error text."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import re
import subprocess
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livestudio_devinfra.ports import free_port
from livestudio_gateway.auth import Role, mint_token
from tests.security.conftest import OLD_SECRET, SECRET, RunningGateway, gateway_env, start_gateway

PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def _token(role: Role = "owner", *, sub: str, studios: list[str] | None = None, ttl_s: int = 3600) -> str:
    return mint_token(SECRET, sub=sub, role=role, studios=studios, ttl_s=ttl_s)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- SSE ----------------------------------------------------------------------------------------------------
async def test_stream_ends_when_its_token_expires(gateway: RunningGateway) -> None:
    token = _token(sub="sse-expiry", ttl_s=3)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    received = b""
    async with (
        httpx.AsyncClient(base_url=gateway.url, timeout=15) as http,
        http.stream("GET", "/api/v1/live", headers=_auth(token)) as stream,
    ):
        assert stream.status_code == 200
        try:
            async with asyncio.timeout(expires - time.time() + 4):
                async for chunk in stream.aiter_bytes():
                    received += chunk
        except TimeoutError:
            pytest.fail("the stream was still open 4 s after its token expired")
    ended = time.time()
    assert b"event: snapshot" in received and b"event: expired" in received
    assert expires - 1.0 <= ended <= expires + 4  # it ended at expiry, not before


async def test_one_caller_cannot_take_every_stream(gateway: RunningGateway) -> None:
    hog = _token("service", sub="sse-hog", studios=["*"])
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http, contextlib.AsyncExitStack() as streams:
        for _ in range(4):  # as many as the replica allows in all
            response = await streams.enter_async_context(http.stream("GET", "/api/v1/live", headers=_auth(hog)))
            statuses.append(response.status_code)
            if response.status_code != 200:
                assert response.headers["content-type"].startswith("application/problem+json")
                break
        assert statuses[-1] == 429, statuses  # the hog is capped ...
        owner = _token("owner", sub="sse-owner")
        async with http.stream("GET", "/api/v1/live", headers=_auth(owner)) as mine:
            assert mine.status_code == 200  # ... and the owner still gets a stream


# --- command outcomes are scoped --------------------------------------------------------------------------------
async def test_command_outcome_is_visible_only_in_its_scope(gateway: RunningGateway) -> None:
    issuer = _token("manager", sub="mgr-a", studios=["studio-a"])
    colleague = _token("manager", sub="mgr-a2", studios=["studio-a"])
    stranger = _token("manager", sub="mgr-b", studios=["studio-b"])
    async with httpx.AsyncClient(base_url=gateway.url, timeout=15) as http:
        body = {"name": "Studio A", "timezone": "Asia/Jakarta", "currency": "IDR", "pay_period": "monthly"}
        accepted = await http.put("/api/v1/studios/studio-a", json=body, headers=_auth(issuer))
        assert accepted.status_code == 202, accepted.text
        command_id = accepted.json()["command_id"]
        conn = await asyncpg.connect(gateway.database_url)
        try:  # the owner applies it and records the outcome
            await conn.execute(
                "INSERT INTO commission.command_results VALUES ($1, 'studio.upsert', 'rejected', $2, $3)",
                command_id,
                "studio-a internal detail",
                datetime.now(UTC),
            )
        finally:
            await conn.close()
        url = f"/api/v1/commands/{command_id}"
        for who in (issuer, colleague):
            seen = await http.get(url, headers=_auth(who))
            assert seen.status_code == 200 and seen.json()["error"] == "studio-a internal detail"
        foreign = await http.get(url, headers=_auth(stranger))
        missing = await http.get("/api/v1/commands/0b7e5d2a-1c9f-4f7e-9a57-1d2e3f4a5b6c", headers=_auth(stranger))
        assert foreign.status_code == missing.status_code == 404
        assert "internal detail" not in foreign.text and "studio.upsert" not in foreign.text
        unknown_id = "0b7e5d2a-1c9f-4f7e-9a57-1d2e3f4a5b6c"
        assert foreign.text.replace(command_id, "ID") == missing.text.replace(unknown_id, "ID")  # indistinguishable


# --- rate limit ---------------------------------------------------------------------------------------------
async def test_forwarded_for_from_an_untrusted_peer_does_not_reset_the_limit(gateway: RunningGateway) -> None:
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
        for i in range(45):  # burst is 30 per client
            forged = {"X-Forwarded-For": f"203.0.113.{i}", "Authorization": f"Bearer forged.{i}.token"}
            statuses.append((await http.get("/api/v1/studios", headers=forged)).status_code)
    assert set(statuses) <= {401, 429} and statuses.count(429) >= 10, statuses


# --- bodies and ids -----------------------------------------------------------------------------------------
async def test_deeply_nested_and_oversized_bodies_are_client_errors(gateway: RunningGateway) -> None:
    manager = _auth(_token("manager", sub="mgr-body", studios=["studio-a"]))
    async with httpx.AsyncClient(base_url=gateway.url, timeout=15) as http:
        nested = await http.put(
            "/api/v1/studios/studio-a",
            content=b"[" * 200_000,
            headers={**manager, "Content-Type": "application/json"},
        )
        assert nested.status_code == 400, nested.text
        assert nested.headers["content-type"].startswith("application/problem+json")
        huge = await http.put(
            "/api/v1/studios/studio-a",
            content=b'{"name": "' + b"x" * 2_000_000 + b'"}',
            headers={**manager, "Content-Type": "application/json"},
        )
        assert huge.status_code == 413, huge.status_code


async def test_ids_with_a_trailing_newline_are_refused(gateway: RunningGateway) -> None:
    """`$` also matches before a final newline: `demo-studio\n` used to pass as an id and create a look-alike."""
    suffix = "%0A"
    owner = _auth(_token("owner", sub="owner-ids"))
    body = {"name": "Look-alike", "timezone": "Asia/Jakarta", "currency": "IDR", "pay_period": "monthly"}
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
        put = await http.put(f"/api/v1/studios/demo-studio{suffix}", json=body, headers=owner)
        assert put.status_code == 400, put.text
        got = await http.get(f"/api/v1/studios/studio-a{suffix}", headers=owner)
        assert got.status_code == 400, got.text


# --- money --------------------------------------------------------------------------------------------------
MONEY = st.one_of(
    st.integers(min_value=0, max_value=10**15).map(Decimal),  # 70000 comes back from asyncpg as 7E+4
    st.integers(min_value=1, max_value=9).map(lambda n: Decimal(n) * Decimal(10) ** 9),
    st.decimals(min_value=0, max_value=10**12, places=2),
    st.decimals(min_value=Decimal("-1"), max_value=Decimal("1"), places=9),  # tiny values: 1E-7
)


def _money_values(document: object) -> list[str]:
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in {"total", "base", "amount", "placed_sales", "confirmed_sales"} and value is not None:
                found.append(value)
            else:
                found.extend(_money_values(value))
    elif isinstance(document, list):
        for item in document:
            found.extend(_money_values(item))
    return found


async def _store(dsn: str, total: Decimal, line: Decimal, sales: Decimal) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("UPDATE commission.statements SET total = $1 WHERE statement_id = 'st-a1-nov'", total)
        await conn.execute(
            "UPDATE commission.statement_lines SET amount = $1, base = $1 WHERE statement_id = 'st-a1-nov'", line
        )
        await conn.execute(
            "UPDATE analytics.sessions SET placed_sales = $1 WHERE on_air AND studio_id = 'studio-a'", sales
        )
    finally:
        await conn.close()


_examples = iter(range(10**9))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=MONEY, line=MONEY, sales=MONEY)
def test_money_from_postgres_is_always_a_plain_decimal(
    gateway: RunningGateway, total: Decimal, line: Decimal, sales: Decimal
) -> None:
    asyncio.run(_store(gateway.database_url, total, line, sales))
    owner = _auth(_token("owner", sub=f"money-{next(_examples)}"))  # a bucket of its own per example
    with httpx.Client(base_url=gateway.url, timeout=10, headers=owner) as http:
        detail = http.get("/api/v1/commission/statements/st-a1-nov").json()
        assert Decimal(detail["statement"]["total"]) == total
        assert {Decimal(v) for v in _money_values(detail["lines"])} == {line}
        listed = http.get("/api/v1/commission/statements", params={"studio_id": "studio-a"}).json()
        exported = list(csv.reader(io.StringIO(http.get("/api/v1/commission/statements.csv").text)))
        lines_csv = list(csv.reader(io.StringIO(http.get("/api/v1/commission/statements/st-a1-nov/lines.csv").text)))
        sessions = http.get("/api/v1/sessions", params={"studio_id": "studio-a"}).json()
        with http.stream("GET", "/api/v1/live", params={"studio_id": "studio-a"}) as stream:
            first = next(line for line in stream.iter_lines() if line.startswith("data: "))
        snapshot = json.loads(first.removeprefix("data: "))
    written = [
        *_money_values(detail),
        *_money_values(listed),
        *_money_values(sessions),
        *_money_values(snapshot),
        *(row[exported[0].index("total")] for row in exported[1:]),
        *(cell for row in lines_csv[1:] for cell in (row[-2], row[-1]) if cell),
    ]
    assert written and all(PLAIN.match(value) for value in written), [v for v in written if not PLAIN.match(v)]
    assert Decimal(snapshot["sessions"][0]["placed_sales"]) == sales


# --- keys and tokens ----------------------------------------------------------------------------------------
async def _past_the_limit(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    """The answer once the limiter lets the request through: requests with a refused token share one bucket per
    address, which the rate-limit test above empties (it refills at one a second here)."""
    for _ in range(20):
        response = await http.get(path, headers=headers)
        if response.status_code != 429:
            return response
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    raise AssertionError(f"{path} still rate limited")


async def test_tokens_need_issuer_and_audience_and_old_keys_still_verify(gateway: RunningGateway) -> None:
    now = int(time.time())
    bare = {"sub": "no-aud", "role": "owner", "studios": [], "iat": now, "exp": now + 600}
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
        without = await _past_the_limit(http, "/api/v1/me", _auth(jwt.encode(bare, SECRET, algorithm="HS256")))
        assert without.status_code == 401
        wrong_aud = jwt.encode({**bare, "iss": "livestudio", "aud": "someone-else"}, SECRET, algorithm="HS256")
        assert (await _past_the_limit(http, "/api/v1/me", _auth(wrong_aud))).status_code == 401
        rotated_out = mint_token(OLD_SECRET, sub="old-key-user", role="owner")  # signed before the rotation
        me = await http.get("/api/v1/me", headers=_auth(rotated_out))
        assert me.status_code == 200 and me.json()["sub"] == "old-key-user"


def test_gateway_refuses_to_start_with_a_short_key(edge_db: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    env = gateway_env(edge_db, kafka_bootstrap, free_port(), GATEWAY_JWT_SECRET="x", GATEWAY_JWT_SECRETS="")
    proc = start_gateway(env, tmp_path / "gateway.log")
    try:
        code = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        pytest.fail("the gateway started with a key shorter than 32 bytes")
    assert code != 0
    assert "32 bytes" in (tmp_path / "gateway.log").read_text()


# --- readiness ----------------------------------------------------------------------------------------------
async def test_readiness_tells_anyone_the_verdict_only(gateway: RunningGateway, pg_dsn: str) -> None:
    database = gateway.database_url.rpartition("/")[2].partition("?")[0]
    admin = await asyncpg.connect(pg_dsn)
    try:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
            ready = await http.get("/health/ready")
            assert ready.status_code == 503
            assert ready.json() == {"status": "unavailable", "checks": {"postgres": "failing", "kafka": "ok"}}
            # the error text is for the operator on the host (this test runs on it: loopback)
            details = await http.get("/health/details")
            assert details.status_code == 503 and details.json()["checks"]["postgres"] != "failing"
    finally:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        await admin.close()
