"""The session list bounds `started_at` in UTC from the day before a range to two days after it, so its
started_at indexes start at the range. That bound must never drop a session whose local day is in the range:
checked in PostgreSQL for every timezone it knows, at every quarter hour around the range's edges."""

from __future__ import annotations

from datetime import date

import asyncpg

from livestudio_gateway.repository import SESSION_LIST_SQL, STARTED_BEFORE, STARTED_FROM

_MISSED = """
WITH instants AS (
  SELECT t FROM generate_series('2026-03-01 00:00Z'::timestamptz, '2026-03-08 00:00Z', interval '15 minutes') t
)
SELECT z.name, i.t
FROM pg_timezone_names z CROSS JOIN instants i
WHERE (i.t AT TIME ZONE z.name)::date BETWEEN $1::date AND $2::date
  AND NOT (i.t >= {lower} AND i.t < {upper})
LIMIT 5
"""


def test_every_sort_of_the_session_list_carries_the_bounds() -> None:
    for sort, query in SESSION_LIST_SQL.items():
        assert query.sql.count("s.started_at >= (") == 1 and query.sql.count("s.started_at < (") == 1, sort


async def test_no_local_day_in_the_range_falls_outside_the_utc_bounds(pg_dsn: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        lower = STARTED_FROM.replace(":day_from::date", "$1::date")
        upper = STARTED_BEFORE.replace(":day_to::date", "$2::date")
        zones = await conn.fetchval("SELECT count(*) FROM pg_timezone_names")
        assert zones > 300
        for first, last in ((date(2026, 3, 3), date(2026, 3, 3)), (date(2026, 3, 2), date(2026, 3, 5))):
            missed = await conn.fetch(_MISSED.format(lower=lower, upper=upper), first, last)
            assert missed == [], f"{first}..{last}: {[(r['name'], r['t']) for r in missed]}"
            # and the bound is not vacuous: a day-wider window would be needed for zones beyond +14/-12
            tighter = _MISSED.format(lower=lower.replace("- 1", "- 0"), upper=upper.replace("+ 2", "+ 1"))
            assert await conn.fetch(tighter, first, last) != []
    finally:
        await conn.close()
