"""Ad spend obeys the caller checks of the one ownership rule (`livestudio_runtime.ownership`) inside the analytics
consumer too: a command whose studio is not its caller's, or from a host, is rejected and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from livestudio_analytics.events import decode_command
from livestudio_analytics.main import MIGRATIONS
from livestudio_runtime.db import create_pool
from livestudio_runtime.migrations import migrate
from tests.analytics import kit
from tests.analytics.db import apply_in_transaction

DAY = date(2026, 11, 3)
T0 = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)


def spend(command_id: str, studio_id: str, amount: str, minutes: int, scope: dict[str, str] | None = None) -> bytes:
    raw = kit.adspend_command(
        command_id,
        account_id="acc-a1",
        studio_id=studio_id,
        day=DAY,
        amount=amount,
        issued_at=T0 + timedelta(minutes=minutes),
    )
    if scope is None:
        return raw
    event = json.loads(raw)
    event["data"]["scope"] = scope
    return json.dumps(event).encode()


async def test_ad_spend_for_another_studios_account_is_refused(fresh_db: str) -> None:
    await migrate(fresh_db, schema="analytics", directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema="analytics", application_name="ad-spend-ownership")
    try:
        await apply_in_transaction(pool, [decode_command(spend("c-own", "studio-a", "1000", 0))])
        events = [
            decode_command(spend("c-update", "studio-a", "2000", 3, {"studio_id": "studio-a", "role": "manager"})),
            # the command's studio and the caller's scope disagree: refused before any lookup
            decode_command(spend("c-forged", "studio-a", "3", 6, {"studio_id": "studio-b", "role": "manager"})),
            # a host may not enter ad spend at all
            decode_command(spend("c-host", "studio-a", "4", 7, {"studio_id": "studio-a", "role": "host"})),
        ]
        await apply_in_transaction(pool, events)
        row = await pool.fetchrow("SELECT studio_id, amount, command_id FROM ad_spend WHERE account_id = 'acc-a1'")
        assert row is not None and (row["studio_id"], row["amount"], row["command_id"]) == (
            "studio-a",
            2000,
            "c-update",
        )
        results = {
            r["command_id"]: (r["status"], r["error"]) for r in await pool.fetch("SELECT * FROM command_results")
        }
        assert results["c-own"][0] == results["c-update"][0] == "applied"
        assert results["c-forged"][0] == results["c-host"][0] == "rejected"
    finally:
        await pool.close()
