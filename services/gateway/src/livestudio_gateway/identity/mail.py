"""Mails to people (invitations, password resets), sent through SMTP (settings `GATEWAY_SMTP_*`).

smtplib runs in a worker thread; a mail that cannot be sent is logged (without its link) and never fails the
request that caused it, so that the answer does not depend on whether a mail went out.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Coroutine
from email.message import EmailMessage
from typing import Any

import structlog

from livestudio_gateway.settings import GatewaySettings

log = structlog.get_logger(__name__)


class Mailer:
    def __init__(self, settings: GatewaySettings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.starttls = settings.smtp_starttls
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.sender = settings.mail_from
        self._tasks: set[asyncio.Task[None]] = set()

    def _send_sync(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username and self.password is not None:
                smtp.login(self.username, self.password.get_secret_value())
            smtp.send_message(message)

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await asyncio.to_thread(self._send_sync, message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail_not_sent", subject=subject, error=type(exc).__name__)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run mail work in the background (the request's answer and timing do not wait for it)."""
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception as exc:
            log.warning("mail_work_failed", error=type(exc).__name__)

    async def drain(self) -> None:
        """Wait for mails still being sent (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
