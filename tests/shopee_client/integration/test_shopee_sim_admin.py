"""QR login end to end, cookie expiry, the admin API, the clock hand-off and the subprocess runner / CLI."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shopee_client import AccountContext, AuthExpired, ClientSettings, ShopeeClient, Transient
from shopee_client.models import QrState
from shopee_client.simulator import (
    GroundTruth,
    SimulatorConfig,
    run_simulator,
    run_simulator_process,
    run_simulator_thread,
)
from shopee_client.simulator.cli import build_parser, config_from_args

pytestmark = pytest.mark.integration

START = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


def _settings(base_url: str) -> ClientSettings:
    return ClientSettings(base_url=base_url, per_account_rate=100, backoff_initial=0.01, backoff_max=0.02)


async def test_qr_login_end_to_end_and_expiry() -> None:
    async with run_simulator(SimulatorConfig(seed=21, accounts=10, speed=0, start=START)) as running:
        sim = running.sim
        target = sim.accounts[5]
        async with httpx.AsyncClient(base_url=running.base_url) as admin:
            (await admin.post("/__sim/faults", json={"expired_accounts": [5]})).raise_for_status()
            (await admin.post("/__sim/qr", json={"account": 5})).raise_for_status()
        async with ShopeeClient(_settings(running.base_url)) as client:
            old = AccountContext.create("acct-5", sim.cookie(5))
            with pytest.raises(AuthExpired) as creator:
                await client.user_info(old)
            assert creator.value.code == 30001
            with pytest.raises(AuthExpired) as shop:
                await client.account_info(old)
            assert shop.value.code == 90309999
            with pytest.raises(AuthExpired) as affiliate:
                await client.affiliate_report(
                    old, purchase_time_start=START - timedelta(days=1), purchase_time_end=START
                )
            assert affiliate.value.http_status == 401

            qr = await client.gen_qrcode()
            assert qr.qrcode_base64
            states = [(await client.qrcode_status(qr.qrcode_id)).state for _ in range(2)]
            assert states == [QrState.NEW, QrState.SCANNED]
            confirmed = await client.qrcode_status(qr.qrcode_id)
            assert confirmed.state is QrState.CONFIRMED
            assert confirmed.qrcode_token
            result = await client.qrcode_login(confirmed.qrcode_token)
            assert result.user_id == target.user_id
            assert "SPC_ST=" in result.cookie_value()
            assert f"SPC_U={target.user_id}" in result.cookie_value()

            fresh = old.with_cookie(result.cookie_value())
            assert (await client.user_info(fresh)).user_id == target.user_id
            assert (await client.account_info(fresh)).shop_id == target.shop_id
            # the token is single use
            with pytest.raises(Exception, match="invalid qrcode_token"):
                await client.qrcode_login(confirmed.qrcode_token)

            # the helper that polls: a second code for account 2, chosen per code
            qr2 = await client.gen_qrcode()
            async with httpx.AsyncClient(base_url=running.base_url) as admin:
                (await admin.post("/__sim/qr", json={"qrcode_id": qr2.qrcode_id, "account": 2})).raise_for_status()
            login = await client.wait_for_qr_login(qr2.qrcode_id, poll_interval=0)
            assert login.user_id == sim.accounts[2].user_id

            qr3 = await client.gen_qrcode()
            async with httpx.AsyncClient(base_url=running.base_url) as admin:
                (
                    await admin.post("/__sim/qr", json={"qrcode_id": qr3.qrcode_id, "status": "EXPIRED"})
                ).raise_for_status()
            with pytest.raises(Exception, match="expired"):
                await client.wait_for_qr_login(qr3.qrcode_id, poll_interval=0)


async def test_admin_api_over_http() -> None:
    config = SimulatorConfig(seed=22, accounts=6, speed=0, start=START)
    async with run_simulator(config) as running, httpx.AsyncClient(base_url=running.base_url) as admin:
        assert (await admin.get("/__sim/health")).json()["ok"] is True
        accounts = (await admin.get("/__sim/accounts")).json()
        assert len(accounts) == 6
        clock = (await admin.post("/__sim/clock", json={"advance_seconds": 3600})).json()
        assert datetime.fromisoformat(clock["sim_now"]) == START + timedelta(hours=1)
        truth = GroundTruth.model_validate(
            (await admin.get("/__sim/ground-truth", params={"account": "0,1", "items": "0"})).json()
        )
        assert truth.at == START + timedelta(hours=1)
        assert {s.account_index for s in truth.sessions} <= {0, 1}
        assert all(not s.items for s in truth.sessions)
        at = (START - timedelta(hours=2)).isoformat()
        earlier = GroundTruth.model_validate((await admin.get("/__sim/ground-truth", params={"at": at})).json())
        assert earlier.at == START - timedelta(hours=2)
        faults = (await admin.post("/__sim/faults", json={"rate_5xx": 1.0, "endpoints": ["user_info"]})).json()
        assert faults["rate_5xx"] == 1.0
        bad = await admin.post("/__sim/faults", json={"rate_5xx": 7})
        assert bad.status_code == 400
        (await admin.delete("/__sim/requests")).raise_for_status()

        async with ShopeeClient(_settings(running.base_url)) as client:
            account = AccountContext.create("a0", accounts[0]["cookie"])
            with pytest.raises(Transient):
                await client.user_info(account)
            await client.session_list(account)  # not in the faulted endpoints
        log = (await admin.get("/__sim/requests", params={"account": 0})).json()
        assert [r["endpoint"] for r in log] == ["user_info"] * 4 + ["session_list"]
        assert [r["status"] for r in log] == [503] * 4 + [200]
        assert all(r["fault"] == "http_5xx" for r in log[:4])
        stats = (await admin.get("/__sim/stats")).json()
        assert stats["requests"] == 5
        assert (await admin.get("/__sim/nope")).status_code == 404


async def test_fetch_sim_clock_tracks_the_simulator() -> None:
    config = SimulatorConfig(seed=23, accounts=2, speed=60, start=START)
    async with run_simulator(config) as running, ShopeeClient(_settings(running.base_url)) as client:
        clock = await client.fetch_sim_clock()
        await asyncio.sleep(0.2)
        drift = abs((clock.now() - running.sim.now()).total_seconds())
        assert drift < 5  # 60x: 5 simulated seconds is < 0.1 s of real time
        assert clock.speed == 60


def test_thread_runner() -> None:
    with run_simulator_thread(SimulatorConfig(seed=24, accounts=3, speed=0, start=START)) as running:
        cookie = running.sim.cookie(1)
        response = httpx.get(f"{running.base_url}/supply/api/lm/sellercenter/userInfo", headers={"cookie": cookie})
        assert response.json()["data"]["userId"] == running.sim.accounts[1].user_id


def test_subprocess_runner_and_cli_options() -> None:
    args = build_parser().parse_args(
        [
            "--accounts",
            "4",
            "--seed",
            "9",
            "--speed",
            "0",
            "--start",
            "2025-06-02T16:30:00+07:00",
            "--fault-429",
            "0.5",
            "--fault-expired",
            "1,2",
            "--settle-hours",
            "0.5",
        ]
    )
    config = config_from_args(args)
    assert config.start == START
    assert config.faults.rate_429 == 0.5
    assert config.faults.expired_accounts == [1, 2]
    assert config.settle_delay == timedelta(minutes=30)
    config = config.model_copy(update={"faults": config.faults.model_copy(update={"rate_429": 0.0})})
    with run_simulator_process(config) as running:
        with pytest.raises(RuntimeError):
            _ = running.sim
        accounts = running.admin("GET", "/__sim/accounts")
        assert len(accounts) == 4
        ok = httpx.get(
            f"{running.base_url}/supply/api/lm/sellercenter/userInfo", headers={"cookie": accounts[0]["cookie"]}
        ).json()
        assert ok["code"] == 0
        expired = httpx.get(
            f"{running.base_url}/supply/api/lm/sellercenter/userInfo", headers={"cookie": accounts[1]["cookie"]}
        ).json()
        assert expired["code"] == 30001
        truth = GroundTruth.model_validate(running.admin("GET", "/__sim/ground-truth"))
        assert truth.at == START
