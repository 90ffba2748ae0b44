"""tree_cpu_seconds: a reaped child's CPU time stays counted (as a Postgres backend that closed would)."""

from __future__ import annotations

import subprocess
import sys

from livestudio_devinfra.cpu import tree_cpu_seconds

# A parent that runs a CPU-bound child to completion (reaping it), then idles until stdin closes.
_BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass"
_PARENT = f"""
import subprocess, sys
subprocess.run([sys.executable, "-c", {_BURN!r}])
print("reaped", flush=True)
sys.stdin.read()
"""


def test_a_reaped_childs_cpu_is_counted_in_its_parents_tree() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "reaped"
        assert tree_cpu_seconds(parent.pid) >= 0.4
    finally:
        assert parent.stdin is not None
        parent.stdin.close()
        parent.wait(10)


def test_a_process_that_is_gone_counts_nothing() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(10)
    assert tree_cpu_seconds(gone.pid) == 0.0
