"""Benchmark: freshness, from the simulator changing a counter to the gateway returning it.

For each size (accounts) it starts the whole stack (embedded PostgreSQL and broker, the simulator at real-time
speed, the five services), connects every account, waits until they are polled, then for `--duration` seconds:

* listens to the gateway's live endpoint (`GET /api/v1/live`, SSE, fed from the session topic), and
* polls the session detail (`GET /api/v1/sessions/{account}/{session}`, read from the analytics tables) of a few
  sessions on air, each session in its own loop every `--rest-period` seconds (polling them one after another
  would add a whole round of requests to every REST figure).

Every time a counter (placed orders and viewers over SSE, placed orders and views over REST) shows a new value
v, the simulated world (a pure function of the seed, rebuilt here) tells when the counter reached v; the
simulator's clock converts that to real time. Reported per size and path, p50/p95/p99 of:

* `change->gateway`: real time the gateway returned v minus real time the counter reached v;
* `... - poll interval`: the same minus the configured live poll interval (the issue's definition);
* `pipeline`: real time the gateway returned v minus the moment the simulator answered the ingest's first
  request that carried v (from the simulator's request log): ingest + broker + consumer + database + gateway.

The pipeline delay of both paths is also cut into stages, with a plain consumer of the session topic run beside
the gateway: the rest of the ingest's poll cycle (up to the event's `observed_at`), the outbox and producer (up to
the record's timestamp), the broker (up to the plain consumer reading it) and the last hop (up to the SSE frame;
for REST: the analytics consumer, Postgres, the gateway and the bench's own sampling). A REST value is credited
to the moment its answer arrived, an upper bound: it became readable after the previous request for that session
was sent, and that sampling window is printed as well (about `--rest-period`; half of it is the expected
overstatement). Also printed: the gateway's REST latency, the analytics consumer over the window (batches,
events per batch, apply time from its `livestudio_consumer_*` histograms; lag sampled from its gauges) and the
CPU of every process of the stack.

The goal is a pipeline p95 of at most 2 s. Sizes that cannot be reached on this machine are reported as such.

With `--backfill-days N` (issue #20) every size is measured twice on the same stack, one window after the other:
first without any history backfill (the ingest runs with `INGEST_BACKFILL_DAYS=0`), then while every account
backfills N days of `liveList/v2` (asked for as the operator CLI asks, through `ingest.backfill_state`); both are
printed, with the ratio of their pipeline p95s, the backfill pages read (and held back by the ingest's backfill
budget) and the sessions it published within the second window, how late the poll cycles started, how long the
simulator took to answer each endpoint, and the machine's load average (it is shared). `--backfill-rate` sets the
budget (`INGEST_BACKFILL_SESSIONS_PER_S`); `--control` measures the second window without a backfill (what the
ratio is when nothing changes). The affiliate reader is off in this mode (its own backfill on connect
floods the outbox for minutes at 50 accounts).

    uv run python bench/freshness.py [--sizes 50,500,2000] [--duration 60] [--poll-interval 5] [--backfill-days 90]
        [--backfill-rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import signal
import sys
import tempfile
import time
import traceback
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import psutil
from aiokafka import AIOKafkaConsumer

from livestudio_devinfra.cpu import tree_cpu_seconds
from livestudio_devinfra.demo import SimAccount, publish_commands
from livestudio_devinfra.stack import Stack, StackConfig
from livestudio_gateway.auth import mint_token
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import AccountConnect, AnyCommand, StudioUpsert
from livestudio_schemas.topics import Topic
from shopee_client.simulator.world import Session, World

STUDIO = "bench-studio"
START = datetime(2025, 6, 11, 11, 0, tzinfo=UTC) - timedelta(hours=7)  # 11:00 Jakarta: the late-morning shift
SEED = 3
GOAL_P95_S = 2.0


# --- small helpers ------------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def token(secret: str) -> str:
    return mint_token(secret, sub="bench", role="owner", studios=[STUDIO], ttl_s=86_400)


@dataclass(frozen=True)
class SimClock:
    sim_anchor: float  # epoch seconds (simulated) at real_anchor
    real_anchor: float
    speed: float

    def real_of(self, sim_ms: int) -> float:
        return self.real_anchor + (sim_ms / 1000 - self.sim_anchor) / self.speed

    def sim_ms_of(self, real: float) -> int:
        return int((self.sim_anchor + (real - self.real_anchor) * self.speed) * 1000)


@dataclass(frozen=True)
class Seen:
    """A counter value the gateway returned: which path, session, metric, value, and when (real)."""

    path: str
    account: int
    session_id: int
    metric: str
    value: int
    at: float
    event_id: str | None = None
    since: float | None = None
    """REST only: when the previous request for the same session was sent (its answer did not show v yet, so v
    became readable in the gateway between `since` and `at`: the sampling window)."""


@dataclass(frozen=True)
class Trace:
    """One session event as read from the topic by the benchmark itself: when the ingest observed it (its
    `observed_at`, simulated epoch seconds), when the producer created the record, when we received it."""

    observed_sim: float
    created: float
    consumed: float


@dataclass
class TopicLog:
    """What the plain consumer of the session topic saw: traces by event id (SSE matching), and per session and
    metric the values in arrival order (REST matching: the first record that carried at least v)."""

    by_id: dict[str, Trace] = field(default_factory=dict)
    by_value: dict[tuple[int, str], list[tuple[int, Trace]]] = field(default_factory=dict)

    def first_carrying(self, session_id: int, metric: str, value: int) -> Trace | None:
        for v, trace in self.by_value.get((session_id, metric), []):
            if v >= value:
                return trace
        return None


@dataclass
class Result:
    accounts: int
    reached: bool
    label: str = ""
    note: str = ""
    setup_s: float = 0.0
    polled: int = 0
    live_sessions: int = 0
    e2e: dict[str, list[float]] = field(default_factory=dict)
    pipeline: dict[str, list[float]] = field(default_factory=dict)
    skipped: int = 0
    stages: dict[str, list[float]] = field(default_factory=dict)
    rest_stages: dict[str, list[float]] = field(default_factory=dict)
    rest_latency: list[float] = field(default_factory=list)
    consumer: dict[str, str] = field(default_factory=dict)
    publish: str = ""
    cpu: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    window_s: float = 0.0
    backfill_pages: dict[str, float] = field(default_factory=dict)
    backfill_sessions: float = 0.0
    served: dict[str, str] = field(default_factory=dict)
    """Simulator answer times per endpoint, p50/p95/p99 (s)."""
    polling: str = ""
    load: tuple[float, float] = (0.0, 0.0)
    """The machine's 1-minute load average at the window's start and end (the machine is shared)."""


SHOPEE_ENDPOINTS = ("session_list", "overview", "product_list", "live_list")


def shopee_calls(sim_url: str, since: int, served: dict[str, str] | None = None) -> dict[str, int]:
    """Requests the simulator served since `since`, per endpoint (its own request log); into `served`, how long
    it took to answer them (arrival -> response sent, p50/p95/p99 per endpoint)."""
    out: dict[str, int] = {}
    for endpoint in SHOPEE_ENDPOINTS:
        rows = httpx.get(f"{sim_url}/__sim/requests", params={"since": since, "endpoint": endpoint}, timeout=120).json()
        out[endpoint] = len(rows)
        if served is not None and rows:
            served[endpoint] = trio([float(r["finished"]) - float(r["started"]) for r in rows])
    return out


# --- the measurement ------------------------------------------------------------------------------------------
async def watch_sse(base: str, auth: dict[str, str], seen: list[Seen], index: dict[str, int], stop: float) -> None:
    url = f"{base}/api/v1/live"
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=30.0)) as client,
        client.stream("GET", url, params={"studio_id": STUDIO}, headers=auth) as response,
    ):
        event = ""
        event_id: str | None = None
        async for line in response.aiter_lines():
            now = time.time()
            if now > stop:
                return
            if line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "session":
                body = json.loads(line[5:])
                account = index.get(body["account_id"])
                if account is None or not body.get("on_air"):
                    continue
                for metric in ("placed_orders", "viewers"):
                    if body.get(metric) is not None:
                        seen.append(
                            Seen("sse", account, int(body["session_id"]), metric, int(body[metric]), now, event_id)
                        )
                event_id = None


async def poll_rest(
    base: str,
    auth: dict[str, str],
    targets: list[tuple[str, int, int]],
    seen: list[Seen],
    period: float,
    stop: float,
    latency: list[float],
) -> None:
    """Poll every target session's detail in its own loop, one request every `period` seconds per session.

    A value is credited to the moment its answer arrived (an upper bound); `Seen.since` keeps when the previous
    request for that session was sent, so the sampling window (how much of the figure is the bench's own polling)
    is reported too. One loop per session: polling the sessions one after another would add a whole round of
    requests (8 x the gateway's latency under load) to every sample."""

    async def one(client: httpx.AsyncClient, account_id: str, account: int, session_id: int) -> None:
        since: float | None = None
        while time.time() < stop:
            sent = time.time()
            response = await client.get(f"/sessions/{account_id}/{session_id}")
            now = time.time()
            latency.append(now - sent)
            if response.status_code == 200:
                metrics = response.json()["metrics"]
                for metric in ("placed_orders", "views"):
                    if metrics.get(metric) is not None:
                        seen.append(Seen("rest", account, session_id, metric, int(metrics[metric]), now, None, since))
            since = sent
            await asyncio.sleep(max(0.0, period - (time.time() - sent)))

    limits = httpx.Limits(max_connections=len(targets) + 1)
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=auth, timeout=10.0, limits=limits) as client:
        await asyncio.gather(*(one(client, *target) for target in targets))


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, prefix: str) -> Samples:
    """The samples of a service's `/metrics` whose family name starts with `prefix`."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{url}/metrics", timeout=10).text
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        if family.name.startswith(prefix):
            for sample in family.samples:
                out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


@dataclass(frozen=True)
class HistogramDelta:
    """A Prometheus histogram's growth between two scrapes (summed over its label sets)."""

    buckets: dict[float, float]
    count: float
    total: float

    @classmethod
    def of(cls, before: Samples, after: Samples, name: str) -> HistogramDelta:
        def grown(sample: str) -> dict[tuple[tuple[str, str], ...], float]:
            return {labels: v - before.get((n, labels), 0.0) for (n, labels), v in after.items() if n == sample}

        buckets: dict[float, float] = {}
        for labels, v in grown(f"{name}_bucket").items():
            le = float(dict(labels)["le"])
            buckets[le] = buckets.get(le, 0.0) + v
        return cls(buckets, sum(grown(f"{name}_count").values()), sum(grown(f"{name}_sum").values()))

    def quantile(self, q: float) -> str:
        """The upper bound of the bucket holding quantile `q`."""
        if self.count <= 0:
            return "-"
        for le, n in sorted(self.buckets.items()):
            if n >= q * self.count:
                return f"<={le:g}"
        return "?"

    def mean(self) -> str:
        return f"{self.total / self.count:.3f}" if self.count else "-"


@dataclass
class ConsumerProbe:
    """The analytics consumer as its `/metrics` show it: applied batches (size, apply time) over the window from
    the histograms' deltas, and its lag in time (now minus the record timestamp of the newest applied record)
    sampled every `period` seconds."""

    url: str
    time_lag: list[float] = field(default_factory=list)
    record_lag: list[float] = field(default_factory=list)

    def scrape(self) -> Samples:
        return scrape(self.url, "livestudio_consumer")

    async def sample(self, stop: float, period: float = 0.5) -> None:
        while time.time() < stop:
            with contextlib.suppress(httpx.HTTPError):
                now = time.time()
                values = await asyncio.to_thread(self.scrape)
                last = [v for (name, _), v in values.items() if name.endswith("last_applied_timestamp_seconds")]
                if last:
                    self.time_lag.append(now - max(last))
                self.record_lag.append(sum(v for (name, _), v in values.items() if name == "livestudio_consumer_lag"))
            await asyncio.sleep(period)

    @staticmethod
    def summary(before: Samples, after: Samples) -> dict[str, str]:
        apply_ = HistogramDelta.of(before, after, "livestudio_consumer_apply_seconds")
        size = HistogramDelta.of(before, after, "livestudio_consumer_batch_size")
        return {
            "batches": f"{apply_.count:.0f}",
            "events per batch (mean)": f"{size.total / size.count:.1f}" if size.count else "-",
            "batch size p50/p95": f"{size.quantile(0.5)}/{size.quantile(0.95)}",
            "apply s mean": apply_.mean(),
            "apply s p50/p95/p99 (bucket bounds)": "/".join(apply_.quantile(q) for q in (0.5, 0.95, 0.99)),
            "apply s total": f"{apply_.total:.1f}",
        }


def polling_summary(before: Samples, after: Samples) -> str:
    """How late the ingest's poll cycles started against their schedule (a live poll kept waiting shows here)."""
    lag = HistogramDelta.of(before, after, "livestudio_ingest_scheduling_lag_seconds")
    cycle = HistogramDelta.of(before, after, "livestudio_ingest_cycle_seconds")
    return (
        f"{lag.count:.0f} cycles, start lag mean {lag.mean()} s, p50/p95/p99 (bucket bounds) "
        f"{'/'.join(lag.quantile(q) for q in (0.5, 0.95, 0.99))} s; cycle s mean {cycle.mean()}, p95 "
        f"{cycle.quantile(0.95)}"
    )


def publish_summary(before: Samples, after: Samples) -> str:
    """The ingest's outbox over the window: queued -> acknowledged (`livestudio_ingest_publish_delay_seconds`)."""
    delay = HistogramDelta.of(before, after, "livestudio_ingest_publish_delay_seconds")
    bounds = "/".join(delay.quantile(q) for q in (0.5, 0.95, 0.99))
    return f"{delay.count:.0f} events, mean {delay.mean()} s, p50/p95/p99 (bucket bounds) {bounds} s"


async def watch_topic(bootstrap: str, traces: TopicLog, stop: float) -> None:
    """Read the session topic beside the gateway (from the end, no group) and note per event id when the ingest
    observed it, when its record was created (producer timestamp) and when it reached us."""
    consumer = AIOKafkaConsumer(
        Topic.SESSION.value,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        fetch_max_wait_ms=20,
    )
    await consumer.start()
    try:
        while time.time() < stop:
            batch = await consumer.getmany(timeout_ms=200)
            now = time.time()
            for records in batch.values():
                for record in records:
                    if record.value is None:
                        continue
                    body = json.loads(record.value)
                    observed = body.get("data", {}).get("observed_at")
                    if observed:
                        observed_sim = datetime.fromisoformat(observed).timestamp()
                        trace = Trace(observed_sim, record.timestamp / 1000, now)
                        traces.by_id[body["id"]] = trace
                        data = body["data"]
                        for metric in ("placed_orders", "views"):
                            value = (data.get("metrics") or {}).get(metric)
                            if value is not None and data.get("session_id") is not None:
                                key = (int(data["session_id"]), metric)
                                traces.by_value.setdefault(key, []).append((int(value), trace))
    finally:
        await consumer.stop()


STAGES = (
    ("shopee->observed", "first answer carrying v -> ingest's observed_at (the rest of the poll cycle)"),
    ("observed->produced", "observed_at -> record created by the producer (cycle end, outbox)"),
    ("produced->consumed", "record created -> read by a plain consumer (linger, broker, fetch)"),
    ("consumed->sse", "read by a plain consumer -> SSE frame received (gateway feed and fan-out)"),
)


REST_STAGES = (
    ("shopee->observed", "first answer carrying v -> ingest's observed_at (the rest of the poll cycle)"),
    ("observed->produced", "observed_at -> record created by the producer (cycle end, outbox)"),
    ("produced->consumed", "record created -> read by a plain consumer (linger, broker, fetch)"),
    ("consumed->rest", "read by a plain consumer -> REST answer showing v (analytics, Postgres, gateway, sampling)"),
    ("rest sampling", "REST answer showing v minus the sending of the previous request (which did not show it)"),
)


def stage_split(seen: Seen, request_done: float, trace: Trace, clock: SimClock) -> dict[str, float]:
    """The pipeline delay of one observation cut at the ingest's observation, the record's creation and its
    arrival at a plain consumer (the first four stages add up to the pipeline figure)."""
    observed = clock.real_of(int(trace.observed_sim * 1000))
    last = "consumed->sse" if seen.path == "sse" else "consumed->rest"
    out = {
        "shopee->observed": observed - request_done,
        "observed->produced": trace.created - observed,
        "produced->consumed": trace.consumed - trace.created,
        last: seen.at - trace.consumed,
    }
    if seen.since is not None:
        out["rest sampling"] = seen.at - seen.since
    return out


class CpuMeter:
    """CPU seconds of the stack's process trees between `start()` and `stop()` (see `tree_cpu_seconds`: the
    Postgres backends that exit with their connections are counted too)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if psutil.pid_exists(pid)}
        self._start: dict[str, float] = {}
        self._t0 = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._start = {name: tree_cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> dict[str, float]:
        """Share of one core used by each process tree over the window."""
        elapsed = max(1e-9, time.monotonic() - self._t0)
        return {name: (tree_cpu_seconds(pid) - self._start[name]) / elapsed for name, pid in self.pids.items()}


def every_page(url: str, params: dict[str, str | int], headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of a paginated gateway list (following `next_cursor`)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = params if cursor is None else {**params, "cursor": cursor}
        body = httpx.get(url, params=query, headers=headers, timeout=30).json()
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def stack_pids(stack: Stack) -> dict[str, int]:
    pids = {name: p.proc.pid for name, p in stack.processes.items() if p.proc is not None}
    if stack.postgres is not None and stack.postgres.pid is not None:
        pids["postgres"] = stack.postgres.pid
    if stack.kafka is not None and stack.kafka.pid is not None:
        pids["broker"] = stack.kafka.pid
    return pids


def first_reached(session: Session, metric: str, value: int, lo: int, hi: int) -> int | None:
    """Earliest simulated ms in [lo, hi] at which `metric` of `session` is >= value (counters only grow)."""

    def at(t: int) -> int:
        return int(getattr(session.state(t), metric))

    if at(hi) < value:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if at(mid) >= value:
            hi = mid
        else:
            lo = mid + 1
    return lo


def transitions(seen: list[Seen]) -> list[Seen]:
    """The observations that showed a counter's new value for the first time (per path, session and metric)."""
    last: dict[tuple[str, int, str], int] = {}
    out: list[Seen] = []
    for s in sorted(seen, key=lambda s: s.at):
        key = (s.path, s.session_id, s.metric)
        previous = last.get(key)
        last[key] = max(previous or 0, s.value)
        if previous is not None and s.value > previous:
            out.append(s)
    return out


def analyse(
    world: World,
    clock: SimClock,
    seen: list[Seen],
    polls: dict[int, list[tuple[int, float]]],
    window: float,
    res: Result,
    traces: TopicLog,
) -> None:
    for s in transitions(seen):
        session = world.session(s.session_id)
        if session is None:
            res.skipped += 1
            continue
        reached = first_reached(session, s.metric, s.value, session.start_ms, clock.sim_ms_of(s.at))
        if reached is None:
            res.skipped += 1
            continue
        changed = clock.real_of(reached)
        if changed < window:  # changed before we started watching: its first appearance may have been missed
            continue
        res.e2e.setdefault(s.path, []).append(s.at - changed)
        # The first successful ingest request for this account served at or after the change carried v.
        times = polls.get(s.account, [])
        k = bisect_left(times, (reached, 0.0))
        if k < len(times) and times[k][1] <= s.at:
            res.pipeline.setdefault(s.path, []).append(s.at - times[k][1])
            if s.path == "sse":
                trace = traces.by_id.get(s.event_id) if s.event_id else None
            else:
                trace = traces.first_carrying(s.session_id, s.metric, s.value)
            if trace is not None:
                stages = res.stages if s.path == "sse" else res.rest_stages
                for stage, value in stage_split(s, times[k][1], trace, clock).items():
                    stages.setdefault(stage, []).append(value)


def request_log(sim_url: str, since: int) -> dict[int, list[tuple[int, float]]]:
    """Per account: (simulated ms, real finish time) of successful sessionList/overview answers after `since`."""
    out: dict[int, list[tuple[int, float]]] = {}
    for endpoint in ("session_list", "overview"):
        rows = httpx.get(f"{sim_url}/__sim/requests", params={"since": since, "endpoint": endpoint}, timeout=120).json()
        for r in rows:
            if r["status"] == 200 and r["fault"] is None and r["account"] is not None and r["sim_time"]:
                sim_ms = int(datetime.fromisoformat(r["sim_time"]).timestamp() * 1000)
                out.setdefault(r["account"], []).append((sim_ms, float(r["finished"])))
    for rows in out.values():
        rows.sort()
    return out


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False


def request_backfill(dsn: str, days: int) -> int:
    """Every account backfills `days` days: what `python -m livestudio_ingest.cli backfill --days N --no-wait`
    does (the same repository function), without a second process."""
    import asyncpg

    from livestudio_ingest import repository as ingest_repo

    async def run() -> int:
        conn = await asyncpg.connect(dsn, server_settings={"search_path": "ingest,public"})
        try:
            ids = [r.account_id for r in await ingest_repo.fetch_accounts(conn) if r.state != "removed"]
            async with conn.transaction():
                await ingest_repo.request_backfills(conn, ids, days)
            return len(ids)
        finally:
            await conn.close()

    return asyncio.run(run())


def backfill_pages(before: Samples, after: Samples) -> dict[str, float]:
    name = "livestudio_ingest_backfill_pages_total"
    grown: dict[str, float] = {}
    for (n, labels), v in after.items():
        if n == name:
            outcome = dict(labels).get("outcome", "?")
            grown[outcome] = grown.get(outcome, 0.0) + v - before.get((n, labels), 0.0)
    return grown


def run_size(accounts: int, args: argparse.Namespace) -> list[Result]:
    res = Result(accounts=accounts, reached=False, label="no backfill" if args.backfill_days else "")
    results = [res]
    key = CookieCipher.generate_key()
    secret = secrets.token_urlsafe(32)
    poll = args.poll_interval
    ingest_env = {
        "LIVE_INTERVAL_S": str(poll),
        "IDLE_INTERVAL_S": str(max(poll, 30.0)),
        "HISTORY_INTERVAL_S": "86400",
        "HISTORY_INITIAL_SPREAD_S": "3600",
        "KAFKA_SESSION_TIMEOUT_MS": "3000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
        "KAFKA_FETCH_MAX_WAIT_MS": "20",
        "ACCOUNTS_PARTITIONS": "16",
    }
    if args.backfill_days:
        ingest_env["BACKFILL_DAYS"] = "0"  # the baseline window has none; the second window asks for one
        # The affiliate reader's own 30-day backfill on connect (about 2,300 events per account) would still be
        # draining through the outbox in both windows: off, so that the history backfill is the only difference.
        ingest_env["AFFILIATE_ENABLED"] = "false"
        if args.backfill_rate:
            ingest_env["BACKFILL_SESSIONS_PER_S"] = str(args.backfill_rate)
    common = {"KAFKA_SESSION_TIMEOUT_MS": "3000", "KAFKA_HEARTBEAT_INTERVAL_MS": "300", "KAFKA_FETCH_MAX_WAIT_MS": "20"}
    with tempfile.TemporaryDirectory(prefix="freshness-") as home:
        stack = Stack(
            StackConfig(
                home=Path(home),
                accounts=accounts,
                speed=1.0,
                seed=SEED,
                sim_start=START.isoformat(),
                fixed_ports=False,
                credentials_key=key,
                jwt_secret=secret,
                extra_env={
                    "ingest": {f"INGEST_{k}": v for k, v in ingest_env.items()},
                    "analytics": {f"ANALYTICS_{k}": v for k, v in common.items()},
                    "commission": {f"COMMISSION_{k}": v for k, v in common.items()},
                    "gateway": {
                        **{f"GATEWAY_{k}": v for k, v in common.items()},
                        "GATEWAY_RATE_LIMIT_ENABLED": "false",
                    },
                },
            )
        )
        t0 = time.monotonic()
        try:
            stack.start(timeout=300)
            base = stack.url("gateway")
            sim_url = stack.url("simulator")
            auth = {"Authorization": f"Bearer {token(secret)}"}
            rows = httpx.get(f"{sim_url}/__sim/accounts", timeout=60).json()
            sims = [SimAccount(r["index"], r["user_id"], r["user_name"], r["cookie"]) for r in rows]
            cipher = CookieCipher([key])
            cmds: list[AnyCommand] = [StudioUpsert(studio_id=STUDIO, name="Freshness bench", timezone="Asia/Jakarta")]
            cmds += [
                AccountConnect(
                    account_id=a.account_id,
                    studio_id=STUDIO,
                    display_name=a.user_name,
                    encrypted_cookie=cipher.encrypt(a.cookie),
                )
                for a in sims
            ]
            asyncio.run(publish_commands(stack.kafka_bootstrap, cmds))
            index = {a.account_id: a.index for a in sims}

            def polled() -> bool:
                accounts_now = every_page(f"{base}/api/v1/accounts", {"limit": 500}, auth)
                res.polled = sum(1 for r in accounts_now if r["last_successful_poll_at"])
                return res.polled >= 0.98 * accounts

            if not wait_for(polled, timeout=args.setup_timeout, interval=3.0):
                res.note = f"only {res.polled}/{accounts} accounts polled after {args.setup_timeout:.0f}s"
                if res.polled < accounts // 4:
                    return results
            time.sleep(args.warmup)
            live = every_page(f"{base}/api/v1/sessions", {"on_air": "true", "limit": 200, "studio_id": STUDIO}, auth)
            res.live_sessions = len(live)
            live.sort(key=lambda r: -(r.get("viewers") or 0))
            targets = [
                (r["account_id"], index[r["account_id"]], int(r["session_id"])) for r in live[: args.rest_sessions]
            ]
            res.setup_s = time.monotonic() - t0
            measure_window(stack, res, args, targets, index, auth, accounts)
            if args.backfill_days:
                with_backfill = Result(
                    accounts=accounts,
                    reached=False,
                    label=f"{args.backfill_days}-day backfill of every account",
                    setup_s=res.setup_s,
                    polled=res.polled,
                    live_sessions=res.live_sessions,
                )
                results.append(with_backfill)
                if args.control:
                    with_backfill.label = "second window, no backfill asked for (control)"
                    with_backfill.note = "control: the ratio's noise"
                else:
                    asked = request_backfill(stack.database_url, args.backfill_days)
                    with_backfill.note = f"backfill asked for {asked} accounts as the window started"
                measure_window(stack, with_backfill, args, targets, index, auth, accounts)
            return results
        except Exception as exc:  # a size that does not come up on this machine is reported, not fatal
            traceback.print_exc()
            results[-1].note = f"{type(exc).__name__}: {str(exc)[:300]}"
            return results
        finally:
            stack.stop()


def measure_window(
    stack: Stack,
    res: Result,
    args: argparse.Namespace,
    targets: list[tuple[str, int, int]],
    index: dict[str, int],
    auth: dict[str, str],
    accounts: int,
) -> None:
    """One measurement window of `args.duration` seconds on a running stack, into `res`."""
    base = stack.url("gateway")
    sim_url = stack.url("simulator")
    since = int(httpx.get(f"{sim_url}/__sim/requests", params={"limit": 1}).json()[-1]["seq"])
    clock_body = httpx.get(f"{sim_url}/__sim/clock").json()
    clock = SimClock(
        datetime.fromisoformat(clock_body["sim_now"]).timestamp(),
        datetime.fromisoformat(clock_body["real_now"]).timestamp(),
        float(clock_body["speed"]),
    )
    window = time.time()
    load_start = os.getloadavg()[0]
    stop = window + args.duration
    seen: list[Seen] = []
    traces = TopicLog()
    probe = ConsumerProbe(stack.url("analytics"))
    before = probe.scrape()
    ingest_before = scrape(stack.url("ingest"), "livestudio_ingest_")
    meter = CpuMeter(stack_pids(stack))
    meter.start()

    async def measure() -> None:
        await asyncio.gather(
            watch_sse(base, auth, seen, index, stop),
            poll_rest(base, auth, targets, seen, args.rest_period, stop, res.rest_latency),
            watch_topic(stack.kafka_bootstrap, traces, stop),
            probe.sample(stop),
        )

    asyncio.run(measure())
    res.window_s = time.time() - window
    res.cpu = meter.stop()
    res.calls = shopee_calls(sim_url, since, res.served)
    res.consumer = probe.summary(before, probe.scrape())
    ingest_after = scrape(stack.url("ingest"), "livestudio_ingest_")
    res.publish = publish_summary(ingest_before, ingest_after)
    res.backfill_pages = backfill_pages(ingest_before, ingest_after)
    sessions = "livestudio_ingest_backfill_sessions_total"
    res.backfill_sessions = ingest_after.get((sessions, ()), 0.0) - ingest_before.get((sessions, ()), 0.0)
    res.polling = polling_summary(ingest_before, ingest_after)
    res.load = (load_start, os.getloadavg()[0])
    res.consumer["time lag s p50/p95/p99 (sampled)"] = trio(probe.time_lag)
    res.consumer["record lag p50/p95/max (sampled)"] = (
        f"{percentile(probe.record_lag, 0.5):.0f}/{percentile(probe.record_lag, 0.95):.0f}/"
        f"{max(probe.record_lag, default=float('nan')):.0f}"
    )
    polls = request_log(sim_url, since)
    world = World(seed=SEED, accounts=accounts, settle_delay=timedelta(hours=6))
    analyse(world, clock, seen, polls, window, res, traces)
    res.reached = True


def trio(values: list[float], shift: float = 0.0) -> str:
    if not values:
        return "-"
    return "/".join(f"{percentile(values, q) - shift:.2f}" for q in (0.5, 0.95, 0.99))


def report(results: list[Result], poll: float) -> None:
    print(f"\nfreshness: simulator counter change -> gateway (live poll interval {poll:g}s), seconds")
    head = (
        f"{'accounts':>8} {'path':<5} {'n':>5}  {'change->gateway p50/p95/p99':<28} {'- poll interval p50/p95/p99':<28}"
    )
    print(head + f" {'pipeline p50/p95/p99':<24} goal")
    for r in results:
        if r.label:
            print(f"{r.accounts:>8} -- {r.label}")
        if not r.reached:
            print(f"{r.accounts:>8} not reached: {r.note}")
            continue
        for path in ("sse", "rest"):
            e2e = r.e2e.get(path, [])
            pipe = r.pipeline.get(path, [])

            goal = "-" if not pipe else ("ok" if percentile(pipe, 0.95) <= GOAL_P95_S else "missed")
            row = f"{r.accounts:>8} {path:<5} {len(e2e):>5}  {trio(e2e):<28} {trio(e2e, poll):<28}"
            print(f"{row} {trio(pipe):<24} {goal}")
        if r.stages:
            print(f"{'':>8} SSE pipeline by stage, p50/p95/p99 (n={len(r.stages[STAGES[0][0]])}):")
            for stage, what in STAGES:
                print(f"{'':>10} {stage:<20} {trio(r.stages.get(stage, [])):<20} {what}")
        if r.rest_stages:
            n = len(r.rest_stages.get(REST_STAGES[0][0], []))
            print(f"{'':>8} REST pipeline by stage, p50/p95/p99 (n={n}):")
            for stage, what in REST_STAGES:
                print(f"{'':>10} {stage:<20} {trio(r.rest_stages.get(stage, [])):<20} {what}")
        if r.rest_latency:
            print(f"{'':>8} REST request latency p50/p95/p99: {trio(r.rest_latency)} (n={len(r.rest_latency)})")
        if r.publish:
            print(f"{'':>8} ingest outbox, queued -> acknowledged: {r.publish}")
        if r.consumer:
            parts = "; ".join(f"{k} {v}" for k, v in r.consumer.items())
            print(f"{'':>8} analytics consumer over the window: {parts}")
        if r.cpu:
            total = sum(r.cpu.values())
            parts = ", ".join(f"{name} {share:.0%}" for name, share in sorted(r.cpu.items(), key=lambda x: -x[1]))
            print(f"{'':>8} CPU over the window (share of one core): {parts}; total {total:.2f} of 2 cores")
        if r.calls and r.polled and r.window_s:
            per_day = {k: v / r.polled / r.window_s * 86_400 for k, v in r.calls.items()}
            parts = ", ".join(f"{k} {v:,.0f}" for k, v in per_day.items())
            total = sum(per_day.values())
            print(f"{'':>8} Shopee calls per account per day at this window's rate: {parts}; total {total:,.0f}")
        if r.served:
            parts = ", ".join(f"{k} {v}" for k, v in r.served.items())
            print(f"{'':>8} simulator answer time p50/p95/p99 (s): {parts}")
        if r.polling:
            print(f"{'':>8} ingest poll cycles: {r.polling}")
        if r.backfill_pages:
            parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r.backfill_pages.items()))
            rate = r.backfill_sessions / r.window_s if r.window_s else 0.0
            print(
                f"{'':>8} backfill pages (liveList/v2) in the window: {parts}; sessions published "
                f"{r.backfill_sessions:.0f} ({rate:.1f}/s)"
            )
        print(f"{'':>8} load average (1 min) at the window's start/end: {r.load[0]:.1f}/{r.load[1]:.1f}")
        print(
            f"{'':>8} setup {r.setup_s:.0f}s, {r.polled} accounts polled, {r.live_sessions} sessions on air, "
            f"{r.skipped} observations not matched{'; ' + r.note if r.note else ''}"
        )


def compare_backfill(results: list[Result]) -> None:
    """Pipeline p95 with and without the backfill, measured on the same stack one window after the other."""
    pairs = [(a, b) for a, b in itertools.pairwise(results) if a.label == "no backfill" and b.label]
    for base, loaded in pairs:
        if not (base.reached and loaded.reached):
            continue
        print(f"\nlive freshness with and without a backfill, {base.accounts} accounts (pipeline p95, seconds):")
        for path in ("sse", "rest"):
            before = percentile(base.pipeline.get(path, []), 0.95)
            during = percentile(loaded.pipeline.get(path, []), 0.95)
            print(f"  {path:<5} without {before:.2f}  with {during:.2f}  ratio {during / before:.2f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--sizes", default="50,500,2000", help="comma-separated account counts")
    p.add_argument("--duration", type=float, default=60.0, help="measurement window per size (s)")
    p.add_argument("--poll-interval", type=float, default=5.0, help="ingest live poll interval (s)")
    p.add_argument("--warmup", type=float, default=10.0)
    p.add_argument("--rest-sessions", type=int, default=8, help="sessions polled over REST")
    p.add_argument("--rest-period", type=float, default=0.25, help="REST polling period per round (s)")
    p.add_argument("--setup-timeout", type=float, default=300.0, help="per size, until the accounts are polled")
    p.add_argument(
        "--backfill-days",
        type=int,
        default=0,
        help="also measure a second window while every account backfills this many days (0: no second window)",
    )
    p.add_argument(
        "--backfill-rate",
        type=float,
        default=0.0,
        help="INGEST_BACKFILL_SESSIONS_PER_S for the backfill window (0: the ingest's default)",
    )
    p.add_argument(
        "--control",
        action="store_true",
        help="with --backfill-days: measure the second window without asking for a backfill (the ratio's own noise)",
    )
    args = p.parse_args(argv)

    def interrupted(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # Stop the stack on SIGTERM too (and on SIGINT even when started in the background, where it is ignored).
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    results: list[Result] = []
    for size in (int(x) for x in args.sizes.split(",") if x.strip()):
        print(f"== {size} accounts", flush=True)
        size_results = run_size(size, args)
        results.extend(size_results)
        report(size_results, args.poll_interval)
        sys.stdout.flush()
    report(results, args.poll_interval)
    compare_backfill(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
