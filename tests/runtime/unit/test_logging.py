"""Secrets never reach log output."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from livestudio_runtime.logging import configure_logging, redact_text

COOKIE = "SPC_EC=abc123secret; SPC_ST=.very-secret-token; SPC_U=42"


def test_redact_text_masks_shopee_cookies_and_bearer_tokens() -> None:
    text = redact_text(f"cookie was {COOKIE} and Authorization: Bearer eyJhbGciOi.x.y")
    assert "abc123secret" not in text
    assert "very-secret-token" not in text
    assert "eyJhbGciOi" not in text


def test_structlog_output_is_json_and_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test-service", "INFO", "json")
    structlog.get_logger("t").info("login", cookie=COOKIE, detail={"password": "hunter2"}, note=f"raw {COOKIE}")
    logging.getLogger("aiokafka").warning("stdlib says %s", COOKIE)
    out = capsys.readouterr().out
    assert "abc123secret" not in out and "hunter2" not in out and "very-secret-token" not in out
    first = json.loads(out.splitlines()[0])
    assert first["event"] == "login" and first["service"] == "test-service"


@pytest.mark.parametrize("cookie", ["spc_st=lowercase-secret", "Spc_Ec=mixed-secret", "SPC_st=upper-lower-secret"])
def test_redaction_ignores_letter_case(cookie: str) -> None:
    assert "secret" not in redact_text(f"shopee said 401 for {cookie}; path=/")


def test_redacted_output_masks_what_a_cli_prints(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from livestudio_runtime.logging import redacted_output

    with redacted_output():
        print(f"last_error: rejected {COOKIE.lower()}")
        print("Authorization: Bearer eyJabc.def.ghi", file=sys.stderr)
    captured = capsys.readouterr()
    assert "abc123secret" not in captured.out and "[REDACTED]" in captured.out
    assert "eyJabc" not in captured.err
