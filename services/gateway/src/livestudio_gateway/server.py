"""How the gateway process serves HTTP: uvicorn on uvloop through its public configuration only.

* the event loop is uvloop (uvicorn only installs it when it creates the loop itself, which `serve()` does not);
* uvicorn's own HTTP protocol (httptools); the garbage collector follows the runtime's policy for every service
  (`livestudio_runtime.gc_policy`: startup objects frozen here, once the app is built; timed collections);
* SSE streams end as soon as a signal arrives (`GatewayServer`).

`X-Forwarded-For` / `X-Forwarded-Proto` are believed only from the peers in `GATEWAY_TRUSTED_PROXIES`; with none
configured uvicorn's proxy-header middleware is off (by default it trusts 127.0.0.1, so a client on the same host,
or a local proxy that passes the header through, could pick any client address for the rate limiter).
"""

from __future__ import annotations

import asyncio
from types import FrameType
from typing import Any

import uvicorn
import uvloop

from livestudio_gateway.live import LiveHub
from livestudio_gateway.settings import GatewaySettings
from livestudio_runtime.gc_policy import freeze_startup_objects


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


def uvicorn_config(app: Any, settings: GatewaySettings) -> uvicorn.Config:
    """How `main.run()` serves the app; forwarded headers only from the configured trusted proxies."""
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        http="httptools",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
        server_header=False,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
    )


def serve(config: uvicorn.Config, hub: LiveHub) -> None:
    """Runs `GatewayServer` on uvloop until it is told to stop (what startup built frozen out of the collector)."""
    freeze_startup_objects()
    uvloop.run(GatewayServer(config, hub).serve())
