"""Batch planning (collapse, command outcomes, stale counts), settings and the entry point's arguments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from livestudio_analytics.batch import plan_batch, stale_counts
from livestudio_analytics.events import AdSpendEntry, CommandIgnored, CommandRejected, SessionEvent
from livestudio_analytics.main import run, topics_to_create
from livestudio_analytics.observations import SESSIONS, TIMELINE
from livestudio_analytics.settings import AnalyticsSettings
from tests.analytics import kit
from tests.analytics.strategies import Message, decode_message

T0 = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def snap(minutes: int, kind: str = "snapshot", session_id: int = 1, **metrics: object) -> SessionEvent:
    raw = kit.session_event(
        kind,  # type: ignore[arg-type]
        account_id="a",
        studio_id="s",
        session_id=session_id,
        started_at=T0,
        observed_at=T0 + timedelta(minutes=minutes),
        ended_at=T0 + timedelta(minutes=minutes) if kind == "ended" else None,
        metrics=dict(metrics),
        on_air=True,
    )
    event = decode_message(Message("session", raw))
    assert isinstance(event, SessionEvent)
    return event


def test_a_batch_collapses_to_one_row_per_session_and_minute() -> None:
    plan = plan_batch([snap(1, viewers=5), snap(3, placed_orders=2), snap(2, viewers=9), snap(1, session_id=2)])
    assert set(plan.sessions) == {("a", 1), ("a", 2)}
    row = plan.sessions[("a", 1)]
    assert row.value(SESSIONS, "viewers") == (9,)  # newest report of viewers (minute 2), not minute 3's silence
    assert row.value(SESSIONS, "placed_orders") == (2,)
    assert row.maxima[0] == T0 + timedelta(minutes=3)
    assert len(plan.timeline) == 4
    assert plan.observation_counts() == {"snapshot": 4}


def test_ad_spend_newest_issued_wins_and_outcomes_are_recorded_once() -> None:
    day = date(2026, 11, 2)
    old = AdSpendEntry("c-1", T0, "a", "s", day, Decimal(10), "IDR")
    new = AdSpendEntry("c-2", T0 + timedelta(hours=1), "a", "s", day, Decimal(20), "IDR")
    plan = plan_batch(
        [
            new,
            old,
            old,
            CommandRejected("c-3", "adspend.enter", "amount: too small"),
            CommandIgnored("host.upsert", "commission"),
        ]
    )
    assert plan.ad_spend == {("a", day): new}
    assert sorted(plan.command_results.values()) == [
        ("c-1", "adspend.enter", "applied", None),
        ("c-2", "adspend.enter", "applied", None),
        ("c-3", "adspend.enter", "rejected", "amount: too small"),
    ]
    assert plan.ignored_commands == {"commission": 1}


def test_stale_counts_duplicates_older_reports_and_late_corrections() -> None:
    events = [snap(2), snap(2), snap(1), snap(4, kind="corrected"), snap(3, kind="corrected")]
    plan = plan_batch(events)
    counts = stale_counts(plan, {("a", 1): T0 + timedelta(minutes=1)}, {})
    assert (counts.sessions, counts.late_corrections) == (3, 1)  # second 2, the 1 (stored), the older correction


def test_topics_include_the_contract_and_the_configured_ones() -> None:
    settings = AnalyticsSettings(session_topic="my.sessions", topic_partitions=3)
    wanted = topics_to_create(settings)
    assert wanted["shopee.live.session.v1"] == 3
    assert wanted["shopee.live.session.v1.dlq"] == 3
    assert wanted["my.sessions"] == 3
    assert wanted["my.sessions.dlq"] == 3


def test_settings_default_to_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = AnalyticsSettings()
    assert settings.http_port == 8102
    assert settings.consumer_group == "livestudio-analytics"
    assert settings.topics == ["shopee.live.session.v1", "shopee.live.item.v1", "livestudio.commands.v1"]
    monkeypatch.setenv("ANALYTICS_SESSION_TOPIC", "t.sessions")
    monkeypatch.setenv("ANALYTICS_BATCH_SIZE", "250")
    configured = AnalyticsSettings()
    assert (configured.session_topic, configured.batch_size) == ("t.sessions", 250)


def test_unknown_subcommand_is_a_usage_error() -> None:
    with pytest.raises(SystemExit, match="usage"):
        run(["frobnicate"])


def test_superseded_snapshots_are_skipped_without_building_their_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from livestudio_analytics import observations

    built: list[datetime] = []
    real = observations.session_states

    def counting(
        obs: observations.SessionPayload, kind: observations.SessionKind, ts: datetime, started: datetime
    ) -> object:
        built.append(ts)
        return real(obs, kind, ts, started)

    monkeypatch.setattr(observations, "session_states", counting)
    # minute 3 reports everything minute 1 and 2 report; minute 0 alone reports `likes`
    events = [snap(1, viewers=5, placed_orders=1), snap(3, viewers=9, placed_orders=2), snap(0, likes=4)]
    events.append(snap(2, viewers=7, placed_orders=1))
    plan = plan_batch(events)
    row = plan.sessions[("a", 1)]
    assert row.value(SESSIONS, "viewers") == (9,)
    assert row.value(SESSIONS, "likes") == (4,)  # an older snapshot still fills what nobody newer reported
    assert sorted(built) == [T0, T0 + timedelta(minutes=3)]  # minutes 1 and 2 were never built
    assert len(plan.timeline) == 4  # every minute still has its chart point


def _late(kind: str, *, read_after_start: timedelta, on_air: bool = False, duration_ms: int | None) -> SessionEvent:
    """A session of 90 minutes (from T0) read at T0 + `read_after_start`."""
    raw = kit.session_event(
        kind,  # type: ignore[arg-type]
        account_id="a",
        studio_id="s",
        session_id=7,
        started_at=T0,
        observed_at=T0 + read_after_start,
        ended_at=T0 + timedelta(minutes=90) if kind == "ended" else None,
        duration_ms=duration_ms,
        metrics={"placed_orders": 40, "viewers": 900},
        on_air=on_air,
    )
    event = decode_message(Message("session", raw))
    assert isinstance(event, SessionEvent)
    return event


NINETY_MIN_MS = 90 * 60_000


@pytest.mark.parametrize(
    ("kind", "on_air", "duration_ms", "read_after", "chart_minute"),
    [
        # first seen already ended, days later (a week of them is listed when an account connects): its
        # totals stood at the stream's end, not in the minute they were read
        ("snapshot", False, NINETY_MIN_MS, timedelta(days=3, minutes=7), timedelta(minutes=90)),
        ("ended", None, None, timedelta(hours=2, seconds=30), timedelta(minutes=90)),  # a late end
        ("snapshot", False, NINETY_MIN_MS, timedelta(minutes=90, seconds=20), timedelta(minutes=90)),
        # on air, or no known end: the observation's own minute
        ("snapshot", True, NINETY_MIN_MS, timedelta(minutes=95), timedelta(minutes=95)),
        ("snapshot", False, None, timedelta(days=3), timedelta(days=3)),
        ("snapshot", False, NINETY_MIN_MS, timedelta(minutes=60), timedelta(minutes=60)),  # end still ahead
    ],
)
def test_figures_read_after_the_stream_ended_chart_at_its_end(
    kind: str, on_air: bool | None, duration_ms: int | None, read_after: timedelta, chart_minute: timedelta
) -> None:
    event = _late(kind, read_after_start=read_after, on_air=bool(on_air), duration_ms=duration_ms)
    plan = plan_batch([event])
    assert list(plan.timeline) == [("a", 7, T0 + chart_minute)]
    assert event.point is not None and event.point[0] == T0 + chart_minute
    # the registers keep the observation's time: a newer read of the same minute still wins
    assert plan.sessions[("a", 7)].maxima[0] == T0 + read_after


def test_a_late_read_merges_into_the_point_of_the_streams_end() -> None:
    """The last live read (on air, in the stream's last minute) and a settling read a day later share a point: the
    newer read's figures win it, and no point appears in the minute of the late read."""

    def read(after: timedelta, on_air: bool, orders: int) -> SessionEvent:
        raw = kit.session_event(
            "snapshot", account_id="a", studio_id="s", session_id=7, started_at=T0, observed_at=T0 + after,
            duration_ms=NINETY_MIN_MS, metrics={"placed_orders": orders}, on_air=on_air,
        )  # fmt: skip
        event = decode_message(Message("session", raw))
        assert isinstance(event, SessionEvent)
        return event

    plan = plan_batch([read(timedelta(minutes=90, seconds=10), True, 30), read(timedelta(days=1), False, 41)])
    assert list(plan.timeline) == [("a", 7, T0 + timedelta(minutes=90))]
    assert plan.timeline[("a", 7, T0 + timedelta(minutes=90))].value(TIMELINE, "placed_orders") == (41,)
