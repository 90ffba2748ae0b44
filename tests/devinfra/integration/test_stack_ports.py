"""The stack starts a child again on a new port when the free port it picked was taken before the child bound it."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from livestudio_devinfra import stack as stack_module
from livestudio_devinfra.ports import free_port
from livestudio_devinfra.stack import Stack, StackConfig


def test_a_child_whose_port_was_taken_starts_again_on_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        taken_port = taken.getsockname()[1]
        ports = iter([taken_port])
        monkeypatch.setattr(stack_module, "free_port", lambda: next(ports, None) or free_port())
        # external (unused) infrastructure: only the simulator is started
        stack = Stack(
            StackConfig(home=tmp_path, kafka_bootstrap="127.0.0.1:9", database_url="postgresql://x", fixed_ports=False)
        )
        try:
            stack.add_simulator().start()
            stack.wait_ready("simulator", 60)
            assert stack.ports["simulator"] != taken_port
            assert httpx.get(f"{stack.url('simulator')}/__sim/health", timeout=5).status_code == 200
            assert "address already in use" in (tmp_path / "logs" / "simulator.log").read_text().lower()
        finally:
            stack.stop()
