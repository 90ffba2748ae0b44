"""What the ingest remembers about one Shopee session between polls, and how that maps to `session_state`.

A `SessionState` (frozen: every change makes a new one) holds the liveness signals, the newest figures seen
(`known`), what was handed to the outbox (`sent`, by kind) and what the broker acknowledged (`acked`, by kind;
persisted, so a restart does not publish the same observation again). SessionEnded is decided once (`ended`) and
remembered until acknowledged. `dirty`: changed since it was last written to Postgres. When a session was last
observed is kept beside it (`live.LiveState.observed_at`): it changes every cycle, the rest rarely.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from livestudio_ingest.core.emit import HashKind
from livestudio_ingest.liveness import Liveness
from livestudio_ingest.observation import SessionContext, item_metrics, merge_metrics, metrics_from_json
from livestudio_ingest.repository import SessionStateRow
from livestudio_schemas.item import ItemMetrics
from livestudio_schemas.session import SessionMetrics
from shopee_client.client.models import LiveHistoryItem, ProductItem, SessionListItem

ItemCache = Mapping[int, tuple[int, ItemMetrics, bytes]]
"""item id -> (fingerprint of Shopee's row, the mapped item, its JSON): products that did not change are not
mapped again."""


@dataclass(frozen=True, slots=True)
class SessionState:
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
    sent: Mapping[str, str] = field(default_factory=dict)
    acked: Mapping[str, str] = field(default_factory=dict)
    last_publish_mono: float = 0.0
    """Loop time of the last session event handed to the outbox (heartbeats)."""
    detail_read_at: datetime | None = None
    """Ingest clock of the last overview + products read (in memory only)."""
    detail_read_end: datetime | None = None
    """Shopee's end (start + duration) at that read."""
    dirty: bool = True
    row_fingerprint: int | None = None
    """In memory only: the sessionList row of the last poll, to skip re-mapping what did not change."""
    item_cache: ItemCache = field(default_factory=dict)

    # --- observations -----------------------------------------------------------------------------------

    @classmethod
    def from_row(cls, row: SessionListItem | LiveHistoryItem) -> SessionState:
        return cls(session_id=row.session_id, started_at=row.start_time).with_row(row)

    def with_row(self, row: SessionListItem | LiveHistoryItem) -> SessionState:
        title = row.title or self.title
        started_at, duration_ms, status = row.start_time, row.duration_ms, row.status
        if (title, started_at, duration_ms, status) == (self.title, self.started_at, self.duration_ms, self.status):
            return self  # the common case: an ended session listed again
        return replace(self, title=title, started_at=started_at, duration_ms=duration_ms, status=status)

    @property
    def end_time(self) -> datetime | None:
        """Shopee's end so far: start + duration (never recomputed from our own clock)."""
        if self.duration_ms is None:
            return None
        return self.started_at + timedelta(milliseconds=self.duration_ms)

    @property
    def on_air(self) -> bool:
        return not self.ended and self.liveness is not None and self.liveness.live

    @property
    def ending(self) -> bool:
        """Not ended yet, but its liveness says it is off air: its end is decided in this cycle."""
        return not self.ended and self.liveness is not None and not self.liveness.live

    def map_items(self, products: list[ProductItem], *, keep: bool) -> tuple[SessionState, list[ItemMetrics], str]:
        """Products -> contract items and their digest (same as `observation.items_hash`); a product whose
        Shopee row did not change since the last poll is not mapped again. Only sessions polled every cycle
        (`keep`: on air) keep the mapped items between polls: memory stays bounded by what is on air."""
        cache = self.item_cache
        fresh: dict[int, tuple[int, ItemMetrics, bytes]] = {}
        digest = hashlib.sha256()
        items: list[ItemMetrics] = []
        for p in sorted(products, key=lambda p: p.item_id):
            fingerprint = hash(tuple(p.__dict__.values()))
            hit = cache.get(p.item_id)
            if hit is None or hit[0] != fingerprint:
                mapped = item_metrics(p)
                hit = (fingerprint, mapped, mapped.model_dump_json().encode())
            fresh[p.item_id] = hit
            items.append(hit[1])
            digest.update(hit[2])
        return replace(self, item_cache=fresh if keep else {}), items, digest.hexdigest()[:32]

    def observe(self, metrics: SessionMetrics) -> SessionState:
        return replace(self, known=merge_metrics(self.known, metrics))

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

    # --- what was handed to the outbox and what the broker acknowledged ------------------------------------

    def sending(self, kind: HashKind, digest: str) -> SessionState:
        return replace(self, sent={**self.sent, kind: digest})

    def acknowledged(self, kind: HashKind, digest: str, metrics: SessionMetrics | None) -> SessionState:
        acked_metrics = self.acked_metrics
        known = self.known
        if metrics is not None:
            acked_metrics = merge_metrics(acked_metrics, metrics)
            if known == acked_metrics:
                known = acked_metrics  # one object, not two equal ones
        return replace(self, acked={**self.acked, kind: digest}, acked_metrics=acked_metrics, known=known, dirty=True)

    def unsent(self, kind: HashKind) -> SessionState:
        """The event was dropped before publication: allow the same content to be sent again."""
        sent = dict(self.sent)
        if kind in self.acked:
            sent[kind] = self.acked[kind]
        else:
            sent.pop(kind, None)
        return replace(self, sent=sent, row_fingerprint=None)

    def forgotten(self) -> SessionState:
        """Nothing of it counts as published any more (the broker lost its log)."""
        return replace(
            self,
            sent={},
            acked={},
            row_fingerprint=None,
            detail_read_at=None,
            last_publish_mono=0.0,
            ended_published=False if self.ended else self.ended_published,
            dirty=True,
        )

    # --- persistence ----------------------------------------------------------------------------------------

    def to_row(self, account_id: str, last_observed_at: datetime | None) -> SessionStateRow:
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
            last_observed_at=last_observed_at,
        )

    @classmethod
    def from_stored(cls, row: SessionStateRow, *, loaded_mono: float) -> SessionState:
        """A session as the last owner wrote it; what it published counts as published at `loaded_mono` (the
        heartbeat clock starts then)."""
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
            last_publish_mono=loaded_mono,
            dirty=False,
        )


def _json(raw: str | None) -> dict[str, object] | None:
    if raw is None:
        return None
    data = json.loads(raw)
    return data if isinstance(data, dict) else None
