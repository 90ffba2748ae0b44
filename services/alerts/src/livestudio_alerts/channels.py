"""Sending one notification through one channel: a signed webhook, Telegram's bot API, or email over SMTP.

A send either returns or raises `DeliveryError` (`retryable` says whether trying again can help: a timeout, a
connection error, 5xx or 429 can; a 4xx or a refused address cannot). Retries, backoff and reporting belong to
the outbox (`outbox.py`); this module makes one attempt.

Webhook requests carry `Idempotency-Key: <notification id>` (the same on every retry, so a receiver drops a
repeat) and `X-LiveStudio-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the channel's
secret>`; `verify_signature` is what a receiver runs.

Webhooks and SMTP go only to public addresses, or to networks the operator allows (`egress.EgressPolicy`): the
URL's name is resolved and checked, and the request goes to the checked address with the name kept for the
`Host` header and TLS (SNI and certificate check).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx

from livestudio_alerts.egress import DestinationRefused, EgressPolicy

SIGNATURE_HEADER = "X-LiveStudio-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TELEGRAM_LIMIT = 4096


class DeliveryError(Exception):
    """One attempt failed; the message never carries a secret."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Notification:
    notification_id: str
    studio_id: str
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    decided_at: str


@dataclass(frozen=True)
class Channel:
    channel_id: str
    kind: str
    config: dict[str, Any]
    secret: str | None
    """Decrypted for this attempt only."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance_s: int = 300
) -> bool:
    """A receiver's check: the signature matches the body and is at most `tolerance_s` old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def webhook_body(n: Notification) -> bytes:
    return json.dumps(
        {
            "id": n.notification_id,
            "studio_id": n.studio_id,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "data": n.data,
            "decided_at": n.decided_at,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def _raise_for_status(response: httpx.Response, what: str) -> None:
    if response.status_code < 300:
        return
    retryable = response.status_code >= 500 or response.status_code in (408, 425, 429)
    raise DeliveryError(f"{what} answered HTTP {response.status_code}", retryable=retryable)


class Sender:
    """One HTTP client for webhooks and Telegram; SMTP connections are opened per message."""

    def __init__(self, *, telegram_api_url: str, timeout_s: float, egress: EgressPolicy) -> None:
        self.telegram_api_url = telegram_api_url.rstrip("/")
        self.timeout_s = timeout_s
        self.egress = egress
        self.http = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, channel: Channel, n: Notification) -> None:
        try:
            if channel.kind == "webhook":
                await self._webhook(channel, n)
            elif channel.kind == "telegram":
                await self._telegram(channel, n)
            elif channel.kind == "email":
                await self._email(channel, n)
            else:
                raise DeliveryError(f"unknown channel kind {channel.kind!r}", retryable=False)
        except DestinationRefused as exc:
            raise DeliveryError(f"{channel.kind}: {exc}", retryable=exc.retryable) from None
        except httpx.HTTPError as exc:
            # the exception text may hold the URL (a Telegram URL holds the token): name the type only
            raise DeliveryError(f"{channel.kind}: {type(exc).__name__}", retryable=True) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"email: SMTP {exc.code} {exc.message}", retryable=400 <= exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email: {type(exc).__name__}", retryable=True) from None

    async def _webhook(self, channel: Channel, n: Notification) -> None:
        url = channel.config.get("url")
        if not url or not channel.secret:
            raise DeliveryError("webhook channel without url or secret", retryable=False)
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL:
            raise DeliveryError("webhook url is not a valid URL", retryable=False) from None
        if target.scheme not in ("http", "https") or not target.host:
            raise DeliveryError("webhook url is not an http(s) URL", retryable=False)
        port = target.port or (443 if target.scheme == "https" else 80)
        address = await self.egress.resolve(target.host, port)
        body = webhook_body(n)
        headers = {
            "Host": target.netloc.decode("ascii"),
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: n.notification_id,
            SIGNATURE_HEADER: sign(channel.secret, int(time.time()), body),
            "User-Agent": "livestudio-alerts/0.1",
        }
        response = await self.http.post(
            target.copy_with(host=address),
            content=body,
            headers=headers,
            extensions={"sni_hostname": target.raw_host.decode("ascii")},
        )
        _raise_for_status(response, "webhook")

    async def _telegram(self, channel: Channel, n: Notification) -> None:
        chat_id = channel.config.get("chat_id")
        if not chat_id or not channel.secret:
            raise DeliveryError("telegram channel without chat_id or bot token", retryable=False)
        text = f"{n.title}\n\n{n.body}"[:TELEGRAM_LIMIT]
        response = await self.http.post(
            f"{self.telegram_api_url}/bot{channel.secret}/sendMessage",
            json={"chat_id": chat_id, "text": text, "disable_web_page_preview": True},
        )
        _raise_for_status(response, "telegram")

    async def _email(self, channel: Channel, n: Notification) -> None:
        c = channel.config
        if not c.get("smtp_host") or not c.get("email_from") or not c.get("email_to"):
            raise DeliveryError("email channel without smtp_host, email_from or email_to", retryable=False)
        message = EmailMessage()
        message["From"] = c["email_from"]
        message["To"] = ", ".join(c["email_to"])
        message["Subject"] = f"[Live Studio] {n.title}"
        message["Message-ID"] = f"<{n.notification_id}@livestudio.alerts>"
        message["X-LiveStudio-Notification"] = n.notification_id
        message.set_content(n.body)
        host, port = str(c["smtp_host"]), int(c.get("smtp_port") or 25)
        sock = await self.egress.connect(host, port, timeout_s=self.timeout_s)
        try:
            await self._smtp_send(message, host, sock, channel)
        finally:
            sock.close()  # the connection's transport closed it already unless the client never took it

    async def _smtp_send(self, message: EmailMessage, host: str, sock: socket.socket, channel: Channel) -> None:
        c = channel.config
        await aiosmtplib.send(
            message,
            hostname=host,  # STARTTLS checks the certificate against the name
            sock=sock,
            username=c.get("smtp_username") or None,
            password=channel.secret if c.get("smtp_username") else None,
            start_tls=bool(c.get("smtp_starttls")),
            timeout=self.timeout_s,
        )
