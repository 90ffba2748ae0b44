"""Property-based run of the OpenAPI document against the app (in process, seeded database, real broker).

Schemathesis generates valid and invalid requests for every operation (except the endless SSE stream) and checks
that nothing answers 5xx, that every status code, content type, header and body conforms to the document, that
invalid input is rejected and that a missing token is refused. `positive_data_acceptance` is left out: a request
can match the schema and still be refused with a documented 400 for a rule JSON Schema cannot state (date_to
before date_from, a cookie without SPC_ cookies, a rule kind without its amount). Examples per operation are
bounded to keep the run well under two minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from livestudio_gateway.auth import mint_token
from livestudio_gateway.main import create_app
from tests.gateway.conftest import JWT_SECRET, gateway_settings

MAX_EXAMPLES = 8


@pytest.fixture(scope="module")
def api_schema(seeded_db: str, kafka_bootstrap: str) -> Iterator[Any]:
    app = create_app(gateway_settings(seeded_db, kafka_bootstrap, publish_timeout_s=3.0))
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES, database="none"
    )
    try:
        yield schema
    finally:
        asgi.shutdown_lifespans()  # the app runs in schemathesis' own event-loop thread


# a manager of two IDR studios sees data (so 200s are generated and validated) and may send commands
TOKEN = mint_token(JWT_SECRET, sub="fuzzer", role="manager", studios=["studio-a", "studio-b"], ttl_s=3600)


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation, read from an app that is never started."""
    spec = create_app(gateway_settings("postgresql://unused@127.0.0.1:1/unused", "127.0.0.1:1")).openapi_schema
    return sorted(
        (method.upper(), path)
        for path, item in (spec.paths or {}).items()
        for method in ("get", "post", "put", "patch", "delete")
        if getattr(item, method, None) is not None and path not in SKIPPED
    )


SKIPPED = {"/api/v1/live"}  # an endless event stream; covered by test_live.py


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: str(v))
def test_operation_conforms_to_the_openapi_document(api_schema: Any, method: str, path: str) -> None:
    operation = api_schema[path][method]
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            print_blob=False,
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {TOKEN}"}, excluded_checks=[positive_data_acceptance]
            )

        run()
