"""Free ports are picked below the kernel's ephemeral range (no outgoing connection can take them) and unique."""

from __future__ import annotations

import socket

import pytest

from livestudio_devinfra import ports
from livestudio_devinfra.ports import ephemeral_range, free_port


def test_free_ports_are_outside_the_ephemeral_range_bindable_and_never_repeated() -> None:
    low, high = ephemeral_range()
    assert 0 < low <= high
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    for port in ports:
        assert not low <= port <= high
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_something_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    low, _ = ephemeral_range()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        for port in range(low - 1, low - 1000, -1):  # a port below the range that this test listens on
            try:
                listener.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        listener.listen()
        busy = listener.getsockname()[1]
        picks = iter([busy, busy, busy - 1, busy - 2, busy - 3])
        monkeypatch.setattr("livestudio_devinfra.ports.random.randrange", lambda *_: next(picks))
        port = ports.free_port()
    assert port != busy
    assert port in (busy - 1, busy - 2, busy - 3)
