"""Rebuild the read models by replaying the topics: `python -m livestudio_analytics.rebuild`.

Empties every read model (sessions, timeline, items, daily and hourly rollups, ad spend) and deletes the consumer
group's offsets stored in Postgres, in one transaction; the next consumer that starts seeks every partition to the
beginning and rebuilds identical tables (the apply functions are deterministic and idempotent on content).
`command_results` is kept, so each command keeps the time it was first applied; replayed commands re-apply
their effect and leave their recorded outcome as it is.

The consumers of the group must be stopped: every running consumer holds a shared advisory lock, and the
rebuild takes it exclusively (waiting up to `--wait` seconds), so it can never race a live consumer. A consumer
that starts meanwhile waits until the rebuild has committed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence

import asyncpg

from livestudio_analytics import repository, rollups
from livestudio_analytics.main import MIGRATIONS
from livestudio_analytics.settings import SCHEMA, SERVICE, AnalyticsSettings
from livestudio_runtime.db import create_pool
from livestudio_runtime.logging import configure_logging, redacted_output
from livestudio_runtime.migrations import migrate

EXIT_OK = 0
EXIT_CONSUMER_RUNNING = 2


class ConsumerRunning(RuntimeError):
    """A consumer of the group still holds the running lock."""


async def rebuild(settings: AnalyticsSettings, *, wait_s: float = 0.0) -> dict[str, object]:
    await migrate(settings.database_url, schema=SCHEMA, directory=MIGRATIONS)
    conn = await asyncpg.connect(
        settings.database_url,
        server_settings={"search_path": f"{SCHEMA},public", "application_name": f"{SERVICE}-rebuild"},
    )
    try:
        deadline = time.monotonic() + wait_s
        while not await repository.try_exclusive_running_lock(conn, settings.consumer_group):
            if time.monotonic() >= deadline:
                raise ConsumerRunning(
                    f"a consumer of group {settings.consumer_group!r} is running; stop every analytics replica first"
                )
            await asyncio.sleep(0.5)
        try:
            async with conn.transaction():
                offsets = await repository.reset_read_models(conn, settings.consumer_group)
        finally:
            await repository.release_exclusive_running_lock(conn, settings.consumer_group)
    finally:
        await conn.close()
    return {
        "rebuilt": list(repository.READ_MODELS),
        "consumer_group": settings.consumer_group,
        "offsets_reset": offsets,
    }


async def rebuild_rollups(settings: AnalyticsSettings) -> dict[str, object]:
    """Mark every key of the refresher's rollups dirty, then refresh until the marks are gone."""
    await migrate(settings.database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(settings.database_url, schema=SCHEMA, application_name=f"{SERVICE}-rebuild", min_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            marked = await repository.mark_everything(conn)
        while True:
            await rollups.refresh_until_drained(pool, settings.rollup_refresh_limit)
            async with pool.acquire() as conn:
                waiting, _ = await repository.marks_backlog(conn)
            if not waiting:
                break
            await asyncio.sleep(0.2)  # another refresher holds the lock, or the consumer keeps marking
    finally:
        await pool.close()
    rebuilt = ["hourly_account", "hourly_studio", "daily_items", "daily_studio_items", "monthly_account"]
    return {"rebuilt": rebuilt, "marked": marked}


def main(argv: Sequence[str] | None = None) -> int:
    with redacted_output():  # what it prints is redacted like the logs
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="livestudio-analytics rebuild",
        description="Empty the analytics read models and replay the topics from the beginning on the next start.",
    )
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for running consumers to stop")
    parser.add_argument(
        "--rollups",
        action="store_true",
        help="only recompute the hourly, product and monthly rollups from the stored facts",
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    settings = AnalyticsSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    if args.rollups:
        print(json.dumps(asyncio.run(rebuild_rollups(settings))))
        return EXIT_OK
    try:
        summary = asyncio.run(rebuild(settings, wait_s=args.wait))
    except ConsumerRunning as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONSUMER_RUNNING
    print(json.dumps(summary))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
