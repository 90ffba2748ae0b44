"""The whole system as local processes: embedded PostgreSQL, embedded broker, simulator, the five services and,
with the alerts service, the local fakes its notifications go to (`alert_sinks`: webhook receiver, fake Telegram
API, SMTP sink).

`Stack` starts everything in dependency order, waits for each process to report ready, and stops everything in
reverse order (services get SIGTERM and a grace period, then SIGKILL). Used by `make up` and by the end-to-end
and chaos tests, which also use it to kill and restart single processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from livestudio_devinfra.kafka import EmbeddedKafka
from livestudio_devinfra.ports import free_port
from livestudio_devinfra.postgres import EmbeddedPostgres

SERVICES = ("ingest", "analytics", "commission", "alerts", "gateway")
DEFAULT_PORTS = {
    "gateway": 8000,
    "ingest": 8101,
    "analytics": 8102,
    "commission": 8103,
    "alerts": 8104,
    "simulator": 8900,
    "sinks": 8905,
    "sinks-smtp": 8925,
}


_PORT_TAKEN = "address already in use"


def terminate(proc: subprocess.Popen[Any], grace: float = 20.0) -> None:
    """Stops one child process: SIGTERM (graceful shutdown), SIGKILL if it has not exited after `grace` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def venv_script(name: str) -> str:
    """A console script of this environment (the services' and the simulator's entry points)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate)


@dataclass
class ManagedProcess:
    """One child process with its command line, environment, log file and readiness URL."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str | None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    restarts: int = 0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                tail = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
                raise RuntimeError(f"{self.name} exited during start-up; log tail:\n{tail}")
            if self.ready_url is None:
                return
            try:
                if httpx.get(self.ready_url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout}s ({self.ready_url}); see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM (graceful shutdown), SIGKILL after `grace` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass

    def restart(self, timeout: float = 60.0) -> None:
        self.kill()
        self.restarts += 1
        self.start()
        self.wait_ready(timeout)


@dataclass
class StackConfig:
    """Where the stack keeps its files and which infrastructure it uses."""

    home: Path
    kafka_bootstrap: str | None = None  # external broker; None = embedded
    database_url: str | None = None  # external PostgreSQL; None = embedded (data kept under home/pg)
    real_shopee: bool = False
    accounts: int = 24
    speed: float = 60.0
    seed: int = 1
    sim_start: str | None = None  # ISO datetime for the simulator's clock
    settle_hours: float | None = None
    fixed_ports: bool = True
    credentials_key: str = ""
    jwt_secret: str = ""
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    sim_args: list[str] = field(default_factory=list)
    alert_sinks: bool = True  # with the alerts service: run the local webhook / Telegram / SMTP fakes
    webhook_secret: str = ""  # the sinks check webhook signatures with it (make up generates one)


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.postgres: EmbeddedPostgres | None = None
        self.kafka: EmbeddedKafka | None = None
        self.processes: dict[str, ManagedProcess] = {}
        self.ports: dict[str, int] = {}

    # --- addresses ---------------------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        if self.config.database_url:
            return self.config.database_url
        assert self.postgres is not None
        return self.postgres.dsn

    @property
    def kafka_bootstrap(self) -> str:
        if self.config.kafka_bootstrap:
            return self.config.kafka_bootstrap
        assert self.kafka is not None
        return self.kafka.bootstrap

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def _port(self, name: str) -> int:
        if self.config.fixed_ports:
            return DEFAULT_PORTS[name]
        return free_port()

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start_infrastructure(self) -> None:
        self.config.home.mkdir(parents=True, exist_ok=True)
        if not self.config.database_url:
            self.postgres = EmbeddedPostgres(self.config.home / "pg", port=0)
            self.postgres.start()
        if not self.config.kafka_bootstrap:
            self.kafka = EmbeddedKafka(log_file=self.config.home / "logs" / "kafka.log")
            (self.config.home / "logs").mkdir(parents=True, exist_ok=True)
            self.kafka.start()

    def service_env(self, name: str) -> dict[str, str]:
        prefix = name.upper() + "_"
        env = {
            f"{prefix}KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            f"{prefix}DATABASE_URL": self.database_url,
            f"{prefix}HTTP_HOST": "127.0.0.1",
            f"{prefix}HTTP_PORT": str(self.ports[name]),
            f"{prefix}LOG_FORMAT": "json",
        }
        if name in ("ingest", "gateway", "alerts"):
            env[f"{prefix}CREDENTIALS_KEYS"] = self.config.credentials_key
        if name == "alerts" and "sinks" in self.ports:
            env["ALERTS_TELEGRAM_API_URL"] = self.url("sinks")
            env["ALERTS_EGRESS_ALLOW_NETWORKS"] = "127.0.0.1/32"  # the local fakes; nothing else private
        if name == "gateway":
            env["GATEWAY_JWT_SECRET"] = self.config.jwt_secret
        if name == "ingest":
            if self.config.real_shopee:
                env["INGEST_SHOPEE_MODE"] = "real"
            else:
                env["INGEST_SHOPEE_MODE"] = "simulator"
                env["INGEST_SHOPEE_BASE_URL"] = self.url("simulator")
        env.update(self.config.extra_env.get(name, {}))
        return env

    def add_simulator(self) -> ManagedProcess:
        self.ports["simulator"] = self._port("simulator")
        argv = [
            venv_script("shopee-sim"),
            "--port",
            str(self.ports["simulator"]),
            "--accounts",
            str(self.config.accounts),
            "--speed",
            str(self.config.speed),
            "--seed",
            str(self.config.seed),
        ]
        if self.config.sim_start:
            argv += ["--start", self.config.sim_start]
        if self.config.settle_hours is not None:
            argv += ["--settle-hours", str(self.config.settle_hours)]
        argv += self.config.sim_args
        proc = ManagedProcess(
            "simulator", argv, {}, self.config.home / "logs" / "simulator.log", f"{self.url('simulator')}/__sim/health"
        )
        self.processes["simulator"] = proc
        return proc

    def add_sinks(self) -> ManagedProcess:
        self.ports["sinks"] = self._port("sinks")
        self.ports["sinks-smtp"] = self._port("sinks-smtp")
        argv = [
            sys.executable,
            "-m",
            "livestudio_devinfra.alert_sinks",
            "--http-port",
            str(self.ports["sinks"]),
            "--smtp-port",
            str(self.ports["sinks-smtp"]),
            # one token: a generated secret may start with "-", which argparse would take for an option
            f"--webhook-secret={self.config.webhook_secret}",  # empty: signatures are not checked
            "--log",
            str(self.config.home / "logs" / "notifications.jsonl"),
        ]
        proc = ManagedProcess("sinks", argv, {}, self.config.home / "logs" / "sinks.log", f"{self.url('sinks')}/health")
        self.processes["sinks"] = proc
        return proc

    def add_service(self, name: str) -> ManagedProcess:
        self.ports[name] = self._port(name)
        proc = ManagedProcess(
            name,
            [venv_script(f"livestudio-{name}")],
            self.service_env(name),
            self.config.home / "logs" / f"{name}.log",
            f"{self.url(name)}/health/ready",
        )
        self.processes[name] = proc
        return proc

    def start(self, services: tuple[str, ...] = SERVICES, *, timeout: float = 120.0) -> None:
        self.start_infrastructure()
        if not self.config.real_shopee:
            self.add_simulator().start()
            self.wait_ready("simulator", timeout)
        if "alerts" in services and self.config.alert_sinks:
            self.add_sinks().start()
            self.wait_ready("sinks", timeout)
        for name in services:
            proc = self.add_service(name)
            proc.start()
        for name in services:
            self.wait_ready(name, timeout)

    def wait_ready(self, name: str, timeout: float, *, attempts: int = 3) -> None:
        """Until process `name` is ready. With free ports, one picked here can be taken before the child binds it
        (say, as another process's ephemeral port): such a child is started again on a new port."""
        for attempt in range(1, attempts + 1):
            try:
                self.processes[name].wait_ready(timeout)
                return
            except RuntimeError as exc:
                if self.config.fixed_ports or _PORT_TAKEN not in str(exc).lower() or attempt == attempts:
                    raise
            adders = {"simulator": self.add_simulator, "sinks": self.add_sinks}
            adders.get(name, lambda: self.add_service(name))().start()

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.processes[name].stop()
        if self.kafka is not None:
            self.kafka.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def status(self) -> Mapping[str, bool]:
        return {name: proc.running for name, proc in self.processes.items()}
