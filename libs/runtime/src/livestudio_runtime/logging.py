"""structlog JSON logging for every service, with secrets redacted before anything is written; the same redaction for
the output of every command-line tool (`redacted_output()`)."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any, TextIO

import structlog

SECRET_KEY_PATTERN = re.compile(r"(cookie|secret|token|password|passwd|authorization|api[_-]?key|credential)", re.I)
# Shopee session cookies (SPC_EC=…; SPC_ST=…, in any letter case) and bearer tokens inside free text.
SECRET_VALUE_PATTERNS = (
    re.compile(r"(SPC_[A-Z0-9_]+=)[^;\s\"']+", re.I),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I),
)
REDACTED = "[REDACTED]"


def redact_text(text: str) -> str:
    for pattern in SECRET_VALUE_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingWriter(io.TextIOBase):
    """A text stream that masks cookie values and bearer tokens before passing text on."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self._inner = inner

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._inner.write(redact_text(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()


@contextlib.contextmanager
def redacted_output() -> Iterator[None]:
    """Within the block, stdout and stderr are redacted like the logs (a CLI's `main` wraps its work in it)."""
    with (
        contextlib.redirect_stdout(RedactingWriter(sys.stdout)),
        contextlib.redirect_stderr(RedactingWriter(sys.stderr)),
    ):
        yield


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if SECRET_KEY_PATTERN.search(str(k)) else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask secret-looking keys and cookie/bearer values anywhere in the event."""
    for key in list(event_dict):
        if SECRET_KEY_PATTERN.search(key) and not key.endswith("_id"):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key])
    return event_dict


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Route structlog and stdlib logging (aiokafka, uvicorn, asyncpg) through one redacting JSON renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka", "faststream", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.contextvars.bind_contextvars(service=service)
