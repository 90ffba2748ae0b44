"""Fixtures of the security tests: a seeded read-model database of their own and a gateway process serving it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from livestudio_devinfra.ports import free_port
from tests.gateway import kit as gateway_kit
from tests.gateway.conftest import CREDENTIALS_KEY

SECRET = "security-key-new-" + "n" * 32
OLD_SECRET = "security-key-old-" + "o" * 32
"""The gateway verifies both (a rotation in progress); the first signs."""


@dataclass
class RunningGateway:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    database_url: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
async def edge_db(pg_dsn: str) -> AsyncIterator[str]:
    """A database holding the seeded read models, for this module alone (tests change rows)."""
    async with gateway_kit.seeded_database(pg_dsn, "sec") as dsn:
        yield dsn


def gateway_env(database_url: str, kafka_bootstrap: str, port: int, **extra: str) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        {
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "GATEWAY_JWT_SECRET": SECRET,
            "GATEWAY_JWT_SECRETS": f"{SECRET},{OLD_SECRET}",
            "GATEWAY_CREDENTIALS_KEYS": CREDENTIALS_KEY,
            "GATEWAY_HTTP_HOST": "127.0.0.1",
            "GATEWAY_HTTP_PORT": str(port),
            "GATEWAY_SESSION_TOPIC": f"sec-sessions.{suffix}",
            "GATEWAY_COMMANDS_TOPIC": f"sec-commands.{suffix}",
            "GATEWAY_TOPIC_PARTITIONS": "1",
            "GATEWAY_SSE_KEEPALIVE_S": "0.5",
            "GATEWAY_SSE_MAX_CLIENTS": "4",
            "GATEWAY_SSE_MAX_PER_CALLER": "2",
            "GATEWAY_RATE_LIMIT_ENABLED": "true",
            "GATEWAY_RATE_LIMIT_BURST": "30",
            "GATEWAY_RATE_LIMIT_PER_MINUTE": "60",
            "GATEWAY_DB_POOL_MIN": "1",
            "GATEWAY_DB_POOL_MAX": "4",
            "GATEWAY_LOG_FORMAT": "json",
        }
    )
    env.update(extra)
    return env


def start_gateway(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "livestudio-gateway")], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        assert proc.poll() is None, "the gateway exited during start-up"
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"not ready in {timeout_s} s"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def gateway(edge_db: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """A gateway process (uvicorn, as `livestudio-gateway` runs it) on the module's database and the test broker:
    SSE caps 2 per caller / 4 in all, rate limit 30 at once then 1/s per client."""
    port = free_port()
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    proc = start_gateway(gateway_env(edge_db, kafka_bootstrap, port), log)
    running = RunningGateway(f"http://127.0.0.1:{port}", proc, log, edge_db)
    try:
        wait_ready(running.url, proc)
        yield running
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
