"""The simulator's admin API (`/__sim/*`) as a small synchronous client: clock, faults, ground truth, request log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from shopee_client.simulator.ground_truth import GroundTruth


@dataclass(frozen=True)
class ClockReading:
    sim_now: datetime
    real_now: datetime
    speed: float

    def real_time_of(self, sim_time: datetime) -> float:
        """Epoch seconds (real) at which the simulator's clock reads `sim_time` (constant speed assumed)."""
        if self.speed <= 0:
            raise ValueError("the clock is frozen")
        return self.real_now.timestamp() + (sim_time - self.sim_now).total_seconds() / self.speed


class SimAdmin:
    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    # --- clock ---------------------------------------------------------------------------------------------
    def clock(self) -> ClockReading:
        body = self._call("GET", "/__sim/clock")
        return ClockReading(
            datetime.fromisoformat(body["sim_now"]), datetime.fromisoformat(body["real_now"]), float(body["speed"])
        )

    def set_clock(self, *, speed: float | None = None, sim_now: datetime | None = None) -> ClockReading:
        payload: dict[str, Any] = {}
        if speed is not None:
            payload["speed"] = speed
        if sim_now is not None:
            payload["sim_now"] = sim_now.isoformat()
        self._call("POST", "/__sim/clock", json=payload)
        return self.clock()

    def freeze(self) -> ClockReading:
        return self.set_clock(speed=0)

    # --- world ---------------------------------------------------------------------------------------------
    def accounts(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", "/__sim/accounts")
        return rows

    def ground_truth(
        self,
        at: datetime | None = None,
        *,
        first: date | None = None,
        last: date | None = None,
        accounts: list[int] | None = None,
        items: bool = True,
    ) -> GroundTruth:
        params: dict[str, str] = {"items": "1" if items else "0"}
        if at is not None:
            params["at"] = at.isoformat()
        if first is not None:
            params["from"] = first.isoformat()
        if last is not None:
            params["to"] = last.isoformat()
        if accounts is not None:
            params["account"] = ",".join(str(a) for a in accounts)
        return GroundTruth.model_validate(self._call("GET", "/__sim/ground-truth", params=params))

    # --- faults --------------------------------------------------------------------------------------------
    def faults(self, **changes: Any) -> dict[str, Any]:
        if changes:
            body: dict[str, Any] = self._call("POST", "/__sim/faults", json=changes)
        else:
            body = self._call("GET", "/__sim/faults")
        return body

    # --- request log ---------------------------------------------------------------------------------------
    def last_request_seq(self) -> int:
        rows = self._call("GET", "/__sim/requests", params={"limit": "1"})
        return int(rows[-1]["seq"]) if rows else 0

    def requests(self, since: int = 0, *, endpoint: str | None = None, account: int | None = None) -> list[Any]:
        params: dict[str, str] = {"since": str(since)}
        if endpoint:
            params["endpoint"] = endpoint
        if account is not None:
            params["account"] = str(account)
        rows: list[Any] = self._call("GET", "/__sim/requests", params=params)
        return rows
