"""How the gateway process serves HTTP: uvicorn on uvloop, one socket write per response, a quiet GC.

Costs that dominate a small API read on a busy machine are not in the handler: every `send()` on a socket and
every collector pass show up in the tail latency. So:

* the event loop is uvloop (uvicorn only installs it when it creates the loop itself, which `run()` does not);
* uvicorn writes the status line and headers, then the body, as two `send()` calls; `CoalescingTransport` holds
  a write until the next write of the same turn of the event loop (then both leave in one call) or the end of
  that turn, so a response goes out in one call and nothing waits longer than one loop turn;
* the cyclic garbage collector never walks the objects built at startup (`tune_gc`).

`X-Forwarded-For` / `X-Forwarded-Proto` are believed only from the peers in `GATEWAY_TRUSTED_PROXIES`; with none
configured uvicorn's proxy-header middleware is off (by default it trusts 127.0.0.1, so a client on the same host,
or a local proxy that passes the header through, could pick any client address for the rate limiter).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import FrameType
from typing import Any

import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from livestudio_gateway.live import LiveHub
from livestudio_gateway.settings import GatewaySettings
from livestudio_runtime.gc_policy import freeze_startup_objects

Data = bytes | bytearray | memoryview


class CoalescingTransport(asyncio.Transport):
    """Wraps a connection's transport: a write is held until the next write or the end of the loop turn."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: Data | None = None

    # --- writing ---------------------------------------------------------------------------------------------
    def write(self, data: Data) -> None:
        if self._held is None:
            if data:
                self._held = data
                self._loop.call_soon(self.flush)
            return
        held, self._held = self._held, None
        self._transport.writelines((held, data))

    def writelines(self, list_of_data: Iterable[Data]) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Sends what is held (the end of the loop turn, or before closing)."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + (len(self._held) if self._held is not None else 0)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    # --- everything else is the wrapped transport's --------------------------------------------------------
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()


class CoalescingHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))


class GatewayServer(uvicorn.Server):
    """uvicorn waits for open responses before shutting down: end the SSE streams as soon as a signal arrives."""

    def __init__(self, config: uvicorn.Config, hub: LiveHub) -> None:
        super().__init__(config)
        self.hub = hub
        self.loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)  # type: ignore[arg-type]

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.hub.close)
        super().handle_exit(sig, frame)


def tune_gc() -> None:
    """The app built at startup (routes, signature models, OpenAPI schema, pydantic and msgspec types) is about
    100,000 objects tracked by the cyclic collector; every full collection walks all of them, an 80 ms stall on
    the two-core bench machine that lands on every request in flight. Freeze them out of the collector (call once
    the app is built). The young-generation thresholds stay at their defaults on purpose: a request leaves few
    containers behind (a young collection every few dozen requests, well under a millisecond), and a higher
    threshold would batch that work into rarer but proportionally longer pauses, which is worse for the tail."""
    freeze_startup_objects()


def uvicorn_config(app: Any, settings: GatewaySettings) -> uvicorn.Config:
    """How `main.run()` serves the app; forwarded headers only from the configured trusted proxies."""
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        http=CoalescingHttpProtocol,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
        server_header=False,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
    )


def serve(config: uvicorn.Config, hub: LiveHub) -> None:
    """Runs `GatewayServer` on uvloop until it is told to stop."""
    uvloop.run(GatewayServer(config, hub).serve())
