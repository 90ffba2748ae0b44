"""`make up`: run the whole system on this machine and show a live status line until Ctrl-C.

Starts embedded PostgreSQL (data kept in `.livestudio/pg` between runs), the embedded Kafka-protocol broker,
the Shopee simulator (seeded, accelerated clock), the five services and the local fakes the alerts go to
(webhook receiver, fake Telegram API, SMTP sink) as separate processes; seeds the demo studio (with alert
channels pointing at the fakes, rules and a daily summary) on first run, and its organisation's people (an owner,
a manager and a host, all with the password kept in `.livestudio/secrets.json`); runs a local SMTP sink whose
mails (invitations, password resets) land in `.livestudio/mail/*.eml`; builds the dashboard first when its
sources changed (`frontend.build()`, Node from the uv environment); prints the dashboard URL and how to sign in
first, then the API, docs and metrics URLs, and where the notifications arrive.
Options point it at an external Kafka/PostgreSQL or at the real Shopee hosts instead of the simulator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx
from prometheus_client.parser import text_string_to_metric_families

from livestudio_devinfra import demo, frontend
from livestudio_devinfra.mailsink import MailSink
from livestudio_devinfra.stack import SERVICES, Stack, StackConfig
from livestudio_runtime.secrets import CookieCipher

PROJECT_HOME = Path.cwd() / ".livestudio"


def _secrets(home: Path) -> dict[str, str]:
    """Keys for this machine's stack, generated once and kept in .livestudio/secrets.json (gitignored)."""
    import secrets

    path = home / "secrets.json"
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if {"credentials_key", "jwt_secret", "webhook_secret", "demo_password"} <= set(data):
        return data
    data.setdefault("credentials_key", CookieCipher.generate_key())  # kept files gain what was added later
    data.setdefault("jwt_secret", secrets.token_urlsafe(32))
    data.setdefault("webhook_secret", secrets.token_urlsafe(24))
    data.setdefault("demo_password", secrets.token_urlsafe(12))
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return data


DEMO_ORG = "default"
"""The demo's people belong to the organisation the gateway's migration creates for existing studios."""
DEMO_PEOPLE = (
    ("owner@demo.livestudio.local", "owner", None),
    ("manager@demo.livestudio.local", "manager", None),
    ("host@demo.livestudio.local", "host", "host-ayu"),
)


def seed_people(database_url: str, password: str) -> None:
    """The demo organisation's owner, manager and host (through the gateway's admin command; idempotent)."""
    for email, role, host_id in DEMO_PEOPLE:
        args = ["add-user", "--org", DEMO_ORG, "--email", email, "--role", role, "--studio", demo.STUDIO_ID]
        if host_id is not None:
            args += ["--host-id", host_id]
        subprocess.run(
            [sys.executable, "-m", "livestudio_gateway.identity.admin", *args],
            env={"GATEWAY_DATABASE_URL": database_url, "LIVESTUDIO_PASSWORD": password, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )


def _scrape(url: str) -> dict[str, float]:
    """Sum every sample of each metric family (good enough for a status line)."""
    totals: dict[str, float] = {}
    try:
        text = httpx.get(f"{url}/metrics", timeout=1.0).text
    except httpx.HTTPError:
        return totals
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def _scrape_labelled(url: str, name: str) -> dict[str, float]:
    """One metric family's samples keyed by their first label value."""
    out: dict[str, float] = {}
    try:
        text = httpx.get(f"{url}/metrics", timeout=1.0).text
    except httpx.HTTPError:
        return out
    for family in text_string_to_metric_families(text):
        if family.name == name:
            for sample in family.samples:
                label = next(iter(sample.labels.values()), "")
                out[label] = out.get(label, 0.0) + sample.value
    return out


def status_line(stack: Stack, previous: dict[str, float], elapsed: float) -> tuple[str, dict[str, float]]:
    ingest = _scrape(stack.url("ingest")) if "ingest" in stack.ports else {}
    states = _scrape_labelled(stack.url("ingest"), "livestudio_ingest_accounts") if "ingest" in stack.ports else {}
    consumers = {name: _scrape(stack.url(name)) for name in ("analytics", "commission") if name in stack.ports}
    alerts = _scrape(stack.url("alerts")) if "alerts" in stack.ports else {}
    applied = sum(m.get("livestudio_consumer_events_applied_total", 0.0) for m in consumers.values())
    lag = sum(m.get("livestudio_consumer_lag", 0.0) for m in consumers.values())
    published = ingest.get("livestudio_ingest_events_published_total", 0.0)
    polls = ingest.get("shopee_client_requests_total", 0.0)

    def rate(value: float, key: str) -> float:
        return (value - previous.get(key, value)) / elapsed if elapsed > 0 else 0.0

    polled = int(ingest.get("livestudio_ingest_accounts_assigned", 0.0))
    trouble = int(sum(v for k, v in states.items() if k not in ("active", "connected", "recovered")))
    alive = " ".join(f"{n}:{'up' if ok else 'DOWN'}" for n, ok in stack.status().items())
    line = (
        f"accounts polled {polled:4d} ({trouble} not ok) | shopee req/s {rate(polls, 'polls'):6.1f} | "
        f"events/s out {rate(published, 'published'):6.1f} in {rate(applied, 'applied'):6.1f} | "
        f"lag {lag:5.0f} | alerts sent {alerts.get('livestudio_alerts_deliveries_total', 0.0):3.0f} | {alive}"
    )
    return line, {"applied": applied, "polls": polls, "published": published}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make up", description=__doc__)
    p.add_argument("--kafka", help="external Kafka bootstrap servers instead of the embedded broker")
    p.add_argument("--database-url", help="external PostgreSQL DSN instead of the embedded server")
    p.add_argument("--real-shopee", action="store_true", help="poll the real Shopee hosts, no simulator")
    p.add_argument("--accounts", type=int, default=24, help="simulated accounts (default 24)")
    p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--home", type=Path, default=PROJECT_HOME, help="where data and logs are kept")
    p.add_argument("--no-demo", action="store_true", help="do not seed the demo studio")
    p.add_argument("--once", action="store_true", help="start, print, stop (a smoke check)")
    p.add_argument("--ephemeral-ports", action="store_true", help="free ports instead of 8000/8101-8104/8900/8905/8925")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keys = _secrets(args.home)
    sink = MailSink(port=0 if args.ephemeral_ports else 8025, directory=args.home / "mail").start()
    config = StackConfig(
        home=args.home,
        kafka_bootstrap=args.kafka,
        database_url=args.database_url,
        real_shopee=args.real_shopee,
        accounts=args.accounts,
        speed=args.speed,
        seed=args.seed,
        credentials_key=keys["credentials_key"],
        jwt_secret=keys["jwt_secret"],
        fixed_ports=not args.ephemeral_ports,
        extra_env={"gateway": {"GATEWAY_SMTP_HOST": "127.0.0.1", "GATEWAY_SMTP_PORT": str(sink.port)}},
        webhook_secret=keys["webhook_secret"],
    )
    stack = Stack(config)
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("building the dashboard (only when its sources changed) …", flush=True)
        try:
            frontend.build()
        except (frontend.FrontendError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"  the dashboard could not be built; the API runs without it:\n{exc}", flush=True)
        print("starting embedded PostgreSQL, broker, simulator and services …", flush=True)
        stack.start(SERVICES)
        if not args.no_demo and not args.real_shopee and not (args.home / "demo-seeded").exists():
            accounts = demo.simulator_accounts(stack.url("simulator"))
            today = demo.simulator_today(stack.url("simulator"))
            phases = demo.demo_phases(accounts, CookieCipher([keys["credentials_key"]]), today, days=7)
            print(f"seeding the demo studio ({sum(len(p) for p in phases)} commands) …", flush=True)
            outcomes = asyncio.run(demo.seed(stack.kafka_bootstrap, stack.database_url, phases))
            if outcomes.get("rejected"):
                print(f"  {outcomes['rejected']} demo commands were rejected (see the service logs)", flush=True)
            (args.home / "demo-seeded").write_text(today.isoformat())
        if not args.no_demo and "sinks" in stack.ports and not (args.home / "alerts-seeded").exists():
            alerts = demo.alert_commands(
                CookieCipher([keys["credentials_key"]]),
                webhook_url=f"{stack.url('sinks')}/webhook",
                webhook_secret=keys["webhook_secret"],
                smtp_port=stack.ports["sinks-smtp"],
            )
            asyncio.run(demo.seed(stack.kafka_bootstrap, stack.database_url, [alerts]))
            (args.home / "alerts-seeded").write_text("1")
        notifications = (
            f"  alerts      notifications of the demo studio arrive at the local fakes: {stack.url('sinks')}/received"
            f" (webhook, Telegram, email), also in {args.home / 'logs' / 'notifications.jsonl'}\n"
            if "sinks" in stack.ports
            else ""
        )
        seed_people(stack.database_url, keys["demo_password"])
        gw = stack.url("gateway")
        people = "\n".join(f"  {role:<11} {email}" for email, role, _ in DEMO_PEOPLE)
        print(
            f"""
Live Studio is running.
  dashboard   {gw}/      <- open this in a browser and sign in as owner@demo.livestudio.local
  sign in as one of these, password {keys["demo_password"]}
{people}
  gateway     {gw}/api/v1
  API docs    {gw}/schema/swagger   (OpenAPI: {gw}/schema/openapi.json)
  try         curl -c jar -H 'Content-Type: application/json' \\
                -d '{{"email": "owner@demo.livestudio.local", "password": "{keys["demo_password"]}"}}' \\
                {gw}/api/v1/auth/signin      (answers access_token; then:)
              curl -H 'Authorization: Bearer <access_token>' {gw}/api/v1/sessions
  mail        {args.home / "mail"}   (invitations and password resets, one .eml per mail; SMTP sink on port {sink.port})
  metrics     {"  ".join(f"{n}={stack.url(n)}/metrics" for n in SERVICES)}
  simulator   {stack.url("simulator") if "simulator" in stack.ports else "(real Shopee)"}
  database    {stack.database_url}
  kafka       {stack.kafka_bootstrap}
  logs        {args.home / "logs"}
{notifications}Ctrl-C stops everything.
""",
            flush=True,
        )
        previous: dict[str, float] = {}
        last = time.monotonic()
        while not stopping and not args.once:
            time.sleep(2.0)
            now = time.monotonic()
            line, previous = status_line(stack, previous, now - last)
            last = now
            print(f"\r{line}", end="", flush=True)
    except Exception as exc:
        print(f"\nstart-up failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("\nstopping …", flush=True)
        stack.stop()
        sink.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
