"""The demo studio `make up` seeds: a studio, six hosts, four shifts, a roster, pay rules and the simulator's
accounts, all sent as ordinary commands on `livestudio.commands.v1` (the same path the gateway uses).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from livestudio_runtime.secrets import CookieCipher
from livestudio_schemas.commands import (
    COMMAND,
    AccountConnect,
    AlertChannelUpsert,
    AlertRuleUpsert,
    AlertSummarySet,
    AnyCommand,
    Command,
    HostUpsert,
    PayRuleUpsert,
    ScheduleEntryUpsert,
    ShiftTemplateUpsert,
    StudioUpsert,
    TargetSet,
)
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id
from livestudio_schemas.topics import Topic

STUDIO_ID = "demo-studio"
TIMEZONE = "Asia/Jakarta"
SHIFTS = (
    ("pagi", time(5), time(10)),
    ("siang", time(10), time(15)),
    ("sore", time(15), time(20)),
    ("malam", time(20), time(0)),
)
HOSTS = (
    ("host-ayu", "Ayu", "host"),
    ("host-budi", "Budi", "host"),
    ("host-citra", "Citra", "host"),
    ("host-dewi", "Dewi", "host"),
    ("host-eka", "Eka", "host"),
    ("lead-fajar", "Fajar", "leader"),
)


@dataclass(frozen=True)
class SimAccount:
    index: int
    user_id: int
    user_name: str
    cookie: str

    @property
    def account_id(self) -> str:
        return f"sim-{self.index:04d}"


def simulator_accounts(sim_url: str) -> list[SimAccount]:
    rows: list[dict[str, Any]] = httpx.get(f"{sim_url}/__sim/accounts", timeout=10).json()
    return [SimAccount(r["index"], r["user_id"], r["user_name"], r["cookie"]) for r in rows]


def simulator_today(sim_url: str) -> date:
    now = datetime.fromisoformat(httpx.get(f"{sim_url}/__sim/clock", timeout=10).json()["sim_now"])
    return now.astimezone(ZoneInfo(TIMEZONE)).date()


def demo_commands(accounts: list[SimAccount], cipher: CookieCipher, first_day: date, days: int) -> list[AnyCommand]:
    """Everything the demo needs, in an order the owners can apply one by one."""
    return [cmd for phase in demo_phases(accounts, cipher, first_day, days) for cmd in phase]


def demo_phases(accounts: list[SimAccount], cipher: CookieCipher, first_day: date, days: int) -> list[list[AnyCommand]]:
    """The demo in phases: the studio; hosts, shifts, rules and accounts; the roster. Commands are keyed by their
    target entity and so spread over partitions: a phase should be applied before the next one is sent."""
    studio: list[AnyCommand] = [StudioUpsert(studio_id=STUDIO_ID, name="Demo Studio Jakarta", timezone=TIMEZONE)]
    cmds: list[AnyCommand] = [HostUpsert(host_id=h, studio_id=STUDIO_ID, name=n, role=r) for h, n, r in HOSTS]
    cmds += [ShiftTemplateUpsert(shift_id=s, studio_id=STUDIO_ID, name=s, start=a, end=b) for s, a, b in SHIFTS]
    cmds += [
        PayRuleUpsert(
            rule_id="studio-gmv-2pct",
            studio_id=STUDIO_ID,
            rule_kind="gmv_percent",
            percent=Decimal(2),
            effective_from=first_day - timedelta(days=31),
        ),
        PayRuleUpsert(
            rule_id="studio-per-order-700",
            studio_id=STUDIO_ID,
            rule_kind="per_order",
            amount=Decimal(700),
            effective_from=first_day - timedelta(days=31),
        ),
        PayRuleUpsert(
            rule_id="studio-per-order-weekend-800",
            studio_id=STUDIO_ID,
            rule_kind="per_order",
            amount=Decimal(800),
            day_type="weekend",
            effective_from=first_day - timedelta(days=31),
        ),
    ]
    for acct in accounts:
        cmds.append(
            AccountConnect(
                account_id=acct.account_id,
                studio_id=STUDIO_ID,
                display_name=f"{acct.user_name} (sim #{acct.index})",
                encrypted_cookie=cipher.encrypt(acct.cookie),
            )
        )
    # Roster: the first accounts get hosts in rotation; the rest stay unrostered ("unassigned" in pay).
    roster: list[AnyCommand] = []
    host_ids = [h for h, _, r in HOSTS if r == "host"]
    for day_offset in range(days):
        day = first_day + timedelta(days=day_offset)
        for a_idx, acct in enumerate(accounts[:3]):
            for s_idx, (shift_id, _, _) in enumerate(SHIFTS):
                host = host_ids[(a_idx + s_idx + day_offset) % len(host_ids)]
                roster.append(
                    ScheduleEntryUpsert(
                        entry_id=f"{acct.account_id}-{day.isoformat()}-{shift_id}",
                        studio_id=STUDIO_ID,
                        host_id=host,
                        account_id=acct.account_id,
                        shift_id=shift_id,
                        shift_date=day,
                    )
                )
    # Monthly GMV targets (issue #20) of the months the demo spans: the studio's and its first host's.
    months = sorted({(first_day + timedelta(days=d)).strftime("%Y-%m") for d in range(max(days, 1))})
    for month in months:
        roster.append(
            TargetSet(
                studio_id=STUDIO_ID, month=month, scope="studio", scope_id=STUDIO_ID, amount=Decimal(3_000_000_000)
            )
        )
        roster.append(
            TargetSet(studio_id=STUDIO_ID, month=month, scope="host", scope_id=host_ids[0], amount=Decimal(250_000_000))
        )
    return [studio, cmds, roster]


def alert_commands(cipher: CookieCipher, *, webhook_url: str, webhook_secret: str, smtp_port: int) -> list[AnyCommand]:
    """The demo studio's alerting: one channel of each kind pointing at the local fakes (`alert_sinks`), the four
    rules and a daily summary at 07:00 studio time."""
    channels = ["demo-webhook", "demo-telegram", "demo-email"]
    return [
        AlertChannelUpsert(
            channel_id="demo-webhook",
            studio_id=STUDIO_ID,
            name="Local webhook receiver",
            channel_kind="webhook",
            url=webhook_url,
            encrypted_secret=cipher.encrypt(webhook_secret),
        ),
        AlertChannelUpsert(
            channel_id="demo-telegram",
            studio_id=STUDIO_ID,
            name="Owner's Telegram (fake API)",
            channel_kind="telegram",
            chat_id="424242",
            encrypted_secret=cipher.encrypt("123456:demo-bot-token"),
        ),
        AlertChannelUpsert(
            channel_id="demo-email",
            studio_id=STUDIO_ID,
            name="Owner's email (local SMTP sink)",
            channel_kind="email",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            email_from="alerts@livestudio.local",
            email_to=["owner@demo-studio.local"],
        ),
        AlertRuleUpsert(
            rule_id="demo-account-unhealthy", studio_id=STUDIO_ID, rule_kind="account_unhealthy", channel_ids=channels
        ),
        AlertRuleUpsert(
            rule_id="demo-shift-not-live",
            studio_id=STUDIO_ID,
            rule_kind="shift_not_live",
            minutes=10,
            channel_ids=channels,
            quiet_start=time(23),
            quiet_end=time(6),
        ),
        AlertRuleUpsert(
            rule_id="demo-data-stale", studio_id=STUDIO_ID, rule_kind="data_stale", minutes=15, channel_ids=channels
        ),
        AlertRuleUpsert(
            rule_id="demo-roas", studio_id=STUDIO_ID, rule_kind="roas_below", threshold=Decimal(3), channel_ids=channels
        ),
        AlertRuleUpsert(
            rule_id="demo-gmv-pace",
            studio_id=STUDIO_ID,
            rule_kind="gmv_pace",
            threshold=Decimal("0.8"),
            elapsed_percent=25,
            channel_ids=channels,
        ),
        AlertSummarySet(studio_id=STUDIO_ID, local_time=time(7), channel_ids=channels),
    ]


def command_event(cmd: AnyCommand, actor: str = "demo-seed") -> CloudEvent[Command]:
    now = datetime.now(UTC)
    command_id = deterministic_event_id("demo", cmd.model_dump_json())
    body = Command(command_id=command_id, actor=actor, issued_at=now, command=cmd)
    subject = next(
        (str(getattr(cmd, f)) for f in ("account_id", "host_id", "statement_id", "studio_id") if getattr(cmd, f, None)),
        None,
    )
    return CloudEvent[Command].wrap(
        body, type_=COMMAND, source="/livestudio/devinfra/demo", time=now, subject=subject, id_=command_id
    )


async def publish_commands(bootstrap: str, cmds: list[AnyCommand], topic: str = Topic.COMMANDS.value) -> list[str]:
    """Publish `cmds` as command events (keyed by their target entity); returns their command ids."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    ids: list[str] = []
    try:
        for cmd in cmds:
            event = command_event(cmd)
            ids.append(event.id)
            await producer.send(
                topic, event.model_dump_json().encode(), key=(event.subject or str(uuid.uuid4())).encode()
            )
        await producer.flush()
    finally:
        await producer.stop()
    return ids


_RESULTS = "SELECT command_id, status FROM {schema}.command_results WHERE command_id = ANY($1::text[])"


async def command_outcomes(dsn: str, command_ids: list[str]) -> dict[str, str]:
    """Outcomes (`applied`/`rejected`) the owners recorded so far for these commands."""
    conn = await asyncpg.connect(dsn)
    try:
        out: dict[str, str] = {}
        for schema in ("ingest", "analytics", "commission", "alerts"):
            exists = await conn.fetchval("SELECT to_regclass($1)", f"{schema}.command_results")
            if exists is None:
                continue
            for row in await conn.fetch(_RESULTS.format(schema=schema), command_ids):
                out[row["command_id"]] = row["status"]
        return out
    finally:
        await conn.close()


async def seed(
    bootstrap: str,
    dsn: str,
    phases: list[list[AnyCommand]],
    *,
    timeout: float = 120.0,
    topic: str = Topic.COMMANDS.value,
) -> dict[str, int]:
    """Publish each phase and wait until its commands are applied (or rejected) before the next one.

    Returns counts of outcomes; raises TimeoutError when a phase is not applied within `timeout` seconds."""
    counts: dict[str, int] = {}
    for phase in phases:
        ids = await publish_commands(bootstrap, phase, topic)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            outcomes = await command_outcomes(dsn, ids)
            if len(outcomes) == len(set(ids)):
                break
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{len(set(ids)) - len(outcomes)} demo commands not applied after {timeout:.0f}s")
            await asyncio.sleep(0.5)
        for status in outcomes.values():
            counts[status] = counts.get(status, 0) + 1
    return counts
