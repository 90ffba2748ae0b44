"""The client against the simulator over a real socket: 200 accounts, clean and with a 20% mix of faults.

Asserted from the simulator's request log: every call ends in data or a typed error, only transient faults are
retried (the attempt sequence of each call is replayed from the log), per-account rate limits and the global
in-flight cap hold.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from shopee_client import (
    AccountContext,
    AuthExpired,
    ClientSettings,
    NotOwned,
    RateLimited,
    ResponseShapeError,
    ShopeeClient,
    ShopeeClientError,
    Transient,
)
from shopee_client.simulator import (
    FaultConfig,
    RequestRecord,
    SimulatorConfig,
    run_simulator,
    run_simulator_process,
)

pytestmark = pytest.mark.integration

START = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)  # 16:30 Jakarta: the 15-20 shift is on air
ACCOUNTS = 200
RATE = 8.0  # per account per second
MAX_IN_FLIGHT = 20
MAX_ATTEMPTS = 3
TRANSIENT_FAULTS = {"http_5xx", "timeout", "truncated", "invalid_json"}

FAULT_MIX = FaultConfig(
    rate_5xx=0.05,
    rate_429=0.03,
    rate_timeout=0.02,
    hang_seconds=2.5,
    rate_truncated=0.03,
    rate_invalid_json=0.03,
    rate_wrong_type=0.02,
    rate_not_owned=0.02,
)


def _settings(base_url: str) -> ClientSettings:
    return ClientSettings(
        base_url=base_url,
        read_timeout=5.0,
        max_attempts=MAX_ATTEMPTS,
        backoff_initial=0.01,
        backoff_max=0.05,
        per_account_rate=RATE,
        per_account_period=1.0,
        max_in_flight=MAX_IN_FLIGHT,
    )


Outcome = tuple[str, int, Any]  # (endpoint, account index or session id, result or exception)


async def _read_account(client: ShopeeClient, account: AccountContext, outcomes: list[Outcome]) -> None:
    """sessionList, then overview and every productList page of the two newest sessions."""
    index = int(account.account_id.removeprefix("acct-"))
    try:
        page = await client.session_list(account, page_size=20)
        outcomes.append(("session_list", index, page))
    except ShopeeClientError as exc:
        outcomes.append(("session_list", index, exc))
        return
    for session in page.items[:2]:
        sid = session.session_id
        try:
            outcomes.append(("overview", sid, await client.overview(account, sid)))
        except ShopeeClientError as exc:
            outcomes.append(("overview", sid, exc))
        try:
            outcomes.append(("product_list", sid, await client.all_products(account, sid, page_size=40)))
        except ShopeeClientError as exc:
            outcomes.append(("product_list", sid, exc))


async def _wait_idle(records_in_flight: Any) -> None:
    for _ in range(400):
        if records_in_flight() == 0:
            return
        await asyncio.sleep(0.01)


def _assert_rate_limited(records: list[RequestRecord]) -> None:
    """Token bucket of RATE refilling at RATE/s: any n requests of one account span >= (n - RATE) / RATE s.

    Arrival times are taken on the server, where a busy event loop can bunch requests together; hence the
    slack of one request and 0.25 s (an unthrottled burst of 12 would still fail)."""
    by_account: dict[int | None, list[float]] = defaultdict(list)
    for r in records:
        by_account[r.account].append(r.started)
    for times in by_account.values():
        times.sort()
        for i in range(len(times)):
            for j in range(i + 1, len(times)):
                n = j - i + 1
                assert n <= RATE + 1 + RATE * (times[j] - times[i] + 0.25), (n, times[j] - times[i])


async def test_200_accounts_clean_read() -> None:
    config = SimulatorConfig(seed=3, accounts=ACCOUNTS, speed=0, start=START)
    async with run_simulator(config) as running:
        sim = running.sim
        accounts = [AccountContext.create(f"acct-{i}", sim.cookie(i)) for i in range(ACCOUNTS)]
        outcomes: list[Outcome] = []
        async with ShopeeClient(_settings(running.base_url)) as client:
            await asyncio.gather(*[_read_account(client, a, outcomes) for a in accounts])
        errors = [o for o in outcomes if isinstance(o[2], Exception)]
        assert errors == []
        assert sum(1 for o in outcomes if o[0] == "session_list") == ACCOUNTS
        products = [o for o in outcomes if o[0] == "product_list"]
        assert len(products) >= ACCOUNTS  # most accounts streamed in the last 3 days
        # every page was walked: the product count matches the ground truth of the session
        truth = {s.session_id: s for s in sim.ground_truth(from_date=date(2025, 5, 29)).sessions}
        for _, sid, items in products:
            assert len(items) == len(truth[sid].items)
            assert sum(i.orders_created for i in items) == truth[sid].placed_orders
        await _wait_idle(lambda: sim.log.in_flight)
        records = sim.requests()
        assert sim.log.max_in_flight <= MAX_IN_FLIGHT
        assert all(r.status == 200 for r in records)
        _assert_rate_limited(records)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Records what the client itself observed for every HTTP attempt, keyed by (user id, path, query)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=MAX_IN_FLIGHT))
        self.seen: dict[tuple[int, str, str], list[str]] = defaultdict(list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        cookie = dict(p.strip().split("=", 1) for p in request.headers.get("cookie", "").split(";") if "=" in p)
        key = (int(cookie.get("SPC_U", "0")), request.url.path, request.url.query.decode())
        try:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
        except httpx.TimeoutException:
            self.seen[key].append("timeout")
            raise
        except httpx.TransportError:
            self.seen[key].append("connection")
            raise
        if response.status_code >= 500:
            outcome = "http_5xx"
        elif not body.startswith(b"{") or not body.rstrip().endswith(b"}"):
            outcome = "invalid_json"  # truncated bodies and HTML pages
        else:
            outcome = f"http_{response.status_code}"
        self.seen[key].append(outcome)
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


CLIENT_TRANSIENT = {"timeout", "connection", "http_5xx", "invalid_json"}


async def test_200_accounts_survive_fault_mix() -> None:
    # The simulator runs in its own process so that its CPU never stalls the client's event loop.
    config = SimulatorConfig(seed=4, accounts=ACCOUNTS, speed=0, start=START, faults=FAULT_MIX)
    recorder = RecordingTransport()
    with run_simulator_process(config) as running:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=60) as admin:
            listing = (await admin.get("/__sim/accounts")).json()
            user_ids = [a["user_id"] for a in listing]
            accounts = [AccountContext.create(f"acct-{i}", listing[i]["cookie"]) for i in range(ACCOUNTS)]
            outcomes: list[Outcome] = []
            settings = _settings(running.base_url).model_copy(update={"read_timeout": 1.0})
            async with ShopeeClient(settings, transport=recorder) as client:
                reads = asyncio.gather(*[_read_account(client, a, outcomes) for a in accounts])
                await asyncio.wait_for(reads, 180)
            for _ in range(100):
                if (await admin.get("/__sim/stats")).json()["in_flight"] == 0:
                    break
                await asyncio.sleep(0.1)
            records = [RequestRecord(**r) for r in (await admin.get("/__sim/requests")).json()]

    # 1. every call ended in data or one of the typed errors
    allowed = (Transient, RateLimited, ResponseShapeError, NotOwned)
    errors = [o[2] for o in outcomes if isinstance(o[2], Exception)]
    assert all(isinstance(e, allowed) for e in errors), {type(e).__name__ for e in errors}
    assert not any(isinstance(e, AuthExpired) for e in errors)
    assert len(outcomes) - len(errors) > 0.7 * len(outcomes)
    faults = [r.fault for r in records if r.fault]
    assert 0.12 * len(records) <= len(faults) <= 0.28 * len(records)

    # 2. only transient faults were retried. Each exact request (account, path, query) belongs to one call, so
    # its attempts are: transient, transient, ..., final. Checked on both sides: what the client observed, and
    # the fault the simulator injected (a non-transient fault is retried only if the client timed out first).
    server: dict[tuple[int, str, str], list[RequestRecord]] = defaultdict(list)
    for r in sorted(records, key=lambda r: r.seq):
        assert r.account is not None
        server[(user_ids[r.account], r.path, r.query)].append(r)
    assert set(server) == set(recorder.seen)
    retried = 0
    for key, seen in recorder.seen.items():
        injected = server[key]
        assert len(injected) == len(seen) <= MAX_ATTEMPTS
        for i in range(len(seen) - 1):
            assert seen[i] in CLIENT_TRANSIENT, (seen, [r.fault for r in injected])
            assert injected[i].fault in TRANSIENT_FAULTS or seen[i] == "timeout", (seen, [r.fault for r in injected])
            retried += 1
    assert retried > 0.05 * len(records)

    # 3. per-account rate limit held across retries
    _assert_rate_limited(records)
