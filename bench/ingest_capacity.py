"""Capacity of one ingest replica: how many accounts it keeps on schedule on one core.

The simulator runs in its own process (speed 1, evening, so that about 20% of the accounts are on air); the
ingest runs in this process (one asyncio loop: one core) against an embedded Kafka-protocol broker and an embedded
PostgreSQL, with the production cadence (sessionList every 30 s idle / 10 s on air, overview and products of
every on-air session every 10 s, ended sessions re-read while they settle, history once a day).

Prints the measured share of accounts on air, scheduling lag p50/p99 (how late poll cycles start), cycle duration
p50/p99, Shopee calls and events per second, RSS, and the CPU use of this process (the ingest only: simulator,
broker and PostgreSQL are other processes; the simulator's CPU is printed too). Baseline, in the same run: the
bare Shopee client's sessionList rate and CPU per call, so the ingest's CPU per call reads as a ratio to it.
`--profile FILE` runs cProfile over the measured window (the lag figures of such a run are not representative).
Goal: >= 2,000 accounts with p99 lag <= 1 s and <= 300 MB RSS.

    uv run python bench/ingest_capacity.py [--accounts 2000] [--warmup 90] [--measure 30] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil
import uvloop
from pydantic import SecretStr

import livestudio_ingest.metrics as ingest_metrics
import livestudio_ingest.poller as poller_module
from livestudio_devinfra.kafka import EmbeddedKafka
from livestudio_devinfra.postgres import EmbeddedPostgres
from livestudio_ingest.commands import AccountCommands, CookieValidator
from livestudio_ingest.credentials import CredentialVault
from livestudio_ingest.service import IngestService
from livestudio_ingest.settings import MIGRATIONS, SCHEMA, IngestSettings, client_settings
from livestudio_runtime.db import create_pool
from livestudio_runtime.gc_policy import GC_INTERVAL_S, freeze_startup_objects, timed_collection
from livestudio_runtime.logging import configure_logging
from livestudio_runtime.migrations import migrate
from livestudio_runtime.secrets import CookieCipher
from shopee_client import AccountContext, ShopeeClient, get_region
from shopee_client.simulator import SimulatorConfig, run_simulator_process

JKT = ZoneInfo("Asia/Jakarta")


class Samples:
    """Stands in for a prometheus histogram and keeps every observation (with its time)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.values: list[tuple[float, float]] = []

    def observe(self, value: float) -> None:
        self.values.append((time.monotonic(), value))
        self.wrapped.observe(value)

    def since(self, t0: float) -> list[float]:
        return [v for t, v in self.values if t >= t0]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def raw_client_rate(client: ShopeeClient, cookies: list[str], *, seconds: float) -> dict[str, float]:
    """The baseline: sessionList calls/s and CPU per call of the bare client (32 in flight, no ingest logic)."""
    region = get_region("co.id")
    contexts = [
        AccountContext(account_id=f"raw-{i}", cookie=SecretStr(c), region=region) for i, c in enumerate(cookies)
    ]
    proc = psutil.Process()
    cpu0 = sum(proc.cpu_times()[:2])
    t0 = time.monotonic()
    calls = 0

    async def worker(k: int) -> None:
        nonlocal calls
        i = k
        while time.monotonic() - t0 < seconds:
            await client.session_list(contexts[i % len(contexts)], page=1, page_size=50)
            calls += 1
            i += 32

    await asyncio.gather(*(worker(k) for k in range(32)))
    elapsed = time.monotonic() - t0
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    return {"calls_per_s": calls / elapsed, "cpu_ms_per_call": cpu / max(1, calls) * 1000}


async def run(
    accounts: int, warmup: float, measure: float, *, baseline_s: float = 5.0, profile: Path | None = None
) -> dict[str, float]:
    # the poller records into these (and through them into the real metrics)
    lag = Samples(ingest_metrics.SCHEDULING_LAG)
    cycle = Samples(ingest_metrics.CYCLE_SECONDS)
    setattr(poller_module, "SCHEDULING_LAG", lag)  # noqa: B010
    setattr(poller_module, "CYCLE_SECONDS", cycle)  # noqa: B010

    tmp = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    kafka = EmbeddedKafka()
    pg = EmbeddedPostgres(tmp / "pg")
    t_phase = time.monotonic()
    kafka.start()
    pg.start()
    cfg = SimulatorConfig(seed=7, accounts=accounts, speed=1, start=datetime(2025, 6, 4, 22, 10, tzinfo=JKT))
    try:
        with run_simulator_process(cfg) as sim:
            cookies = [a["cookie"] for a in sim.admin("GET", "/__sim/accounts")]
            key = CookieCipher.generate_key()
            tag = uuid.uuid4().hex[:6]
            settings = IngestSettings(
                kafka_bootstrap=kafka.bootstrap,
                database_url=pg.dsn,
                credentials_keys=SecretStr(key),
                shopee_mode="simulator",
                shopee_base_url=sim.base_url,
                session_topic=f"b{tag}.session",
                item_topic=f"b{tag}.item",
                account_topic=f"b{tag}.account",
                commands_topic=f"b{tag}.commands",
                accounts_topic=f"b{tag}.accounts",
                log_level="WARNING",
                kafka_session_timeout_ms=10_000,
                kafka_heartbeat_interval_ms=1_000,
                db_pool_max=10,
            )
            # accounts are connected (cookies validated with userInfo) before the service starts, so that the
            # simulator's cold start (it generates sessions on first use) does not slow the validations down
            t_connect = time.monotonic()
            await migrate(settings.database_url, schema=SCHEMA, directory=MIGRATIONS)
            pool = await create_pool(settings.database_url, schema=SCHEMA, application_name="bench", max_size=16)
            async with ShopeeClient(client_settings(settings)) as client:
                commands = AccountCommands(
                    CredentialVault.from_setting(settings.credentials_keys), CookieValidator(client)
                )
                sem = asyncio.Semaphore(16)

                async def connect(i: int) -> None:
                    async with sem, pool.acquire() as conn, conn.transaction():
                        await commands.connect(
                            conn,
                            account_id=f"acct-{i:05d}",
                            studio_id="studio-1",
                            display_name=f"Account {i}",
                            region="co.id",
                            cookie=SecretStr(cookies[i]),
                        )

                await asyncio.gather(*(connect(i) for i in range(accounts)))
                print(f"  connected {accounts} accounts in {time.monotonic() - t_connect:.1f}s")
                raw = await raw_client_rate(client, cookies, seconds=baseline_s)
            await pool.close()
            print(
                f"  baseline (same run): the bare client does {raw['calls_per_s']:.0f} sessionList calls/s "
                f"at {raw['cpu_ms_per_call']:.2f} ms CPU/call (this process)"
            )
            service = IngestService(settings)
            t_start = time.monotonic()
            await service.start()
            up = time.monotonic()
            print(f"  infrastructure up after {up - t_phase:.0f}s (service start {up - t_start:.0f}s)")
            try:
                assert service.pool is not None and service.client is not None
                engine = service.engine
                assert engine is not None
                for _ in range(600):
                    if len(engine.pollers) >= accounts:
                        break
                    await asyncio.sleep(0.2)
                print(f"  polling {len(engine.pollers)} accounts")
                # warm-up: the simulator generates every account's sessions and products on first use (slow),
                # so wait until every account has been through a few cycles
                t_warm = time.monotonic()
                while time.monotonic() - t_warm < warmup:
                    await asyncio.sleep(2.0)
                    if min((p.cycles for p in engine.pollers.values()), default=0) >= 2:
                        break
                print(f"  warm after {time.monotonic() - t_warm:.0f}s")

                proc = psutil.Process()
                sim_proc = psutil.Process(sim.process.pid) if sim.process is not None else None
                sim_cpu0 = sum(sim_proc.cpu_times()[:2]) if sim_proc is not None else 0.0
                profiler = cProfile.Profile() if profile is not None else None
                if profiler is not None:
                    profiler.enable()
                cpu0 = proc.cpu_times()
                t0 = time.monotonic()
                published0 = service.publisher.published if service.publisher else 0
                polls0 = sum(p.cycles for p in engine.pollers.values())
                requests0 = sim.admin("GET", "/__sim/stats")["requests"]
                rss_peak = 0
                while time.monotonic() - t0 < measure:
                    await asyncio.sleep(1.0)
                    rss_peak = max(rss_peak, proc.memory_info().rss)
                elapsed = time.monotonic() - t0
                cpu1 = proc.cpu_times()
                sim_cpu = (sum(sim_proc.cpu_times()[:2]) - sim_cpu0) / elapsed if sim_proc is not None else 0.0
                if profiler is not None and profile is not None:
                    profiler.disable()
                    profiler.dump_stats(profile)
                    pstats.Stats(str(profile)).sort_stats("tottime").print_stats(25)
                requests1 = sim.admin("GET", "/__sim/stats")["requests"]
                on_air = sum(1 for p in engine.pollers.values() if p.on_air_session_id is not None)
                lags = lag.since(t0)
                cycles = cycle.since(t0)
                from prometheus_client import REGISTRY

                def client_latency() -> str:
                    buckets: dict[float, float] = {}
                    total = 0.0
                    for metric in REGISTRY.collect():
                        if metric.name != "shopee_client_request_duration_seconds":
                            continue
                        for sample in metric.samples:
                            if sample.name.endswith("_bucket"):
                                le = float(sample.labels["le"])
                                buckets[le] = buckets.get(le, 0.0) + sample.value
                            elif sample.name.endswith("_count"):
                                total += sample.value
                    return " ".join(f"<={le}s:{v / max(total, 1):.0%}" for le, v in sorted(buckets.items())[:9])

                print("  shopee latency (cumulative):", client_latency())
                result = {
                    "accounts": float(len(engine.pollers)),
                    "on_air_share": on_air / max(1, len(engine.pollers)),
                    "lag_p50_s": pct(lags, 0.50),
                    "lag_p99_s": pct(lags, 0.99),
                    "lag_max_s": max(lags) if lags else float("nan"),
                    "cycle_p50_s": pct(cycles, 0.50),
                    "cycle_p99_s": pct(cycles, 0.99),
                    "cycles_per_s": (sum(p.cycles for p in engine.pollers.values()) - polls0) / elapsed,
                    "shopee_calls_per_s": (requests1 - requests0) / elapsed,
                    "events_per_s": ((service.publisher.published if service.publisher else 0) - published0) / elapsed,
                    "backlog": float(len(service.outbox)),
                    "cpu_share": ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / elapsed,
                    "sim_cpu_share": sim_cpu,
                    "raw_calls_per_s": raw["calls_per_s"],
                    "raw_cpu_ms_per_call": raw["cpu_ms_per_call"],
                    "rss_peak_mb": rss_peak / 1e6,
                    "median_lag_ms": statistics.median(lags) * 1000 if lags else float("nan"),
                }
                return result
            finally:
                t_stop = time.monotonic()
                await service.stop()
                print(f"  service stopped in {time.monotonic() - t_stop:.1f}s")
    finally:
        kafka.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--warmup", type=float, default=90.0, help="at most; ends when every account cycled twice")
    parser.add_argument("--measure", type=float, default=30.0)
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop", help="uvicorn uses uvloop if present"
    )
    parser.add_argument("--baseline", type=float, default=5.0, help="seconds of bare-client calls (baseline)")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the measured window into this file")
    args = parser.parse_args()
    configure_logging("ingest-bench", "WARNING", "console")
    freeze_startup_objects()  # the services' GC policy, as `livestudio-ingest` runs under it
    started = time.monotonic()
    print(
        f"ingest capacity: {args.accounts} accounts, {args.loop}, "
        f"warmup <= {args.warmup:.0f}s, measure {args.measure:.0f}s"
    )
    if args.loop == "uvloop":
        uvloop.install()  # as in production: uvicorn runs the service on uvloop when it is installed

    async def under_the_gc_policy() -> dict[str, float]:
        async with timed_collection(GC_INTERVAL_S):
            return await run(args.accounts, args.warmup, args.measure, baseline_s=args.baseline, profile=args.profile)

    r = asyncio.run(under_the_gc_policy())
    print(
        f"  accounts={r['accounts']:.0f} on_air={r['on_air_share']:.0%}  "
        f"lag p50={r['lag_p50_s'] * 1000:.1f}ms p99={r['lag_p99_s'] * 1000:.1f}ms max={r['lag_max_s'] * 1000:.0f}ms  "
        f"cycle p50={r['cycle_p50_s'] * 1000:.1f}ms p99={r['cycle_p99_s'] * 1000:.1f}ms"
    )
    print(
        f"  cycles/s={r['cycles_per_s']:.1f} shopee calls/s={r['shopee_calls_per_s']:.1f} "
        f"events/s={r['events_per_s']:.1f} backlog={r['backlog']:.0f}  "
        f"rss peak={r['rss_peak_mb']:.0f}MB"
    )
    per_call = r["cpu_share"] / max(r["shopee_calls_per_s"], 1e-9) * 1000
    print(
        f"  cpu: ingest {r['cpu_share']:.0%} of one core ({per_call:.2f} ms per Shopee call, "
        f"{per_call / max(r['raw_cpu_ms_per_call'], 1e-9):.1f}x the bare client's), "
        f"simulator {r['sim_cpu_share']:.0%} (own process)"
    )
    ok = r["lag_p99_s"] <= 1.0 and r["rss_peak_mb"] <= 300 and r["accounts"] >= 2000
    print(f"  goal (>=2000 accounts, p99 lag <= 1s, <= 300MB): {'met' if ok else 'NOT met'}")
    print(f"  bench took {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
