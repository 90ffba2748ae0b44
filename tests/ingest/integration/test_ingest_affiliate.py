"""The affiliate reader against the simulator and a real PostgreSQL: a 30-day backfill publishes every checkout
once, a re-read publishes only what changed (a status change once), and a restart publishes nothing again.

The outbox's broker side is played by the test (it acknowledges what it takes), so no broker is needed."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from livestudio_ingest.affiliate.driver import AffiliateReader
from livestudio_ingest.affiliate.settings import AffiliateSettings
from livestudio_ingest.outbox import Outbox
from livestudio_ingest.settings import MIGRATIONS, SCHEMA
from livestudio_runtime.db import create_pool
from livestudio_runtime.migrations import migrate
from shopee_client import ClientSettings, ShopeeClient
from shopee_client.client.regions import INDONESIA, Region
from shopee_client.simulator import SimulatorConfig, run_simulator
from shopee_client.simulator.affiliate import checkouts_between

JKT = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 6, 12, 13, 0, tzinfo=JKT)
DAY_MS = 86_400_000
ACCOUNTS = (1, 2)  # a small account and one linked to an MCN


@dataclass
class _Config:
    studio_id: str
    region: Region
    cookie: SecretStr | None


@dataclass
class _Account:
    account_id: str
    config: _Config
    pollable: bool = True


class _Broker:
    """Takes what the outbox hands out and acknowledges it, keeping the events."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.events: list[dict[str, Any]] = []

    def drain(self) -> None:
        for slot, item in self.outbox.take(100_000):
            self.events.append(json.loads(item.body))
            self.outbox.done(slot, item)


async def _until(reader: AffiliateReader, broker: _Broker, reads: int, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while reader.reads_done < reads:
        broker.drain()
        assert asyncio.get_running_loop().time() < deadline, f"{reader.reads_done} reads done"
        await asyncio.sleep(0.05)


async def test_backfill_then_re_reads_publish_each_change_once(fresh_db: str) -> None:
    await migrate(fresh_db, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema=SCHEMA, application_name="test-affiliate")
    cfg = SimulatorConfig(seed=9, accounts=3, speed=0, start=START, affiliate_complete_delay=timedelta(days=2))
    settings = AffiliateSettings(tick_s=0.05, new_interval_s=900, reread_interval_s=6 * 3600)
    async with run_simulator(cfg) as sim:
        simulator = sim.simulator
        assert simulator is not None
        client = ShopeeClient(ClientSettings(base_url=sim.base_url, per_account_rate=1000))
        accounts = [
            _Account(f"acct-{i}", _Config("studio-1", INDONESIA, SecretStr(simulator.cookie(i)))) for i in ACCOUNTS
        ]
        outbox = Outbox(100_000)
        broker = _Broker(outbox)
        clock = simulator.clock
        reader = AffiliateReader(settings, pool, client, clock, outbox, lambda: accounts)
        try:
            reader.start()
            await _until(reader, broker, len(ACCOUNTS))
            await reader.stop()
            first = list(broker.events)
            now_ms = simulator.now_ms()
            expected = {
                (f"acct-{i}", str(c.checkout_id)): c
                for i in ACCOUNTS
                for c in checkouts_between(simulator.world, i, now_ms - 30 * DAY_MS, now_ms, 2 * DAY_MS)
            }
            got = {(e["data"]["account_id"], e["data"]["checkout_id"]) for e in first}
            assert got == set(expected)
            assert len(first) == len(expected)  # each once
            assert {e["data"]["source"] for e in first} == {"live", "video", "other"}
            assert {e["type"] for e in first} == {"livestudio.affiliate.checkout.v1"}

            # a restart with nothing due publishes nothing
            reader = AffiliateReader(settings, pool, client, clock, outbox, lambda: accounts)
            reader.start()
            await asyncio.sleep(0.5)
            broker.drain()
            assert len(broker.events) == len(first)

            # three days later: a re-read from the oldest pending checkout; only changes are published
            simulator.advance(timedelta(days=3))
            await _until(reader, broker, 2)
            second = broker.events[len(first) :]
            assert second, "nothing changed in three days"
            keys = [(e["data"]["account_id"], e["data"]["checkout_id"]) for e in second]
            assert len(keys) == len(set(keys))
            seen_ids = {e["id"] for e in first}
            assert not any(e["id"] in seen_ids for e in second)  # nothing republished unchanged
            later_ms = simulator.now_ms()
            for e in second:
                c = expected.get((e["data"]["account_id"], e["data"]["checkout_id"]))
                if c is None:  # purchased during the three days
                    continue
                status = c.status_at(later_ms)
                assert c.status_at(now_ms) != status
                assert e["data"]["status"] == status.lower()
                if status == "Cancelled":
                    assert e["data"]["estimated_commission"] == "0" and e["data"]["final_commission"] == "0"
            changed = {k for k, c in expected.items() if c.status_at(now_ms) != c.status_at(later_ms)}
            assert changed <= set(keys)
        finally:
            await reader.stop()
            await client.aclose()
            await pool.close()
