"""A real Prometheus (Debian's binary) scrapes real service processes and evaluates deploy/prometheus/alerts.yml.

Covered services (each started through its console script, as the images do, against the session's broker and a
fresh database, with unique topics and groups): see COVERED. The ingest polls a simulator process. The test
sends a poison record to the analytics session topic and expects LiveStudioDLQReceiving to fire end to end.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer

from livestudio_devinfra.ports import free_port
from livestudio_devinfra.stack import terminate
from livestudio_runtime.secrets import CookieCipher
from tests.deploy.kit import (
    ALERTS_FILE,
    METRICS_DOC,
    SERVICES,
    ServiceSpec,
    load_yaml,
    markdown_table,
    metric_inventory,
)

COVERED = ("analytics", "commission", "ingest", "gateway", "alerts")
BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 150.0


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


class Processes:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[Proc] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], port: int) -> Proc:
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        proc = Proc(name, popen, log, port)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            terminate(proc.popen, grace=25)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


def _service_env(
    spec: ServiceSpec, *, bootstrap: str, dsn: str, port: int, suffix: str, extra: dict[str, str]
) -> dict[str, str]:
    p = spec.env_prefix or ""
    env = {
        f"{p}KAFKA_BOOTSTRAP": bootstrap,
        f"{p}DATABASE_URL": dsn,
        f"{p}HTTP_HOST": "127.0.0.1",
        f"{p}HTTP_PORT": str(port),
        f"{p}LOG_LEVEL": "WARNING",
        f"{p}TOPIC_PARTITIONS": "2",
        f"{p}DB_POOL_MAX": "4",
        f"{p}KAFKA_FETCH_MAX_WAIT_MS": "50",
        f"{p}KAFKA_SESSION_TIMEOUT_MS": "3000",
        f"{p}KAFKA_HEARTBEAT_INTERVAL_MS": "300",
        f"{p}SHUTDOWN_TIMEOUT_S": "5",
    }
    topics = {
        "SESSION_TOPIC": f"deploy.session.{suffix}",
        "ITEM_TOPIC": f"deploy.item.{suffix}",
        "COMMANDS_TOPIC": f"deploy.commands.{suffix}",
        "ACCOUNT_TOPIC": f"deploy.account.{suffix}",
        "COMMISSION_TOPIC": f"deploy.commission.{suffix}",
    }
    from tests.deploy.kit import settings_env_vars

    fields = settings_env_vars(spec)
    for key, value in topics.items():
        if f"{p}{key}" in fields:
            env[f"{p}{key}"] = value
    if f"{p}CONSUMER_GROUP" in fields:
        env[f"{p}CONSUMER_GROUP"] = f"deploy-{spec.name}-{suffix}"
    env.update(extra)
    unknown = [k for k in env if k not in fields]
    assert not unknown, f"{spec.name} has no settings {unknown}"
    return env


def _start_simulator(processes: Processes) -> str:
    proc = processes.start(
        "simulator",
        [str(BIN / "shopee-sim"), "--host", "127.0.0.1", "--port", "0", "--accounts", "3", "--speed", "60"],
        {},
        0,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in proc.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"simulator_started"' in line:
                return str(json.loads(line)["base_url"])
        assert proc.popen.poll() is None, f"simulator exited:\n{proc.tail()}"
        time.sleep(0.1)
    raise AssertionError(f"simulator did not start:\n{proc.tail()}")


async def _wait_ready(client: httpx.AsyncClient, proc: Proc) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        assert proc.popen.poll() is None, f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}"
        try:
            response = await client.get(f"http://127.0.0.1:{proc.port}/health/ready", timeout=3)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        await asyncio.sleep(0.3)
    raise AssertionError(f"{proc.name} not ready after {READY_TIMEOUT_S}s: {last}\n{proc.tail()}")


def _prometheus_config(path: Path, procs: list[Proc]) -> None:
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS_FILE)],
        "scrape_configs": [
            {
                "job_name": f"livestudio-{proc.name}",
                "static_configs": [{"targets": [f"127.0.0.1:{proc.port}"], "labels": {"service": proc.name}}],
            }
            for proc in procs
        ],
    }
    path.write_text(yaml.safe_dump(config))


async def _until(what: str, probe: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last answer: {last}")


def _start_prometheus(binary: str, processes: Processes, tmp_path: Path, services: list[Proc]) -> str:
    config = tmp_path / "prometheus.yml"
    _prometheus_config(config, services)
    port = free_port()
    processes.start(
        "prometheus",
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        {},
        port,
    )
    return f"http://127.0.0.1:{port}"


async def test_prometheus_scrapes_the_services_and_evaluates_the_alerts(
    prometheus_tools: tuple[str, str],
    processes: Processes,
    kafka_bootstrap: str,
    fresh_db: str,
    tmp_path: Path,
) -> None:
    suffix = uuid.uuid4().hex[:10]
    keys = CookieCipher.generate_key()
    base_url = _start_simulator(processes)
    extra = {
        "ingest": {
            "INGEST_SHOPEE_MODE": "simulator",
            "INGEST_SHOPEE_BASE_URL": base_url,
            "INGEST_CREDENTIALS_KEYS": keys,
            "INGEST_ACCOUNTS_TOPIC": f"deploy.accounts.{suffix}",
            "INGEST_ACCOUNTS_PARTITIONS": "4",
            "INGEST_MEMBERSHIP_GROUP": f"deploy-ingest-accounts-{suffix}",
            "INGEST_COMMANDS_GROUP": f"deploy-ingest-commands-{suffix}",
        },
        "gateway": {"GATEWAY_JWT_SECRET": uuid.uuid4().hex, "GATEWAY_CREDENTIALS_KEYS": keys},
        "alerts": {"ALERTS_CREDENTIALS_KEYS": keys},
    }
    services: list[Proc] = []
    for name in COVERED:
        spec = SERVICES[name]
        port = free_port()
        env = _service_env(
            spec, bootstrap=kafka_bootstrap, dsn=fresh_db, port=port, suffix=suffix, extra=extra.get(name, {})
        )
        services.append(processes.start(name, [str(BIN / spec.script)], env, port))
    async with httpx.AsyncClient(timeout=10) as client:
        for proc in services:
            await _wait_ready(client, proc)
        await _check_prometheus(client, prometheus_tools[1], processes, tmp_path, services, kafka_bootstrap, suffix)


async def _check_prometheus(
    client: httpx.AsyncClient,
    binary: str,
    processes: Processes,
    tmp_path: Path,
    services: list[Proc],
    kafka_bootstrap: str,
    suffix: str,
) -> None:
    api = _start_prometheus(binary, processes, tmp_path, services)

    async def targets_up() -> Any:
        try:
            response = await client.get(f"{api}/api/v1/targets")
        except httpx.HTTPError:
            return None
        active = response.json()["data"]["activeTargets"]
        healthy = {t["labels"]["job"] for t in active if t["health"] == "up"}
        return healthy if healthy == {f"livestudio-{p.name}" for p in services} else None

    await _until("every target up", targets_up)

    # A poison record on the analytics session topic: the consumer sends it to the DLQ, the alert fires.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(f"deploy.session.{suffix}", b"{not json", key=b"acc:1")
    finally:
        await producer.stop()

    async def query(expr: str) -> list[dict[str, Any]]:
        response = await client.get(f"{api}/api/v1/query", params={"query": expr})
        body = response.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    ready = await _until("livestudio_service_ready for every service", lambda: _all_ready(query, services))
    assert ready
    build = await query("livestudio_build_info")
    assert {r["metric"]["service"] for r in build} >= set(COVERED)

    # Every documented metric that the covered processes define is known to Prometheus (metadata comes from the
    # HELP/TYPE lines, so labelled metrics that have no sample yet count too).
    metadata = (await client.get(f"{api}/api/v1/metadata")).json()["data"]
    inventory = metric_inventory()
    documented = [row["metric"].strip("`") for row in markdown_table(METRICS_DOC, "metric")]
    expected = [
        name
        for name in documented
        if any(
            root in inventory[name].where
            for root in ("libs/runtime", "libs/shopee_client", *(f"services/{s}" for s in COVERED))
        )
    ]
    missing = [name for name in expected if not _families(name, inventory) & set(metadata)]
    assert not missing, f"documented metrics not scraped: {missing}"

    # The counter's series exists from startup at 0 (so rate alerts see the first increase): wait for the record.
    dlq = await _until(
        "the DLQ counter to count the poison record",
        lambda: query(
            f'livestudio_consumer_dlq_total{{topic="deploy.session.{suffix}", job="livestudio-analytics"}} > 0'
        ),
    )
    assert float(dlq[0]["value"][1]) == 1.0

    async def dlq_alert() -> Any:
        alerts = (await client.get(f"{api}/api/v1/alerts")).json()["data"]["alerts"]
        return [
            a
            for a in alerts
            if a["labels"]["alertname"] == "LiveStudioDLQReceiving"
            and a["labels"].get("topic") == f"deploy.session.{suffix}"
            and a["state"] == "firing"
        ]

    # Analytics, commission and alerts all consume the session topic: each sends the record to the DLQ and pages.
    consumers = {f"deploy-{name}-{suffix}" for name in ("analytics", "commission", "alerts") if name in COVERED}

    async def both_firing() -> Any:
        found = await dlq_alert()
        return found if {a["labels"]["consumer"] for a in found} == consumers else None

    for alert in await _until("LiveStudioDLQReceiving firing", both_firing):
        assert alert["annotations"]["runbook_url"] == "deploy/RUNBOOK.md#livestudiodlqreceiving"

    # Every rule group of alerts.yml is loaded and every rule evaluates without error.
    groups = (await client.get(f"{api}/api/v1/rules")).json()["data"]["groups"]
    expected_groups = {g["name"]: len(g["rules"]) for g in load_yaml(ALERTS_FILE)["groups"]}
    assert {g["name"]: len(g["rules"]) for g in groups} == expected_groups
    for group in groups:
        for rule in group["rules"]:
            assert rule["health"] == "ok", f"{rule['name']}: {rule.get('lastError')}"
            assert not rule["lastEvaluation"].startswith("0001-"), f"{rule['name']} was never evaluated"
    firing = {a["labels"]["alertname"] for a in (await client.get(f"{api}/api/v1/alerts")).json()["data"]["alerts"]}
    assert "LiveStudioServiceDown" not in firing


def _families(name: str, inventory: dict[str, Any]) -> set[str]:
    """Keys Prometheus may use for the family in its metadata (with or without _total / _info)."""
    kind = inventory[name].kind
    if kind == "counter":
        return {name, name.removesuffix("_total")}
    if kind == "info":
        return {name, name.removesuffix("_info")}
    return {name}


async def _all_ready(query: Any, services: list[Proc]) -> bool:
    result = await query("livestudio_service_ready")
    values = {r["metric"]["service"]: r["value"][1] for r in result}
    return all(values.get(p.name) == "1" for p in services)
