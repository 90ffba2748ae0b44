"""Waiting until the pipeline is quiet after the simulator's clock froze, and retrying a comparison until then.

Quiet means: the ingest has read the frozen world again (every polled account's history and session list was
requested after the freeze, per the simulator's own request log, which survives service restarts), nothing waits
in the ingest's outbox, both consumers report zero lag, and no event was published or applied for a while.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

from livestudio_devinfra.stack import Stack
from tests.system.compare import Difference
from tests.system.gateway_client import GatewayClient
from tests.system.simadmin import SimAdmin

CONSUMERS = ("analytics", "commission")


def scrape(url: str) -> dict[str, float]:
    """Every metric of a service summed over its labels (empty when the service does not answer)."""
    totals: dict[str, float] = {}
    try:
        text = httpx.get(f"{url}/metrics", timeout=3.0).text
    except httpx.HTTPError:
        return totals
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


@dataclass(frozen=True)
class PipelineState:
    backlog: float
    lag: float
    published: float
    applied: float
    answered: bool

    @property
    def idle(self) -> bool:
        return self.answered and self.backlog == 0 and self.lag == 0


def pipeline_state(stack: Stack) -> PipelineState:
    ingest = scrape(stack.url("ingest"))
    consumers = [scrape(stack.url(name)) for name in CONSUMERS]
    return PipelineState(
        backlog=ingest.get("livestudio_ingest_unpublished_backlog", 0.0),
        lag=sum(m.get("livestudio_consumer_lag", 0.0) for m in consumers),
        published=ingest.get("livestudio_ingest_events_published_total", 0.0),
        applied=sum(m.get("livestudio_consumer_events_applied_total", 0.0) for m in consumers),
        answered=bool(ingest) and all(consumers),
    )


def reread_after(sim: SimAdmin, since_seq: int, accounts: Iterable[int], frozen_at: datetime) -> set[int]:
    """Accounts whose session list and history were not yet served from the frozen world (after `since_seq`)."""

    frozen_ms = int(frozen_at.timestamp() * 1000)  # the log keeps simulated time to the millisecond

    def served(endpoint: str) -> set[int]:
        return {
            r["account"]
            for r in sim.requests(since_seq, endpoint=endpoint)
            if r["status"] == 200
            and r["fault"] is None
            and r["sim_time"]
            and int(datetime.fromisoformat(r["sim_time"]).timestamp() * 1000) >= frozen_ms
        }

    return set(accounts) - (served("session_list") & served("live_list"))


def wait_quiet(
    stack: Stack,
    sim: SimAdmin,
    *,
    frozen_at: datetime,
    accounts: Sequence[int],
    since_seq: int = 0,
    stable_s: float = 4.0,
    timeout: float = 180.0,
) -> float:
    """Block until the pipeline is quiet (see module doc); seconds waited. Raises TimeoutError."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    missing = set(accounts)
    while missing and time.monotonic() < deadline:
        missing = reread_after(sim, since_seq, accounts, frozen_at)
        if missing:
            time.sleep(1.0)
    if missing:
        raise TimeoutError(f"accounts {sorted(missing)} were not re-read after the freeze")
    last = pipeline_state(stack)
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = pipeline_state(stack)
        if not now.idle or (now.published, now.applied) != (last.published, last.applied):
            stable_since = time.monotonic()
        elif time.monotonic() - stable_since >= stable_s:
            return time.monotonic() - t0
        last = now
    raise TimeoutError(f"pipeline not quiet after {timeout:.0f}s: {last}")


class HasDifferences(Protocol):
    differences: list[Difference]


R = TypeVar("R", bound=HasDifferences)


def until_no_differences(compare: Callable[[], R], *, timeout: float, interval: float = 3.0) -> tuple[R, int]:
    """Compare until nothing differs or `timeout` passes; the last result and the number of attempts.

    After `wait_quiet` the first comparison normally settles it; the retries absorb a statement recalculation
    or a read model refresh that runs on its own timer.
    """
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        result = compare()
        if not result.differences or time.monotonic() >= deadline:
            return result, attempts
        time.sleep(interval)


def diagnose(
    stack: Stack,
    sim: SimAdmin,
    frozen_at: datetime | None,
    accounts: Sequence[int],
    gateway: GatewayClient | None = None,
) -> str:
    """What a failed wait or comparison needs next to it: processes, pipeline counters, stale accounts."""
    lines = [f"processes: {dict(stack.status())}", f"pipeline: {pipeline_state(stack)}"]
    if gateway is not None:
        try:
            for row in gateway.accounts():
                lines.append(
                    f"  {row['account_id']}: {row['state']}, last poll {row['last_successful_poll_at']}, "
                    f"error {row['last_error']}"
                )
        except Exception as exc:
            lines.append(f"gateway accounts unavailable: {exc}")
    if frozen_at is not None:
        try:
            lines.append(f"not re-read after the freeze: {sorted(reread_after(sim, 0, accounts, frozen_at))}")
        except httpx.HTTPError as exc:
            lines.append(f"simulator request log unavailable: {exc}")
    lines.append(f"logs: {stack.config.home / 'logs'}")
    return "\n".join(lines)
