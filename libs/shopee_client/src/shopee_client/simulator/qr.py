"""The scripted QR login flow: gen_qrcode → qrcode_status NEW → SCANNED → CONFIRMED (+ token) → qrcode_login.

With `auto_advance`, each status poll moves a code one step (NEW, SCANNED, then CONFIRMED). The admin API can
choose the account a code (or every future code) logs into and force a status (e.g. EXPIRED). A login issues a
fresh `SPC_ST` token for the account, accepted even if the account's original cookie was expired by a fault.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass

__all__ = ["QrCodeState", "QrRegistry"]

# A 1x1 transparent PNG: real enough for a client that wants to render it.
_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
    )
).decode()


@dataclass(slots=True)
class QrCodeState:
    qrcode_id: str
    account: int
    polls: int = 0
    status: str = "NEW"
    token: str | None = None
    forced: bool = False


class QrRegistry:
    def __init__(self, seed: int, *, auto_advance: bool = True) -> None:
        self.seed = seed
        self.auto_advance = auto_advance
        self.default_account = 0
        self._codes: dict[str, QrCodeState] = {}
        self._tokens: dict[str, str] = {}  # qrcode_token -> qrcode_id
        self._counter = 0
        self._lock = threading.Lock()

    @property
    def png_base64(self) -> str:
        return _PNG

    def generate(self) -> QrCodeState:
        with self._lock:
            self._counter += 1
            qid = hashlib.sha256(f"{self.seed}:qr:{self._counter}".encode()).hexdigest()[:24]
            state = QrCodeState(qrcode_id=qid, account=self.default_account)
            self._codes[qid] = state
            return state

    def get(self, qrcode_id: str) -> QrCodeState | None:
        return self._codes.get(qrcode_id)

    def poll(self, qrcode_id: str) -> QrCodeState | None:
        with self._lock:
            state = self._codes.get(qrcode_id)
            if state is None:
                return None
            state.polls += 1
            if self.auto_advance and not state.forced and state.status in ("NEW", "SCANNED"):
                state.status = {1: "NEW", 2: "SCANNED"}.get(state.polls, "CONFIRMED")
            if state.status == "CONFIRMED" and state.token is None:
                self._issue_token(state)
            return state

    def _issue_token(self, state: QrCodeState) -> None:
        token = hashlib.sha256(f"{self.seed}:qrtoken:{state.qrcode_id}".encode()).hexdigest()
        state.token = token
        self._tokens[token] = state.qrcode_id

    def set(self, qrcode_id: str, *, account: int | None = None, status: str | None = None) -> QrCodeState | None:
        with self._lock:
            state = self._codes.get(qrcode_id)
            if state is None:
                return None
            if account is not None:
                state.account = account
            if status is not None:
                state.status = status
                state.forced = True
                if status == "CONFIRMED" and state.token is None:
                    self._issue_token(state)
            return state

    def redeem(self, token: str) -> QrCodeState | None:
        """Use a confirmed code's token once; returns the code (with its account) or None."""
        with self._lock:
            qid = self._tokens.pop(token, None)
            if qid is None:
                return None
            state = self._codes.get(qid)
            if state is None or state.status != "CONFIRMED":
                return None
            state.status = "USED"
            return state
