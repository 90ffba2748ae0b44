"""HTTP metrics: one series per route template and status, duration observed, errors counted, /metrics excluded."""

from __future__ import annotations

from typing import Annotated

from litestar import Litestar, get
from litestar.exceptions import HTTPException
from litestar.params import PathParameter
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from livestudio_gateway.httpmetrics import HttpMetricsMiddleware
from livestudio_gateway.metrics import HTTP_APP_NAME


@get("/things/{thing_id:int}", sync_to_thread=False)
def thing(thing_id: Annotated[int, PathParameter()]) -> dict[str, int]:
    if thing_id == 0:
        raise HTTPException(status_code=503, detail="down")
    return {"thing_id": thing_id}


@get("/metrics", sync_to_thread=False)
def metrics() -> str:
    return "metrics"


def sample(name: str, path: str, status: str) -> float:
    labels = {"method": "GET", "path": path, "status_code": status, "app_name": HTTP_APP_NAME}
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_requests_are_counted_per_route_template_and_status() -> None:
    path = "/things/{thing_id}"  # the template, without the converter
    before_ok = sample("livestudio_gateway_http_requests_total", path, "200")
    before_err = sample("livestudio_gateway_http_requests_total", path, "503")
    before_errors = sample("livestudio_gateway_http_requests_error_total", path, "503")
    before_observed = sample("livestudio_gateway_http_request_duration_seconds_count", path, "200")
    before_metrics = sample("livestudio_gateway_http_requests_total", "/metrics", "200")
    app = Litestar([thing, metrics], middleware=[HttpMetricsMiddleware])
    async with AsyncTestClient(app) as client:
        for thing_id in (1, 2, 3):
            assert (await client.get(f"/things/{thing_id}")).status_code == 200
        assert (await client.get("/things/0")).status_code == 503
        assert (await client.get("/metrics")).status_code == 200
    assert sample("livestudio_gateway_http_requests_total", path, "200") - before_ok == 3
    assert sample("livestudio_gateway_http_requests_total", path, "503") - before_err == 1
    assert sample("livestudio_gateway_http_requests_error_total", path, "503") - before_errors == 1
    assert sample("livestudio_gateway_http_request_duration_seconds_count", path, "200") - before_observed == 3
    assert sample("livestudio_gateway_http_request_duration_seconds_sum", path, "200") > 0
    assert sample("livestudio_gateway_http_requests_total", "/metrics", "200") == before_metrics
    assert sample("livestudio_gateway_http_requests_in_progress", path, "200") == 0
    assert REGISTRY.get_sample_value("livestudio_gateway_http_requests_total", {"path": "/things/1"}) is None
