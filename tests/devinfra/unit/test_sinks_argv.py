"""The stack hands the alert sinks their webhook secret as one token: `make up` generates it, and a secret that
starts with "-" must not read as an option (the sinks then exited at start-up with a usage error)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from livestudio_devinfra.stack import Stack, StackConfig


@pytest.mark.parametrize("secret", ["-Zk3_secret-starting-with-a-dash", "plain-secret", ""])
def test_the_sinks_accept_any_generated_webhook_secret(tmp_path: Path, secret: str) -> None:
    sinks = Stack(StackConfig(home=tmp_path, fixed_ports=False, webhook_secret=secret)).add_sinks()
    args = sinks.argv[sinks.argv.index("livestudio_devinfra.alert_sinks") + 1 :]
    assert f"--webhook-secret={secret}" in args
    # `--help` comes last: argparse reports a malformed option before it gets there
    done = subprocess.run(
        [sys.executable, "-m", "livestudio_devinfra.alert_sinks", *args, "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
