"""CPU time of a process tree, for the benchmarks' per-process figures."""

from __future__ import annotations

import contextlib

import psutil


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, its live descendants and every child they have reaped.

    A child's time moves into its parent's `children_*` times when it is reaped (a PostgreSQL backend that exits
    with its connection, say), so the difference of two readings counts everything that ran in between, once.
    0.0 when the process is gone.
    """
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total
