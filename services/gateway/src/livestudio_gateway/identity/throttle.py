"""Sign-in delays: after `free` failed attempts a key (an account or a client address) waits, and the wait doubles
with every further failure up to `max_delay_s`. Failures older than the longest delay are forgotten."""

from __future__ import annotations


def delay_after(failures: int, *, free: int, max_delay_s: int) -> int:
    """Seconds a key must wait after its `failures`-th consecutive failure (0 while under `free`)."""
    if failures < free:
        return 0
    return int(min(max_delay_s, 2 ** min(failures - free, 30)))
