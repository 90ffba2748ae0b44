"""The poll driver (`AccountPoller`) through its public API, against an in-process simulator (ASGI transport,
frozen clock stepped by the test): `poll_once()` runs one cycle as the loop does (and publishes the account status
if due), the loop itself (`start`, `stop`, `resume`, `update_config`).

No broker and no database: events stay in the outbox, where the test reads (and acknowledges) them. The rules the
driver applies are tested directly in `test_ingest_core_live.py` and `test_ingest_core_account.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr

from livestudio_ingest.outbox import Outbox
from livestudio_ingest.poller import AccountConfig, AccountPoller, PollDeps, Topics
from livestudio_ingest.repository import PollStateRow
from livestudio_ingest.settings import IngestSettings
from shopee_client import INDONESIA, ClientSettings, ShopeeClient
from shopee_client.client.slots import is_follow_up
from shopee_client.simulator import Simulator, SimulatorConfig, create_app
from shopee_client.simulator.world import SessionPlan

JKT = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 6, 2, 20, 0, tzinfo=JKT)


@dataclass
class Rig:
    sim: Simulator
    client: ShopeeClient
    outbox: Outbox
    deps: PollDeps

    def poller(self, account: int, **state: Any) -> AccountPoller:
        config = AccountConfig(
            account_id=f"acct-{account}",
            studio_id="studio-1",
            display_name=f"Account {account}",
            region=INDONESIA,
            shopee_user_id=self.sim.accounts[account].user_id,
            state=state.get("state", "connected"),
            config_seq=1,
            cookie=SecretStr(self.sim.cookie(account)),
        )
        p = AccountPoller(self.deps, config, state.get("poll_state"), state.get("sessions", []))
        p.next_history_mono = float("inf")
        return p

    def drain(self) -> list[dict[str, Any]]:
        """Every pending event, acknowledged as if the broker took it."""
        out = []
        for slot, item in self.outbox.peek(10_000):
            out.append(json.loads(item.body))
            self.outbox.done(slot, item)
        return out

    def live_plan(self, within: int = 40) -> SessionPlan:
        now_ms = self.sim.now_ms()
        for a in range(within):
            plan = self.sim.world.current_plan(a, now_ms)
            if plan is not None and now_ms - plan.start_ms > 20 * 60_000 and plan.end_ms - now_ms > 40 * 60_000:
                return plan
        raise AssertionError("no account on air")


class _LateSessionList(httpx.AsyncBaseTransport):
    """The simulator's answers, but each sessionList answer reaches the poller `late` after Shopee wrote it (a
    queue, a stalled process): the clock moves on while the answer is on its way."""

    def __init__(self, sim: Simulator, late: timedelta) -> None:
        self.sim = sim
        self.late = late
        self.inner = httpx.ASGITransport(app=create_app(sim))  # type: ignore[arg-type]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/sessionList"):
            self.sim.advance(self.late)
        return response


def _rig(*, late_session_list: timedelta | None = None, **sim_config: Any) -> Iterator[Rig]:
    sim = Simulator(SimulatorConfig(seed=5, accounts=40, speed=0, start=START, **sim_config))
    transport: httpx.AsyncBaseTransport = (
        httpx.ASGITransport(app=create_app(sim))  # type: ignore[arg-type]
        if late_session_list is None
        else _LateSessionList(sim, late_session_list)
    )
    client = ShopeeClient(
        ClientSettings(base_url="http://sim", max_attempts=1, per_account_rate=10_000), transport=transport
    )
    outbox = Outbox(10_000)
    settings = IngestSettings(settle_window_s=6 * 3600, heartbeat_interval_s=3600)
    deps = PollDeps(
        settings=settings,
        client=client,
        clock=sim.clock,
        outbox=outbox,
        topics=Topics(session="s", item="i", account="a"),
        mark_dirty=lambda _p: None,
        rng=random.Random(7),
    )
    yield Rig(sim, client, outbox, deps)


@pytest.fixture
def rig() -> Iterator[Rig]:
    yield from _rig()


def _of(events: list[dict[str, Any]], suffix: str, session_id: int | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if e["type"].endswith(suffix) and (session_id is None or e["data"].get("session_id") == session_id)
    ]


async def test_live_session_is_published_on_change_and_ended_once(rig: Rig) -> None:
    plan = rig.live_plan()
    poller = rig.poller(plan.account)
    await poller.poll_once()
    first = rig.drain()
    [snap] = _of(first, "session.snapshot.v1", plan.session_id)
    assert snap["data"]["on_air"] is True
    assert snap["data"]["source"] == "overview"
    assert snap["data"]["metrics"]["current_viewers"] is not None
    [items] = _of(first, "item.snapshot.v1", plan.session_id)
    truth = rig.sim.ground_truth(accounts=[plan.account]).session(plan.session_id)
    assert len(items["data"]["items"]) == len(truth.items)
    assert snap["data"]["metrics"]["placed_orders"] == truth.placed_orders
    assert poller.state == "active"
    assert poller.on_air_session_id == plan.session_id

    await poller.poll_once()  # nothing changed (the clock is frozen): nothing is published
    assert _of(rig.drain(), "session.snapshot.v1", plan.session_id) == []

    rig.sim.advance(timedelta(minutes=5))
    await poller.poll_once()
    assert len(_of(rig.drain(), "session.snapshot.v1", plan.session_id)) == 1

    rig.sim.set_time(datetime.fromtimestamp(plan.end_ms / 1000 + 300, JKT))
    await poller.poll_once()
    events = rig.drain()
    [ended] = _of(events, "session.ended.v1", plan.session_id)
    truth = rig.sim.ground_truth(accounts=[plan.account]).session(plan.session_id)
    assert truth.end is not None
    assert ended["data"]["ended_at"] == truth.end.isoformat().replace("+00:00", "Z")
    assert ended["data"]["metrics"]["placed_orders"] == truth.placed_orders
    assert _of(events, "session.snapshot.v1", plan.session_id)[0]["data"]["on_air"] is False

    rig.sim.advance(timedelta(minutes=3))
    await poller.poll_once()
    assert _of(rig.drain(), "session.ended.v1") == []


async def test_a_session_reporting_status_two_while_streaming_stays_on_air() -> None:
    for rig in _rig(status_lie_fraction=1.0):
        plan = rig.live_plan()
        poller = rig.poller(plan.account)
        await poller.poll_once()
        events = rig.drain()
        [snap] = _of(events, "session.snapshot.v1", plan.session_id)
        assert snap["data"]["shopee_status"] == 2
        assert snap["data"]["on_air"] is True  # first sight: end is "now"
        for _ in range(3):
            rig.sim.advance(timedelta(minutes=1))
            await poller.poll_once()
            [snap] = _of(rig.drain(), "session.snapshot.v1", plan.session_id)
            assert snap["data"]["on_air"] is True  # the duration advances
            assert _of([snap], "session.ended.v1") == []
        rig.sim.set_time(datetime.fromtimestamp(plan.end_ms / 1000 + 60, JKT))
        await poller.poll_once()
        assert _of(rig.drain(), "session.ended.v1", plan.session_id) == []  # frozen for 1 min: not sure yet
        rig.sim.advance(timedelta(minutes=3))
        await poller.poll_once()
        assert len(_of(rig.drain(), "session.ended.v1", plan.session_id)) == 1


async def test_a_late_answer_does_not_end_a_session_on_air() -> None:
    """Every sessionList answer arrives 12 minutes (of the ingest clock) after Shopee wrote it, longer than the
    staleness guard (10 min): the session is still judged as of the question, so it stays on air until it ends."""
    for rig in _rig(late_session_list=timedelta(minutes=12)):
        plan = rig.live_plan()
        poller = rig.poller(plan.account)
        for _ in range(3):
            await poller.poll_once()
            assert _of(rig.drain(), "session.ended.v1", plan.session_id) == []
            assert poller.on_air_session_id == plan.session_id
        rig.sim.set_time(datetime.fromtimestamp(plan.end_ms / 1000 + 60, JKT))
        await poller.poll_once()  # asked a minute after the end: not sure yet
        assert _of(rig.drain(), "session.ended.v1", plan.session_id) == []
        await poller.poll_once()  # asked 13 minutes after the end: ended, at the end Shopee reported
        [ended] = _of(rig.drain(), "session.ended.v1", plan.session_id)
        assert ended["data"]["ended_at"] == datetime.fromtimestamp(plan.end_ms / 1000, UTC).isoformat().replace(
            "+00:00", "Z"
        )


async def test_expired_cookie_parks_the_account_and_reports_it(rig: Rig) -> None:
    poller = rig.poller(3)
    await poller.poll_once()
    rig.drain()
    rig.sim.set_faults(expired_accounts=[3])
    assert await poller.poll_once() is None
    assert poller.state == "credentials_expired"
    assert not poller.pollable
    assert poller.last_error is not None
    assert "cookie" in poller.last_error
    assert "SPC_" not in poller.last_error
    poller.publish_status()
    [status] = _of(rig.drain(), "account.status.v1")
    assert status["data"]["state"] == "credentials_expired"
    assert status["data"]["reason"] == poller.last_error


async def test_failing_account_backs_off_degrades_and_recovers(rig: Rig) -> None:
    poller = rig.poller(4)
    await poller.poll_once()
    poller.publish_status()
    rig.drain()
    rig.sim.set_faults(rate_5xx=1.0)
    delays = []
    for _ in range(4):
        assert await poller.poll_once() is None
        delays.append(poller.backoff)
    assert poller.state == "degraded"
    assert poller.failures == 4
    assert delays[-1] > delays[0] * 2 * 0.5
    poller.publish_status()
    [status] = _of(rig.drain(), "account.status.v1")
    assert status["data"]["state"] == "degraded"
    assert "sessionList failed" in status["data"]["reason"]
    rig.sim.set_faults(rate_5xx=0.0)
    await poller.poll_once()
    poller.publish_status()
    [status] = _of(rig.drain(), "account.status.v1")
    assert status["data"]["state"] == "recovered"
    assert poller.state == "active"


async def test_history_re_read_publishes_settled_figures_as_corrections() -> None:
    for rig in _rig(settle_delay=timedelta(hours=3)):
        plan = rig.live_plan()
        rig.sim.set_time(datetime.fromtimestamp(plan.end_ms / 1000 + 300, JKT))
        poller = rig.poller(plan.account)
        poller.deps.settings = IngestSettings(settle_window_s=0, heartbeat_interval_s=3600)  # no detail polls
        await poller.poll_once()
        rig.drain()
        rig.sim.advance(timedelta(hours=4))  # confirmations settled meanwhile
        poller.next_history_mono = 0
        await poller.poll_once()
        events = rig.drain()
        truth = rig.sim.ground_truth(accounts=[plan.account]).session(plan.session_id)
        assert truth.settled
        corrections = _of(events, "session.corrected.v1", plan.session_id)
        assert len(corrections) == 1
        metrics = corrections[0]["data"]["metrics"]
        assert metrics["confirmed_orders"] == truth.confirmed_orders
        assert metrics["confirmed_items_sold"] == truth.confirmed_items_sold
        poller.next_history_mono = 0
        await poller.poll_once()
        assert _of(rig.drain(), "session.corrected.v1") == []  # nothing changed since


def _observations(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Session and item events (not the account's status heartbeat)."""
    return [e for e in events if not e["type"].endswith("account.status.v1")]


def _items_match(event: dict[str, Any], truth_items: list[Any], *fields: str) -> list[str]:
    got = {int(i["item_id"]): i for i in event["data"]["items"]}
    out = []
    for it in truth_items:
        for name in fields:
            if got.get(it.item_id, {}).get(name) != getattr(it, name):
                out.append(f"{it.item_id} {name}: {got.get(it.item_id, {}).get(name)} != {getattr(it, name)}")
    return out


async def test_the_cycle_that_decides_an_end_reads_every_product_at_once(rig: Rig) -> None:
    """Issue #24: the last on-air read can be long before the end; the read when the end is decided is final."""
    plan = rig.live_plan()
    poller = rig.poller(plan.account)
    rig.sim.set_time(datetime.fromtimestamp(plan.end_ms / 1000 - 1800, JKT))  # half an hour before the end
    await poller.poll_once()
    rig.drain()
    rig.sim.set_time(datetime.fromtimestamp(plan.end_ms / 1000 + 600, JKT))  # the next cycle: it ended
    await poller.poll_once()
    events = rig.drain()
    assert _of(events, "session.ended.v1", plan.session_id)
    [items] = _of(events, "item.snapshot.v1", plan.session_id)
    truth = rig.sim.ground_truth(accounts=[plan.account]).session(plan.session_id)
    assert sum(it.placed_orders for it in truth.items) > 0
    assert _items_match(items, truth.items, "placed_orders", "placed_items_sold") == []


async def test_the_history_re_read_re_reads_the_products_of_the_sessions_it_lists() -> None:
    for rig in _rig(settle_delay=timedelta(hours=3)):
        plan = rig.live_plan()
        rig.sim.set_time(datetime.fromtimestamp(plan.end_ms / 1000 + 300, JKT))
        poller = rig.poller(plan.account)
        poller.deps.settings = IngestSettings(settle_window_s=0, heartbeat_interval_s=3600)  # no settling reads
        await poller.poll_once()
        rig.drain()
        rig.sim.advance(timedelta(hours=4))  # confirmations settled meanwhile
        await poller.poll_once()
        assert _of(rig.drain(), "item.snapshot.v1", plan.session_id) == []
        poller.next_history_mono = 0
        await poller.poll_once()
        [items] = _of(rig.drain(), "item.snapshot.v1", plan.session_id)
        truth = rig.sim.ground_truth(accounts=[plan.account]).session(plan.session_id)
        assert truth.settled
        assert sum(it.confirmed_orders for it in truth.items) > 0
        assert _items_match(items, truth.items, "confirmed_orders", "confirmed_items_sold") == []
        poller.next_history_mono = 0
        await poller.poll_once()
        assert _of(rig.drain(), "item.snapshot.v1") == []  # nothing changed since


async def test_backfill_of_sessions_older_than_the_session_list() -> None:
    for rig in _rig():
        poller = rig.poller(0)
        await poller.poll_once()
        listed = {e["data"]["session_id"] for e in _of(rig.drain(), "session.snapshot.v1")}
        poller.next_history_mono = 0
        await poller.poll_once()
        events = rig.drain()
        backfills = [e for e in _of(events, "session.corrected.v1") if e["data"]["reason"] == "backfill"]
        assert backfills
        assert all(e["data"]["session_id"] not in listed for e in backfills)


async def test_a_restart_does_not_publish_the_same_observation_again(rig: Rig) -> None:
    plan = rig.live_plan()
    poller = rig.poller(plan.account)
    await poller.poll_once()
    poller.publish_status()
    rig.drain()
    rows = poller.unwritten_rows().sessions  # what the engine writes and a restart loads
    stored = PollStateRow(poller.account_id, None, "active")
    again = rig.poller(plan.account, sessions=rows, poll_state=stored, state="active")
    await again.poll_once()
    assert _observations(rig.drain()) == []
    rig.sim.advance(timedelta(minutes=1))
    await again.poll_once()
    assert _of(rig.drain(), "session.snapshot.v1", plan.session_id)


async def test_broker_reset_republishes_current_state(rig: Rig) -> None:
    plan = rig.live_plan()
    poller = rig.poller(plan.account)
    await poller.poll_once()
    first = rig.drain()
    poller.forget_published()
    await poller.poll_once()
    again = rig.drain()
    assert {e["id"] for e in _of(again, "session.snapshot.v1")} == {e["id"] for e in _of(first, "session.snapshot.v1")}
    assert len(_of(again, "session.ended.v1")) == len(_of(first, "session.ended.v1"))


async def test_a_resumed_poller_keeps_its_schedule_shifted_by_the_pause(rig: Rig) -> None:
    poller = rig.poller(0)
    poller.start()
    due, history = poller.next_due + 100.0, 50.0
    poller.next_due, poller.next_history_mono = due, history  # far ahead: the loop only sleeps
    await poller.stop()
    assert not poller.running
    paused_at = asyncio.get_running_loop().time()
    await asyncio.sleep(0.05)
    poller.resume()
    try:
        assert poller.running
        shift = poller.next_due - due
        assert 0.05 <= shift <= asyncio.get_running_loop().time() - paused_at + 0.01
        assert poller.next_history_mono == pytest.approx(history + shift)
    finally:
        await poller.stop()


async def test_a_config_change_wakes_a_sleeping_poller_at_once(rig: Rig) -> None:
    poller = rig.poller(0)
    poller.start()
    poller.next_due = asyncio.get_running_loop().time() + 3600.0  # read when the task first runs
    try:
        await asyncio.sleep(0.05)
        assert poller.cycles == 0
        poller.update_config(dataclasses.replace(poller.config, config_seq=2, display_name="Renamed"))
        for _ in range(100):
            if poller.cycles:
                break
            await asyncio.sleep(0.02)
        assert poller.cycles == 1
    finally:
        await poller.stop()


class _Recording(httpx.AsyncBaseTransport):
    """Records, per request path, whether it was sent as a follow-up and how many requests were in flight."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, bool, int]] = []
        self.in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.calls.append((request.url.path.rsplit("/", 1)[-1], is_follow_up(), self.in_flight))
        try:
            await asyncio.sleep(0.01)  # room for a concurrent call to start
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


async def test_the_details_of_listed_sessions_are_follow_ups_read_concurrently(rig: Rig) -> None:
    plan = rig.live_plan()
    recording = _Recording(httpx.ASGITransport(app=create_app(rig.sim)))  # type: ignore[arg-type]
    client = ShopeeClient(
        ClientSettings(base_url="http://sim", max_attempts=1, per_account_rate=10_000), transport=recording
    )
    rig.deps.client = client
    try:
        await rig.poller(plan.account).poll_once()
    finally:
        await client.aclose()
    by_path = {path: (follow, flying) for path, follow, flying in recording.calls}
    assert by_path["sessionList"][0] is False  # starts the cycle: an ordinary call
    assert by_path["overview"][0] is True
    assert by_path["productList"][0] is True
    assert max(flying for _, _, flying in recording.calls) == 2  # overview and products at once
    [snap] = _of(rig.drain(), "session.snapshot.v1", plan.session_id)
    assert snap["data"]["source"] == "overview"
