"""Helpers for the ingest tests: run the service as a subprocess, send commands, collect and replay events,
compare the replay with the simulator's ground truth, grep everything captured for a secret."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from livestudio_devinfra.ports import free_port
from livestudio_devinfra.stack import terminate
from livestudio_ingest.membership import described_partitions
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import COMMAND, AnyCommand, CallerScope, Command
from livestudio_schemas.envelope import CloudEvent
from shopee_client.simulator import GroundTruth, RunningSimulator, SessionTruth

FAST_KAFKA = {
    "INGEST_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "INGEST_KAFKA_HEARTBEAT_INTERVAL_MS": "200",
    "INGEST_KAFKA_FETCH_MAX_WAIT_MS": "20",
}


@dataclass
class IngestTopics:
    session: str
    item: str
    account: str
    commands: str
    accounts: str
    group: str

    @classmethod
    def unique(cls) -> IngestTopics:
        tag = uuid.uuid4().hex[:8]
        return cls(
            session=f"t{tag}.session",
            item=f"t{tag}.item",
            account=f"t{tag}.account",
            commands=f"t{tag}.commands",
            accounts=f"t{tag}.ingest.accounts",
            group=f"t{tag}-ingest",
        )

    def env(self) -> dict[str, str]:
        return {
            "INGEST_SESSION_TOPIC": self.session,
            "INGEST_ITEM_TOPIC": self.item,
            "INGEST_ACCOUNT_TOPIC": self.account,
            "INGEST_COMMANDS_TOPIC": self.commands,
            "INGEST_ACCOUNTS_TOPIC": self.accounts,
            "INGEST_MEMBERSHIP_GROUP": f"{self.group}-accounts",
            "INGEST_COMMANDS_GROUP": f"{self.group}-commands",
        }

    @property
    def events(self) -> list[str]:
        return [self.session, self.item, self.account]


def fast_cadence(**overrides: str) -> dict[str, str]:
    """Intervals for a simulator running at 600x (1 real second = 10 simulated minutes)."""
    env = {
        "INGEST_IDLE_INTERVAL_S": "0.4",
        "INGEST_LIVE_INTERVAL_S": "0.25",
        "INGEST_SETTLE_WINDOW_S": str(24 * 3600),
        "INGEST_HISTORY_INTERVAL_S": "2",  # products too: a frozen clock is read again within seconds
        "INGEST_HISTORY_INITIAL_SPREAD_S": "1",
        "INGEST_HEARTBEAT_INTERVAL_S": "3",
        "INGEST_BACKOFF_INITIAL_S": "0.2",
        "INGEST_BACKOFF_MAX_S": "1",
        "INGEST_SIM_CLOCK_REFRESH_S": "0.25",
        "INGEST_STATE_FLUSH_INTERVAL_S": "0.3",
        "INGEST_ACCOUNTS_REFRESH_INTERVAL_S": "3",
        "INGEST_ACCOUNTS_PARTITIONS": "8",
        "INGEST_TOPIC_PARTITIONS": "4",
        "INGEST_SHOPEE_READ_TIMEOUT_S": "1.5",
        "INGEST_SHOPEE_PER_ACCOUNT_RATE": "200",
        "INGEST_QR_POLL_INTERVAL_S": "0.1",
        "INGEST_QR_SCAN_INTERVAL_S": "0.2",
        "INGEST_PUBLISH_TIMEOUT_S": "3",
        "INGEST_TOPIC_CHECK_INTERVAL_S": "1",
    }
    env.update(overrides)
    return env


class IngestProcess:
    """`python -m livestudio_ingest` with the given environment; output goes to `log_path`."""

    def __init__(self, env: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "INGEST_HTTP_PORT": str(self.port), "INGEST_LOG_LEVEL": "INFO"}
        self.env.pop("INGEST_INSTANCE_ID", None)
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "livestudio_ingest"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    async def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"ingest exited ({self.proc.returncode}):\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/health/ready", timeout=2)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"ingest not ready after {timeout}s:\n{self.log_tail()}")

    async def metrics(self) -> str:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{self.url}/metrics", timeout=5)).text

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout: float = 30.0) -> None:
        if self.proc is not None:
            terminate(self.proc, grace=timeout)

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return ""


@contextlib.contextmanager
def ingest_process(env: Mapping[str, str], log_path: Path) -> Iterator[IngestProcess]:
    proc = IngestProcess(env, log_path)
    proc.start()
    try:
        yield proc
    finally:
        proc.kill()


def base_env(
    *, kafka: str, dsn: str, keys: str, sim_url: str | None, topics: IngestTopics, **extra: str
) -> dict[str, str]:
    env = {
        "INGEST_KAFKA_BOOTSTRAP": kafka,
        "INGEST_DATABASE_URL": dsn,
        "INGEST_CREDENTIALS_KEYS": keys,
        "INGEST_SHOPEE_MODE": "simulator" if sim_url else "real",
        **FAST_KAFKA,
        **topics.env(),
        **fast_cadence(),
    }
    if sim_url:
        env["INGEST_SHOPEE_BASE_URL"] = sim_url
    env.update(extra)
    return env


# --- commands ---------------------------------------------------------------------------------------------------


def command_event(
    command: AnyCommand, *, command_id: str | None = None, scope: CallerScope | None = None
) -> tuple[str, bytes]:
    cid = command_id or f"cmd-{uuid.uuid4().hex[:12]}"
    cmd = Command(command_id=cid, actor="user-1", issued_at=datetime.now(UTC), command=command, scope=scope)
    event = CloudEvent[Command].wrap(
        cmd, type_=COMMAND, source="/livestudio/gateway", time=cmd.issued_at, subject=None, id_=cid
    )
    return cid, event.to_json_bytes()


async def send_commands(
    bootstrap: str, topic: str, commands: Iterable[tuple[str, bytes]], key: str | None = "k"
) -> None:
    """Publish commands (in order, one key) or, with `key=None`, keyed by command id (spread over partitions)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        futures = []
        for command_id, body in commands:
            futures.append(await producer.send(topic, body, key=(key or command_id).encode()))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def wait_command_results(dsn: str, command_ids: Iterable[str], timeout: float = 60.0) -> dict[str, Any]:
    wanted = set(command_ids)
    deadline = time.monotonic() + timeout
    rows: dict[str, Any] = {}
    while time.monotonic() < deadline:
        with contextlib.suppress(asyncpg.UndefinedTableError, OSError, asyncpg.PostgresError):
            conn = await asyncpg.connect(dsn)
            try:
                found = await conn.fetch(
                    "SELECT command_id, status, error FROM ingest.command_results WHERE command_id = ANY($1::text[])",
                    list(wanted),
                )
            finally:
                await conn.close()
            rows = {r["command_id"]: dict(r) for r in found}
            if set(rows) >= wanted:
                return rows
        await asyncio.sleep(0.2)
    raise TimeoutError(f"command results missing: {sorted(wanted - set(rows))}")


def new_keys() -> tuple[str, CookieCipher]:
    key = CookieCipher.generate_key()
    return key, CookieCipher([key])


# --- events --------------------------------------------------------------------------------------------------------


@dataclass
class Record:
    topic: str
    key: str
    value: bytes

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.value)
        return data


class EventCollector:
    """Reads every partition of `topics` from the start, like a downstream consumer, across broker restarts."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.records: list[Record] = []
        self.positions: dict[TopicPartition, int] = {}
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self._restarted = False
        self.errors: list[str] = []
        self._consumer: AIOKafkaConsumer | None = None

    def broker_restarted(self) -> None:
        """The broker came back empty: offsets start again from 0, so read the new logs from their start."""
        self._restarted = True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=50,
                request_timeout_ms=5000,
                metadata_max_age_ms=1000,
            )
            if self._restarted:
                self._restarted = False
                self.positions.clear()
            try:
                await consumer.start()
                self._consumer = consumer
                tps: list[TopicPartition] = []
                for topic in self.topics:
                    parts = consumer.partitions_for_topic(topic)
                    if not parts:  # the member's metadata does not know it yet: ask the cluster (admin API)
                        count = await described_partitions(self.bootstrap, topic)
                        parts = set(range(count or 0))
                    tps.extend(TopicPartition(topic, p) for p in sorted(parts))
                if len({tp.topic for tp in tps}) < len(self.topics):
                    raise RuntimeError("topics not there yet")
                consumer.assign(tps)
                for tp in tps:
                    if tp in self.positions:
                        consumer.seek(tp, self.positions[tp])
                    else:
                        await consumer.seek_to_beginning(tp)
                self.connected.set()
                while not self._restarted:
                    batch = await consumer.getmany(timeout_ms=200)
                    for tp, recs in batch.items():
                        for r in recs:
                            self.records.append(Record(tp.topic, (r.key or b"").decode(), r.value or b""))
                        if recs:
                            self.positions[tp] = recs[-1].offset + 1
                    # no data for a while is fine: the metadata is refreshed every second
                    # (`metadata_max_age_ms`), so a broker that came back is seen without asking
                await consumer.stop()
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    with contextlib.suppress(Exception):
                        await consumer.stop()
                    raise
                # aiokafka can leak a CancelledError of its own while the broker restarts: keep collecting
                self.errors.append("CancelledError from aiokafka")
                with contextlib.suppress(BaseException):
                    await consumer.stop()
                await asyncio.sleep(0.5)
            except Exception as exc:
                self.errors.append(repr(exc)[:200])
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await consumer.stop()
                await asyncio.sleep(0.5)

    async def caught_up(self, timeout: float = 30.0) -> None:
        """Wait until every assigned partition is read up to its high-water mark (as fetch responses report it:
        the embedded broker's ListOffsets answers are not reliable), twice in a row."""
        deadline = time.monotonic() + timeout
        good = 0
        state: dict[TopicPartition, tuple[int, int | None]] = {}
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            consumer = self._consumer
            if consumer is None or not self.connected.is_set():
                good = 0
                continue
            tps = consumer.assignment()
            state = {tp: (self.positions.get(tp, 0), consumer.highwater(tp)) for tp in tps}
            ok = bool(tps) and all(hw is not None and pos >= hw for pos, hw in state.values())
            good = good + 1 if ok else 0
            if good >= 2:
                return
        raise TimeoutError(f"collector did not catch up: {state}, errors {self.errors[-3:]}")

    def events(self, topic: str | None = None, type_suffix: str | None = None) -> list[dict[str, Any]]:
        out = []
        for r in self.records:
            if topic is not None and r.topic != topic:
                continue
            ev = r.event
            if type_suffix is not None and not ev["type"].endswith(type_suffix):
                continue
            out.append(ev)
        return out


# --- replay and ground truth ------------------------------------------------------------------------------------


@dataclass
class SessionReplay:
    account_id: str
    session_id: int
    started_at: datetime | None = None
    duration_ms: int | None = None
    ended_at: datetime | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    ended_ids: set[str] = field(default_factory=set)
    last_observed: datetime | None = None


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def replay(records: list[Record], session_topic: str, item_topic: str) -> dict[int, SessionReplay]:
    """Fold the events as a consumer would: per session, newest observation wins, unknown never erases."""
    sessions: dict[int, SessionReplay] = {}
    session_events = []
    item_events = []
    for r in records:
        if r.topic == session_topic:
            session_events.append(r.event)
        elif r.topic == item_topic:
            item_events.append(r.event)
    session_events.sort(key=lambda e: _ts(e["data"]["observed_at"]))
    for ev in session_events:
        d = ev["data"]
        s = sessions.setdefault(d["session_id"], SessionReplay(d["account_id"], d["session_id"]))
        s.started_at = _ts(d["started_at"])
        if d.get("duration_ms") is not None:
            s.duration_ms = d["duration_ms"]
        for k, v in d["metrics"].items():
            if v is not None:
                s.metrics[k] = v
        if ev["type"].endswith("session.ended.v1"):
            s.ended_ids.add(ev["id"])
            s.ended_at = _ts(d["ended_at"])
        elif d.get("ended_at"):
            s.ended_at = _ts(d["ended_at"])
        s.last_observed = _ts(d["observed_at"])
    item_events.sort(key=lambda e: _ts(e["data"]["observed_at"]))
    for ev in item_events:
        d = ev["data"]
        s = sessions.setdefault(d["session_id"], SessionReplay(d["account_id"], d["session_id"]))
        for item in d["items"]:
            known = s.items.setdefault(item["item_id"], {})
            for k, v in item.items():
                if v is not None:
                    known[k] = v
    return sessions


SESSION_FIELDS = {
    # ground truth name -> metric name
    "placed_orders": "placed_orders",
    "placed_gmv": "placed_sales",
    "confirmed_orders": "confirmed_orders",
    "confirmed_gmv": "confirmed_sales",
    "views": "views",
    "viewers": "viewers",
    "peak_ccu": "peak_viewers",
    "likes": "likes",
    "comments": "comments",
    "followers_growth": "followers_growth",
    "atc": "add_to_cart",
    "product_clicks": "product_clicks",
    "placed_items_sold": "placed_items_sold",
    "confirmed_items_sold": "confirmed_items_sold",
}
OVERVIEW_FIELDS = {"buyers": "buyers", "confirmed_buyers": "confirmed_buyers", "shares": "shares"}
ITEM_FIELDS = {
    "placed_orders": "placed_orders",
    "placed_items_sold": "placed_items_sold",
    "placed_gmv": "placed_sales",
    "confirmed_orders": "confirmed_orders",
    "confirmed_items_sold": "confirmed_items_sold",
    "confirmed_gmv": "confirmed_sales",
    "product_clicks": "product_clicks",
    "atc": "add_to_cart",
    "price": "min_price",
}


def _same(truth: Any, seen: Any) -> bool:
    if seen is None:
        return False
    if isinstance(truth, int) and isinstance(seen, str):
        return Decimal(seen) == truth
    return bool(truth == seen)


def compare(
    truth: GroundTruth,
    replayed: dict[int, SessionReplay],
    *,
    account_ids: Mapping[int, str],
    detailed_after: datetime,
) -> tuple[list[str], list[SessionTruth]]:
    """Mismatches between the ground truth and the replay, for every session that ended, of the given accounts.

    Sessions that ended after `detailed_after` (observed while on air or settling) are also compared on the
    overview-only figures (buyers, shares) and item by item."""
    problems: list[str] = []
    checked: list[SessionTruth] = []
    for st in truth.sessions:
        if st.end is None or st.account_index not in account_ids:
            continue
        checked.append(st)
        where = f"session {st.session_id} (account {st.account_index})"
        got = replayed.get(st.session_id)
        if got is None:
            problems.append(f"{where}: no events")
            continue
        if got.account_id != account_ids[st.account_index]:
            problems.append(f"{where}: published for account {got.account_id}")
        if got.started_at != st.start:
            problems.append(f"{where}: started_at {got.started_at} != {st.start}")
        if got.duration_ms != st.duration_ms:
            problems.append(f"{where}: duration_ms {got.duration_ms} != {st.duration_ms}")
        fields = dict(SESSION_FIELDS)
        if st.end > detailed_after:
            fields.update(OVERVIEW_FIELDS)
        for t_name, m_name in fields.items():
            if not _same(getattr(st, t_name), got.metrics.get(m_name)):
                problems.append(f"{where}: {m_name} {got.metrics.get(m_name)!r} != {getattr(st, t_name)!r}")
        if st.end > detailed_after:
            truth_items = {i.item_id: i for i in st.items}
            if set(truth_items) != set(got.items):
                problems.append(f"{where}: items {sorted(got.items)[:5]}… != {sorted(truth_items)[:5]}…")
            for item_id, it in truth_items.items():
                seen = got.items.get(item_id, {})
                for t_name, m_name in ITEM_FIELDS.items():
                    if not _same(getattr(it, t_name), seen.get(m_name)):
                        problems.append(
                            f"{where} item {item_id}: {m_name} {seen.get(m_name)!r} != {getattr(it, t_name)!r}"
                        )
    return problems, checked


def ground_truth(sim: RunningSimulator, accounts: Iterable[int]) -> GroundTruth:
    ids = ",".join(str(a) for a in accounts)
    return GroundTruth.model_validate(sim.admin("GET", f"/__sim/ground-truth?account={ids}&items=1"))


def secret_parts(cookie: str) -> list[str]:
    """The secret values of a cookie string (the user id in SPC_U is not a secret: events carry it)."""
    parts = []
    for piece in cookie.split(";"):
        name, _, value = piece.strip().partition("=")
        if value and name != "SPC_U" and len(value.lstrip(".")) >= 8:
            parts.append(value.lstrip("."))
    return parts


def leaks(haystacks: Mapping[str, bytes | str], cookies: Iterable[str]) -> list[str]:
    found = []
    for cookie in cookies:
        for secret in [cookie, *secret_parts(cookie)]:
            for name, text in haystacks.items():
                blob = text.encode() if isinstance(text, str) else text
                if secret.encode() in blob:
                    found.append(f"{secret[:6]}… found in {name}")
    return found


async def set_sim_speed(sim: RunningSimulator, speed: float) -> dict[str, Any]:
    result: dict[str, Any] = await asyncio.to_thread(sim.admin, "POST", "/__sim/clock", json={"speed": speed})
    return result
