"""Benchmark: shopee_client throughput against the simulator running in a separate process.

The client runs on this process's event loop (one core); the simulator runs in a subprocess (its own core), so
the figures measure the client side: requests/s (wall), requests per client CPU-second, p50/p99 latency.
A realistic poll mix: sessionList, overview and productList (pageSize 100) over 200 accounts; frozen simulated
clock so every repetition sees the same data. Medians over the repetitions are printed.

    uv run python bench/shopee_client_throughput.py [--requests 1000] [--repetitions 3] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime

from shopee_client import AccountContext, ClientSettings, ShopeeClient
from shopee_client.simulator import SimulatorConfig, run_simulator_process

START = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)  # 16:30 Jakarta, the afternoon shift is on air


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(
    base_url: str, accounts: int, requests: int, repetitions: int, concurrency: int, budget: float = 1e9
) -> None:
    deadline = time.perf_counter() + budget
    settings = ClientSettings(
        base_url=base_url,
        per_account_rate=10_000,  # no throttling: measure the client itself
        max_in_flight=concurrency,
        max_connections=concurrency,
        max_keepalive_connections=concurrency,
    )
    async with ShopeeClient(settings) as client:
        listing = await client.http.get(f"{base_url}/__sim/accounts", timeout=30)
        cookies = [a["cookie"] for a in listing.json()]
        contexts = [AccountContext.create(f"acct-{i}", c) for i, c in enumerate(cookies[:accounts])]
        # warm-up: the simulator generates each account's sessions on first use
        pages = await asyncio.gather(*[client.session_list(a, page_size=20) for a in contexts])
        targets = [(a, p.items[0].session_id) for a, p in zip(contexts, pages, strict=True) if p.items]
        await asyncio.gather(*[client.overview(a, sid) for a, sid in targets])

        def workload(n: int) -> list[tuple[str, AccountContext, int]]:
            jobs: list[tuple[str, AccountContext, int]] = []
            kinds = ("session_list", "overview", "product_list")
            for k in range(n):
                account, sid = targets[k % len(targets)]
                jobs.append((kinds[k % 3], account, sid))
            return jobs

        async def one(kind: str, account: AccountContext, sid: int, latencies: list[float]) -> None:
            started = time.perf_counter()
            if kind == "session_list":
                await client.session_list(account, page_size=20)
            elif kind == "overview":
                await client.overview(account, sid)
            else:
                await client.product_list(account, sid, page_size=100)
            latencies.append(time.perf_counter() - started)

        results: list[tuple[float, float, float, float]] = []
        for rep in range(repetitions):
            latencies: list[float] = []
            sem = asyncio.Semaphore(concurrency * 2)  # a bounded backlog, like a poller would keep

            async def bounded(
                job: tuple[str, AccountContext, int],
                lat: list[float] = latencies,
                gate: asyncio.Semaphore = sem,
            ) -> None:
                async with gate:
                    await one(*job, lat)

            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.gather(*[bounded(job) for job in workload(requests)])
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            rps, per_cpu = requests / wall, requests / cpu
            p50, p99 = _percentile(latencies, 0.5) * 1000, _percentile(latencies, 0.99) * 1000
            results.append((rps, per_cpu, p50, p99))
            print(
                f"rep {rep + 1}: {rps:7.1f} req/s wall, {per_cpu:7.1f} req per client CPU-s, "
                f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms"
            )
            if time.perf_counter() > deadline and rep + 1 < repetitions:
                print(f"time budget used up after {rep + 1} repetitions (machine busy?)")
                break
    med = [statistics.median(col) for col in zip(*results, strict=True)]
    print(
        f"MEDIAN over {len(results)} reps x {requests} requests (concurrency {concurrency}): "
        f"{med[0]:.1f} req/s wall, {med[1]:.1f} req/s per client core, p50 {med[2]:.1f} ms, p99 {med[3]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--budget", type=float, default=40.0, help="stop repeating after this many seconds")
    args = parser.parse_args()
    config = SimulatorConfig(seed=1, accounts=args.accounts, speed=0, start=START)
    started = time.perf_counter()
    with run_simulator_process(config, log_level="warning") as running:
        asyncio.run(
            _run(running.base_url, args.accounts, args.requests, args.repetitions, args.concurrency, args.budget)
        )
    print(f"total runtime {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
