"""The simulator's ASGI app: Shopee's paths, params, header checks and envelopes, plus the `/__sim/*` admin API.

A minimal raw ASGI app (no framework) because the ingest benchmark polls thousands of accounts through it.
Per API request: identify the endpoint and the account (from the cookie), apply injected latency and faults,
check auth and region headers, build the payload at the current simulated instant, wrap it in the host
family's envelope, and record the request in the log.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import parse_qsl

import structlog
from pydantic import ValidationError

from shopee_client.client.endpoints import ENDPOINTS, Endpoint
from shopee_client.client.regions import HostFamily
from shopee_client.simulator import affiliate, payloads
from shopee_client.simulator.core import Simulator
from shopee_client.simulator.faults import FaultKind, corrupt_payload
from shopee_client.simulator.requestlog import RequestRecord
from shopee_client.simulator.world import Session

__all__ = ["SimulatorApp", "create_app"]

log = structlog.get_logger("shopee_client.simulator")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_JSON = (b"content-type", b"application/json; charset=utf-8")
_DAY_MS = 86_400_000
_TIME_DIMS = {"1d": 1, "7d": 7, "15d": 15, "30d": 30}


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


class _Reply(Exception):
    """Short-circuit with an HTTP response (raised inside handlers)."""

    def __init__(
        self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None, code: int | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or [_JSON]
        self.code = code


@dataclass(slots=True)
class _Ctx:
    endpoint: Endpoint
    account: int | None
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    t_ms: int
    path_params: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)
    code: int | None = None  # non-zero envelope code to send with `data`
    message: str = ""


_ENVELOPE_FIELDS = {
    HostFamily.CREATOR: ("code", "msg"),
    HostFamily.SELLER_CENTRE: ("code", "msg"),
    HostFamily.AFFILIATE: ("code", "msg"),
    HostFamily.SELLER: ("code", "msg"),
    HostFamily.SELLER_APP: ("code", "msg"),
    HostFamily.SHOP: ("error", "error_msg"),
    HostFamily.LIVE: ("err_code", "err_msg"),
}

_DYNAMIC = [
    (re.compile(r"^/api/v1/item/promotion/(?P<promo_id>[^/]+)$"), "item_promotion"),
    (re.compile(r"^/api/v1/session/(?P<session_id>\d+)/coin/start$"), "coin_start"),
    (re.compile(r"^/api/v1/session/(?P<session_id>\d+)/coin/giveout$"), "coin_giveout"),
    (re.compile(r"^/api/v1/session/(?P<session_id>\d+)/coin/rewardinfo$"), "coin_rewardinfo"),
]


def envelope(family: HostFamily, data: Any, code: int = 0, message: str = "") -> dict[str, Any]:
    code_field, msg_field = _ENVELOPE_FIELDS[family]
    if family is HostFamily.SHOP:
        return {code_field: code, msg_field: message or None, "data": data}
    return {code_field: code, msg_field: message or "success", "data": data}


class SimulatorApp:
    """ASGI callable serving one `Simulator`."""

    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator
        # The checkouts of the last affiliate queries, newest first: the pages of one read share their window, so
        # each page builds only its own rows (a 10-day window of a large account holds ~15,000 checkouts).
        self._affiliate_windows: OrderedDict[tuple[int, int, int], list[affiliate.Checkout]] = OrderedDict()
        self.routes: dict[str, Endpoint] = {e.path: e for e in ENDPOINTS.values() if "{" not in e.path}
        self.handlers: dict[str, Callable[[_Ctx], Any]] = {
            "user_info": self._user_info,
            "session_list": self._session_list,
            "live_list": self._live_list,
            "overview": self._overview,
            "product_list": self._product_list,
            "viewer_profile": lambda c: payloads.profiles(self._owned(c), "viewer"),
            "buyer_profile": lambda c: payloads.profiles(self._owned(c), "buyer"),
            "viewer_source": lambda c: payloads.viewer_source(self._owned(c)),
            "trends": self._trends,
            "live_detail": self._live_detail,
            "live_coordinate": self._live_coordinate,
            "account_info": self._account_info,
            "gen_qrcode": self._gen_qrcode,
            "qrcode_status": self._qrcode_status,
            "qrcode_login": self._qrcode_login,
            "ongoing_live": self._ongoing_live,
            "affiliate_report": self._affiliate_report,
            "streaming_promotions": lambda c: {"list": [], "total": 0},
            "ads_promotions_today": lambda c: {"promotions": [], "total": 0},
            "ads_edit": lambda c: {"result": "ok"},
            "ads_campaign_expense_today": lambda c: {"expense": 0, "currency": "IDR"},
            "ads_meta": lambda c: {"ads_data": []},
            "item_promotions": lambda c: {"list": [], "total": 0},
            "item_promotion": lambda c: {"promotion_id": c.path_params.get("promo_id"), "items": []},
            "coin_start": self._coin,
            "coin_giveout": self._coin,
            "coin_rewardinfo": self._coin,
        }

    # --- ASGI ----------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/__sim/"):
            await self._admin(scope, receive, send)
            return
        await self._api(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _read_body(receive: Receive) -> bytes:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    @staticmethod
    async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _match(self, path: str) -> tuple[Endpoint | None, dict[str, str]]:
        endpoint = self.routes.get(path)
        if endpoint is not None:
            return endpoint, {}
        for pattern, name in _DYNAMIC:
            m = pattern.match(path)
            if m:
                return ENDPOINTS[name], m.groupdict()
        return None, {}

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        started = time.time()
        seq = sim.log.begin()
        path: str = scope["path"]
        method: str = scope["method"]
        endpoint, path_params = self._match(path)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        auth = sim.authenticate(headers.get("cookie"))
        account = auth.account
        status, code, fault = 0, None, None
        sim_time = sim.now().isoformat()  # arrival; replaced by the serving instant below
        try:
            if endpoint is None:
                raise _Reply(404, b"404 page not found", [(b"content-type", b"text/plain")])
            body = await self._read_body(receive) if method in ("POST", "PUT") else b""
            key = account if account is not None else -1
            n = sim.faults.next_index(key, endpoint.name)
            delay = sim.faults.latency_s(key, endpoint.name, n)
            if delay > 0:
                await asyncio.sleep(delay)
            kind = sim.faults.decide(key, endpoint.name, n, session_scoped=endpoint.session_scoped)
            fault = kind.value if kind else None
            await self._apply_transport_fault(kind)
            t_ms = sim.now_ms()
            sim_time = datetime.fromtimestamp(t_ms / 1000, UTC).isoformat()
            if endpoint.method != method:
                raise _Reply(405, b"method not allowed", [(b"content-type", b"text/plain")])
            if endpoint.needs_cookie and auth.status != "ok":
                self._auth_failure(endpoint, auth.status)
            if "/realtime/dashboard/" in path and not (headers.get("x-region") and headers.get("x-region-domain")):
                raise _Reply(404, b"404 page not found", [(b"content-type", b"text/plain")])
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            ctx = _Ctx(endpoint, account, query, headers, body, t_ms, path_params)
            if kind is FaultKind.NOT_OWNED:
                data: Any = {}
            else:
                data = self.handlers[endpoint.name](ctx)
            if kind is FaultKind.WRONG_TYPE:
                data, _ = corrupt_payload(data)
            code = ctx.code or 0
            payload = _dumps(envelope(endpoint.family, data, code, ctx.message))
            extra = [(b"set-cookie", c.encode("latin-1")) for c in ctx.set_cookies]
            if kind is FaultKind.TRUNCATED:
                payload = payload[: max(1, len(payload) // 2)]
            elif kind is FaultKind.INVALID_JSON:
                payload = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
                extra = [(b"content-type", b"text/html")]
            status = 200
            await self._send(send, 200, payload, [_JSON, *extra] if kind is not FaultKind.INVALID_JSON else extra)
        except _Reply as reply:
            status, code = reply.status, reply.code
            await self._send(send, reply.status, reply.body, reply.headers)
        except Exception:  # a simulator bug must not kill the connection silently
            log.exception("simulator_error", path=path)
            status = 500
            await self._send(send, 500, b'{"code":500,"msg":"internal error"}', [_JSON])
        finally:
            sim.log.end(
                RequestRecord(
                    seq=seq,
                    account=account,
                    endpoint=endpoint.name if endpoint else "unknown",
                    method=method,
                    path=path,
                    query=scope["query_string"].decode("latin-1"),
                    status=status,
                    code=code,
                    fault=fault,
                    started=started,
                    finished=time.time(),
                    sim_time=sim_time,
                )
            )

    async def _apply_transport_fault(self, kind: FaultKind | None) -> None:
        if kind is FaultKind.TIMEOUT:
            await asyncio.sleep(self.sim.faults.config.hang_seconds)
            raise _Reply(504, b"gateway timeout", [(b"content-type", b"text/plain")])
        if kind is FaultKind.HTTP_5XX:
            raise _Reply(503, b'{"code":503,"msg":"service unavailable"}', [_JSON])
        if kind is FaultKind.HTTP_429:
            raise _Reply(429, b'{"code":429,"msg":"too many requests"}', [_JSON, (b"retry-after", b"1")])

    @staticmethod
    def _auth_failure(endpoint: Endpoint, status: str) -> NoReturn:
        family = endpoint.family
        if family is HostFamily.AFFILIATE:
            raise _Reply(401, _dumps({"code": 401, "msg": "not login", "data": None}), [_JSON], code=401)
        if family in (HostFamily.SHOP, HostFamily.LIVE):
            code, message = 90309999, "login required"
        else:
            code, message = 30001, "cookie expired" if status == "expired" else "invalid cookie"
        raise _Reply(200, _dumps(envelope(family, None, code, message)), [_JSON], code=code)

    # --- helpers -------------------------------------------------------------------------------------------

    def _owned(self, ctx: _Ctx) -> Session:
        """The requested session if it belongs to the caller and has started; else reply with empty data."""
        sid = _int(ctx.query.get("sessionId") or ctx.path_params.get("session_id"), 0)
        plan = self.sim.world.plan(sid)
        if plan is None or plan.account != ctx.account or plan.start_ms > ctx.t_ms:
            raise _Reply(200, _dumps(envelope(ctx.endpoint.family, {})), [_JSON])
        return self.sim.world.session_of(plan)

    def _account(self, ctx: _Ctx) -> int:
        assert ctx.account is not None
        return ctx.account

    # --- handlers ------------------------------------------------------------------------------------------

    def _user_info(self, ctx: _Ctx) -> dict[str, Any]:
        acct = self.sim.accounts[self._account(ctx)]
        return {
            "avatar": f"https://down-id.img.susercontent.com/file/sim-avatar-{acct.user_id}",
            "userName": acct.user_name,
            "userId": acct.user_id,
        }

    def _account_info(self, ctx: _Ctx) -> dict[str, Any]:
        acct = self.sim.accounts[self._account(ctx)]
        return {
            "userid": acct.user_id,
            "shopid": acct.shop_id,
            "username": acct.user_name,
            "nickname": acct.user_name.split(".")[0].title(),
            "email": None,
            "phone": None,
            "is_seller": True,
        }

    @staticmethod
    def _paginate(rows: list[dict[str, Any]], page: int, page_size: int) -> dict[str, Any]:
        total = len(rows)
        lo = (page - 1) * page_size
        return {
            "page": page,
            "pageSize": page_size,
            "total": total,
            "totalPage": (total + page_size - 1) // page_size,
            "list": rows[lo : lo + page_size],
        }

    def _session_list(self, ctx: _Ctx) -> dict[str, Any]:
        account = self._account(ctx)
        page = max(1, _int(ctx.query.get("page"), 1))
        page_size = min(100, max(1, _int(ctx.query.get("pageSize"), 10)))
        name = ctx.query.get("name", "").lower()
        world = self.sim.world
        plans = world.plans_started_within(account, ctx.t_ms - 3 * _DAY_MS, ctx.t_ms)
        rows = []
        for plan in plans:
            sess = world.session_of(plan)
            if name and name not in sess.title.lower():
                continue
            rows.append(payloads.session_row(sess, sess.state(ctx.t_ms)))
        return self._paginate(rows, page, page_size)

    def _live_list(self, ctx: _Ctx) -> dict[str, Any]:
        account = self._account(ctx)
        page = max(1, _int(ctx.query.get("page"), 1))
        page_size = min(100, max(1, _int(ctx.query.get("pageSize"), 10)))
        world = self.sim.world
        days = _TIME_DIMS.get(ctx.query.get("timeDim", "7d"))
        try:
            end_date = date.fromisoformat(ctx.query["endDate"]) if ctx.query.get("endDate") else None
        except ValueError:
            end_date = None
        if end_date is None:
            ctx.code, ctx.message = 10002, "invalid endDate"
            return {}
        if days is None:  # e.g. "31d": Shopee returns nothing
            return self._paginate([], page, page_size)
        name = ctx.query.get("name", "").lower()
        plans = world.plans_between(account, end_date - timedelta(days=days - 1), end_date)
        rows = []
        for plan in sorted(plans, key=lambda p: p.start_ms, reverse=True):
            if plan.end_ms > ctx.t_ms:
                continue
            sess = world.session_of(plan)
            if name and name not in sess.title.lower():
                continue
            rows.append(payloads.history_row(sess, sess.state(ctx.t_ms)))
        return self._paginate(rows, page, page_size)

    def _overview(self, ctx: _Ctx) -> dict[str, Any]:
        sess = self._owned(ctx)
        return payloads.overview(sess, sess.state(ctx.t_ms), sess.state(ctx.t_ms - 60_000))

    def _product_list(self, ctx: _Ctx) -> dict[str, Any]:
        sess = self._owned(ctx)
        page = max(1, _int(ctx.query.get("page"), 1))
        page_size = min(500, max(1, _int(ctx.query.get("pageSize"), 10)))
        order_by = ctx.query.get("productListOrderBy") or "itemSold"
        key = "productClicks" if order_by == "productClicks" else "itemSold"
        descending = ctx.query.get("sort", "desc") != "asc"
        name = ctx.query.get("productName", "").lower()
        st = sess.state(ctx.t_ms)
        rows = payloads.product_rows(sess.item_states(ctx.t_ms), st.viewers)
        if name:
            rows = [r for r in rows if name in r["title"].lower()]
        rows.sort(key=lambda r: (r[key], r["itemId"]), reverse=descending)
        return self._paginate(rows, page, page_size)

    def _trends(self, ctx: _Ctx) -> dict[str, Any]:
        sess = self._owned(ctx)
        start = _int(ctx.query.get("startTime"), sess.start_ms)
        end = _int(ctx.query.get("endTime"), ctx.t_ms)
        metrics = [m for m in ctx.query.get("metricTrend", "").split(",") if m]
        return payloads.trends(sess, start, end, metrics, ctx.t_ms)

    def _live_detail(self, ctx: _Ctx) -> dict[str, Any]:
        sess = self._owned(ctx)
        return payloads.live_detail(sess, sess.state(ctx.t_ms))

    def _live_coordinate(self, ctx: _Ctx) -> dict[str, Any]:
        sess = self._owned(ctx)
        start = _int(ctx.query.get("startTime"), sess.start_ms)
        size = _int(ctx.query.get("size"), 60)
        return payloads.live_coordinate(sess, start, size, ctx.t_ms)

    def _ongoing_live(self, ctx: _Ctx) -> dict[str, Any]:
        index = self.sim.account_index(_int(ctx.query.get("uid"), -1))
        if index is None:
            return {"ongoing_live": None}
        plan = self.sim.world.current_plan(index, ctx.t_ms)
        if plan is None:
            return {"ongoing_live": None}
        sess = self.sim.world.session_of(plan)
        st = sess.state(ctx.t_ms)
        return {
            "ongoing_live": {
                "session_id": sess.session_id,
                "title": sess.title,
                "cover_pic": sess.cover_image,
                "start_time": sess.start_ms // 1000,
                "ccu": st.ccu,
                "uid": self.sim.accounts[index].user_id,
            }
        }

    def _affiliate_report(self, ctx: _Ctx) -> dict[str, Any]:
        account = self._account(ctx)
        from_ms = _int(ctx.query.get("purchase_time_s"), 0) * 1000
        to_ms = _int(ctx.query.get("purchase_time_e"), ctx.t_ms // 1000) * 1000
        page = max(1, _int(ctx.query.get("page_num"), 1))
        size = min(500, max(1, _int(ctx.query.get("page_size"), 50)))
        from_ms = max(from_ms, to_ms - 31 * _DAY_MS)
        to_ms = min(to_ms, ctx.t_ms)
        key = (account, from_ms, to_ms)
        checkouts = self._affiliate_windows.get(key)
        if checkouts is None:
            delay_ms = int(self.sim.config.affiliate_complete_delay.total_seconds() * 1000)
            checkouts = affiliate.checkouts_between(self.sim.world, account, from_ms, to_ms, delay_ms)
            checkouts.sort(key=lambda c: (c.purchase_s, c.checkout_id), reverse=True)
            self._affiliate_windows[key] = checkouts
            if len(self._affiliate_windows) > 64:
                self._affiliate_windows.popitem(last=False)
        lo = (page - 1) * size
        rows = [affiliate.checkout_row(c, ctx.t_ms) for c in checkouts[lo : lo + size]]
        return {"total_count": len(checkouts), "list": rows}

    def _gen_qrcode(self, ctx: _Ctx) -> dict[str, Any]:
        state = self.sim.qr.generate()
        return {"qrcode_id": state.qrcode_id, "qrcode_base64": self.sim.qr.png_base64}

    def _qrcode_status(self, ctx: _Ctx) -> dict[str, Any]:
        state = self.sim.qr.poll(ctx.query.get("qrcode_id", ""))
        if state is None:
            ctx.code, ctx.message = 10010, "qrcode not found"
            return {}
        data: dict[str, Any] = {"status": "EXPIRED" if state.status == "USED" else state.status}
        if state.status == "CONFIRMED":
            data["qrcode_token"] = state.token
        return data

    def _qrcode_login(self, ctx: _Ctx) -> dict[str, Any]:
        try:
            body = json.loads(ctx.body or b"{}")
        except ValueError:
            body = {}
        token = body.get("qrcode_token") if isinstance(body, dict) else None
        state = self.sim.qr.redeem(str(token)) if token else None
        if state is None:
            ctx.code, ctx.message = 10011, "invalid qrcode_token"
            return {}
        cookie = self.sim.issue_login(state.account)
        acct = self.sim.accounts[state.account]
        for part in cookie.split("; "):
            ctx.set_cookies.append(f"{part}; Path=/; Domain=.shopee.co.id; HttpOnly; Secure")
        return {"userid": acct.user_id, "username": acct.user_name, "shopid": acct.shop_id}

    def _coin(self, ctx: _Ctx) -> dict[str, Any]:
        sid = _int(ctx.path_params.get("session_id"), 0)
        plan = self.sim.world.plan(sid)
        if plan is None or plan.account != ctx.account:
            return {}
        return {"session_id": sid, "coin_id": sid * 10 + 1, "total_coins": 0, "claimed": 0}

    # --- admin ---------------------------------------------------------------------------------------------

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        body = await self._read_body(receive) if method in ("POST", "PUT", "DELETE") else b""
        try:
            result = self._admin_dispatch(method, path, query, body)
            await self._send(send, 200, _dumps(result), [_JSON])
        except _Reply as reply:
            await self._send(send, reply.status, reply.body, reply.headers)
        except (ValidationError, ValueError, KeyError, TypeError) as exc:
            await self._send(send, 400, _dumps({"error": str(exc)}), [_JSON])

    def _admin_dispatch(self, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        sim = self.sim
        payload: Any = json.loads(body) if body.strip() else {}
        if path == "/__sim/health":
            return {"ok": True, "accounts": sim.config.accounts, "seed": sim.config.seed}
        if path == "/__sim/clock":
            if method == "POST":
                if "speed" in payload:
                    sim.set_speed(float(payload["speed"]))
                if "sim_now" in payload:
                    sim.set_time(datetime.fromisoformat(str(payload["sim_now"])))
                if "advance_seconds" in payload:
                    sim.advance(timedelta(seconds=float(payload["advance_seconds"])))
            return sim.clock.to_payload()
        if path == "/__sim/accounts":
            return [
                {
                    "index": a.index,
                    "user_id": a.user_id,
                    "shop_id": a.shop_id,
                    "user_name": a.user_name,
                    "tier": a.tier,
                    "cookie": a.cookie,
                }
                for a in sim.accounts
            ]
        if path == "/__sim/ground-truth":
            at = datetime.fromisoformat(query["at"]) if query.get("at") else None
            accounts = [int(x) for x in query["account"].split(",")] if query.get("account") else None
            truth = sim.ground_truth(
                at,
                from_date=date.fromisoformat(query["from"]) if query.get("from") else None,
                to_date=date.fromisoformat(query["to"]) if query.get("to") else None,
                accounts=accounts,
                include_items=query.get("items", "1") not in ("0", "false"),
            )
            return truth.model_dump(mode="json")
        if path == "/__sim/faults":
            if method == "POST":
                sim.set_faults(**payload)
            return sim.faults.config.model_dump(mode="json")
        if path == "/__sim/requests":
            if method == "DELETE":
                sim.log.clear()
                return {"cleared": True}
            records = sim.requests(
                _int(query.get("since"), 0),
                account=_int(query["account"], -1) if query.get("account") else None,
                endpoint=query.get("endpoint") or None,
            )
            limit = _int(query.get("limit"), 0)
            if limit:
                records = records[-limit:]
            return [r.to_dict() for r in records]
        if path == "/__sim/stats":
            return {
                "requests": len(sim.log),
                "in_flight": sim.log.in_flight,
                "max_in_flight": sim.log.max_in_flight,
            }
        if path == "/__sim/qr" and method == "POST":
            account = payload.get("account")
            if account is not None and not 0 <= int(account) < sim.config.accounts:
                raise ValueError(f"no account {account}")
            qid = payload.get("qrcode_id")
            if qid:
                state = sim.qr.set(
                    str(qid), account=None if account is None else int(account), status=payload.get("status")
                )
                if state is None:
                    raise _Reply(404, _dumps({"error": "unknown qrcode_id"}), [_JSON])
                return {"qrcode_id": state.qrcode_id, "account": state.account, "status": state.status}
            if account is not None:
                sim.qr.default_account = int(account)
            return {"default_account": sim.qr.default_account}
        raise _Reply(404, _dumps({"error": f"no admin route {method} {path}"}), [_JSON])


def create_app(simulator: Simulator) -> SimulatorApp:
    """The ASGI app serving `simulator`."""
    return SimulatorApp(simulator)
