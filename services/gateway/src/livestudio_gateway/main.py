"""The gateway service: `create_app(settings)` builds the Litestar app, `run()` serves it (console script).

Middleware, outermost first: HTTP metrics (per route template), then the caller (JWT authentication and the
per-client rate limit, `caller.CallerMiddleware`). Errors are RFC 9457 problem+json; OpenAPI 3.1 is served at
`/schema` (`/schema/openapi.json`, docs UI `/schema/swagger`). `/health/live`, `/health/ready` (Postgres and broker
reachable) and `/metrics` come from the runtime. The dashboard's built files are served at `/` (`dashboard.py`).
"""

from __future__ import annotations

import signal
import sys

import structlog
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from livestudio_gateway import server
from livestudio_gateway.caller import CallerMiddleware
from livestudio_gateway.dashboard import ApiOnly, dashboard_routes
from livestudio_gateway.handlers import api_router
from livestudio_gateway.httpmetrics import HttpMetricsMiddleware
from livestudio_gateway.identity.handlers import PUBLIC_PREFIX
from livestudio_gateway.identity.routes import identity_router
from livestudio_gateway.models import PlainDecimal, plain_text
from livestudio_gateway.problems import problem_details_plugin
from livestudio_gateway.ratelimit import TokenBuckets
from livestudio_gateway.settings import GatewaySettings
from livestudio_gateway.state import Gateway
from livestudio_runtime.app import create_service_app
from livestudio_runtime.health import Health
from livestudio_runtime.kafka import kafka_check
from livestudio_runtime.logging import configure_logging

SERVICE = "gateway"
OPS_PATHS = ("/health", "/metrics", "/schema")
log = structlog.get_logger(__name__)

API_DESCRIPTION = """Read API and command entry point of Live Studio.

Authenticate with `Authorization: Bearer <JWT>` (HS256; claims `sub`, `role` = owner | manager | host | service,
`studios`, `host_id`). Every answer is limited to the caller's studios. Money is an exact decimal string; a figure
that was never reported is `null` (unknown, not zero); days are local days in the studio's timezone. Errors are
RFC 9457 `application/problem+json`. Commands answer `202` with a command id; follow `status_url` for the outcome.

People sign in at `POST /api/v1/auth/signin` (email + password): the answer carries a short-lived access token
(use it as a bearer token, or rely on the HttpOnly `ls_access` cookie) and sets the refresh cookie; a write
authenticated by the cookie needs `X-CSRF-Token` (from the answer or the `ls_csrf` cookie). An organisation's owner
sees the studios of the organisation; integrations use service keys (`lsk_…`) as bearer tokens.
"""


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Live Studio API",
        version="1.0.0",
        description=API_DESCRIPTION,
        path="/schema",
        render_plugins=[SwaggerRenderPlugin(), ScalarRenderPlugin()],
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
        security=[{"BearerToken": []}],
        use_handler_docstrings=False,
    )


def create_app(settings: GatewaySettings | None = None) -> Litestar:
    settings = settings or GatewaySettings()  # type: ignore[call-arg]
    gateway = Gateway.from_settings(settings)
    health = Health(SERVICE)
    health.add("postgres", gateway.db_check)
    health.add("kafka", kafka_check(settings.kafka_bootstrap))

    buckets = (
        TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst) if settings.rate_limit_enabled else None
    )
    middleware = [
        HttpMetricsMiddleware,
        DefineMiddleware(
            ApiOnly,  # the dashboard's files (issue #19) are public; everything else meets the caller middleware
            guard=lambda app: CallerMiddleware(
                app,
                verifier=gateway.verifier,
                buckets=buckets,
                exclude_prefixes=(*OPS_PATHS, PUBLIC_PREFIX),  # identity (issue #18): sign-in routes are public
                resolve=gateway.identity.resolve if gateway.identity is not None else None,
            ),
        ),
    ]
    cors = (
        CORSConfig(
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
            allow_credentials=True,
            expose_headers=["Location", "Retry-After"],
            max_age=600,
        )
        if settings.cors_origins
        else None
    )
    return create_service_app(
        service=SERVICE,
        health=health,
        lifespans=[gateway.lifespan],
        gc_interval_s=settings.gc_interval_s,
        route_handlers=[api_router(), identity_router(), *dashboard_routes()],
        state={"gateway": gateway},
        middleware=middleware,
        plugins=[problem_details_plugin()],
        openapi_config=openapi_config(),
        cors_config=cors,
        request_max_body_size=settings.max_body_bytes,
        type_encoders={PlainDecimal: plain_text},
        logging_config=None,  # keep the runtime's structlog JSON setup (Litestar would install its own)
    )


def run() -> None:
    settings = GatewaySettings()  # type: ignore[call-arg]
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    app = create_app(settings)
    config = server.uvicorn_config(app, settings)
    log.info("gateway_listening", host=settings.http_host, port=settings.http_port)
    # uvicorn re-raises the signal it stopped on once it has shut down; answer it with a clean exit status.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    server.serve(config, app.state.gateway.hub)


if __name__ == "__main__":
    run()
