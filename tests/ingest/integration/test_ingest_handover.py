"""Two poll engines share accounts through a real PostgreSQL, as two replicas do across eager rebalances (every
partition revoked, then assigned): a poller paused at a revoke resumes when its account comes straight back, and
is dropped (the account starts again from Postgres) when another replica polled the account in between, or when
its poll state was written meanwhile (issue #23: decided from our own tables, not from the group generation).

The group itself is played by the test (it calls `assign`/`revoke` as the rebalance listener does) and so is the
broker (the test acknowledges what it takes from an outbox): no broker needed, a few seconds in all."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from livestudio_ingest import repository as repo
from livestudio_ingest.credentials import CredentialVault
from livestudio_ingest.engine import PollEngine
from livestudio_ingest.outbox import Outbox
from livestudio_ingest.settings import MIGRATIONS, SCHEMA, IngestSettings
from livestudio_runtime.db import create_pool
from livestudio_runtime.migrations import migrate
from livestudio_runtime.secrets import CookieCipher
from shopee_client import ClientSettings, ShopeeClient
from shopee_client.simulator import Simulator, SimulatorConfig, create_app

START = datetime(2025, 6, 2, 20, tzinfo=ZoneInfo("Asia/Jakarta"))
ACCOUNTS = [f"acct-{i}" for i in range(3)]
PARTITIONS = 4


@dataclass
class Rig:
    pool: asyncpg.Pool
    sim: Simulator
    client: ShopeeClient
    vault: CredentialVault

    def engine(self, name: str) -> tuple[PollEngine, Outbox]:
        settings = IngestSettings(
            instance_id=name,
            accounts_partitions=PARTITIONS,
            idle_interval_s=0.1,
            live_interval_s=0.1,
            heartbeat_interval_s=3600,
        )
        outbox = Outbox(10_000)
        engine = PollEngine(
            settings, self.pool, self.client, self.sim.clock, outbox, self.vault, rng=random.Random(name)
        )
        return engine, outbox


@pytest.fixture
async def rig(fresh_db: str) -> AsyncIterator[Rig]:
    await migrate(fresh_db, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(fresh_db, schema=SCHEMA, application_name="test-handover")
    sim = Simulator(SimulatorConfig(seed=5, accounts=len(ACCOUNTS), speed=0, start=START))
    client = ShopeeClient(
        ClientSettings(base_url="http://sim", max_attempts=1, per_account_rate=10_000),
        transport=httpx.ASGITransport(app=create_app(sim)),  # type: ignore[arg-type]
    )
    vault = CredentialVault(CookieCipher([CookieCipher.generate_key()]))
    async with pool.acquire() as conn:
        for i, account_id in enumerate(ACCOUNTS):
            await repo.upsert_account(
                conn,
                account_id=account_id,
                studio_id="studio-1",
                display_name=f"Account {i}",
                region="co.id",
                shopee_user_id=sim.accounts[i].user_id,
                shopee_user_name=None,
                state="connected",
            )
            await repo.store_credentials(conn, account_id, vault.seal(SecretStr(sim.cookie(i))))
    try:
        yield Rig(pool, sim, client, vault)
    finally:
        await client.aclose()
        await pool.close()


async def _statuses_acknowledged(engine: PollEngine, outbox: Outbox) -> None:
    """Every account's first status event taken and acknowledged, as the broker would."""
    for _ in range(200):
        for slot, item in outbox.take(1_000):
            outbox.done(slot, item)
        if len(engine.pollers) == len(ACCOUNTS) and all(p.status_published for p in engine.pollers.values()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the pollers never published their status")


async def _rebalance(engine: PollEngine, partitions: range = range(PARTITIONS)) -> None:
    await engine.revoke(partitions)
    await engine.assign(partitions, PARTITIONS)


async def test_a_paused_poller_resumes_only_if_nobody_touched_its_account_in_between(rig: Rig) -> None:
    a, _ = rig.engine("ingest-a")
    b, b_outbox = rig.engine("ingest-b")
    everything = range(PARTITIONS)
    try:
        await a.assign(everything, PARTITIONS)
        assert set(a.pollers) == set(ACCOUNTS)

        # straight back to us (the group's next generation gives us the same partitions): resumed, warm
        first = dict(a.pollers)
        await _rebalance(a)
        assert all(a.pollers[x] is first[x] for x in ACCOUNTS), "nobody else polled: the paused pollers resume"
        assert all(p.running for p in a.pollers.values())

        # another replica polls the accounts in between and publishes their status: ours must not resume
        await a.revoke(everything)
        paused = dict(first)
        assert all(p.status_published is None for p in paused.values())  # we never got an acknowledgement
        await b.assign(everything, PARTITIONS)
        await _statuses_acknowledged(b, b_outbox)
        published = {x: p.status_published for x, p in b.pollers.items()}
        await b.revoke(everything)
        await a.assign(everything, PARTITIONS)
        assert set(a.pollers) == set(ACCOUNTS)
        assert not any(a.pollers[x] is paused[x] for x in ACCOUNTS), "B polled in between: start from Postgres"
        # from what B wrote, so A does not announce the same status again
        assert {x: p.status_published for x, p in a.pollers.items()} == published

        # nobody claims the accounts, but their poll state is written meanwhile (a broker reset): reloaded too
        second = dict(a.pollers)
        await a.revoke(everything)
        async with rig.pool.acquire() as conn:
            await repo.forget_published(conn, by="another-replica")
        await a.assign(everything, PARTITIONS)
        assert not any(a.pollers[x] is second[x] for x in ACCOUNTS)
        assert all(p.status_published is None for p in a.pollers.values())
    finally:
        await a.stop()
        await b.stop()
