"""The history backfill through the poll driver (`AccountPoller.backfill_once`, `backfill_row`, `request_backfill`)
against an in-process simulator (frozen clock): 90 days of sessions reach the outbox exactly as the simulator's
ground truth has them, the walk resumes from its stored row, and a live poll is never kept waiting by it."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr

from livestudio_ingest.outbox import Outbox
from livestudio_ingest.pacing import BackfillPacer
from livestudio_ingest.poller import AccountConfig, AccountPoller, PollDeps, Topics
from livestudio_ingest.repository import BackfillRow
from livestudio_ingest.settings import IngestSettings
from shopee_client import INDONESIA, ClientSettings, ShopeeClient
from shopee_client.simulator import Simulator, SimulatorConfig, create_app

JKT = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 6, 2, 20, 0, tzinfo=JKT)


@dataclass
class Rig:
    sim: Simulator
    outbox: Outbox
    deps: PollDeps
    dirty: list[AccountPoller]

    def poller(self, account: int, backfill: BackfillRow | None = None) -> AccountPoller:
        config = AccountConfig(
            account_id=f"acct-{account}",
            studio_id="studio-1",
            display_name=f"Account {account}",
            region=INDONESIA,
            shopee_user_id=self.sim.accounts[account].user_id,
            state="connected",
            config_seq=1,
            cookie=SecretStr(self.sim.cookie(account)),
        )
        p = AccountPoller(self.deps, config, None, [], backfill)
        p.next_history_mono = float("inf")
        return p

    def drain(self) -> list[dict[str, Any]]:
        out = []
        for slot, item in self.outbox.peek(100_000):
            out.append(json.loads(item.body))
            self.outbox.done(slot, item)
        return out


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    sim = Simulator(SimulatorConfig(seed=5, accounts=4, speed=0, start=START))
    client = ShopeeClient(
        ClientSettings(base_url="http://sim", max_attempts=1, per_account_rate=10_000),
        transport=httpx.ASGITransport(app=create_app(sim)),  # type: ignore[arg-type]
    )
    dirty: list[AccountPoller] = []
    deps = PollDeps(
        settings=IngestSettings(backfill_days=90, backfill_page_size=100),
        client=client,
        clock=sim.clock,
        outbox=Outbox(100_000),
        topics=Topics(session="s", item="i", account="a"),
        mark_dirty=dirty.append,
        rng=random.Random(7),
    )
    yield Rig(sim, deps.outbox, deps, dirty)
    await client.aclose()


async def _run_backfill(poller: AccountPoller) -> int:
    pages = 0
    while await poller.backfill_once():
        pages += 1
        assert pages < 50
    return pages


async def test_ninety_days_of_sessions_are_published_as_the_ground_truth_has_them(rig: Rig) -> None:
    poller = rig.poller(1)
    assert poller.backfill.running and poller.backfill.days == 90
    pages = await _run_backfill(poller)
    assert pages == 3  # 3 windows of 30 days, one page each
    events = [e for e in rig.drain() if e["type"].endswith("session.corrected.v1")]
    assert {e["data"]["reason"] for e in events} == {"backfill"}

    today = START.date()
    truth = rig.sim.ground_truth(from_date=today - timedelta(days=89), to_date=today, accounts=[1])
    ended = {s.session_id: s for s in truth.sessions if s.end is not None}
    by_id = {e["data"]["session_id"]: e["data"] for e in events}
    assert set(by_id) == set(ended)
    assert len(ended) > 60  # about 1.5 sessions a day
    for sid, s in ended.items():
        m = by_id[sid]["metrics"]
        assert m["placed_orders"] == s.placed_orders, sid
        assert m["confirmed_orders"] == s.confirmed_orders, sid
        assert Decimal(m["confirmed_sales"]) == s.confirmed_gmv, sid
    assert poller.backfill.sessions_found == len(ended)
    assert not poller.backfill.running and poller.backfill.progress == 1.0

    row = poller.unwritten_rows().backfill
    assert row is not None and row.next_end_date is None and row.windows_done == row.windows_total == 3
    assert await poller.backfill_once() is False  # done: nothing more is read


async def test_small_pages_walk_every_page_of_every_window(rig: Rig) -> None:
    big = rig.poller(1)
    await _run_backfill(big)
    whole = {e["data"]["session_id"] for e in rig.drain()}
    rig.deps.settings = IngestSettings(backfill_days=90, backfill_page_size=10)
    small = rig.poller(1)
    pages = await _run_backfill(small)
    assert pages >= 8 and small.backfill.windows_done == 3  # about 25 sessions per window
    assert {e["data"]["session_id"] for e in rig.drain()} == whole


async def test_a_restarted_poller_resumes_where_the_backfill_stopped(rig: Rig) -> None:
    first = rig.poller(2)
    assert await first.backfill_once()
    stored = first.unwritten_rows().backfill
    assert stored is not None and stored.windows_done == 1
    rig.drain()

    again = rig.poller(2, backfill=stored)
    assert again.backfill.windows_done == 1 and again.backfill.next_end == stored.next_end_date
    assert await _run_backfill(again) == 2  # the two windows left, not the first again
    dates = {e["data"]["started_at"][:10] for e in rig.drain()}
    assert max(dates) < (START.date() - timedelta(days=29)).isoformat()


async def test_a_request_starts_again_once_and_zero_days_means_none(rig: Rig) -> None:
    rig.deps.settings = IngestSettings(backfill_days=0)
    poller = rig.poller(3)
    assert not poller.backfill.running
    request = BackfillRow(
        account_id="acct-3", applied_seq=0, days=0, target_date=None, next_end_date=None, next_page=1,
        windows_done=0, windows_total=0, sessions_found=0, started_at=None, finished_at=None, last_error=None,
        requested_seq=1, requested_days=10,
    )  # fmt: skip
    poller.request_backfill(request)
    assert poller.backfill.running and poller.backfill.days == 10 and poller.backfill.applied_seq == 1
    assert await _run_backfill(poller) == 1  # 10 days: one 15-day window
    poller.request_backfill(request)  # the same request again: already applied
    assert not poller.backfill.running
    poller.request_backfill(replace(request, requested_seq=2))
    assert poller.backfill.running


async def test_a_broker_that_lost_its_log_gets_the_backfill_again(rig: Rig) -> None:
    poller = rig.poller(1)
    await _run_backfill(poller)
    published = {e["data"]["session_id"] for e in rig.drain()}
    old = published - set(poller.sessions)  # older than the retention: only the backfill knows them
    assert len(old) > 40
    poller.forget_published()  # the tracked ones go out again as SessionEnded (unpublished_ends)
    assert poller.backfill.running and poller.backfill.days == 90
    await _run_backfill(poller)
    again = {e["data"]["session_id"] for e in rig.drain() if e["type"].endswith("session.corrected.v1")}
    assert old <= again


async def test_a_live_poll_due_is_never_kept_waiting_by_a_backfill_page(rig: Rig) -> None:
    """The loop reads a backfill page only in a gap long enough, and cuts it short when the next cycle is due."""
    rig.deps.settings = IngestSettings(backfill_days=90, idle_interval_s=0.3, live_interval_s=0.3, jitter=0.0,
                                       backfill_min_gap_s=0.1)  # fmt: skip
    poller = rig.poller(0)
    slow = asyncio.Event()

    original = rig.deps.client.live_list

    async def hanging_live_list(*args: Any, **kwargs: Any) -> Any:
        slow.set()
        await asyncio.sleep(30)  # a page that would take far longer than the gap
        return await original(*args, **kwargs)

    rig.deps.client.live_list = hanging_live_list  # type: ignore[method-assign]
    poller.start()
    try:
        await asyncio.wait_for(slow.wait(), 5)
        cycles = poller.cycles
        await asyncio.sleep(1.2)
        assert poller.cycles >= cycles + 3  # cycles went on every 0.3 s while pages hung
    finally:
        await poller.stop()
    assert poller.backfill.windows_done == 0  # cut short pages change nothing


async def test_a_new_config_ends_a_backfill_page_at_once(rig: Rig) -> None:
    """A changed account (a command, the CLI) re-plans the next cycle to now: a page in flight gives way."""
    rig.deps.settings = IngestSettings(backfill_days=90, idle_interval_s=30, live_interval_s=30, jitter=0.0,
                                       backfill_min_gap_s=0.1)  # fmt: skip
    poller = rig.poller(0)
    hanging = asyncio.Event()

    async def hanging_live_list(*args: Any, **kwargs: Any) -> Any:
        hanging.set()
        await asyncio.sleep(60)

    rig.deps.client.live_list = hanging_live_list  # type: ignore[method-assign]
    poller.start()
    poller.update_config(poller.config)  # the first cycle now
    try:
        await asyncio.wait_for(hanging.wait(), 5)  # the first cycle ran; the page now hangs in a 30 s gap
        cycles = poller.cycles
        poller.update_config(replace(poller.config, config_seq=2))
        await asyncio.sleep(0.5)
        assert poller.cycles == cycles + 1  # the cycle came at once, not after the gap
    finally:
        await poller.stop()


async def test_the_replica_budget_paces_the_backfill_of_every_account_and_never_a_live_poll(rig: Rig) -> None:
    """Three accounts share one budget of 10 sessions per second (one page of 20 at once): their backfill
    publishes no faster than that, pages wait for later gaps, and the live cycles go on at their cadence."""
    rig.deps.settings = IngestSettings(backfill_days=90, backfill_page_size=20, idle_interval_s=0.2,
                                       live_interval_s=0.2, jitter=0.0, backfill_min_gap_s=0.05)  # fmt: skip
    pacer = BackfillPacer(10.0, burst=20.0)
    rig.deps.pacer = pacer
    pollers = [rig.poller(i) for i in range(3)]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for p in pollers:
        p.start()
    try:
        await asyncio.sleep(2.0)
        waiting = pacer.waiting
    finally:
        for p in pollers:
            await p.stop()
    elapsed = loop.time() - t0
    found = sum(p.backfill.sessions_found for p in pollers)
    backfilled = [e for e in rig.drain() if e["type"].endswith("session.corrected.v1")]
    assert 20 <= found <= 20 + 10 * elapsed  # the burst (a page) and then the rate, across the accounts
    assert len(backfilled) <= found
    assert waiting >= 1  # pages were held back, not read
    assert all(p.backfill.running for p in pollers)  # unpaced, each would have read a page of 20 every gap and finished
    assert all(p.cycles >= elapsed / 0.2 - 3 for p in pollers), [p.cycles for p in pollers]
    assert pacer.waiting == 0  # stopped pollers no longer wait
