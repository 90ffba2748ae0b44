"""Serving: one socket write per response (CoalescingTransport), the frozen collector, and real HTTP through it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar, Request, get
from litestar.response import Stream

from livestudio_devinfra.ports import free_port
from livestudio_gateway.server import CoalescingHttpProtocol, CoalescingTransport, tune_gc


class RecordingTransport(asyncio.Transport):
    """Records every write call: each entry is what one `send()` would carry."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.sends.append(bytes(data))

    def writelines(self, list_of_data: Iterable[Any]) -> None:
        self.sends.append(b"".join(bytes(d) for d in list_of_data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.events.append("close")
        self.closing = True

    def abort(self) -> None:
        self.events.append("abort")
        self.closing = True

    def write_eof(self) -> None:
        self.events.append("eof")

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("10.0.0.1", 5555)}.get(name, default)


async def test_head_and_body_of_one_turn_leave_in_one_send() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert inner.sends == []  # held until the body or the end of the turn
    assert transport.get_write_buffer_size() > 0
    transport.write(b"{}")
    assert inner.sends == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    await asyncio.sleep(0)
    assert len(inner.sends) == 1  # the scheduled flush finds nothing left


async def test_a_lone_write_leaves_at_the_end_of_the_turn() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"data: 1\n\n")
    transport.write(b"")  # an empty write sends what is held, nothing more
    assert inner.sends == [b"data: 1\n\n"]
    transport.write(b"data: 2\n\n")
    await asyncio.sleep(0)
    assert inner.sends == [b"data: 1\n\n", b"data: 2\n\n"]
    transport.write(b"")
    await asyncio.sleep(0)
    assert inner.sends == [b"data: 1\n\n", b"data: 2\n\n"]  # nothing to send for an empty write


async def test_close_sends_what_is_held_first_and_abort_drops_it() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"bye")
    transport.close()
    assert inner.sends == [b"bye"] and inner.events == ["close"]
    assert transport.is_closing()

    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"lost")
    transport.abort()
    await asyncio.sleep(0)
    assert inner.sends == [] and inner.events == ["abort"]
    assert transport.get_extra_info("peername") == ("10.0.0.1", 5555)


def test_tune_gc_freezes_what_exists_at_startup() -> None:
    try:
        tune_gc()
        assert gc.get_freeze_count() > 10_000  # the test session and the gateway's modules
        assert len(gc.get_objects(generation=2)) < 1_000  # the oldest generation no longer holds them
    finally:
        gc.unfreeze()


@get("/one", sync_to_thread=False)
def one() -> dict[str, int]:
    return {"answer": 42}


@get("/stream", sync_to_thread=False)
def stream() -> Stream:
    return Stream(iter([b"a", b"b", b"c"]), media_type="text/plain")


async def test_uvicorn_with_the_coalescing_protocol_answers_over_real_sockets() -> None:
    port = free_port()
    config = uvicorn.Config(
        Litestar([one, stream]), host="127.0.0.1", port=port, http=CoalescingHttpProtocol, log_config=None
    )
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
    from livestudio_gateway.server import uvicorn_config
    from livestudio_gateway.settings import GatewaySettings

    settings = GatewaySettings(  # type: ignore[call-arg]
        jwt_secret="k" * 32, http_host="127.0.0.1", http_port=free_port(), trusted_proxies=trusted
    )
    config = uvicorn_config(Litestar([peer]), settings)
    assert config.proxy_headers is bool(trusted)
    assert await _client_seen(config, "203.0.113.9") == seen
