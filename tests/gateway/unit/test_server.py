"""Serving: uvicorn with its public configuration answers over real sockets (keep-alive, streams, errors) and
believes forwarded headers only from trusted proxies."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar, Request, get
from litestar.response import Stream

from livestudio_devinfra.ports import free_port
from livestudio_gateway.server import uvicorn_config
from livestudio_gateway.settings import GatewaySettings


def _settings(trusted: list[str] | None = None) -> GatewaySettings:
    return GatewaySettings(  # type: ignore[call-arg]
        jwt_secret="k" * 32, http_host="127.0.0.1", http_port=free_port(), trusted_proxies=trusted or []
    )


@get("/one", sync_to_thread=False)
def one() -> dict[str, int]:
    return {"answer": 42}


@get("/stream", sync_to_thread=False)
def stream() -> Stream:
    return Stream(iter([b"a", b"b", b"c"]), media_type="text/plain")


async def test_the_gateway_server_config_answers_over_real_sockets() -> None:
    config = uvicorn_config(Litestar([one, stream]), _settings())
    port = config.port
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(1000):  # uvicorn offers no event for "listening"
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(3):  # keep-alive: several responses on one connection
                response = await client.get("/one")
                assert response.status_code == 200 and response.json() == {"answer": 42}
            streamed = await client.get("/stream")
            assert streamed.status_code == 200 and streamed.text == "abc"
            assert (await client.get("/missing")).status_code == 404
    finally:
        server.should_exit = True
        await task


@get("/peer", sync_to_thread=False)
def peer(request: Request[Any, Any, Any]) -> dict[str, str | None]:
    return {"client": request.client.host if request.client else None}


async def _client_seen(config: uvicorn.Config, forwarded: str) -> str:
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{config.port}") as client:
            response = await client.get("/peer", headers={"X-Forwarded-For": forwarded})
            seen: str = response.json()["client"]
            return seen
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [
        ([], "127.0.0.1"),  # uvicorn's default would have believed the header from 127.0.0.1
        (["10.0.0.0/8"], "127.0.0.1"),  # a peer outside the trusted networks
        (["127.0.0.0/8"], "203.0.113.9"),  # a trusted proxy: the client it names
    ],
)
async def test_forwarded_for_is_believed_only_from_trusted_proxies(trusted: list[str], seen: str) -> None:
    config = uvicorn_config(Litestar([peer]), _settings(trusted))
    assert config.proxy_headers is bool(trusted)
    assert await _client_seen(config, "203.0.113.9") == seen
