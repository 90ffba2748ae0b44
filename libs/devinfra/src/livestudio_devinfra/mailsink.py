"""A local SMTP sink (aiosmtpd) for `make up` and the tests: it accepts every mail, keeps it in memory and, when
given a directory, writes it there as `<n>-<recipient>.eml` (plain text, readable with `cat`)."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    body: str


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.sink.add([str(r) for r in envelope.rcpt_tos], message_from_bytes(raw), raw)
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class MailSink:
    """`with MailSink(port=0) as sink: … sink.port … sink.mails` (port 0 = a free port)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8025, directory: Path | None = None) -> None:
        self.directory = directory
        self.mails: list[Mail] = []
        self._lock = threading.Lock()
        self.port = port or _free_port(host)
        self._controller = Controller(_Handler(self), hostname=host, port=self.port)

    def add(self, to: list[str], message: Message, raw: bytes) -> None:
        payload = message.get_payload(decode=True) if not message.is_multipart() else b""
        body = payload.decode(errors="replace") if isinstance(payload, bytes) else str(payload or "")
        mail = Mail(to=to, subject=str(message.get("Subject", "")), body=body)
        with self._lock:
            self.mails.append(mail)
            count = len(self.mails)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9@._-]", "_", to[0] if to else "unknown")
            (self.directory / f"{count:04d}-{safe}.eml").write_bytes(raw)

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.mails if address in m.to]

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
