"""Run the simulator for tests and other packages: in-process (asyncio task or background thread) or as a
subprocess, always on a real socket (a free port by default).

    async with run_simulator(SimulatorConfig(accounts=20, seed=1)) as sim:
        client = ShopeeClient(ClientSettings(base_url=sim.base_url))
        truth = sim.simulator.ground_truth()        # in-process: the Python API is available

    with run_simulator_process(SimulatorConfig(accounts=2000)) as sim:   # separate process (benchmarks)
        ...                                                              # use sim.base_url + admin endpoints
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from shopee_client.simulator.app import create_app
from shopee_client.simulator.config import SimulatorConfig
from shopee_client.simulator.core import Simulator

__all__ = [
    "RunningSimulator",
    "bind_socket",
    "build_server",
    "run_simulator",
    "run_simulator_process",
    "run_simulator_thread",
]


@dataclass
class RunningSimulator:
    """A running simulator: where it listens and (in-process only) the `Simulator` object itself."""

    host: str
    port: int
    simulator: Simulator | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def sim(self) -> Simulator:
        """The in-process `Simulator` (raises for a subprocess: use the admin endpoints)."""
        if self.simulator is None:
            raise RuntimeError("simulator runs in another process; use the /__sim/* admin endpoints")
        return self.simulator

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call an admin endpoint synchronously, e.g. `admin("POST", "/__sim/faults", json={...})`."""
        response = httpx.request(method, f"{self.base_url}{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket. `proto=IPPROTO_TCP` matters: asyncio only sets TCP_NODELAY on accepted
    connections of such sockets, and without it every keep-alive response stalls ~40 ms (Nagle + delayed ACK)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def build_server(simulator: Simulator, *, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(simulator),
        log_level=log_level,
        access_log=False,
        lifespan="on",
        loop="asyncio",
        http="h11",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
        backlog=2048,
    )
    return uvicorn.Server(config)


@contextlib.asynccontextmanager
async def run_simulator(
    config: SimulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
) -> AsyncIterator[RunningSimulator]:
    """Serve a simulator as a task on the running event loop (shares the loop with the caller)."""
    simulator = Simulator(config)
    server = build_server(simulator, log_level=log_level)
    sock = bind_socket(host, port)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("simulator server stopped during startup")
            await asyncio.sleep(0.01)
        yield RunningSimulator(host=host, port=sock.getsockname()[1], simulator=simulator)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
        sock.close()


@contextlib.contextmanager
def run_simulator_thread(
    config: SimulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
) -> Iterator[RunningSimulator]:
    """Serve a simulator on its own event loop in a background thread."""
    simulator = Simulator(config)
    server = build_server(simulator, log_level=log_level)
    sock = bind_socket(host, port)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), name="shopee-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("simulator thread failed to start")
        time.sleep(0.01)
    try:
        yield RunningSimulator(host=host, port=sock.getsockname()[1], simulator=simulator)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def run_simulator_process(
    config: SimulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    startup_timeout: float = 60.0,
) -> Iterator[RunningSimulator]:
    """Run `shopee-sim` in a subprocess (its own core) and wait until it answers `/__sim/health`."""
    cfg = config or SimulatorConfig()
    cmd = [
        sys.executable,
        "-m",
        "shopee_client.simulator.cli",
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        log_level,
        "--config-json",
        cfg.model_dump_json(),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=None)
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[bytes] = queue.Queue()

    def drain() -> None:  # keeps the pipe empty for the whole life of the process
        for line in stdout:
            lines.put(line)

    threading.Thread(target=drain, name="shopee-sim-drain", daemon=True).start()
    actual_port: int | None = None
    deadline = time.monotonic() + startup_timeout
    try:
        while actual_port is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"simulator process failed to start (exit code {proc.poll()})")
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict) and event.get("event") == "simulator_started":
                    actual_port = int(event["port"])
        running = RunningSimulator(host=host, port=actual_port, process=proc)
        while True:
            try:
                httpx.get(f"{running.base_url}/__sim/health", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
