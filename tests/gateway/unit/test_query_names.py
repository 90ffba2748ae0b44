"""Unknown query parameters are refused per route handler, even when a dropped handler's id is reused."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from litestar.params import QueryParameter

from livestudio_gateway.handlers import _declared_query


def _handler(*names: str) -> Any:
    params = {n: SimpleNamespace(kwarg_definition=QueryParameter()) for n in names}
    return SimpleNamespace(parsed_fn_signature=SimpleNamespace(parameters=params))


def test_a_new_handler_never_gets_the_names_cached_for_an_old_one() -> None:
    handlers = [_handler(f"p{i}") for i in range(50)]
    for h in handlers:
        assert _declared_query(h) == frozenset({f"p{handlers.index(h)}"})
    del handlers  # were the cache keyed by id alone, CPython would hand these ids to the new handlers below
    fresh = [_handler("account_id", "access_token") for _ in range(200)]
    assert all(_declared_query(h) == frozenset({"account_id", "access_token"}) for h in fresh)
