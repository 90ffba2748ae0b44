"""Capacity of one ingest replica: how many accounts it keeps on schedule on one core.

The simulator runs in its own process (speed 1, evening, so that about 20% of the accounts are on air); the
ingest runs in this process (one asyncio loop: one core) against an embedded Kafka-protocol broker and an embedded
PostgreSQL, with the production cadence (sessionList every 30 s idle / 10 s on air, overview and products of
every on-air session every 10 s, ended sessions re-read while they settle, history once a day).

Prints, per account count: scheduling lag p50/p99 (how late poll cycles start), cycle duration p50/p99, Shopee
calls per second, events published per second, RSS and CPU use of this process.
Goal: >= 2,000 accounts with p99 lag <= 1 s and <= 300 MB RSS.

    uv run python bench/ingest_capacity.py [--accounts 2000] [--warmup 20] [--measure 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil
from pydantic import SecretStr

import livestudio_ingest.poller as poller_module
from livestudio_devinfra.kafka import EmbeddedKafka
from livestudio_devinfra.postgres import EmbeddedPostgres
from livestudio_ingest.commands import AccountCommands, CookieValidator
from livestudio_ingest.credentials import CredentialVault
from livestudio_ingest.service import IngestService
from livestudio_ingest.settings import IngestSettings
from livestudio_runtime.logging import configure_logging
from livestudio_runtime.secrets import CookieCipher
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


async def run(accounts: int, warmup: float, measure: float) -> dict[str, float]:
    lag = Samples(poller_module.SCHEDULING_LAG)  # type: ignore[attr-defined]
    cycle = Samples(poller_module.CYCLE_SECONDS)  # type: ignore[attr-defined]
    poller_module.SCHEDULING_LAG = lag  # type: ignore[attr-defined,assignment]
    poller_module.CYCLE_SECONDS = cycle  # type: ignore[attr-defined,assignment]

    tmp = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    kafka = EmbeddedKafka()
    pg = EmbeddedPostgres(tmp / "pg")
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
            service = IngestService(settings)
            await service.start()
            try:
                assert service.pool is not None and service.client is not None
                commands = AccountCommands(
                    CredentialVault.from_setting(settings.credentials_keys), CookieValidator(service.client)
                )
                t_connect = time.monotonic()
                sem = asyncio.Semaphore(16)

                async def connect(i: int) -> None:
                    async with sem:
                        assert service.pool is not None
                        async with service.pool.acquire() as conn, conn.transaction():
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
                engine = service.engine
                assert engine is not None
                for _ in range(300):
                    if len(engine.pollers) >= accounts:
                        break
                    await asyncio.sleep(0.2)
                print(f"  polling {len(engine.pollers)} accounts")
                await asyncio.sleep(warmup)

                proc = psutil.Process()
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
                requests1 = sim.admin("GET", "/__sim/stats")["requests"]
                on_air = sum(1 for p in engine.pollers.values() if p.on_air_session_id is not None)
                lags = lag.since(t0)
                cycles = cycle.since(t0)
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
                    "rss_peak_mb": rss_peak / 1e6,
                    "median_lag_ms": statistics.median(lags) * 1000 if lags else float("nan"),
                }
                return result
            finally:
                await service.stop()
    finally:
        kafka.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--measure", type=float, default=60.0)
    args = parser.parse_args()
    configure_logging("ingest-bench", "WARNING", "console")
    started = time.monotonic()
    print(f"ingest capacity: {args.accounts} accounts, warmup {args.warmup:.0f}s, measure {args.measure:.0f}s")
    r = asyncio.run(run(args.accounts, args.warmup, args.measure))
    print(
        f"  accounts={r['accounts']:.0f} on_air={r['on_air_share']:.0%}  "
        f"lag p50={r['lag_p50_s'] * 1000:.1f}ms p99={r['lag_p99_s'] * 1000:.1f}ms max={r['lag_max_s'] * 1000:.0f}ms  "
        f"cycle p50={r['cycle_p50_s'] * 1000:.1f}ms p99={r['cycle_p99_s'] * 1000:.1f}ms"
    )
    print(
        f"  cycles/s={r['cycles_per_s']:.1f} shopee calls/s={r['shopee_calls_per_s']:.1f} "
        f"events/s={r['events_per_s']:.1f} backlog={r['backlog']:.0f}  "
        f"cpu={r['cpu_share']:.0%} of one core  rss peak={r['rss_peak_mb']:.0f}MB"
    )
    ok = r["lag_p99_s"] <= 1.0 and r["rss_peak_mb"] <= 300 and r["accounts"] >= 2000
    print(f"  goal (>=2000 accounts, p99 lag <= 1s, <= 300MB): {'met' if ok else 'NOT met'}")
    print(f"  bench took {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
