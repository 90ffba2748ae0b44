"""Prometheus exposition for every service (default registry) and the metrics they all share."""

from __future__ import annotations

from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, Info, generate_latest

BUILD_INFO = Info("livestudio_build", "Live Studio service identity")
SERVICE_UP = Gauge("livestudio_service_ready", "1 when the service's readiness checks pass", ["service"])


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics_endpoint() -> Response[bytes]:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
