"""`shopee-sim`: run the simulator standalone, logging JSON via structlog.

uv run shopee-sim --accounts 50 --speed 60 --seed 1 --port 8900 [--start 2025-06-02T08:00:00+07:00]
    [--settle-hours 6] [--status-lie-fraction 0.1] [--fault-429 0.02] [--fault-5xx 0.02] ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import datetime, timedelta

import structlog

from shopee_client.simulator.config import FaultConfig, SimulatorConfig
from shopee_client.simulator.core import Simulator
from shopee_client.simulator.runner import bind_socket, build_server

__all__ = ["build_parser", "config_from_args", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shopee-sim", description="Deterministic Shopee Live simulator")
    p.add_argument("--accounts", type=int, default=50)
    p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (0 = frozen)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8900, help="0 picks a free port")
    p.add_argument("--start", type=datetime.fromisoformat, default=None, help="simulated start (ISO, aware)")
    p.add_argument("--timezone", default="Asia/Jakarta")
    p.add_argument("--settle-hours", type=float, default=6.0, help="confirmed figures settle within this")
    p.add_argument(
        "--affiliate-complete-hours", type=float, default=72.0, help="affiliate commission is final this much later"
    )
    p.add_argument("--status-lie-fraction", type=float, default=0.0, help="on-air sessions reporting status 2")
    p.add_argument("--history-null-fraction", type=float, default=0.1)
    p.add_argument("--fault-latency-ms", type=float, default=0.0)
    p.add_argument("--fault-latency-jitter-ms", type=float, default=0.0)
    p.add_argument("--fault-429", type=float, default=0.0)
    p.add_argument("--fault-5xx", type=float, default=0.0)
    p.add_argument("--fault-timeout", type=float, default=0.0)
    p.add_argument("--fault-hang-seconds", type=float, default=20.0)
    p.add_argument("--fault-truncated", type=float, default=0.0)
    p.add_argument("--fault-invalid-json", type=float, default=0.0)
    p.add_argument("--fault-wrong-type", type=float, default=0.0)
    p.add_argument("--fault-not-owned", type=float, default=0.0)
    p.add_argument("--fault-expired", default="", help="comma-separated account indexes with expired cookies")
    p.add_argument("--prewarm", action="store_true", help="generate the last 3 days of all accounts at startup")
    p.add_argument("--log-level", default="info")
    p.add_argument("--config-json", default=None, help="a full SimulatorConfig as JSON (overrides the above)")
    return p


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    if args.config_json:
        return SimulatorConfig.model_validate_json(args.config_json)
    start = args.start
    if start is not None and start.tzinfo is None:
        raise SystemExit("--start must include a UTC offset, e.g. 2025-06-02T08:00:00+07:00")
    faults = FaultConfig(
        latency_ms=args.fault_latency_ms,
        latency_jitter_ms=args.fault_latency_jitter_ms,
        rate_429=args.fault_429,
        rate_5xx=args.fault_5xx,
        rate_timeout=args.fault_timeout,
        hang_seconds=args.fault_hang_seconds,
        rate_truncated=args.fault_truncated,
        rate_invalid_json=args.fault_invalid_json,
        rate_wrong_type=args.fault_wrong_type,
        rate_not_owned=args.fault_not_owned,
        expired_accounts=[int(x) for x in args.fault_expired.split(",") if x.strip()],
    )
    return SimulatorConfig(
        seed=args.seed,
        accounts=args.accounts,
        speed=args.speed,
        start=start,
        timezone=args.timezone,
        settle_delay=timedelta(hours=args.settle_hours),
        affiliate_complete_delay=timedelta(hours=args.affiliate_complete_hours),
        status_lie_fraction=args.status_lie_fraction,
        history_null_fraction=args.history_null_fraction,
        prewarm=args.prewarm,
        faults=faults,
    )


def _configure_logging(level: str) -> None:
    numeric = logging.getLevelName(level.upper())
    numeric = numeric if isinstance(numeric, int) else logging.INFO
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )


async def _serve(config: SimulatorConfig, host: str, port: int, log_level: str) -> None:
    simulator = Simulator(config)
    if config.prewarm:
        simulator.prewarm()
    server = build_server(simulator, log_level="warning" if log_level.lower() == "info" else log_level.lower())
    sock = bind_socket(host, port)
    actual = sock.getsockname()[1]
    started = {
        "event": "simulator_started",
        "host": host,
        "port": actual,
        "base_url": f"http://{host}:{actual}",
        "accounts": config.accounts,
        "seed": config.seed,
        "speed": config.speed,
        "sim_now": simulator.now().isoformat(),
    }
    # Always the first stdout line, whatever the log level: run_simulator_process() waits for it.
    print(json.dumps(started), flush=True)
    await server.serve(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    _configure_logging(args.log_level)
    config = config_from_args(args)
    asyncio.run(_serve(config, args.host, args.port, args.log_level))


if __name__ == "__main__":
    main()
