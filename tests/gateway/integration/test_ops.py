"""Operations: health, metrics with grouped paths, OpenAPI and docs, rate limit, CORS, and the service process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_devinfra.ports import free_port
from livestudio_gateway.main import create_app
from tests.gateway.conftest import JWT_SECRET, TokenFactory, bearer, gateway_settings

Client = AsyncTestClient[Litestar]


async def test_health_routes(client: Client) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"postgres": "ok", "kafka": "ok"}


async def test_metrics_group_paths(client: Client, token: TokenFactory) -> None:
    auth = bearer(token("owner"))
    for session in ("1001", "1003", "1005"):
        assert (await client.get(f"/api/v1/sessions/acc-a1/{session}", headers=auth)).status_code == 200
    await client.get("/api/v1/sessions/acc-a1/424242", headers=auth)
    text = (await client.get("/metrics")).text
    assert 'path="/api/v1/sessions/{account_id}/{session_id}"' in text
    assert "livestudio_gateway_http_requests_total" in text
    assert "livestudio_gateway_http_request_duration_seconds_bucket" in text
    assert "/api/v1/sessions/acc-a1/1001" not in text  # raw paths would make unbounded series
    assert "livestudio_service_ready" in text


async def test_openapi_document_and_docs_ui(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert "/api/v1/sessions" in spec["paths"] and "/health/ready" not in spec["paths"]
    responses = spec["paths"]["/api/v1/sessions"]["get"]["responses"]
    assert set(responses) >= {"200", "400", "401", "403", "404", "429", "503"}
    assert "application/problem+json" in responses["400"]["content"]
    swagger = await client.get("/schema/swagger")
    assert swagger.status_code == 200 and "swagger" in swagger.text.lower()
    # docs are public, the API is not
    assert (await client.get("/api/v1/studios")).status_code == 401


async def test_rate_limit_per_subject(seeded_db: str, kafka_bootstrap: str, token: TokenFactory) -> None:
    app = create_app(
        gateway_settings(
            seeded_db, kafka_bootstrap, rate_limit_enabled=True, rate_limit_per_minute=60, rate_limit_burst=3
        )
    )
    async with AsyncTestClient(app) as client:
        alice, bob = bearer(token("owner", sub="alice")), bearer(token("owner", sub="bob"))
        codes = [(await client.get("/api/v1/studios", headers=alice)).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = await client.get("/api/v1/studios", headers=alice)
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert int(limited.headers["retry-after"]) >= 1
        assert (await client.get("/api/v1/studios", headers=bob)).status_code == 200  # per subject
        assert (await client.get("/health/ready")).status_code == 200  # ops routes are not limited
        anonymous = [(await client.get("/api/v1/studios")).status_code for _ in range(4)]
        assert anonymous == [401, 401, 401, 429]  # without a token the client address is the key


async def test_cors_preflight(seeded_db: str, kafka_bootstrap: str) -> None:
    app = create_app(gateway_settings(seeded_db, kafka_bootstrap, cors_origins="https://dash.example"))
    async with AsyncTestClient(app) as client:
        response = await client.options(
            "/api/v1/sessions",
            headers={
                "Origin": "https://dash.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        assert response.status_code in (200, 204)
        assert response.headers["access-control-allow-origin"] == "https://dash.example"
        other = await client.options(
            "/api/v1/sessions",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"


@pytest.fixture
def gateway_process(
    seeded_db: str, kafka_bootstrap: str, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": seeded_db,
        "GATEWAY_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "GATEWAY_JWT_SECRET": JWT_SECRET,
        "GATEWAY_HTTP_PORT": str(port),
        "GATEWAY_SESSION_TOPIC": "gw-sessions.process",
        "GATEWAY_COMMANDS_TOPIC": "gw-commands.process",
        "GATEWAY_SSE_KEEPALIVE_S": "0.5",
        "GATEWAY_LOG_FORMAT": "json",
    }
    log = open(tmp_path / "gateway.log", "wb")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "livestudio-gateway")], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield f"http://127.0.0.1:{port}", proc, tmp_path / "gateway.log"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        log.close()


@pytest.mark.slow
async def test_service_process_serves_and_stops_gracefully(
    gateway_process: tuple[str, subprocess.Popen[bytes], Path], token: TokenFactory
) -> None:
    base, proc, log = gateway_process
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the gateway exited during start-up"
            try:
                if (await http.get("/health/ready")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "not ready in 60 s"
            await asyncio.sleep(0.2)
        studios = await http.get("/api/v1/studios", headers=bearer(token("owner")))
        assert studios.status_code == 200 and len(studios.json()["items"]) == 3
        # an open SSE stream must not hold the shutdown until the grace period ends
        async with http.stream("GET", "/api/v1/live", headers=bearer(token("owner"))) as stream:
            assert stream.status_code == 200
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            async for _ in stream.aiter_bytes():
                pass
        await asyncio.to_thread(proc.wait, 15)
        assert proc.returncode == 0
        assert time.monotonic() - started < 10
    output = log.read_text()
    assert '"event": "service_stopped"' in output and JWT_SECRET not in output
