"""Fault injection: decides, per API request, whether and how to misbehave, and how to corrupt a payload.

A decision is a pure function of (seed, account, endpoint, that pair's request counter), so a run with the same
seed and the same request order sees the same faults. The config can be swapped at run time
(`POST /__sim/faults`).
"""

from __future__ import annotations

import enum
import hashlib
import threading
from typing import Any

from shopee_client.simulator.config import FaultConfig

__all__ = ["FaultInjector", "FaultKind", "corrupt_payload"]


class FaultKind(enum.StrEnum):
    TIMEOUT = "timeout"
    HTTP_5XX = "http_5xx"
    HTTP_429 = "http_429"
    TRUNCATED = "truncated"
    INVALID_JSON = "invalid_json"
    WRONG_TYPE = "wrong_type"
    NOT_OWNED = "not_owned"


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class FaultInjector:
    def __init__(self, seed: int, config: FaultConfig) -> None:
        self.seed = seed
        self._config = config
        self._counters: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()

    @property
    def config(self) -> FaultConfig:
        return self._config

    def set_config(self, config: FaultConfig) -> None:
        self._config = config

    def update(self, changes: dict[str, Any]) -> FaultConfig:
        """Apply a partial update (validated) and return the new config."""
        merged = {**self._config.model_dump(), **changes}
        self._config = FaultConfig.model_validate(merged)
        return self._config

    def is_expired(self, account: int) -> bool:
        return account in self._config.expired_accounts

    def latency_s(self, account: int, endpoint: str, n: int) -> float:
        c = self._config
        if c.latency_ms <= 0 and c.latency_jitter_ms <= 0:
            return 0.0
        return (c.latency_ms + c.latency_jitter_ms * _unit(self.seed, "lat", account, endpoint, n)) / 1000

    def next_index(self, account: int, endpoint: str) -> int:
        with self._lock:
            n = self._counters.get((account, endpoint), 0)
            self._counters[(account, endpoint)] = n + 1
        return n

    def decide(self, account: int, endpoint: str, n: int, *, session_scoped: bool) -> FaultKind | None:
        c = self._config
        if c.total_rate <= 0 or (c.endpoints is not None and endpoint not in c.endpoints):
            return None
        u = _unit(self.seed, "fault", account, endpoint, n)
        edge = 0.0
        for kind, rate in (
            (FaultKind.TIMEOUT, c.rate_timeout),
            (FaultKind.HTTP_5XX, c.rate_5xx),
            (FaultKind.HTTP_429, c.rate_429),
            (FaultKind.TRUNCATED, c.rate_truncated),
            (FaultKind.INVALID_JSON, c.rate_invalid_json),
            (FaultKind.WRONG_TYPE, c.rate_wrong_type),
            (FaultKind.NOT_OWNED, c.rate_not_owned),
        ):
            edge += rate
            if u < edge:
                if kind is FaultKind.NOT_OWNED and not session_scoped:
                    return None
                return kind
        return None


def corrupt_payload(data: Any) -> tuple[Any, bool]:
    """Replace one typed field of `data` (the first int/list field, descending into `list[0]`) with a string.
    Returns (new data, whether anything changed)."""
    if isinstance(data, list):
        if not data:
            return data, False
        first, changed = corrupt_payload(data[0])
        return [first, *data[1:]], changed
    if isinstance(data, dict):
        rows = data.get("list")
        if isinstance(rows, list) and rows:
            inner, changed = corrupt_payload(rows)
            if changed:
                return {**data, "list": inner}, True
        for key, value in data.items():
            if (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, list | dict):
                return {**data, key: "N/A"}, True
    return data, False
