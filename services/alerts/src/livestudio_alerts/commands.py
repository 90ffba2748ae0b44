"""Applying the alerts-owned commands of `livestudio.commands.v1`, each recorded in `command_results`.

Every command is applied at most once (its id is recorded in the same transaction as its effect) inside a
savepoint: a rejected command leaves no effect and a `rejected` result with the reason. Every rule or channel a
command names must belong to the command's studio: an id of another studio is refused with exactly the words used
for a missing one (`livestudio_runtime.ownership`'s wording), so a command cannot probe another studio's ids; the
command's studio must be its caller's (`ownership.acting_studio`), and hosts and services send none
(`ownership.check_role`). The database refuses to move a channel or rule to another studio. Channel secrets
arrive as Fernet tokens made with the shared credentials key; they must decrypt here and are stored re-encrypted
under our primary key.

`studio.upsert` and `studio.remove` (owner: commission) are read too, for the studio's timezone; they are not
recorded here. A removed studio's timezone and summary setting are dropped unless a channel or rule of it is kept
here (the gateway refuses to remove such a studio). Should the commission reject the removal (something appeared in
between), the timezone still comes from the commission's studios and the next `studio.upsert` stores it again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from livestudio_alerts import metrics
from livestudio_alerts import repository as repo
from livestudio_alerts.egress import DestinationRefused, EgressPolicy
from livestudio_alerts.rules import Rule
from livestudio_runtime import ownership
from livestudio_runtime.db import DbConnection
from livestudio_runtime.secrets import CookieCipher, SecretDecryptionError
from livestudio_schemas.commands import (
    AlertChannelRemove,
    AlertChannelUpsert,
    AlertRuleRemove,
    AlertRuleUpsert,
    AlertSummarySet,
    Command,
    StudioRemove,
    StudioUpsert,
    owner_of,
)

OWNER = "alerts"
log = structlog.get_logger(__name__)
NEEDS_MINUTES = frozenset({"shift_not_live", "host_not_checked_in", "data_stale"})
STUDIO_KINDS = frozenset({"studio.upsert", "studio.remove"})
"""Commission-owned commands read here for the studio's timezone (never recorded here)."""


class CommandRejected(Exception):
    """The command cannot be applied; the message is shown to the caller (never holds a secret)."""


def owned(kind: str) -> bool:
    try:
        return owner_of(kind) == OWNER
    except ValueError:
        return False


async def apply_command(
    conn: DbConnection, command: Command, cipher: CookieCipher | None, egress: EgressPolicy
) -> str | None:
    """Apply one command once; its recorded status, or None when ignored (not ours, or already applied)."""
    c = command.command
    if isinstance(c, StudioUpsert):
        await _studio_timezone(conn, c)
        return None
    if isinstance(c, StudioRemove):
        if not await repo.drop_studio(conn, c.studio_id):
            log.info("studio_kept", studio_id=c.studio_id, reason="alert channels or rules remain")
        return None
    if not owned(c.kind) or await repo.command_seen(conn, command.command_id):
        return None
    error: str | None = None
    try:
        async with conn.transaction():  # a savepoint: a rejection undoes the partial effect
            await _apply(conn, command, cipher, egress)
    except CommandRejected as exc:
        error = str(exc)
    status = "applied" if error is None else "rejected"
    await repo.record_result(conn, command.command_id, c.kind, status, error)
    metrics.COMMANDS.labels(c.kind, status).inc()
    if error is not None:
        log.info("command_rejected", command_id=command.command_id, kind=c.kind, error=error)
    return status


async def record_invalid(conn: DbConnection, command_id: str, kind: str, error: str) -> None:
    """A command of ours whose payload failed validation: rejected, so the caller sees why."""
    if await repo.command_seen(conn, command_id):
        return
    await repo.record_result(conn, command_id, kind, "rejected", error[:2000])
    metrics.COMMANDS.labels(kind, "rejected").inc()


async def _studio_timezone(conn: DbConnection, c: StudioUpsert) -> None:
    try:
        ZoneInfo(c.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return  # the commission rejects it; we keep what we had
    await repo.upsert_studio(conn, c.studio_id, c.timezone)


async def _apply(conn: DbConnection, command: Command, cipher: CookieCipher | None, egress: EgressPolicy) -> None:
    c = command.command
    try:  # the one ownership rule's caller checks: role, and the command's studio is the caller's
        ownership.check_role(c, command.scope)
        ownership.acting_studio(c, command.scope)
    except (ownership.NotFound, ownership.NotAllowed) as exc:
        raise CommandRejected(str(exc)) from None
    if isinstance(c, AlertChannelUpsert):
        await _channel_upsert(conn, c, cipher, egress)
    elif isinstance(c, AlertChannelRemove):
        await _owned_channel(conn, c.channel_id, c.studio_id, missing_ok=False)
        await repo.delete_channel(conn, c.channel_id)
    elif isinstance(c, AlertRuleUpsert):
        await _rule_upsert(conn, c)
    elif isinstance(c, AlertRuleRemove):
        if await repo.rule_studio(conn, c.rule_id) != c.studio_id:
            raise CommandRejected(f"rule {c.rule_id!r} not found in studio {c.studio_id!r}")
        await repo.delete_rule(conn, c.rule_id)
    elif isinstance(c, AlertSummarySet):
        await _check_channels(conn, c.studio_id, c.channel_ids)
        await repo.set_summary(conn, c.studio_id, enabled=c.enabled, local_time=c.local_time, channel_ids=c.channel_ids)
    else:  # pragma: no cover - owned() admits only the kinds above
        raise CommandRejected(f"unsupported command {c.kind}")


async def _owned_channel(conn: DbConnection, channel_id: str, studio_id: str, *, missing_ok: bool) -> Any:
    row = await repo.channel_row(conn, channel_id)
    if (row is None and not missing_ok) or (row is not None and row["studio_id"] != studio_id):
        raise CommandRejected(f"channel {channel_id!r} not found in studio {studio_id!r}")
    return row


async def _check_channels(conn: DbConnection, studio_id: str, channel_ids: list[str]) -> None:
    found = await repo.channels_in_studio(conn, studio_id, channel_ids)
    for channel_id in channel_ids:
        if channel_id not in found:
            raise CommandRejected(f"channel {channel_id!r} not found in studio {studio_id!r}")


def _config(c: AlertChannelUpsert, egress: EgressPolicy) -> dict[str, Any]:
    if c.channel_kind == "webhook":
        parts = urlsplit(c.url or "")
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise CommandRejected("a webhook channel needs an http(s) url")
        _public(egress, parts.hostname)
        return {"url": c.url}
    if c.channel_kind == "telegram":
        if not c.chat_id:
            raise CommandRejected("a telegram channel needs chat_id")
        return {"chat_id": c.chat_id}
    if not c.smtp_host or not c.email_from or not c.email_to:
        raise CommandRejected("an email channel needs smtp_host, email_from and email_to")
    _public(egress, c.smtp_host)
    return {
        "smtp_host": c.smtp_host,
        "smtp_port": c.smtp_port or 25,
        "smtp_username": c.smtp_username,
        "smtp_starttls": c.smtp_starttls,
        "email_from": c.email_from,
        "email_to": list(c.email_to),
    }


def _public(egress: EgressPolicy, host: str) -> None:
    """What can be refused without DNS (an IP address or `localhost` that is not public); names are checked again,
    resolved, at every delivery."""
    try:
        egress.check_literal(host)
    except DestinationRefused as exc:
        raise CommandRejected(f"notifications go only to public addresses: {exc}") from None


async def _channel_upsert(
    conn: DbConnection, c: AlertChannelUpsert, cipher: CookieCipher | None, egress: EgressPolicy
) -> None:
    existing = await _owned_channel(conn, c.channel_id, c.studio_id, missing_ok=True)
    config = _config(c, egress)
    secret: str | None = existing["secret_ciphertext"] if existing is not None else None
    if c.encrypted_secret is not None:
        if cipher is None:
            raise CommandRejected("channel secrets cannot be stored: ALERTS_CREDENTIALS_KEYS is not set")
        try:
            secret = cipher.rotate(c.encrypted_secret)
        except SecretDecryptionError:
            raise CommandRejected("the channel secret does not decrypt with the credentials key") from None
    if secret is None and (c.channel_kind in ("webhook", "telegram") or c.smtp_username):
        what = {"webhook": "a signing secret", "telegram": "the bot token", "email": "the SMTP password"}
        raise CommandRejected(f"a {c.channel_kind} channel needs {what[c.channel_kind]}")
    await repo.upsert_channel(
        conn,
        channel_id=c.channel_id,
        studio_id=c.studio_id,
        name=c.name,
        kind=c.channel_kind,
        enabled=c.enabled,
        config=config,
        secret_ciphertext=secret,
    )


async def _rule_upsert(conn: DbConnection, c: AlertRuleUpsert) -> None:
    existing = await repo.rule_studio(conn, c.rule_id)
    if existing is not None and existing != c.studio_id:
        raise CommandRejected(f"rule {c.rule_id!r} not found in studio {c.studio_id!r}")
    await _check_channels(conn, c.studio_id, c.channel_ids)
    if c.rule_kind in NEEDS_MINUTES and c.minutes is None:
        raise CommandRejected(f"a {c.rule_kind} rule needs minutes")
    if c.rule_kind in ("roas_below", "gmv_pace") and c.threshold is None:
        raise CommandRejected(f"a {c.rule_kind} rule needs threshold")
    if (c.quiet_start is None) != (c.quiet_end is None):
        raise CommandRejected("quiet hours need both quiet_start and quiet_end")
    await repo.upsert_rule(
        conn,
        Rule(
            rule_id=c.rule_id,
            studio_id=c.studio_id,
            kind=c.rule_kind,
            channel_ids=tuple(c.channel_ids),
            enabled=c.enabled,
            account_id=c.account_id,
            minutes=c.minutes,
            threshold=c.threshold,
            dedup_minutes=c.dedup_minutes,
            quiet_start=c.quiet_start,
            quiet_end=c.quiet_end,
            elapsed_percent=c.elapsed_percent,
        ),
    )
