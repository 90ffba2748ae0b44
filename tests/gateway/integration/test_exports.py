"""GET /api/v1/exports/{kind}: streamed from a cursor in constant memory, escaped, scoped."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_gateway import exports
from livestudio_gateway.main import create_app
from livestudio_gateway.repository import Repository, create_pool
from tests.gateway import kit
from tests.gateway.conftest import TokenFactory, bearer, gateway_settings

Client = AsyncTestClient[Litestar]
ROWS = 20_000  # sessions of acc-a1 in 2025, one a day... spread over 200 days (100 a day)
DANGER = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture(scope="module")
async def export_db(pg_dsn: str) -> AsyncIterator[str]:
    async with kit.seeded_database(pg_dsn, "gwexport") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(
                """
                INSERT INTO analytics.sessions (account_id, session_id, studio_id, title, on_air, started_at,
                    local_day, timezone, currency, observed_at, viewers, placed_sales, confirmed_sales)
                SELECT 'acc-a1', 900000 + n, 'studio-a', CASE WHEN n = 7 THEN $1 ELSE 'Live ' || n END, false,
                       timestamptz '2025-01-01 02:00Z' + (n / 100) * interval '1 day' + (n % 100) * interval '1 minute',
                       date '2025-01-01' + n / 100, 'Asia/Jakarta', 'IDR', now(),
                       CASE WHEN n % 2 = 0 THEN n END, 70000, NULL
                FROM generate_series(0, $2 - 1) n
                """,
                DANGER,
                ROWS,
            )
        finally:
            await conn.close()
        yield dsn


@pytest.fixture(scope="module")
async def export_client(export_db: str, kafka_bootstrap: str) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(gateway_settings(export_db, kafka_bootstrap))) as client:
        yield client


async def test_sessions_export_is_complete_and_escaped(export_client: Client, token: TokenFactory) -> None:
    response = await export_client.get(
        "/api/v1/exports/sessions",
        headers=bearer(token("manager", studios=["studio-a"])),
        params={"date_from": "2025-01-01", "date_to": "2025-12-31", "account_id": "acc-a1"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == ROWS
    assert list(rows[0]) == list(exports.EXPORT_COLUMNS["sessions"])
    by_id = {r["session_id"]: r for r in rows}
    assert by_id["900007"]["title"] == "'" + DANGER  # a formula is never a formula in the spreadsheet
    assert by_id["900000"]["placed_sales"] == "70000"  # exact, never 7E+4
    assert by_id["900001"]["viewers"] == "" and by_id["900001"]["confirmed_sales"] == ""  # unknown: empty
    assert by_id["900002"]["viewers"] == "2"


async def test_every_kind_answers_and_exports_are_scoped(export_client: Client, token: TokenFactory) -> None:
    manager = bearer(token("manager", studios=["studio-a"]))
    params = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    for kind, columns in exports.EXPORT_COLUMNS.items():
        response = await export_client.get(f"/api/v1/exports/{kind}", headers=manager, params=params)
        assert response.status_code == 200, (kind, response.text)
        assert response.text.split("\r\n", 1)[0] == ",".join(columns)
    studio_b = await export_client.get(
        "/api/v1/exports/sessions", headers=bearer(token("manager", studios=["studio-b"])), params=params
    )
    assert studio_b.status_code == 200 and "acc-a1" not in studio_b.text
    other = await export_client.get(
        "/api/v1/exports/daily",
        headers=bearer(token("manager", studios=["studio-b"])),
        params=params | {"account_id": "acc-a1"},
    )
    assert other.status_code == 404
    host = await export_client.get(
        "/api/v1/exports/daily",
        headers=bearer(token("host", studios=["studio-a"], host_id="host-a1")),
        params=params,
    )
    assert host.status_code == 403
    unknown = await export_client.get("/api/v1/exports/passwords", headers=manager, params=params)
    assert unknown.status_code in (400, 404)


async def _export_peak(repo: Repository, day_to: date) -> tuple[int, int, int]:
    """(chunks, bytes, peak traced memory) of the sessions export of acc-a1 from 2025-01-01 to `day_to`."""
    rows = repo.export_rows("sessions", ["studio-a"], date(2025, 1, 1), day_to, "acc-a1")
    chunks = size = 0
    tracemalloc.start()
    try:
        async for chunk in exports.stream_csv(exports.EXPORT_COLUMNS["sessions"], rows):
            chunks += 1
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return chunks, size, peak


async def test_a_large_export_streams_in_constant_memory(export_db: str) -> None:
    pool = await create_pool(export_db, min_size=1, max_size=2, statement_timeout_ms=10_000)
    try:
        repo = Repository(pool)
        small = await _export_peak(repo, date(2025, 1, 20))  # 2,000 rows
        large = await _export_peak(repo, date(2025, 12, 31))  # 20,000 rows
    finally:
        await pool.close()
    assert small[0] == 2_000 // exports.STREAM_CHUNK_ROWS + 1
    assert large[0] == ROWS // exports.STREAM_CHUNK_ROWS + 1
    assert large[1] > 9 * small[1]
    # ten times the rows, about the same memory: what is held is a chunk and a cursor's prefetch, not the export
    assert large[2] < 1.5 * small[2], (small, large)


async def test_attendance_export_shows_the_corrected_status_beside_the_computed_one(
    export_client: Client, token: TokenFactory
) -> None:
    params = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    response = await export_client.get(
        "/api/v1/exports/attendance", headers=bearer(token("manager", studios=["studio-a"])), params=params
    )
    assert response.status_code == 200, response.text
    rows = {r["entry_id"]: r for r in csv.DictReader(io.StringIO(response.text))}
    expected = {a[0] for a in kit.ATTENDANCE if a[1] == "studio-a" and date(2026, 11, 1) <= a[4] <= date(2026, 11, 30)}
    assert set(rows) == expected
    assert rows["w1"]["status"] == "late" and rows["w1"]["late_minutes"] == "7" and rows["w1"]["corrected_by"] == ""
    corrected = rows["w2"]
    assert (corrected["status"], corrected["computed_status"]) == ("on_time", "absent")
    assert corrected["correction_reason"] == "checked in on paper" and corrected["corrected_by"] == "manager-1"
    other = await export_client.get(
        "/api/v1/exports/attendance", headers=bearer(token("manager", studios=["studio-b"])), params=params
    )
    assert other.status_code == 200 and "w1" not in other.text
