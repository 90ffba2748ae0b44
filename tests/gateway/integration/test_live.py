"""SSE live updates: session events from the broker reach exactly the browsers whose scope includes the studio."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer

from livestudio_devinfra.ports import free_port
from livestudio_gateway.main import create_app
from livestudio_gateway.state import Gateway
from livestudio_runtime.kafka import ensure_topics
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id
from livestudio_schemas.session import (
    SESSION_ENDED,
    SESSION_SNAPSHOT,
    SessionEnded,
    SessionMetrics,
    SessionSnapshot,
)
from tests.gateway.conftest import TokenFactory, gateway_settings


async def eventually(condition: Callable[[], bool], timeout: float) -> None:
    """Poll a condition of another component (a server thread, a counter) until it holds."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


@dataclass
class Served:
    base_url: str
    gateway: Gateway
    topic: str
    producer: AIOKafkaProducer


@pytest.fixture(scope="module")
async def served(seeded_db: str, kafka_bootstrap: str) -> AsyncIterator[Served]:
    topic = f"gw-sessions.{uuid.uuid4().hex[:10]}"
    await ensure_topics(kafka_bootstrap, {topic: 3})
    app = create_app(
        gateway_settings(seeded_db, kafka_bootstrap, live_enabled=True, session_topic=topic, sse_keepalive_s=0.5)
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        await eventually(lambda: server.started, 30)
        gateway: Gateway = app.state.gateway
        assert gateway.feed is not None
        async with asyncio.timeout(30):
            await gateway.feed.consuming.wait()
        yield Served(f"http://127.0.0.1:{port}", gateway, topic, producer)
    finally:
        await producer.stop()
        server.should_exit = True
        with suppress(TimeoutError):
            await asyncio.wait_for(task, 15)


def _snapshot(studio_id: str, account_id: str, session_id: int, viewers: int, *, on_air: bool = True) -> bytes:
    started = datetime.now(UTC) - timedelta(minutes=30)
    observed = datetime.now(UTC)
    data = SessionSnapshot(
        account_id=account_id,
        studio_id=studio_id,
        session_id=session_id,
        title="Flash sale",
        started_at=started,
        observed_at=observed,
        source="session_list",
        on_air=on_air,
        metrics=SessionMetrics(viewers=viewers, current_viewers=viewers // 2, confirmed_sales=None),
    )
    event = CloudEvent[SessionSnapshot].wrap(
        data,
        type_=SESSION_SNAPSHOT,
        source="/livestudio/ingest",
        time=observed,
        subject=f"{account_id}:{session_id}",
        id_=deterministic_event_id(account_id, session_id, observed.isoformat(), viewers),
    )
    return event.to_json_bytes()


def _ended(studio_id: str, account_id: str, session_id: int) -> bytes:
    now = datetime.now(UTC)
    data = SessionEnded(
        account_id=account_id,
        studio_id=studio_id,
        session_id=session_id,
        started_at=now - timedelta(hours=1),
        observed_at=now,
        ended_at=now,
        source="live_detail",
        metrics=SessionMetrics(viewers=999),
    )
    event = CloudEvent[SessionEnded].wrap(
        data, type_=SESSION_ENDED, source="/livestudio/ingest", time=now, subject=None, id_=str(uuid.uuid4())
    )
    return event.to_json_bytes()


@dataclass
class Browser:
    events: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    comments: int = 0

    async def next(self, kind: str, timeout: float = 20.0) -> Any:
        async with asyncio.timeout(timeout):
            while True:
                event, data = await self.events.get()
                if event == kind:
                    return data

    def drain(self) -> list[tuple[str, Any]]:
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out


@asynccontextmanager
async def browser(served: Served, token: str, *, via_query: bool = False, **params: str) -> AsyncIterator[Browser]:
    """An EventSource-like client reading the live endpoint in the background."""
    seen = Browser()
    headers = {} if via_query else {"Authorization": f"Bearer {token}"}
    if via_query:
        params = {**params, "access_token": token}
    opened = asyncio.Event()

    async def read() -> None:
        async with (
            httpx.AsyncClient(base_url=served.base_url, timeout=30) as http,
            http.stream("GET", "/api/v1/live", headers=headers, params=params) as response,
        ):
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            opened.set()
            buffer = ""
            async for chunk in response.aiter_text():
                buffer += chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    lines = block.split("\n")
                    if all(line.startswith(":") for line in lines if line):
                        seen.comments += 1
                        continue
                    fields = dict(line.split(": ", 1) for line in lines if ": " in line)
                    if "event" in fields:
                        seen.events.put_nowait((fields["event"], json.loads(fields["data"])))

    task = asyncio.create_task(read())
    try:
        async with asyncio.timeout(15):
            await asyncio.wait({task, asyncio.create_task(opened.wait())}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        yield seen
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _publish(served: Served, value: bytes, key: str) -> None:
    await served.producer.send_and_wait(served.topic, value, key=key.encode())


async def _until_seen(served: Served, seen: Browser, studio_id: str, account_id: str) -> None:
    """The feed starts at the end of the log: re-send a probe until the browser has it (then the feed is live)."""
    probe = 900_000 + int(uuid.uuid4().int % 1000)
    async with asyncio.timeout(30):
        while True:
            await _publish(served, _snapshot(studio_id, account_id, probe, 1), f"{account_id}:{probe}")
            try:
                while True:
                    data = await seen.next("session", timeout=1.0)
                    if data["session_id"] == probe:
                        return
            except TimeoutError:
                continue


async def test_browser_gets_current_state_then_scoped_changes(served: Served, token: TokenFactory) -> None:
    async with (
        browser(served, token("manager", studios=["studio-a"])) as manager_a,
        browser(served, token("service", studios=["*"])) as everyone,
        browser(served, token("manager", studios=["studio-a"]), account_id="acc-a2") as only_a2,
    ):
        initial = await manager_a.next("snapshot")
        assert [(s["account_id"], s["session_id"], s["kind"]) for s in initial["sessions"]] == [
            ("acc-a1", 1030, "current")
        ]
        assert (await only_a2.next("snapshot"))["sessions"] == []
        assert served.gateway.hub.clients == 3
        await _until_seen(served, manager_a, "studio-a", "acc-a1")
        await _until_seen(served, everyone, "studio-a", "acc-a1")
        manager_a.drain()
        everyone.drain()
        only_a2.drain()

        await _publish(served, _snapshot("studio-b", "acc-b1", 7001, 40), "acc-b1:7001")
        await _publish(served, b"{not json", "garbage")
        await _publish(served, _snapshot("studio-a", "acc-a2", 7002, 55), "acc-a2:7002")
        await _publish(served, _ended("studio-a", "acc-a2", 7002), "acc-a2:7002")

        change = await manager_a.next("session")
        assert change["session_id"] == 7002 and change["kind"] == "snapshot" and change["viewers"] == 55
        assert change["current_viewers"] == 27 and change["confirmed_sales"] is None and change["on_air"] is True
        ended = await manager_a.next("session")
        assert ended["kind"] == "ended" and ended["on_air"] is False and ended["ended_at"] is not None
        assert {(await everyone.next("session"))["session_id"] for _ in range(3)} == {7001, 7002}
        assert (await only_a2.next("session"))["session_id"] == 7002
        await asyncio.sleep(0.5)
        assert all(d["session_id"] != 7001 for e, d in manager_a.drain() if e == "session")
        assert all(d["account_id"] == "acc-a2" for e, d in only_a2.drain() if e == "session")
        await eventually(lambda: manager_a.comments >= 1, 10)  # keep-alive comments flow while idle
    await eventually(lambda: served.gateway.hub.clients == 0, 10)


async def test_event_source_token_in_query(served: Served, token: TokenFactory) -> None:
    async with browser(served, token("owner"), via_query=True) as owner:
        assert len((await owner.next("snapshot"))["sessions"]) == 1
    async with httpx.AsyncClient(base_url=served.base_url) as http:
        response = await http.get("/api/v1/live", params={"access_token": "forged"})
        assert response.status_code == 401
