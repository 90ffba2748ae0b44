"""The webhook signature: what the service signs verifies, and nothing else does."""

from __future__ import annotations

import time

from livestudio_alerts.channels import Notification, sign, verify_signature, webhook_body
from livestudio_devinfra.alert_sinks import signature_ok


def test_signature_round_trip_and_tampering() -> None:
    body = webhook_body(Notification("ntf_1", "st1", "account_unhealthy", "t", "b", {"x": "1"}, "2026-03-04"))
    now = int(time.time())
    header = sign("s3cret", now, body)
    assert verify_signature("s3cret", header, body)
    assert signature_ok("s3cret", header, body)  # the local receiver agrees
    assert not verify_signature("other", header, body)
    assert not verify_signature("s3cret", header, body + b" ")
    assert not verify_signature("s3cret", sign("s3cret", now - 3600, body), body)
    assert not verify_signature("s3cret", "garbage", body)
