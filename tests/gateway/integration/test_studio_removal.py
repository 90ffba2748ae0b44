"""Removing a studio (#20): owners only, a 404 outside their scope, a 409 naming what it holds, and through the real
commission consumer an empty one goes from the studio list and may be created again. (Another organisation's
studio: `test_identity.py`.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.fixtures.infra import TopicFactory
from tests.gateway.conftest import TokenFactory, bearer
from tests.security.kit import OWNER, Stack, auth, stack

Client = AsyncTestClient[Litestar]
ADVICE = "remove what was only set up in it first (a studio with accounts or sessions stays)"


async def test_a_studio_with_history_stays(client: Client, token: TokenFactory) -> None:
    response = await client.delete("/api/v1/studios/studio-a", headers=bearer(token("owner")))
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith("/in-use")
    detail: str = problem["detail"]
    assert detail.startswith("studio 'studio-a' has history (accounts: "), detail
    for held in ("hosts: ", "shifts: ", "schedule entries: ", "pay rules: ", "check ins: ", "sessions: "):
        assert held in detail, (held, detail)
    assert detail.endswith(f"); {ADVICE}")


@pytest.mark.parametrize(
    ("role", "host_id"), [("manager", None), ("host", "host-a1"), ("service", None)], ids=["manager", "host", "service"]
)
async def test_only_owners_remove_studios(client: Client, token: TokenFactory, role: str, host_id: str | None) -> None:
    caller = token(role, studios=["studio-a"], host_id=host_id)  # type: ignore[arg-type]
    response = await client.delete("/api/v1/studios/studio-a", headers=bearer(caller))
    assert response.status_code == 403, response.text


async def test_a_missing_studio_is_a_404(client: Client, token: TokenFactory) -> None:
    response = await client.delete("/api/v1/studios/studio-nope", headers=bearer(token("owner")))
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "studio 'studio-nope' not found"


@pytest.fixture
async def running(kafka_bootstrap: str, fresh_db: str, topic_factory: TopicFactory) -> AsyncIterator[Stack]:
    """The gateway and the commission consumer; ingest holds accounts of studio-a and studio-b."""
    async with stack(kafka_bootstrap, fresh_db, topic_factory) as s:
        yield s


async def _studio_ids(s: Stack) -> list[str]:
    response = await s.client.get("/api/v1/studios", headers=OWNER)
    assert response.status_code == 200, response.text
    return [item["studio_id"] for item in response.json()["items"]]


async def test_an_empty_studio_is_removed_and_can_be_created_again(running: Stack) -> None:
    s = running
    for studio in ("studio-a", "studio-x", "studio-y"):
        await s.applied("PUT", f"/studios/{studio}", {"name": studio, "timezone": "Asia/Jakarta"})
    await s.applied("PUT", "/studios/studio-y/hosts/host-y1", {"name": "Yuni"})

    for studio, held in (("studio-a", "accounts: 2"), ("studio-y", "hosts: 1")):
        response = await s.client.delete(f"/api/v1/studios/{studio}", headers=OWNER)
        assert response.status_code == 409, response.text
        assert response.json()["detail"] == f"studio {studio!r} has history ({held}); {ADVICE}"
    manager = auth("manager", ["studio-x"])
    assert (await s.client.delete("/api/v1/studios/studio-x", headers=manager)).status_code == 403

    response = await s.client.delete("/api/v1/studios/studio-x", headers=OWNER)
    assert response.status_code == 202, response.text
    assert response.json()["kind"] == "studio.remove"
    assert await s.outcome(response.json()["command_id"]) == ("applied", None)
    assert await _studio_ids(s) == ["studio-a", "studio-y"]
    assert (await s.client.get("/api/v1/studios/studio-x", headers=OWNER)).status_code == 404
    assert (await s.client.delete("/api/v1/studios/studio-x", headers=OWNER)).status_code == 404

    await s.applied("PUT", "/studios/studio-x", {"name": "X again", "timezone": "Asia/Jakarta"})
    again = await s.client.get("/api/v1/studios/studio-x", headers=OWNER)
    assert again.status_code == 200 and again.json()["name"] == "X again"
