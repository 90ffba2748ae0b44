"""Shopee calls per account per day of the ingest's cadence, counted over simulated days (issue #24).

Pollers of `--accounts` simulator accounts run against an in-process simulator whose clock the script steps: each
poll cycle runs at the moment the previous one asked for (its interval, no jitter), with the ingest clock at 1x,
i.e. production. Every request the simulator serves is counted, per endpoint. Two cadences in the same run:

* `current`: the settings' defaults (the read when a session's end is decided, `settle_reads` reads spread over
  the settle window, overview and products re-read with the daily history);
* `no history reads`: the same without the history's overview and product re-reads (their cost is the difference);
* `5-min settling` (the baseline: the cadence before issue #24 read ended sessions every `settling_interval_s`,
  300 s, through the 6 h window, and re-read no products with the history): `settle_reads` = 72, no history
  products.

    uv run python bench/settle_calls.py [--accounts 4] [--days 1]
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import random
import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr

from livestudio_ingest.outbox import Outbox
from livestudio_ingest.poller import AccountConfig, AccountPoller, PollDeps, Topics
from livestudio_ingest.settings import IngestSettings
from livestudio_runtime.logging import configure_logging
from shopee_client import INDONESIA, ClientSettings, ShopeeClient
from shopee_client.simulator import Simulator, SimulatorConfig, create_app

JKT = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 6, 9, 0, 0, tzinfo=JKT)


class _Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[request.url.path.rsplit("/", 1)[-1]] += 1
        return await self.inner.handle_async_request(request)


class _OneX:
    """The simulator's (stepped) clock, declared to run at real speed: the cadence of production."""

    speed = 1.0

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def now(self) -> datetime:
        return self.sim.clock.now()


async def run(settings: IngestSettings, accounts: int, days: float, seed: int) -> tuple[Counter[str], int, float]:
    sim = Simulator(SimulatorConfig(seed=seed, accounts=accounts, speed=0, start=START))
    counting = _Counting(httpx.ASGITransport(app=create_app(sim)))  # type: ignore[arg-type]
    client = ShopeeClient(
        ClientSettings(base_url="http://sim", max_attempts=1, per_account_rate=10_000), transport=counting
    )
    outbox = Outbox(1_000_000)
    deps = PollDeps(
        settings=settings,
        client=client,
        clock=_OneX(sim),
        outbox=outbox,
        topics=Topics(session="s", item="i", account="a"),
        mark_dirty=lambda _p: None,
        rng=random.Random(seed),
    )
    pollers = []
    for a in range(accounts):
        config = AccountConfig(
            account_id=f"acct-{a}",
            studio_id="studio",
            display_name=f"Account {a}",
            region=INDONESIA,
            shopee_user_id=sim.accounts[a].user_id,
            state="connected",
            config_seq=1,
            cookie=SecretStr(sim.cookie(a)),
        )
        pollers.append(AccountPoller(deps, config, None, []))
    rng = random.Random(seed)
    start_s = START.timestamp()
    end_s = start_s + days * 86_400
    due = [(start_s + rng.uniform(0, 30), a) for a in range(accounts)]
    history_due = [start_s + rng.uniform(0, 600) for _ in range(accounts)]
    heapq.heapify(due)
    cycles = 0
    while due:
        at, a = heapq.heappop(due)
        if at >= end_s:
            continue
        sim.set_time(datetime.fromtimestamp(at, JKT))
        p = pollers[a]
        p.next_history_mono = 0.0 if at >= history_due[a] else float("inf")
        if at >= history_due[a]:
            history_due[a] = at + settings.history_interval_s
        interval = await p.poll_once()
        assert interval is not None, "a poll cycle failed"
        for slot, item in outbox.peek(1_000_000):
            outbox.done(slot, item)
        cycles += 1
        heapq.heappush(due, (at + interval, a))
    await client.aclose()
    ended = sum(1 for p in pollers for t in p.sessions.values() if t.ended and t.ended_at and t.ended_at > START)
    return counting.calls, cycles, ended / accounts / days


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--accounts", type=int, default=4)
    p.add_argument("--days", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=3)
    args = p.parse_args(argv)
    configure_logging("bench", "WARNING", "console")
    cadences = {
        "current": IngestSettings(),
        "no history reads": IngestSettings(history_details=False),
        "5-min settling": IngestSettings(settle_reads=72, history_details=False),
    }
    rows = {}
    for name, settings in cadences.items():
        t0 = time.perf_counter()
        calls, cycles, ended = asyncio.run(run(settings, args.accounts, args.days, args.seed))
        per_day = {k: v / args.accounts / args.days for k, v in calls.items()}
        rows[name] = per_day
        print(
            f"{name:<15} {sum(per_day.values()):8.0f} calls/account/day  "
            + "  ".join(f"{k} {v:.0f}" for k, v in sorted(per_day.items()))
            + f"  ({cycles} cycles, {ended:.2f} ended sessions/account/day, {time.perf_counter() - t0:.0f} s)"
        )
    now, before = rows["current"], rows["5-min settling"]
    history = sum(now.values()) - sum(rows["no history reads"].values())
    print(f"history re-reads of overview and products: {history:+.1f} calls/account/day")
    print(
        "difference      "
        + "  ".join(f"{k} {now.get(k, 0) - before.get(k, 0):+.1f}" for k in sorted(set(now) | set(before)))
        + f"  total {sum(now.values()) - sum(before.values()):+.1f} calls/account/day"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
