"""Liveness and readiness: services register named async checks; `/health/ready` runs them all.

`/health/ready` answers anyone (probes, load balancers) with the verdict and each check's `ok` / `failing`, never
the error text (it can name hosts, users or internals). `/health/details` adds the error of each failing check and
answers only a client on the loopback interface (`curl localhost:<port>/health/details` on the host, or
`kubectl exec` into the pod); to anyone else it is a 404."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from livestudio_runtime.metrics import SERVICE_UP, metrics_endpoint

Check = Callable[[], Awaitable[None]]
"""Raises when the dependency is not usable."""


@dataclass
class Health:
    service: str
    checks: dict[str, Check] = field(default_factory=dict)
    stopping: bool = False

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def report(self, timeout: float = 2.0) -> tuple[bool, dict[str, str]]:
        results: dict[str, str] = {}
        if self.stopping:
            results["shutdown"] = "stopping"

        async def one(name: str, check: Check) -> None:
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"{type(exc).__name__}: {exc}"[:300]

        await asyncio.gather(*(one(n, c) for n, c in self.checks.items()))
        ok = all(v == "ok" for v in results.values())
        SERVICE_UP.labels(self.service).set(1 if ok else 0)
        return ok, results


@get("/health/live", include_in_schema=False, sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


def summary(results: dict[str, str]) -> dict[str, str]:
    """Each check's verdict without its error text."""
    return {name: ("ok" if value == "ok" else "failing") for name, value in results.items()}


def is_loopback(client_host: str | None) -> bool:
    if not client_host:
        return False
    try:
        return ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        return False


async def _verdict(state: State, *, details: bool) -> Response[dict[str, Any]]:
    health: Health = state.health
    ok, results = await health.report()
    return Response(
        {"status": "ok" if ok else "unavailable", "checks": results if details else summary(results)},
        status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
    )


@get("/health/ready", include_in_schema=False)
async def ready(state: State) -> Response[dict[str, Any]]:
    return await _verdict(state, details=False)


@get("/health/details", include_in_schema=False)
async def details(state: State, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    if not is_loopback(request.client.host if request.client else None):
        raise NotFoundException()
    return await _verdict(state, details=True)


def ops_router() -> Router:
    """`/health/live`, `/health/ready`, `/health/details` and `/metrics`; expects `app.state.health` to be a
    `Health`."""
    return Router(path="/", route_handlers=[live, ready, details, metrics_endpoint], include_in_schema=False)
