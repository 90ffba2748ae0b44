"""Gateway overhead: CPU per request of the gateway app itself, in process, next to a bare Litestar app.

The latency benchmark (`gateway_latency.py`) measures requests over sockets on a noisy shared machine, where a
change of a few microseconds disappears in the noise. This one calls the ASGI app directly, one analytics-summary
request at a time, with the repository answering canned rows (no sockets, no database): what remains is the
gateway's own work (routing, the caller middleware, parameter validation, the handler's arithmetic, encoding).
For scale, the same loop drives a Litestar app with one route answering a constant (the floor that
`gateway_latency.py` also serves over HTTP). Prints microseconds per request, medians of `--rounds`. Figures,
dated: `services/gateway/README.md` (Performance).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any, cast

import uvloop
from litestar import Litestar, get
from litestar.types import HTTPRequestEvent, HTTPScope, Message

from livestudio_gateway.auth import mint_token
from livestudio_gateway.main import create_app
from livestudio_gateway.repository import Repository, Scope
from livestudio_gateway.settings import GatewaySettings

SECRET = "overhead-secret-" + "k" * 32
SUMMARY_PATH = "/api/v1/analytics/summary"
SUMMARY_QUERY = b"studio_id=studio-01&date_from=2026-08-10&date_to=2026-08-16"
ROLLUP: dict[str, Any] = {
    "sessions": 40,
    "streaming_ms": 216_000_000,
    "viewers": 100_000,
    "peak_viewers": 4_999,
    "placed_orders": 1_600,
    "confirmed_orders": 1_500,
    "placed_sales": Decimal("81000000"),
    "confirmed_sales": Decimal("80000000"),
    "ad_spend": Decimal("250000"),
}


class CannedRows(Repository):
    """The repository of the summary route, answering the same two rollup rows without a database."""

    def __init__(self) -> None:  # no pool
        pass

    async def summary_studios(self, scope: Scope, prev_from: date, cur_from: date, cur_to: date) -> list[Any]:
        return [{**ROLLUP, "is_current": True}, {**ROLLUP, "is_current": False, "viewers": 90_000}]

    async def studio_currencies(self, scope: Scope) -> list[str]:
        return ["IDR"]


def gateway_app() -> Litestar:
    settings = GatewaySettings(
        jwt_secret=SECRET,
        live_enabled=False,
        rate_limit_per_minute=10**9,
        rate_limit_burst=10**9,
        log_level="WARNING",
    )
    app = create_app(settings)
    app.state.gateway._repo = CannedRows()  # the lifespan (pool, broker) is not run
    return app


def floor_app() -> Litestar:
    @get("/floor", sync_to_thread=False)
    def constant() -> dict[str, str]:
        return {"detail": "x" * 1480}

    return Litestar([constant], openapi_config=None)


def requester(app: Litestar, path: str, query: bytes, token: str) -> Callable[[], Awaitable[int]]:
    """One GET through the app's ASGI interface; returns the status."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode())]

    async def receive() -> HTTPRequestEvent:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def one() -> int:
        status = 0

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
            "extensions": {},
        }
        await app(cast(HTTPScope, scope), receive, send)
        return status

    return one


async def per_request_us(one: Callable[[], Awaitable[int]], requests: int, rounds: int) -> list[float]:
    if (status := await one()) != 200:
        raise RuntimeError(f"the request answered {status}")
    for _ in range(requests // 2):  # warm up
        await one()
    figures = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(requests):
            await one()
        figures.append((time.perf_counter() - started) / requests * 1e6)
    return figures


async def main_async(args: argparse.Namespace) -> None:
    token = mint_token(SECRET, sub="overhead", role="manager", studios=["studio-01"])
    gateway = await per_request_us(
        requester(gateway_app(), SUMMARY_PATH, SUMMARY_QUERY, token), args.requests, args.rounds
    )
    floor = await per_request_us(requester(floor_app(), "/floor", b"", token), args.requests, args.rounds)
    med = statistics.median
    print(f"{args.requests:,} requests per round, median of {args.rounds} rounds, in process (no sockets, no database)")
    for name, figures in (("gateway, analytics summary", gateway), ("Litestar floor, constant answer", floor)):
        print(f"  {name:<32} {med(figures):6.1f} µs per request   rounds: {', '.join(f'{x:.0f}' for x in figures)}")
    print(f"  the gateway's own work beyond the floor: {med(gateway) - med(floor):.1f} µs per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
