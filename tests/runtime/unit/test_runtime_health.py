"""Readiness answers anyone with verdicts only; the error text is for the loopback interface."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from livestudio_runtime.app import create_service_app
from livestudio_runtime.health import Health, is_loopback, summary


async def _failing() -> None:
    raise ConnectionRefusedError("connect to db.internal:5432 as user ingest_rw failed")


async def _fine() -> None:
    return None


def test_summary_and_loopback() -> None:
    assert summary({"a": "ok", "b": "OSError: x"}) == {"a": "ok", "b": "failing"}
    assert is_loopback("127.0.0.1") and is_loopback("::1")
    assert not is_loopback("10.1.2.3") and not is_loopback(None) and not is_loopback("testclient")


async def test_ready_hides_error_text_and_details_are_internal() -> None:
    health = Health("t")
    health.add("postgres", _failing)
    health.add("kafka", _fine)
    app = create_service_app(service="t", health=health)
    async with AsyncTestClient(app) as client:  # the test client's peer is "testclient", not loopback
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "checks": {"postgres": "failing", "kafka": "ok"}}
        assert "db.internal" not in ready.text
        assert (await client.get("/health/details")).status_code == 404
