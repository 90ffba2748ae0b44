"""Last-writer-wins registers: how observations of one entity merge, whatever their order, batching or repetition.

Shopee reports cumulative figures, and an observation that does not report a figure (`None`) says nothing about
it. So every column group of a read-model row is a *register* holding the value of the newest observation that
reported it, together with that observation's `observed_at`:

* a newer report replaces the value (cumulative: the difference is applied, including corrections downwards);
* an older or equal report loses, a missing report (`None`) changes nothing;
* ties on `observed_at` are broken by the value itself, so the result never depends on arrival order.

Merging is therefore associative, commutative and idempotent: collapsing a batch first, applying it in any
split, redelivering or reordering records all give the same row. The same rule runs here in Python (to collapse
a batch) and in SQL (`repository` generates the upsert from the same `TableSpec`), so a batch and the stored row
merge exactly like two observations do.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)

Entry = tuple[datetime, tuple[Any, ...]]
"""One register's value: (observed_at of the report, the values of the register's columns)."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    pg_type: str
    descending: bool = False
    """For a tie on observed_at the *smaller* value wins (on_air: off air beats on air)."""

    @property
    def is_text(self) -> bool:
        return self.pg_type == "text"


@dataclass(frozen=True, slots=True)
class Register:
    """Columns that are always reported together (a single metric, or an identity that every event carries)."""

    name: str
    columns: tuple[Column, ...]

    @property
    def plain(self) -> bool:
        return not any(c.descending for c in self.columns)


def scalar(name: str, pg_type: str, *, descending: bool = False) -> Register:
    return Register(name, (Column(name, pg_type, descending),))


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A read-model table: key columns, registers, and `maxima` (timestamps that keep the newest non-null value)."""

    table: str
    keys: tuple[Column, ...]
    registers: tuple[Register, ...]
    maxima: tuple[str, ...] = ("observed_at",)
    index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    ordered: list[int] = field(default_factory=list, compare=False, repr=False)
    """Positions of registers whose entries do not compare as plain tuples (descending columns)."""

    def __post_init__(self) -> None:
        for i, reg in enumerate(self.registers):
            self.index[reg.name] = i
            if not reg.plain:
                self.ordered.append(i)

    @property
    def value_columns(self) -> tuple[Column, ...]:
        return tuple(c for reg in self.registers for c in reg.columns)

    def position(self, register: str) -> int:
        return self.index[register]


class State:
    """The merged knowledge about one row: an entry (or None) per register and the maxima."""

    __slots__ = ("entries", "maxima")

    def __init__(self, entries: list[Entry | None], maxima: list[datetime | None]) -> None:
        self.entries = entries
        self.maxima = maxima

    def copy(self) -> State:
        return State(list(self.entries), list(self.maxima))

    def value(self, spec: TableSpec, register: str) -> tuple[Any, ...] | None:
        entry = self.entries[spec.position(register)]
        return None if entry is None else entry[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, State) and self.entries == other.entries and self.maxima == other.maxima

    def __repr__(self) -> str:
        return f"State(entries={self.entries!r}, maxima={self.maxima!r})"

    __hash__ = None  # type: ignore[assignment]


def _sort_key(register: Register, entry: Entry) -> tuple[Any, ...]:
    values = tuple((not v) if c.descending else v for c, v in zip(register.columns, entry[1], strict=True))
    return (entry[0], values)


def newer(register: Register, candidate: Entry, current: Entry | None) -> bool:
    """Whether `candidate` replaces `current` in `register`."""
    if current is None:
        return True
    if register.plain:
        return candidate > current
    return _sort_key(register, candidate) > _sort_key(register, current)


def merge_into(spec: TableSpec, target: State, other: State) -> None:
    """Merge `other` into `target` in place (the join of the two states). Hot: runs once per event."""
    entries = target.entries
    special = spec.ordered
    for i, candidate in enumerate(other.entries):
        if candidate is None:
            continue
        current = entries[i]
        if current is None:
            entries[i] = candidate
        elif i in special:
            if candidate[0] > current[0] or (
                candidate[0] == current[0] and newer(spec.registers[i], candidate, current)
            ):
                entries[i] = candidate
        elif candidate > current:  # (observed_at, values): newer report, or the larger value on a tie
            entries[i] = candidate
    maxima = target.maxima
    for i, ts in enumerate(other.maxima):
        if ts is not None and (maxima[i] is None or ts > maxima[i]):  # type: ignore[operator]
            maxima[i] = ts


def merged(spec: TableSpec, states: Iterable[State]) -> State:
    out: State | None = None
    for state in states:
        if out is None:
            out = state.copy()
        else:
            merge_into(spec, out, state)
    if out is None:
        raise ValueError("nothing to merge")
    return out


def collapse(spec: TableSpec, updates: Iterable[tuple[K, State]]) -> dict[K, State]:
    """Collapse a batch to one merged state per key (the newest report of every register)."""
    out: dict[K, State] = {}
    for key, state in updates:
        current = out.get(key)
        if current is None:
            out[key] = state.copy()
        else:
            merge_into(spec, current, state)
    return out


def row_values(spec: TableSpec, state: State) -> list[Any]:
    """The column values of a state in `spec.value_columns` order (None for unreported registers)."""
    out: list[Any] = []
    for reg, entry in zip(spec.registers, state.entries, strict=True):
        if entry is None:
            out.extend([None] * len(reg.columns))
        else:
            out.extend(entry[1])
    return out


def entry_times(state: State) -> list[datetime | None]:
    return [None if e is None else e[0] for e in state.entries]
