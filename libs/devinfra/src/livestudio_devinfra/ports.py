"""Loopback port helpers: pick a free port, wait until something listens on one.

A port picked by binding port 0 comes from the kernel's ephemeral range, the same range outgoing connections
take their local ports from: between picking it and the child binding it (or binding it again after a
restart), any client connection on the machine may take it. So ports are picked below that range, where the
kernel never assigns one on its own, and never handed out twice by one process.
"""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path

_LOWEST = 10_000
"""Ports below this are left to well-known services."""
_handed_out: set[int] = set()


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range of local ports for outgoing connections (Linux default when it cannot be read)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, outside the ephemeral range where possible."""
    low, _ = ephemeral_range()
    if low - _LOWEST >= 1_000:
        for _ in range(200):
            port = random.randrange(_LOWEST, low)
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # no room below the range: the kernel picks
        sock.bind(("127.0.0.1", 0))
        picked: int = sock.getsockname()[1]
    _handed_out.add(picked)
    return picked


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")
