"""Property (real Postgres): for random event sets with duplicates, reordering within a window, late corrections
and redelivered batches, every analytics table equals the reference computation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings

from livestudio_analytics.main import MIGRATIONS
from livestudio_analytics.repository import READ_MODELS
from livestudio_runtime.db import create_pool
from livestudio_runtime.migrations import migrate
from tests.analytics.db import apply_in_transaction, diff_tables, fetch_tables
from tests.analytics.reference import Reference
from tests.analytics.strategies import Scenario, decode_message, scenarios


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema="analytics", application_name="analytics-property")
    try:
        yield pool
    finally:
        await pool.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios(max_events=20))
async def test_tables_equal_reference(pool: asyncpg.Pool, scenario: Scenario) -> None:
    async with pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {', '.join(READ_MODELS)}, command_results")

    for batch in scenario.batches:
        await apply_in_transaction(pool, [decode_message(m) for m in batch])

    reference = Reference()
    for message in scenario.messages:
        reference.add(message.topic, message.value)
    expected = reference.tables()
    async with pool.acquire() as conn:
        actual = await fetch_tables(conn, expected)
    problems = diff_tables(expected, actual)
    assert not problems, "\n".join(problems)
