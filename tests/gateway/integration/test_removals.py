"""Removing hosts, shifts and pay rules (#20): refused with a clear 409 problem where history depends on them."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.gateway.conftest import TokenFactory, bearer

Client = AsyncTestClient[Litestar]


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (
            "/api/v1/studios/studio-a/hosts/host-a1",
            "host 'host-a1' has history (schedule entries: 2, check ins: 2, sessions: ",
        ),
        ("/api/v1/studios/studio-a/shifts/pagi", "shift 'pagi' has history (schedule entries: 1); remove or move"),
        ("/api/v1/rules/studio-gmv-2pct", "pay rule 'studio-gmv-2pct' has history (statement lines: 2); end it"),
    ],
)
async def test_what_history_depends_on_stays(client: Client, token: TokenFactory, path: str, detail: str) -> None:
    response = await client.delete(path, headers=bearer(token("manager", studios=["studio-a"])))
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/in-use")
    assert problem["detail"].startswith(detail), problem["detail"]


async def test_a_removal_says_nothing_of_another_studios_history(client: Client, token: TokenFactory) -> None:
    """host-b1 has history in studio-b: a manager of studio-a gets the 404 of a missing host, not a 409."""
    manager = token("manager", studios=["studio-a"])
    there = await client.delete("/api/v1/studios/studio-a/hosts/host-b1", headers=bearer(manager))
    nowhere = await client.delete("/api/v1/studios/studio-a/hosts/host-nope", headers=bearer(manager))
    assert there.status_code == nowhere.status_code == 404
    assert there.json()["detail"].replace("host-b1", "x") == nowhere.json()["detail"].replace("host-nope", "x")


async def test_a_global_rule_is_removed_by_an_operator_only(client: Client, token: TokenFactory) -> None:
    manager = token("manager", studios=["studio-a"])
    response = await client.delete("/api/v1/rules/global-hour", headers=bearer(manager))
    assert response.status_code == 404  # not in the manager's studio
