"""Test kit for the shopee_client tests: recorded-shape fixtures and a MockShopee routing MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).parent / "fixtures"
COOKIE = "SPC_EC=secret-ec-value; SPC_ST=.secret-st-value; SPC_U=123456789; SPC_F=fingerprint"

Route = tuple[int, bytes, dict[str, str]] | Callable[[httpx.Request], httpx.Response]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


class MockShopee:
    """Routes request paths (suffix match) to canned responses and records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Route]] = {}
        self.requests: list[httpx.Request] = []

    def add(self, path_suffix: str, *responses: Route) -> None:
        self.routes.setdefault(path_suffix, []).extend(responses)

    def fixture(self, path_suffix: str, name: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.add(path_suffix, (status, fixture_bytes(name), headers or {}))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for suffix, queue in self.routes.items():
            if request.url.path.endswith(suffix) and queue:
                route = queue.pop(0) if len(queue) > 1 else queue[0]
                if callable(route):
                    return route(request)
                status, body, headers = route
                return httpx.Response(status, content=body, headers={"content-type": "application/json", **headers})
        return httpx.Response(404, content=b"not found")

    def count(self, path_suffix: str) -> int:
        return sum(1 for r in self.requests if r.url.path.endswith(path_suffix))
