"""Payloads of `shopee.live.session.v1`: session snapshot, session ended and late correction.

All three carry *cumulative* figures as Shopee reported them at `observed_at`. Consumers apply the difference
between the newest and the previous observation of a session and ignore older or duplicate ones. A metric that is
`None` was not reported by that observation: unknown, never zero, and it does not erase an earlier known value.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from livestudio_schemas.envelope import CloudEvent, event_type
from livestudio_schemas.types import AwareDatetime, Count, Money, Ratio

SESSION_SNAPSHOT = event_type("session.snapshot")
SESSION_ENDED = event_type("session.ended")
SESSION_CORRECTED = event_type("session.corrected")

ObservationSource = Literal["session_list", "overview", "live_history", "live_detail"]


class SessionMetrics(BaseModel):
    """Cumulative metrics of one live session. Names are Live Studio's, not Shopee's (mapping in ingest)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    views: Count | None = None
    viewers: Count | None = None
    peak_viewers: Count | None = Field(default=None, description="peak concurrent viewers (PCU)")
    current_viewers: Count | None = Field(default=None, description="concurrent viewers now (CCU), on air only")
    avg_view_duration_ms: Count | None = None
    comments: Count | None = None
    likes: Count | None = None
    shares: Count | None = None
    followers_growth: int | None = None
    add_to_cart: Count | None = None
    product_clicks: Count | None = None
    conversion_rate: Ratio | None = None
    buyers: Count | None = None
    placed_orders: Count | None = None
    placed_sales: Money | None = None
    placed_items_sold: Count | None = None
    confirmed_buyers: Count | None = None
    confirmed_orders: Count | None = None
    confirmed_sales: Money | None = None
    confirmed_items_sold: Count | None = None
    paid_orders: Count | None = None
    paid_sales: Money | None = None


class SessionObservation(BaseModel):
    """What every session event carries: who, which session, when observed, and the cumulative metrics."""

    model_config = ConfigDict(extra="allow", frozen=True)

    account_id: str = Field(min_length=1, description="Live Studio account id")
    studio_id: str = Field(min_length=1)
    session_id: int = Field(gt=0, description="Shopee sessionId")
    title: str | None = None
    started_at: AwareDatetime
    duration_ms: Count | None = Field(default=None, description="Shopee's duration, never recomputed")
    observed_at: AwareDatetime
    currency: str = Field(default="IDR", min_length=3, max_length=3)
    timezone: str = Field(default="Asia/Jakarta", description="the studio's IANA timezone, for local days")
    source: ObservationSource
    metrics: SessionMetrics


class SessionSnapshot(SessionObservation):
    """A session observed on air (or still listed) at `observed_at`."""

    on_air: bool
    shopee_status: int | None = Field(default=None, description="Shopee's raw status code (1 live, 2 ended)")
    heartbeat: bool = Field(default=False, description="unchanged figures re-sent so consumers see freshness")


class SessionEnded(SessionObservation):
    """The session went off air; emitted once per session. Figures are the last ones seen."""

    ended_at: AwareDatetime


class SessionCorrected(SessionObservation):
    """Settled figures re-read from Shopee's history after the stream (confirmed sales settle for days)."""

    ended_at: AwareDatetime | None = None
    reason: Literal["settlement", "backfill"] = "settlement"


# --- envelopes with their type pinned: a union of them is told apart by `type` (a unit test pins the literals) ---
class SessionSnapshotEvent(CloudEvent[SessionSnapshot]):
    type: Literal["livestudio.session.snapshot.v1"]


class SessionEndedEvent(CloudEvent[SessionEnded]):
    type: Literal["livestudio.session.ended.v1"]


class SessionCorrectedEvent(CloudEvent[SessionCorrected]):
    type: Literal["livestudio.session.corrected.v1"]
