"""Local fakes for the alerts service's channels: a webhook receiver, a fake Telegram bot API and an SMTP sink.

`AlertSinks` serves, on one HTTP port, `POST /webhook` (checks the `X-LiveStudio-Signature` HMAC when it knows
the secret; answers `webhook_status`) and `POST /bot<token>/sendMessage` (Telegram's shape; answers
`telegram_status`), plus `GET /received` (what arrived, as JSON); and it runs an aiosmtpd SMTP server on another
port. Everything received is appended to `received`, and printed / written as JSON lines when `log_path` is set.
Tests and `make up` use the same fakes: `python -m livestudio_devinfra.alert_sinks --http-port 8905
--smtp-port 8925 --webhook-secret S`. (The signature check is the receiver's side of the documented scheme; a
lib does not import a service.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import signal
import time
from dataclasses import asdict, dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from aiosmtpd.controller import Controller
from litestar import Litestar, Request, Response, get, post
from litestar.params import PathParameter


@dataclass(frozen=True)
class Received:
    channel: str
    """webhook | telegram | email"""
    key: str | None
    """The notification id (Idempotency-Key header, Message-ID, or None for Telegram)."""
    text: str
    verified: bool | None = None
    """webhook: whether the signature checked out (None when the sink has no secret)."""
    detail: dict[str, Any] = field(default_factory=dict)


def signature_ok(secret: str, header: str, body: bytes, *, tolerance_s: int = 300) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class _SmtpHandler:
    def __init__(self, sinks: AlertSinks) -> None:
        self.sinks = sinks

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        body = message.get_payload(decode=True)
        text = body.decode(errors="replace") if isinstance(body, bytes) else str(message.get_payload())
        key = (message.get("Message-ID") or "").strip("<>").split("@")[0] or None
        self.sinks.record(
            Received(
                "email",
                key,
                f"{message.get('Subject', '')}\n{text}",
                detail={"to": list(envelope.rcpt_tos), "from": envelope.mail_from},
            )
        )
        return "250 OK"


class AlertSinks:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        http_port: int,
        smtp_port: int,
        webhook_secret: str | None = None,
        log_path: Path | None = None,
        echo: bool = False,
    ) -> None:
        self.host = host
        self.http_port = http_port
        self.smtp_port = smtp_port
        self.webhook_secret = webhook_secret
        self.log_path = log_path
        self.echo = echo
        self.received: list[Received] = []
        self.webhook_status = 200
        self.webhook_delay_s = 0.0  # answer webhooks this late (after recording them): a slow receiver
        self.telegram_status = 200
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._smtp: Controller | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def of(self, channel: str) -> list[Received]:
        return [r for r in self.received if r.channel == channel]

    def record(self, item: Received) -> None:
        self.received.append(item)
        if self.echo:
            print(f"[alert-sinks] {item.channel}: {item.text.splitlines()[0] if item.text else ''}", flush=True)
        if self.log_path is not None:
            with self.log_path.open("a") as out:
                out.write(json.dumps(asdict(item)) + "\n")

    def app(self) -> Litestar:
        sinks = self

        @post("/webhook", status_code=200)
        async def webhook(request: Request[Any, Any, Any]) -> Response[dict[str, bool]]:
            body = await request.body()
            verified = (
                None
                if sinks.webhook_secret is None
                else signature_ok(sinks.webhook_secret, request.headers.get("x-livestudio-signature", ""), body)
            )
            if sinks.webhook_status < 300:
                payload = json.loads(body)
                sinks.record(
                    Received(
                        "webhook",
                        request.headers.get("idempotency-key"),
                        f"{payload.get('title', '')}\n{payload.get('body', '')}",
                        verified,
                        detail={"kind": payload.get("kind"), "data": payload.get("data")},
                    )
                )
            if sinks.webhook_delay_s:
                await asyncio.sleep(sinks.webhook_delay_s)
            return Response({"ok": sinks.webhook_status < 300}, status_code=sinks.webhook_status)

        @post("/{rest:path}", status_code=200)
        async def telegram(
            rest: Annotated[str, PathParameter()], request: Request[Any, Any, Any]
        ) -> Response[dict[str, Any]]:
            """Telegram's `POST /bot<token>/sendMessage` (a token is not a whole path segment, hence the catch-all)."""
            if not (rest.startswith("/bot") and rest.endswith("/sendMessage")):
                return Response({"ok": False, "description": "Not Found"}, status_code=404)
            data = await request.json()
            if sinks.telegram_status < 300:
                sinks.record(
                    Received("telegram", None, str(data.get("text", "")), detail={"chat_id": data.get("chat_id")})
                )
                return Response({"ok": True, "result": {"message_id": len(sinks.received)}})
            return Response({"ok": False, "description": "fake outage"}, status_code=sinks.telegram_status)

        @get("/received")
        async def received() -> list[dict[str, Any]]:
            return [asdict(r) for r in sinks.received]

        @get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        return Litestar([webhook, telegram, received, health], logging_config=None)

    async def start(self) -> None:
        self._smtp = Controller(_SmtpHandler(self), hostname=self.host, port=self.smtp_port)
        self._smtp.start()
        config = uvicorn.Config(self.app(), host=self.host, port=self.http_port, log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        if self._smtp is not None:
            self._smtp.stop()


async def _serve(args: argparse.Namespace) -> None:
    sinks = AlertSinks(
        http_port=args.http_port,
        smtp_port=args.smtp_port,
        webhook_secret=args.webhook_secret or None,
        log_path=args.log,
        echo=True,
    )
    await sinks.start()
    print(
        f"alert sinks: webhook {sinks.url}/webhook, telegram API {sinks.url}, smtp {sinks.host}:{sinks.smtp_port},"
        f" received {sinks.url}/received",
        flush=True,
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await sinks.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="alert-sinks", description=__doc__)
    p.add_argument("--http-port", type=int, default=8905)
    p.add_argument("--smtp-port", type=int, default=8925)
    p.add_argument("--webhook-secret", default="")
    p.add_argument("--log", type=Path, default=None, help="append what arrives here as JSON lines")
    asyncio.run(_serve(p.parse_args(argv)))


if __name__ == "__main__":
    main()
