"""The query names each route handler declares (unknown ones are refused), read through public APIs only, and
never the names cached for a dropped handler whose id is reused."""

from __future__ import annotations

import inspect
from typing import Annotated, Any, get_type_hints

from litestar import Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter
from litestar.testing import create_test_client

from livestudio_gateway.handlers import accounts, declared_query, reject_unknown_query, sessions
from livestudio_gateway.handlers import api_router as _api_router
from livestudio_gateway.identity.routes import identity_router
from livestudio_gateway.problems import problem_details_plugin


def _handlers() -> list[HTTPRouteHandler]:
    found = []
    for router in (_api_router(), identity_router()):
        for route in router.routes:
            for handler in getattr(route, "route_handlers", []):
                if isinstance(handler, HTTPRouteHandler) and handler.fn.__module__.startswith("livestudio_gateway"):
                    found.append(handler)  # not Litestar's own OPTIONS handlers
    return found


def _handler(*names: str) -> Any:
    """A new handler function declaring `names` as query parameters."""

    async def fn(**_: Any) -> None:
        return None

    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in names]
    )
    fn.__annotations__ = {n: Annotated[str | None, QueryParameter()] for n in names} | {"return": None}
    return get("/x")(fn)


def test_the_declared_names_of_real_handlers() -> None:
    assert declared_query(sessions.list_sessions) == frozenset(
        {"studio_id", "account_id", "host_id", "on_air", "date_from", "date_to", "sort", "cursor", "limit"}
    )
    by_name = {h.handler_name: h for h in _handlers()}
    assert "state" in declared_query(by_name[accounts.list_accounts.handler_name])  # QueryParameter(name="state")
    assert declared_query(sessions.get_session) == frozenset()  # path parameters only


def test_every_gateway_handler_resolves_its_type_hints() -> None:
    """`declared_query` reads a handler's hints; one it cannot resolve would refuse every query parameter."""
    handlers = _handlers()
    assert len(handlers) > 30
    for handler in handlers:
        get_type_hints(inspect.unwrap(handler.fn), include_extras=True)


def test_a_new_handler_never_gets_the_names_cached_for_an_old_one() -> None:
    handlers = [_handler(f"p{i}") for i in range(50)]
    for h in handlers:
        assert declared_query(h) == frozenset({f"p{handlers.index(h)}"})
    del handlers  # were the cache keyed by id alone, CPython would hand these ids to the new handlers below
    fresh = [_handler("account_id", "access_token") for _ in range(200)]
    assert all(declared_query(h) == frozenset({"account_id", "access_token"}) for h in fresh)


def test_an_unknown_query_parameter_is_a_400_and_a_declared_one_passes() -> None:
    @get("/things", sync_to_thread=False)
    def things(studio_id: Annotated[str | None, QueryParameter()] = None) -> dict[str, str | None]:
        return {"studio_id": studio_id}

    router = Router("/api", route_handlers=[things], before_request=reject_unknown_query)
    with create_test_client([router], plugins=[problem_details_plugin()]) as client:
        assert client.get("/api/things?studio_id=s1").json() == {"studio_id": "s1"}
        refused = client.get("/api/things?studio=s1")
        assert refused.status_code == 400
        assert "studio" in refused.text
