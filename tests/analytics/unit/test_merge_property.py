"""Property (pure functions): however events arrive, collapsing batches and merging them gives the reference rows.

Decoding, batch planning and the last-writer-wins merge run exactly as in the consumer; only the database merge
is replaced by the same merge in Python. The SQL side is covered by the integration property test.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from livestudio_analytics.batch import plan_batch
from livestudio_analytics.events import AdSpendEntry
from livestudio_analytics.lww import State, TableSpec, merge_into, row_values
from livestudio_analytics.observations import ITEMS, SESSIONS, TIMELINE
from tests.analytics.reference import Reference, Row
from tests.analytics.strategies import Scenario, decode_message, scenarios


def _apply(table: dict[Any, State], spec: TableSpec, rows: dict[Any, State]) -> None:
    for key, state in rows.items():
        if key in table:
            merge_into(spec, table[key], state)
        else:
            table[key] = state.copy()


def _row(spec: TableSpec, key: tuple[Any, ...], state: State) -> Row:
    names = [c.name for c in spec.keys] + [c.name for c in spec.value_columns] + list(spec.maxima)
    return dict(zip(names, [*key, *row_values(spec, state), *state.maxima], strict=True))


def _same(expected: dict[Any, Row], actual: dict[Any, Row]) -> None:
    assert set(expected) == set(actual)
    for key, want in expected.items():
        have = actual[key]
        assert {c: have[c] for c in want if c in have} == {c: v for c, v in want.items() if c in have}, key


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_batched_merge_equals_reference(scenario: Scenario) -> None:
    reference = Reference()
    for message in scenario.messages:
        reference.add(message.topic, message.value)

    sessions: dict[Any, State] = {}
    timeline: dict[Any, State] = {}
    items: dict[Any, State] = {}
    ad_spend: dict[Any, AdSpendEntry] = {}
    for batch in scenario.batches:
        plan = plan_batch(decode_message(m) for m in batch)
        _apply(sessions, SESSIONS, plan.sessions)  # type: ignore[arg-type]
        _apply(timeline, TIMELINE, plan.timeline)  # type: ignore[arg-type]
        _apply(items, ITEMS, plan.items)  # type: ignore[arg-type]
        for key, entry in plan.ad_spend.items():
            if key not in ad_spend or (entry.issued_at, entry.command_id) > (
                ad_spend[key].issued_at,
                ad_spend[key].command_id,
            ):
                ad_spend[key] = entry

    _same(reference.session_rows(), {k: _row(SESSIONS, k, s) for k, s in sessions.items()})  # type: ignore[arg-type]
    _same(reference.timeline_rows(), {k: _row(TIMELINE, k, s) for k, s in timeline.items()})  # type: ignore[arg-type]
    _same(reference.item_rows(), {k: _row(ITEMS, k, s) for k, s in items.items()})  # type: ignore[arg-type]
    assert {k: (e.command_id, e.amount) for k, e in ad_spend.items()} == {
        k: (r["command_id"], r["amount"]) for k, r in reference.ad_spend_rows().items()
    }
