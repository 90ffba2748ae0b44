"""A small synchronous client of the gateway's `/api/v1` (what the system tests and the freshness bench read).

Reads return the JSON as the gateway sent it (money as decimal strings); list endpoints are walked through
their cursors. `mint_token` makes a token with the gateway's own `auth.mint_token` (the one place tokens are made).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx

from livestudio_gateway import auth
from livestudio_gateway.auth import Role

Json = dict[str, Any]
API = "/api/v1"


def mint_token(secret: str, *, role: Role = "owner", sub: str = "system-test", studios: list[str] | None = None) -> str:
    return auth.mint_token(secret, sub=sub, role=role, studios=studios, ttl_s=86_400)


class GatewayError(RuntimeError):
    """The gateway answered with an unexpected status."""


class GatewayClient:
    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        self.base_url = base_url
        self._http = httpx.Client(
            base_url=f"{base_url}{API}", headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False) -> Any:
        clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in (params or {}).items() if v is not None}
        response = self._http.get(path, params=clean)
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code != 200:
            raise GatewayError(f"GET {path} {clean}: {response.status_code} {response.text[:500]}")
        return response.json()

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[Json]:
        cursor: str | None = None
        while True:
            page = self.get(path, {**params, "cursor": cursor})
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    # --- reads ---------------------------------------------------------------------------------------------
    def accounts(self, studio_id: str | None = None) -> list[Json]:
        return list(self._pages("/accounts", {"studio_id": studio_id, "limit": 500}))

    def account(self, account_id: str) -> Json | None:
        found: Json | None = self.get(f"/accounts/{account_id}", missing_ok=True)
        return found

    def sessions(
        self, studio_id: str | None = None, *, date_from: date | None = None, date_to: date | None = None
    ) -> list[Json]:
        params = {"studio_id": studio_id, "date_from": date_from, "date_to": date_to, "limit": 200}
        return list(self._pages("/sessions", params))

    def session(self, account_id: str, session_id: int) -> Json | None:
        found: Json | None = self.get(f"/sessions/{account_id}/{session_id}", missing_ok=True)
        return found

    def daily(self, account_id: str, date_from: date, date_to: date) -> dict[date, Json]:
        body = self.get("/analytics/daily", {"account_id": account_id, "date_from": date_from, "date_to": date_to})
        return {date.fromisoformat(d["day"]): d["figures"] for d in body["days"]}

    def profit_daily(self, account_id: str, date_from: date, date_to: date) -> dict[date, Json]:
        body = self.get("/profit/daily", {"account_id": account_id, "date_from": date_from, "date_to": date_to})
        return {date.fromisoformat(d["day"]): d["profit"] for d in body["days"]}

    def profit_sessions(self, studio_id: str, date_from: date, date_to: date) -> list[Json]:
        params = {"studio_id": studio_id, "date_from": date_from, "date_to": date_to, "limit": 5000}
        items: list[Json] = self.get("/profit/sessions", params)["items"]
        return items

    def profit_hosts(self, studio_id: str, date_from: date, date_to: date) -> list[Json]:
        body = self.get("/profit/hosts", {"studio_id": studio_id, "date_from": date_from, "date_to": date_to})
        items: list[Json] = body["items"]
        return items

    def host_performance(self, studio_id: str, date_from: date, date_to: date) -> list[Json]:
        body = self.get("/hosts/performance", {"studio_id": studio_id, "date_from": date_from, "date_to": date_to})
        items: list[Json] = body["items"]
        return items

    def statements(self, studio_id: str, period_from: date, period_to: date) -> list[Json]:
        params = {"studio_id": studio_id, "period_from": period_from, "period_to": period_to, "limit": 200}
        return list(self._pages("/commission/statements", params))

    def statement(self, statement_id: str) -> Json | None:
        found: Json | None = self.get(f"/commission/statements/{statement_id}", missing_ok=True)
        return found

    def command_status(self, command_id: str) -> Json | None:
        found: Json | None = self.get(f"/commands/{command_id}", missing_ok=True)
        return found
