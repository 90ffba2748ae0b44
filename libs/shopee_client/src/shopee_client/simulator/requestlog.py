"""The simulator's request log: one record per API request (account, endpoint, timing, status, fault).

Tests use it to assert rate limits, concurrency caps and retries (`GET /__sim/requests`, `Simulator.requests()`).
Bounded (oldest records dropped); thread-safe so a test thread can read while the server thread writes.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["RequestLog", "RequestRecord"]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    seq: int
    account: int | None  # account index (None: cookie-less or unknown cookie)
    endpoint: str  # endpoint name (see shopee_client.client.endpoints), or "unknown"
    method: str
    path: str
    query: str  # raw query string
    status: int  # HTTP status sent (0 if the client went away first)
    code: int | None  # envelope code, when one was sent
    fault: str | None  # injected fault kind
    started: float  # real time (epoch seconds) the request arrived
    finished: float  # real time the response was sent
    sim_time: str  # simulated time (ISO) the request was served at

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self, maxlen: int) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=maxlen or None)
        self._lock = threading.Lock()
        self._seq = 0
        self._in_flight = 0
        self.max_in_flight = 0

    def begin(self) -> int:
        with self._lock:
            self._seq += 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._seq

    def end(self, record: RequestRecord) -> None:
        with self._lock:
            self._in_flight -= 1
            self._records.append(record)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def records(self, since: int = 0, account: int | None = None, endpoint: str | None = None) -> list[RequestRecord]:
        with self._lock:
            items = list(self._records)
        return [
            r
            for r in items
            if r.seq > since
            and (account is None or r.account == account)
            and (endpoint is None or r.endpoint == endpoint)
        ]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.max_in_flight = self._in_flight

    def __len__(self) -> int:
        return len(self._records)
