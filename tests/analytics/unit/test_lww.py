"""Last-writer-wins registers: the merge is a join (commutative, associative, idempotent), so order never matters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from livestudio_analytics.lww import (
    Column,
    Register,
    State,
    TableSpec,
    collapse,
    merge_into,
    merged,
    row_values,
    scalar,
)

SPEC = TableSpec(
    table="t",
    keys=(Column("k", "text"),),
    registers=(
        Register("identity", (Column("name", "text"), Column("n", "bigint"))),
        scalar("x", "bigint"),
        scalar("live", "boolean", descending=True),
    ),
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)

times = st.integers(0, 5).map(lambda m: T0 + timedelta(minutes=m))
states = st.builds(
    lambda t, name, n, x, live: State(
        [(t, (name, n)), None if x is None else (t, (x,)), None if live is None else (t, (live,))], [t]
    ),
    times,
    st.sampled_from(["a", "b", "é"]),
    st.integers(0, 3),
    st.none() | st.integers(0, 3),
    st.none() | st.booleans(),
)


def _join(a: State, b: State) -> State:
    out = a.copy()
    merge_into(SPEC, out, b)
    return out


@given(states, states)
def test_merge_is_commutative(a: State, b: State) -> None:
    assert _join(a, b) == _join(b, a)


@given(states, states, states)
def test_merge_is_associative(a: State, b: State, c: State) -> None:
    assert _join(_join(a, b), c) == _join(a, _join(b, c))


@given(states, states)
def test_merge_is_idempotent(a: State, b: State) -> None:
    ab = _join(a, b)
    assert _join(ab, b) == ab
    assert _join(ab, a) == ab


@settings(max_examples=200)
@given(st.lists(states, min_size=1, max_size=8), st.randoms())
def test_any_order_and_split_gives_the_same_state(items: list[State], rnd: object) -> None:
    expected = merged(SPEC, items)
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    cut = len(shuffled) // 2
    first = collapse(SPEC, [("k", s) for s in shuffled[:cut]]).get("k")
    second = collapse(SPEC, [("k", s) for s in shuffled[cut:]])["k"]
    assert merged(SPEC, [s for s in (first, second) if s is not None]) == expected


def test_newer_report_wins_and_a_missing_report_changes_nothing() -> None:
    old = State([(T0, ("a", 1)), (T0, (5,)), (T0, (True,))], [T0])
    later = T0 + timedelta(minutes=1)
    new = State([(later, ("a", 1)), None, (later, (True,))], [later])
    out = _join(old, new)
    assert out.value(SPEC, "x") == (5,)  # not reported later: the earlier value stays
    assert row_values(SPEC, out) == ["a", 1, 5, True]
    assert out.maxima == [later]
    corrected = State([(later, ("a", 1)), (later, (3,)), None], [later])
    assert _join(out, corrected).value(SPEC, "x") == (3,)  # cumulative figures may go down


def test_ties_are_broken_by_value_and_off_air_wins() -> None:
    a = State([(T0, ("a", 1)), (T0, (2,)), (T0, (True,))], [T0])
    b = State([(T0, ("b", 0)), (T0, (1,)), (T0, (False,))], [T0])
    for out in (_join(a, b), _join(b, a)):
        assert row_values(SPEC, out) == ["b", 0, 2, False]
