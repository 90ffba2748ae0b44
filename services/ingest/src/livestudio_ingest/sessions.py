"""What the ingest remembers about one Shopee session between polls, and how that maps to `session_state`.

A `TrackedSession` holds the liveness signals, the newest figures seen (`known`), what was handed to the outbox
(`sent`, by kind) and what the broker acknowledged (`acked`, by kind; persisted, so a restart does not publish
the same observation again). SessionEnded is decided once (`ended`) and remembered until acknowledged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from livestudio_ingest.liveness import Liveness
from livestudio_ingest.observation import SessionContext, item_metrics, merge_metrics, metrics_from_json
from livestudio_ingest.repository import SessionStateRow
from livestudio_schemas.item import ItemMetrics
from livestudio_schemas.session import SessionMetrics
from shopee_client.client.models import LiveHistoryItem, ProductItem, SessionListItem

HashKind = Literal["list", "snapshot", "items", "corrected"]


@dataclass(slots=True)
class TrackedSession:
    session_id: int
    started_at: datetime
    title: str | None = None
    duration_ms: int | None = None
    status: int | None = None
    liveness: Liveness | None = None
    ended: bool = False
    ended_at: datetime | None = None
    ended_published: bool = False
    known: SessionMetrics | None = None
    acked_metrics: SessionMetrics | None = None
    sent: dict[str, str] = field(default_factory=dict)
    acked: dict[str, str] = field(default_factory=dict)
    last_publish_mono: float = 0.0
    last_observed_at: datetime | None = None
    detail_read_at: datetime | None = None  # ingest clock of the last overview + products read (in memory)
    detail_read_end: datetime | None = None  # Shopee's end (start + duration) at that read
    dirty: bool = True
    # in-memory only: skip re-mapping what did not change since the last poll
    row_fingerprint: int | None = None
    item_cache: dict[int, tuple[int, ItemMetrics, bytes]] = field(default_factory=dict)

    # --- observations -----------------------------------------------------------------------------------

    @classmethod
    def from_row(cls, row: SessionListItem | LiveHistoryItem) -> TrackedSession:
        t = cls(session_id=row.session_id, started_at=row.start_time)
        t.apply_row(row)
        return t

    def apply_row(self, row: SessionListItem | LiveHistoryItem) -> None:
        self.title = row.title or self.title
        self.started_at = row.start_time
        self.duration_ms = row.duration_ms
        self.status = row.status

    @property
    def end_time(self) -> datetime | None:
        """Shopee's end so far: start + duration (never recomputed from our own clock)."""
        if self.duration_ms is None:
            return None
        return self.started_at + timedelta(milliseconds=self.duration_ms)

    @property
    def on_air(self) -> bool:
        return not self.ended and self.liveness is not None and self.liveness.live

    def map_items(self, products: list[ProductItem], *, keep: bool) -> tuple[list[ItemMetrics], str]:
        """Products -> contract items and their digest (same as `observation.items_hash`); a product whose
        Shopee row did not change since the last poll is not mapped again. Only sessions polled every cycle
        (`keep`: on air) keep the mapped items between polls: memory stays bounded by what is on air."""
        fresh: dict[int, tuple[int, ItemMetrics, bytes]] = {}
        digest = hashlib.sha256()
        items: list[ItemMetrics] = []
        for p in sorted(products, key=lambda p: p.item_id):
            fingerprint = hash(tuple(p.__dict__.values()))
            hit = self.item_cache.get(p.item_id)
            if hit is None or hit[0] != fingerprint:
                mapped = item_metrics(p)
                hit = (fingerprint, mapped, mapped.model_dump_json().encode())
            fresh[p.item_id] = hit
            items.append(hit[1])
            digest.update(hit[2])
        self.item_cache = fresh if keep else {}
        return items, digest.hexdigest()[:32]

    def observe(self, metrics: SessionMetrics) -> SessionMetrics:
        self.known = merge_metrics(self.known, metrics)
        return self.known

    def context(self, *, account_id: str, studio_id: str, currency: str, timezone: str) -> SessionContext:
        return SessionContext(
            account_id=account_id,
            studio_id=studio_id,
            session_id=self.session_id,
            title=self.title,
            started_at=self.started_at,
            duration_ms=self.duration_ms,
            currency=currency,
            timezone=timezone,
        )

    # --- acknowledgements (called by the outbox when the broker confirmed) ------------------------------

    def ack(self, kind: HashKind, digest: str, metrics: SessionMetrics | None) -> None:
        self.acked[kind] = digest
        if metrics is not None:
            self.acked_metrics = merge_metrics(self.acked_metrics, metrics)
            if self.known == self.acked_metrics:
                self.known = self.acked_metrics  # one object, not two equal ones
        self.dirty = True

    def unsend(self, kind: HashKind) -> None:
        """The event was dropped before publication: allow the same content to be sent again."""
        self.row_fingerprint = None
        if kind in self.acked:
            self.sent[kind] = self.acked[kind]
        else:
            self.sent.pop(kind, None)

    # --- persistence ----------------------------------------------------------------------------------------

    def to_row(self, account_id: str) -> SessionStateRow:
        lv = self.liveness
        return SessionStateRow(
            account_id=account_id,
            session_id=self.session_id,
            started_at=self.started_at,
            title=self.title,
            duration_ms=self.duration_ms,
            shopee_status=self.status,
            last_end=lv.last_end if lv else None,
            end_advanced_at=lv.advanced_at if lv else None,
            ended=self.ended,
            ended_at=self.ended_at,
            ended_published=self.ended_published,
            list_hash=self.acked.get("list"),
            snapshot_hash=self.acked.get("snapshot"),
            items_hash=self.acked.get("items"),
            corrected_hash=self.acked.get("corrected"),
            metrics_json=self.acked_metrics.model_dump_json() if self.acked_metrics is not None else None,
            last_observed_at=self.last_observed_at,
        )

    @classmethod
    def from_state(cls, row: SessionStateRow) -> TrackedSession:
        acked = {
            kind: digest
            for kind, digest in (
                ("list", row.list_hash),
                ("snapshot", row.snapshot_hash),
                ("items", row.items_hash),
                ("corrected", row.corrected_hash),
            )
            if digest is not None
        }
        metrics = metrics_from_json(_json(row.metrics_json))
        liveness = None
        if row.last_end is not None and row.end_advanced_at is not None:
            liveness = Liveness(last_end=row.last_end, advanced_at=row.end_advanced_at, live=not row.ended)
        return cls(
            session_id=row.session_id,
            started_at=row.started_at,
            title=row.title,
            duration_ms=row.duration_ms,
            status=row.shopee_status,
            liveness=liveness,
            ended=row.ended,
            ended_at=row.ended_at,
            ended_published=row.ended_published,
            known=metrics,
            acked_metrics=metrics,
            sent=dict(acked),
            acked=acked,
            last_observed_at=row.last_observed_at,
            dirty=False,
        )


def _json(raw: str | None) -> dict[str, object] | None:
    import json

    if raw is None:
        return None
    data = json.loads(raw)
    return data if isinstance(data, dict) else None
