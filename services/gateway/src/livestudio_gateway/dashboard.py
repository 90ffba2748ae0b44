"""The dashboard's files (issue #19): the built front end served at `/`, on the same origin as `/api/v1`.

`dashboard_routes(directory)` gives the route handlers: Litestar's static files router at `/assets` (the hashed
bundles Vite writes; cached for a year, `immutable`), and `GET /` plus `GET /{path}` answering a file of the
build's top folder when one exists and otherwise `index.html` (the single-page app's fallback for client routes
such as `/sessions/…`), never cached so that a new build is picked up at once. Paths of the API and of the ops
routes (`/api`, `/schema`, `/health`, `/metrics`) are never answered with the page: an unknown one stays a 404.

`ApiOnly` runs the caller middleware (bearer token, rate limit) for everything but the dashboard's files: those
are public (the page signs in through the API). The build lives in `frontend/dist` of the repository
(`GATEWAY_DASHBOARD_DIR` points elsewhere); without a build the gateway serves the API alone.

`python -m livestudio_gateway.dashboard openapi` prints the OpenAPI document of `create_app()` (no server, no
database): the dashboard's API types are generated from it (`livestudio_devinfra.frontend`).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from litestar import Router, get
from litestar.datastructures import CacheControlHeader
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter
from litestar.response import File
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, ControllerRouterHandler, Receive, Scope, Send
from pydantic_settings import BaseSettings, SettingsConfigDict

ASSETS_PATH = "/assets"
NOT_PAGES = ("/api", "/schema", "/health", "/metrics")
"""Path prefixes that belong to the API and the ops routes, never to the page."""
_REPOSITORY_BUILD = Path(__file__).resolve().parents[4] / "frontend" / "dist"
_NO_STORE = CacheControlHeader(no_cache=True)
_IMMUTABLE = CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True)


class DashboardSettings(BaseSettings):
    """Where the built front end is (env `GATEWAY_DASHBOARD_DIR`; default the repository's `frontend/dist`)."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")
    dashboard_dir: Path = _REPOSITORY_BUILD


def _is_page_path(path: str) -> bool:
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in NOT_PAGES)


def dashboard_routes(directory: Path | None = None) -> list[ControllerRouterHandler]:
    """The dashboard's routes, or none when `directory` holds no build (`index.html`)."""
    root = (directory or DashboardSettings().dashboard_dir).resolve()
    index = root / "index.html"
    if not index.is_file():
        return []

    def page(path: str) -> File:
        if not _is_page_path(path):
            raise NotFoundException()
        candidate = (root / path.lstrip("/")).resolve()
        found = candidate if candidate != root and candidate.is_relative_to(root) and candidate.is_file() else index
        media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        return File(found, content_disposition_type="inline", media_type=media_type)

    @get("/", include_in_schema=False, cache_control=_NO_STORE, sync_to_thread=False)
    def home() -> File:
        return page("/")

    @get("/{path:path}", include_in_schema=False, cache_control=_NO_STORE, sync_to_thread=False)
    def client_route(path: Annotated[str, PathParameter(max_length=2048)]) -> File:
        return page(path)

    assets = create_static_files_router(
        path=ASSETS_PATH, directories=[root / "assets"], cache_control=_IMMUTABLE, name="dashboard-assets"
    )
    return [Router(path="", route_handlers=[home, client_route]), assets]


class ApiOnly:
    """Runs `guard` (an ASGI middleware factory, e.g. the caller middleware) for every path but the dashboard's
    files, which pass straight to the app."""

    def __init__(self, app: ASGIApp, *, guard: Callable[[ASGIApp], ASGIApp]) -> None:
        self.app = app
        self.guarded = guard(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and _is_page_path(scope["path"]):
            await self.app(scope, receive, send)
        else:
            await self.guarded(scope, receive, send)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document `/schema/openapi.json` serves, from an app that is built but never started."""
    from livestudio_gateway.main import create_app  # main imports this module
    from livestudio_gateway.settings import GatewaySettings

    settings = GatewaySettings(
        jwt_secret="openapi-export-only-" + "x" * 16,
        database_url="postgresql://openapi@127.0.0.1:1/openapi",
        kafka_bootstrap="127.0.0.1:1",
    )
    document: dict[str, Any] = create_app(settings).openapi_schema.to_schema()
    return document


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m livestudio_gateway.dashboard", description="The dashboard's API")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("openapi", help="print the OpenAPI document of create_app() (no server, no database)")
    parser.parse_args(argv)
    sys.stdout.write(json.dumps(openapi_document(), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
