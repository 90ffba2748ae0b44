"""Account commands through `livestudio.commands.v1` (exactly-once via command_results), QR login end to end,
and the operator CLI, against a real broker, PostgreSQL and the simulator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from pydantic import SecretStr

from livestudio_ingest.service import IngestService
from livestudio_ingest.settings import IngestSettings
from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import (
    AccountConnect,
    AccountPause,
    AccountRemove,
    AccountResume,
    AccountUpdate,
    CallerScope,
    QrLoginStart,
)
from shopee_client.simulator import RunningSimulator, SimulatorConfig, run_simulator
from tests.ingest.kit import (
    EventCollector,
    IngestTopics,
    command_event,
    fast_cadence,
    new_keys,
    send_commands,
    wait_command_results,
)

JKT = ZoneInfo("Asia/Jakarta")


def _settings(kafka: str, dsn: str, key: str, sim_url: str, topics: IngestTopics) -> IngestSettings:
    env: dict[str, Any] = {k.removeprefix("INGEST_").lower(): v for k, v in {**fast_cadence(), **topics.env()}.items()}
    return IngestSettings(
        kafka_bootstrap=kafka,
        database_url=dsn,
        credentials_keys=SecretStr(key),
        shopee_mode="simulator",
        shopee_base_url=sim_url,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=200,
        kafka_fetch_max_wait_ms=20,
        **env,
    )


async def _account(dsn: str, account_id: str) -> dict[str, Any] | None:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT a.*, c.cookie_ciphertext FROM ingest.accounts a"
            " LEFT JOIN ingest.account_credentials c USING (account_id) WHERE a.account_id = $1",
            account_id,
        )
        return None if row is None else dict(row)
    finally:
        await conn.close()


async def _wait_state(dsn: str, account_id: str, state: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        row = await _account(dsn, account_id)
        if row is not None and row["state"] == state:
            return row
        await asyncio.sleep(0.2)
    raise AssertionError(f"{account_id} never reached {state}: {row and row['state']}")


async def _wait_status(collector: EventCollector, account_id: str, state: str, timeout: float = 20) -> list[str]:
    """The account's status events so far, once one of them reports `state`."""
    deadline = time.monotonic() + timeout
    states: list[str] = []
    while time.monotonic() < deadline:
        states = [e["data"]["state"] for e in collector.events() if e["data"]["account_id"] == account_id]
        if state in states:
            break
        await asyncio.sleep(0.2)
    return states


@pytest.fixture
async def simulator() -> AsyncIterator[RunningSimulator]:
    cfg = SimulatorConfig(seed=9, accounts=6, speed=60, start=datetime(2025, 6, 2, 21, 0, tzinfo=JKT))
    async with run_simulator(cfg) as sim:
        yield sim


async def test_account_commands_are_applied_once_and_reported(
    kafka_bootstrap: str, fresh_db: str, simulator: RunningSimulator
) -> None:
    sim = simulator.sim
    key, cipher = new_keys()
    topics = IngestTopics.unique()
    service = IngestService(_settings(kafka_bootstrap, fresh_db, key, simulator.base_url, topics))
    await service.start()
    collector = EventCollector(kafka_bootstrap, [topics.account])
    try:
        collector.start()
        stranger = CookieCipher([CookieCipher.generate_key()])
        bad_cookie = sim.cookie(2).replace("SPC_ST=.", "SPC_ST=.forged")
        connect = command_event(
            AccountConnect(
                account_id="acct-1",
                studio_id="studio-1",
                display_name="One",
                encrypted_cookie=cipher.encrypt(sim.cookie(1)),
            )
        )
        wrong_key = command_event(
            AccountConnect(
                account_id="acct-x", studio_id="studio-1", display_name="X", encrypted_cookie=stranger.encrypt("c=1")
            )
        )
        rejected = command_event(
            AccountConnect(
                account_id="acct-2",
                studio_id="studio-1",
                display_name="Two",
                encrypted_cookie=cipher.encrypt(bad_cookie),
            )
        )
        unknown = command_event(AccountPause(account_id="nobody"))
        await send_commands(kafka_bootstrap, topics.commands, [connect, wrong_key, rejected, unknown])
        results = await wait_command_results(fresh_db, [connect[0], wrong_key[0], rejected[0], unknown[0]])
        assert results[connect[0]]["status"] == "applied"
        assert results[wrong_key[0]]["status"] == "rejected"
        assert "does not decrypt" in results[wrong_key[0]]["error"]
        assert results[rejected[0]]["status"] == "rejected"
        assert "Shopee rejected the cookie" in results[rejected[0]]["error"]
        assert results[unknown[0]]["error"] == "account 'nobody' not found"
        assert await _account(fresh_db, "acct-2") is None  # nothing stored for a rejected cookie
        assert await _account(fresh_db, "acct-x") is None

        row = await _wait_state(fresh_db, "acct-1", "active")
        assert row["shopee_user_id"] == sim.accounts[1].user_id
        assert row["last_successful_poll_at"] is not None
        stored = row["cookie_ciphertext"]
        assert "SPC_" not in stored
        assert cipher.decrypt(stored) == sim.cookie(1)
        seq = row["config_seq"]

        # a replayed command (same id) is not applied twice
        await send_commands(kafka_bootstrap, topics.commands, [connect])
        await asyncio.sleep(1.5)
        assert (await _account(fresh_db, "acct-1") or {})["config_seq"] == seq

        pause = command_event(AccountPause(account_id="acct-1"))
        await send_commands(kafka_bootstrap, topics.commands, [pause])
        await wait_command_results(fresh_db, [pause[0]])
        await _wait_state(fresh_db, "acct-1", "paused")
        # the status topic carries the states the poller observed: a pause undone within the same instant may be
        # conflated away, so resume once the pause was reported
        await _wait_status(collector, "acct-1", "paused")
        resume = command_event(AccountResume(account_id="acct-1"))
        rename = command_event(AccountUpdate(account_id="acct-1", display_name="One (renamed)"))
        await send_commands(kafka_bootstrap, topics.commands, [resume, rename])
        await wait_command_results(fresh_db, [resume[0], rename[0]])
        row = await _wait_state(fresh_db, "acct-1", "active")
        assert row["display_name"] == "One (renamed)"

        # #17: another studio's manager reaches for acct-1 by id; the answer equals the one for a missing id,
        # and re-connecting acct-1 with another Shopee user's cookie is refused (as a PATCH is)
        evil = CallerScope(studio_id="studio-2", role="manager")
        steal = command_event(AccountPause(account_id="acct-1"), scope=evil)
        probe = command_event(AccountPause(account_id="acct-nope"), scope=evil)
        move = command_event(
            AccountConnect(
                account_id="acct-1",
                studio_id="studio-2",
                display_name="Mine",
                encrypted_cookie=cipher.encrypt(sim.cookie(1)),
            ),
            scope=evil,
        )
        swap = command_event(
            AccountConnect(
                account_id="acct-1",
                studio_id="studio-1",
                display_name="One",
                encrypted_cookie=cipher.encrypt(sim.cookie(2)),
            )
        )
        attacks = [steal, probe, move, swap]
        await send_commands(kafka_bootstrap, topics.commands, attacks)
        results = await wait_command_results(fresh_db, [c for c, _ in attacks])
        assert all(results[c]["status"] == "rejected" for c, _ in attacks)
        assert results[steal[0]]["error"] == "account 'acct-1' not found in studio 'studio-2'"
        assert results[probe[0]]["error"] == "account 'acct-nope' not found in studio 'studio-2'"
        assert results[move[0]]["error"] == "account 'acct-1' not found in studio 'studio-2'"
        assert "different Shopee user" in results[swap[0]]["error"]
        row = await _wait_state(fresh_db, "acct-1", "active")
        assert (row["studio_id"], row["shopee_user_id"]) == ("studio-1", sim.accounts[1].user_id)

        # QR login for simulator account 3, end to end
        await asyncio.to_thread(simulator.admin, "POST", "/__sim/qr", json={"account": 3})
        qr = command_event(
            QrLoginStart(login_id="login-1", account_id="acct-3", studio_id="studio-1", display_name="Three")
        )
        await send_commands(kafka_bootstrap, topics.commands, [qr])
        assert (await wait_command_results(fresh_db, [qr[0]]))[qr[0]]["status"] == "applied"
        deadline = time.monotonic() + 30
        login: dict[str, Any] = {}
        while time.monotonic() < deadline:
            conn = await asyncpg.connect(fresh_db)
            try:
                login = dict(await conn.fetchrow("SELECT * FROM ingest.qr_logins WHERE login_id = 'login-1'") or {})
            finally:
                await conn.close()
            if login.get("state") in ("confirmed", "failed", "expired"):
                break
            await asyncio.sleep(0.2)
        assert login["state"] == "confirmed", login.get("error")
        assert login["qrcode_base64"]
        row = await _wait_state(fresh_db, "acct-3", "active")
        assert row["shopee_user_id"] == sim.accounts[3].user_id

        remove = command_event(AccountRemove(account_id="acct-1"))
        await send_commands(kafka_bootstrap, topics.commands, [remove])
        await wait_command_results(fresh_db, [remove[0]])
        row = await _wait_state(fresh_db, "acct-1", "removed")
        assert row["cookie_ciphertext"] is None

        states = await _wait_status(collector, "acct-1", "removed")
        assert states[0] in ("connected", "active")
        for wanted in ("active", "paused", "removed"):
            assert wanted in states
        assert states.index("paused") < states.index("removed")
    finally:
        await collector.stop()
        await service.stop()


async def _cli_in_process(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str, stdin: str = ""
) -> tuple[int, str]:
    """`cli.main()` in a worker thread (it runs its own event loop), output captured."""
    import contextlib
    import io

    from livestudio_ingest import cli

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()

    def call() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
            return cli.main(list(args))

    code = await asyncio.to_thread(call)
    return code, out.getvalue()


async def test_operator_cli_manages_accounts_and_rotates_keys(
    fresh_db: str, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = simulator.sim
    old_key, new_key = CookieCipher.generate_key(), CookieCipher.generate_key()
    env = {
        "INGEST_DATABASE_URL": fresh_db,
        "INGEST_CREDENTIALS_KEYS": old_key,
        "INGEST_SHOPEE_BASE_URL": simulator.base_url,
        "INGEST_SHOPEE_MODE": "simulator",
    }
    cookie = sim.cookie(4)
    outputs: list[str] = []

    # the real entry point once, as an operator runs it (cookie on standard input)
    argv = ["add", "--account-id", "acct-4", "--studio-id", "studio-1", "--display-name", "Four"]
    added = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "livestudio_ingest.cli", *argv],
        input=cookie + "\n",
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    assert str(sim.accounts[4].user_id) in added.stdout
    outputs.append(added.stdout + added.stderr)

    code, out = await _cli_in_process(
        monkeypatch,
        env,
        *("add", "--account-id", "acct-5", "--studio-id", "studio-1", "--display-name", "Five"),
        stdin="SPC_U=1; SPC_ST=.nope\n",
    )
    outputs.append(out)
    assert code == 2
    assert "Shopee rejected the cookie" in out
    code, out = await _cli_in_process(monkeypatch, env, "pause", "--account-id", "acct-4")
    outputs.append(out)
    assert code == 0, out
    code, out = await _cli_in_process(monkeypatch, env, "list", "--json")
    outputs.append(out)
    assert '"state": "paused"' in out
    assert "acct-5" not in out
    # an error text quoting a cookie (any letter case) is printed redacted
    leaked = "shopee said 401 for spc_st=leaked-lower-st; Spc_Ec=leaked-mixed-ec"
    conn = await asyncpg.connect(fresh_db)
    try:
        await conn.execute("UPDATE ingest.accounts SET last_error = $1 WHERE account_id = 'acct-4'", leaked)
    finally:
        await conn.close()
    code, out = await _cli_in_process(monkeypatch, env, "list", "--json")
    assert code == 0 and "shopee said 401" in out
    assert "leaked-lower-st" not in out and "leaked-mixed-ec" not in out
    code, out = await _cli_in_process(
        monkeypatch, {**env, "INGEST_CREDENTIALS_KEYS": f"{new_key},{old_key}"}, "rotate-keys"
    )
    outputs.append(out)
    assert code == 0, out
    assert "re-encrypted 1" in out
    row = await _account(fresh_db, "acct-4")
    assert row is not None
    assert CookieCipher([new_key]).decrypt(row["cookie_ciphertext"]) == cookie
    for text in outputs:
        for secret in (cookie, sim.accounts[4].spc_st, sim.accounts[4].spc_ec):
            assert secret not in text


async def test_a_bulk_connect_validates_cookies_concurrently_in_order_and_once(
    kafka_bootstrap: str, fresh_db: str
) -> None:
    accounts, latency_s = 60, 0.2
    cfg = SimulatorConfig(seed=9, accounts=accounts, speed=0, start=datetime(2025, 6, 2, 21, 0, tzinfo=JKT))
    async with run_simulator(cfg) as running:
        sim = running.sim
        sim.set_faults(latency_ms=latency_s * 1000)  # every Shopee call is a slow round trip
        key, cipher = new_keys()
        topics = IngestTopics.unique()
        service = IngestService(_settings(kafka_bootstrap, fresh_db, key, running.base_url, topics))
        await service.start()
        try:
            connects = [
                command_event(
                    AccountConnect(
                        account_id=f"acct-{i}",
                        studio_id="studio-1",
                        display_name=f"Account {i}",
                        encrypted_cookie=cipher.encrypt(sim.cookie(i)),
                    )
                )
                for i in range(accounts)
            ]
            forged = command_event(
                AccountConnect(
                    account_id="acct-forged",
                    studio_id="studio-1",
                    display_name="Forged",
                    encrypted_cookie=cipher.encrypt(sim.cookie(1).replace("SPC_ST=.", "SPC_ST=.forged")),
                )
            )
            # the same account changes several times within the batch: the last command wins
            pause = command_event(AccountPause(account_id="acct-0"))
            update = command_event(AccountUpdate(account_id="acct-0", display_name="Renamed"))
            batch = [*connects, forged, pause, update, connects[5]]  # connects[5] again: a replay
            before = len(sim.requests(endpoint="user_info"))
            started = time.monotonic()
            await send_commands(kafka_bootstrap, topics.commands, batch)
            results = await wait_command_results(fresh_db, [c for c, _ in batch], timeout=60)
            elapsed = time.monotonic() - started

            assert {results[c]["status"] for c, _ in connects} == {"applied"}
            assert results[forged[0]]["status"] == "rejected"
            assert results[pause[0]]["status"] == results[update[0]]["status"] == "applied"
            row = await _account(fresh_db, "acct-0")
            assert row is not None and (row["state"], row["display_name"]) == ("paused", "Renamed")
            # every cookie validated exactly once (not once ahead and once more when applied), the replay never
            assert len(sim.requests(endpoint="user_info")) - before == accounts + 1
            # one round trip per account, one after the other, would take accounts * latency_s = 12 s
            assert elapsed < accounts * latency_s / 2, f"bulk connect took {elapsed:.1f}s"
        finally:
            await service.stop()
