"""The dashboard's files at `/`: the page for client routes, long-cached assets, the API's paths left alone, and
the caller middleware applied to everything but the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from livestudio_gateway.dashboard import ApiOnly, dashboard_routes


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Live Studio</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "robots.txt").write_text("User-agent: *")
    return tmp_path


def refusing_guard(app: ASGIApp) -> ASGIApp:
    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith("/api/v1/auth"):
            await app(scope, receive, send)
            return
        start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 401, "headers": []}
        body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"token please", "more_body": False}
        await send(start)
        await send(body)

    return guarded


@get("/api/v1/auth/ping", sync_to_thread=False)
def ping() -> str:
    return "pong"


def client(build: Path) -> TestClient[Litestar]:
    app = Litestar(
        route_handlers=[ping, *dashboard_routes(build)],
        middleware=[DefineMiddleware(ApiOnly, guard=refusing_guard)],
    )
    return TestClient(app)


def test_the_page_answers_every_client_route_without_a_token(build: Path) -> None:
    with client(build) as c:
        for path in ("/", "/sessions/acc-1/42", "/signin"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert "Live Studio" in r.text
            assert r.headers["content-type"].startswith("text/html")
            assert "no-cache" in r.headers["cache-control"]
        assert c.get("/robots.txt").text == "User-agent: *"


def test_hashed_assets_are_cached_for_a_year(build: Path) -> None:
    with client(build) as c:
        r = c.get("/assets/index-abc123.js")
        assert r.status_code == 200
        assert "immutable" in r.headers["cache-control"]
        assert "max-age=31536000" in r.headers["cache-control"]
        assert c.get("/assets/missing.js").status_code == 404


def test_api_and_ops_paths_are_never_the_page(build: Path) -> None:
    with client(build) as c:
        assert c.get("/api/v1/sessions").status_code == 401  # the caller middleware still guards the API
        assert c.get("/api/v1/auth/ping").text == "pong"
        for path in ("/api/v1/auth/nope", "/schema/nope", "/health/nope", "/metrics/x"):
            r = c.get(path)
            assert r.status_code in (401, 404), path
            assert "Live Studio" not in r.text, path


def test_no_build_means_no_routes(tmp_path: Path) -> None:
    assert dashboard_routes(tmp_path) == []


def test_a_path_outside_the_build_is_not_served(build: Path) -> None:
    (build.parent / "secret.txt").write_text("not for the web")
    with client(build) as c:
        for path in ("/..%2Fsecret.txt", "/assets/..%2F..%2Fsecret.txt"):
            assert "not for the web" not in c.get(path).text, path
