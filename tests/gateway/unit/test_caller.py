"""The caller middleware: where the token comes from, who is metered by which key, what is refused and how."""

from __future__ import annotations

from typing import Any, cast

from litestar import Litestar, Request, get
from litestar.middleware import DefineMiddleware
from litestar.testing import AsyncTestClient
from litestar.types import HTTPScope

from livestudio_gateway.auth import TokenVerifier, mint_token
from livestudio_gateway.caller import CallerMiddleware, bearer_token
from livestudio_gateway.main import OPS_PATHS
from livestudio_gateway.problems import problem_details_plugin
from livestudio_gateway.ratelimit import TokenBuckets

SECRET = "caller-secret-" + "z" * 32


def scope(path: str, headers: list[tuple[bytes, bytes]], query: bytes = b"") -> HTTPScope:
    return cast(HTTPScope, {"type": "http", "path": path, "headers": headers, "query_string": query})


def test_the_token_comes_from_a_bearer_header_or_on_the_live_route_from_the_query() -> None:
    assert bearer_token(scope("/api/v1/sessions", [(b"authorization", b"Bearer abc.def")])) == "abc.def"
    assert bearer_token(scope("/api/v1/sessions", [(b"Authorization", b"bearer  abc ")])) == "abc"
    assert bearer_token(scope("/api/v1/sessions", [(b"authorization", b"Basic dXNlcjpwYXNz")])) is None
    assert bearer_token(scope("/api/v1/sessions", [(b"authorization", b"Bearer ")])) is None
    assert bearer_token(scope("/api/v1/sessions", [], b"access_token=abc")) is None  # only the SSE route
    assert bearer_token(scope("/api/v1/live", [], b"x=1&access_token=abc")) == "abc"
    assert bearer_token(scope("/api/v1/live", [], b"access_token=")) is None
    # a header wins over the query, even when it is not a bearer one
    assert bearer_token(scope("/api/v1/live", [(b"authorization", b"Basic x")], b"access_token=abc")) is None


@get("/api/v1/whoami", sync_to_thread=False)
def whoami(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {"sub": request.user.sub}


@get("/health/live", sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


def app(buckets: TokenBuckets | None) -> Litestar:
    verifier = TokenVerifier(SECRET)
    return Litestar(
        [whoami, live],
        middleware=[DefineMiddleware(CallerMiddleware, verifier=verifier, buckets=buckets, exclude_prefixes=OPS_PATHS)],
        plugins=[problem_details_plugin()],
    )


async def test_admitted_callers_carry_their_principal_and_refusals_are_problems() -> None:
    token = mint_token(SECRET, sub="alice", role="owner")
    async with AsyncTestClient(app(None)) as client:
        ok = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json() == {"sub": "alice"}
        missing = await client.get("/api/v1/whoami")
        assert missing.status_code == 401 and missing.json()["detail"] == "a valid bearer token is required"
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert missing.headers["www-authenticate"].startswith("Bearer")
        forged = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}x"})
        assert forged.status_code == 401 and "invalid or expired" in forged.json()["detail"]
        assert (await client.get("/health/live")).status_code == 200  # ops routes need no token


async def test_callers_are_metered_by_subject_or_by_address_before_the_verdict() -> None:
    buckets = TokenBuckets(per_minute=60, burst=2)
    alice = {"Authorization": f"Bearer {mint_token(SECRET, sub='alice', role='owner')}"}
    bob = {"Authorization": f"Bearer {mint_token(SECRET, sub='bob', role='owner')}"}
    async with AsyncTestClient(app(buckets)) as client:
        codes = [(await client.get("/api/v1/whoami", headers=alice)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert (await client.get("/api/v1/whoami", headers=bob)).status_code == 200
        # no valid token: the client address is the key, and a wrong guess costs a token too
        guesses = [
            (await client.get("/api/v1/whoami", headers={"Authorization": "Bearer x"})).status_code for _ in range(3)
        ]
        assert guesses == [401, 401, 429]
        limited = await client.get("/api/v1/whoami")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert [(await client.get("/health/live")).status_code for _ in range(5)] == [200] * 5
    assert set(buckets.keys()) == {"sub:alice", "sub:bob", "ip:testclient"}
