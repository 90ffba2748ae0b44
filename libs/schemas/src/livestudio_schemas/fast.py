"""Fast decoding of contract events for consumers that decode every record, with pydantic as the judge.

`FastDecoder(models)` decodes JSON into msgspec Structs generated from the contract's pydantic models: the same
fields and defaults, and every constraint of the models (lengths and bounds by msgspec, decimal digits by a
check after decoding). msgspec runs in strict mode, which accepts only the plain JSON encoding of each value, so
what it accepts is a subset of what pydantic accepts. Everything else (poison, but also valid records written
unusually, e.g. a count as "5" or a timestamp with nanoseconds) goes to pydantic, which decodes it into the model
or raises its `ValidationError`. So the verdict is always the contract's; a property test holds the two paths
together (what the fast path accepts, the model accepts with equal values).

A decoded value is a Struct or a model instance; both have the models' attributes. The fast path parses and
checks a session snapshot in a fraction of pydantic's time (figures: the analytics README, "Decoding").
Models with validators of their own, aliases, or constraints this module does not know are refused (`TypeError`).
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import msgspec
import pydantic
from pydantic import BaseModel, Field, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic.functional_serializers import PlainSerializer
from pydantic_core import PydanticUndefined

DigitsCheck = tuple[str, int | None, int | None]
"""(dotted path, max_digits, decimal_places) of a decimal field with digit constraints."""

_BOUNDS = {annotated_types.Gt: "gt", annotated_types.Ge: "ge", annotated_types.Lt: "lt", annotated_types.Le: "le"}
_SUB_MICROSECOND = re.compile(rb"\.[0-9]{7}")
"""Seven or more fractional digits anywhere in a record: pydantic truncates such a timestamp to microseconds,
msgspec rounds it, so the record goes to pydantic (whether or not the digits were a timestamp's)."""
_STEPS = {places: Decimal(1).scaleb(-places) for places in range(19)}


class _Plan:
    """What to check on a decoded Struct beyond what msgspec checked: the digits of its decimals, including those
    of the Structs it always holds (reached by dotted paths), and the Structs it may hold or holds in lists."""

    def __init__(self) -> None:
        self.digits: list[DigitsCheck] = []
        self.nested: list[str] = []
        """dotted paths to an optional Struct or a list of Structs, checked with their own plans"""
        self.numbers: Callable[[Any], tuple[Any, ...]] = _nothing
        self.limits: list[tuple[int | None, int | None]] = []
        self.inner: Callable[[Any], tuple[Any, ...]] = _nothing

    def include(self, name: str, inner: _Plan) -> None:
        """The plan of a Struct always held in attribute `name`, checked as part of this one."""
        self.digits += [(f"{name}.{path}", max_digits, places) for path, max_digits, places in inner.digits]
        self.nested += [f"{name}.{path}" for path in inner.nested]

    def compile(self) -> None:
        """Getters of all the checked values at once (one C call, not a getattr per attribute and level)."""
        self.limits = [(max_digits, places) for _, max_digits, places in self.digits]
        self.numbers = _getter([path for path, _, _ in self.digits])
        self.inner = _getter(self.nested)


def _nothing(_: Any) -> tuple[Any, ...]:
    return ()


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return _nothing
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda value: (one(value),)
    return attrgetter(*names)


class _Found:
    """What mapping one field's annotation found that msgspec does not check itself."""

    def __init__(self) -> None:
        self.digits: list[tuple[int | None, int | None]] = []


_plans: dict[type[msgspec.Struct], _Plan] = {}
_structs: dict[tuple[type[BaseModel], str | None], type[msgspec.Struct]] = {}


def struct_of(model: type[BaseModel], *, tag_field: str | None = None) -> type[msgspec.Struct]:
    """The msgspec Struct of `model` (built once). With `tag_field`, that field (a one-value Literal) becomes the
    Struct's tag, so that a union of such Structs is decoded by it."""
    key = (model, tag_field)
    struct = _structs.get(key)
    if struct is None:
        struct = _structs[key] = _build(model, tag_field)
    return struct


def _build(model: type[BaseModel], tag_field: str | None) -> type[msgspec.Struct]:
    decorators = model.__pydantic_decorators__
    if (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
    ):
        raise TypeError(f"{model.__name__} has validators of its own; a Struct would not check them")
    plan = _Plan()
    fields: list[tuple[str, Any, Any] | tuple[str, Any]] = []
    tag: str | None = None
    for name, info in model.model_fields.items():
        if info.alias is not None and info.alias != name:
            raise TypeError(f"{model.__name__}.{name} has an alias")
        annotation = info.rebuild_annotation()
        if name == tag_field:
            (tag,) = get_args(annotation)
            continue
        found = _Found()
        mapped = _struct_annotation(annotation, found)
        if len(found.digits) > 1:
            raise TypeError(f"{model.__name__}.{name}: more than one set of decimal digit constraints")
        if found.digits:
            plan.digits.append((name, *found.digits[0]))
        if isinstance(mapped, type) and issubclass(mapped, msgspec.Struct):
            plan.include(name, _plans[mapped])  # always present: its checks become this plan's
        elif _holds_struct(mapped):
            plan.nested.append(name)
        if info.default_factory is not None:
            fields.append((name, mapped, msgspec.field(default_factory=info.default_factory)))  # type: ignore[arg-type]
        elif info.default is not PydanticUndefined:
            fields.append((name, mapped, info.default))
        else:
            fields.append((name, mapped))
    struct = msgspec.defstruct(
        f"{model.__name__}Struct", fields, kw_only=True, frozen=True, gc=False, tag_field=tag_field, tag=tag
    )
    plan.compile()
    _plans[struct] = plan
    return struct


def _struct_annotation(annotation: Any, found: _Found) -> Any:
    """`annotation` for msgspec: models become Structs, pydantic constraints become `msgspec.Meta`; what is left
    to check after decoding (decimal digits) is noted in `found`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return struct_of(annotation)
    if annotation is pydantic.AwareDatetime:
        return Annotated[datetime, msgspec.Meta(tz=True)]
    origin = get_origin(annotation)
    if origin is None:
        if annotation in (str, int, bool, float, Decimal, type(None)):
            return annotation
        raise TypeError(f"no msgspec equivalent for {annotation!r}")
    args = get_args(annotation)
    if origin is Literal:
        return annotation
    if origin in (Union, types.UnionType):
        return Union[tuple(_struct_annotation(a, found) for a in args)]  # noqa: UP007 (built from a tuple)
    if origin is list:
        return list[_struct_annotation(args[0], found)]  # type: ignore[misc]
    if origin is Annotated:
        base = _struct_annotation(args[0], found)
        meta: dict[str, Any] = {}
        for item in args[1:]:
            _constraint(item, meta, found)
        return Annotated[base, msgspec.Meta(**meta)] if meta else base
    raise TypeError(f"no msgspec equivalent for {annotation!r}")


def _constraint(item: Any, meta: dict[str, Any], found: _Found) -> None:
    if isinstance(item, FieldInfo):  # e.g. Field(max_digits=..., description=...) inside Annotated
        for inner in item.metadata:
            _constraint(inner, meta, found)
    elif isinstance(item, annotated_types.MinLen):
        meta["min_length"] = item.min_length
    elif isinstance(item, annotated_types.MaxLen):
        meta["max_length"] = item.max_length
    elif type(item) in _BOUNDS:
        meta[_BOUNDS[type(item)]] = getattr(item, _BOUNDS[type(item)])
    elif isinstance(item, PlainSerializer):
        pass  # how the model writes JSON, not what it accepts
    elif hasattr(item, "max_digits") and hasattr(item, "decimal_places") and len(vars(item)) == 2:
        found.digits.append((item.max_digits, item.decimal_places))  # pydantic's general metadata of a decimal
    else:
        raise TypeError(f"no msgspec equivalent for the constraint {item!r}")


def _holds_struct(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return True
    return any(_holds_struct(a) for a in get_args(annotation))


def digits_within(value: Decimal, max_digits: int | None, decimal_places: int | None) -> bool:
    """Whether `value` certainly meets pydantic's digit constraints (which ignore trailing zeros). Where this says
    no, the record goes to pydantic, so it may be stricter than pydantic, never laxer: only constraints that give
    both `max_digits` and `decimal_places` (the contract's money and rates) are checked here."""
    if max_digits is None or decimal_places not in _STEPS or not value.is_finite():
        return False
    try:  # two C calls, ~0.13 µs (as_tuple() would cost ~0.5 µs)
        if value.quantize(_STEPS[decimal_places]) != value:
            return False  # more decimal places than allowed, trailing zeros aside
    except InvalidOperation:  # beyond the context's precision
        return False
    return value.adjusted() < max_digits - decimal_places  # adjusted(): the exponent of the first digit


def _checked(value: Any) -> bool:
    """Every decimal in `value` (a Struct, or a list of them) meets its digit constraints."""
    if value.__class__ is list:
        return all(_checked(v) for v in value)
    plan = _plans[value.__class__]
    for number, (max_digits, places) in zip(plan.numbers(value), plan.limits):  # noqa: B905 (same length)
        if number is not None and not digits_within(number, max_digits, places):
            return False
    for inner in plan.inner(value):  # noqa: SIM110 (a loop: no generator per call on the hot path)
        if inner is not None and not _checked(inner):
            return False
    return True


class FastDecoder:
    """Decodes JSON into one of `models` (a union picked by `tag_field` when there are several)."""

    def __init__(self, models: Sequence[type[BaseModel]], *, tag_field: str | None = None) -> None:
        if len(models) > 1 and tag_field is None:
            raise TypeError("a union of models needs the tag field that picks one")
        structs = [struct_of(m, tag_field=tag_field) for m in models]
        self._model_of: dict[type[Any], type[BaseModel]] = dict(zip(structs, models, strict=True))
        self._model_of.update({m: m for m in models})
        target: Any = Union[tuple(structs)] if len(structs) > 1 else structs[0]  # noqa: UP007
        self._fast = msgspec.json.Decoder(target)
        judge: Any = Union[tuple(models)] if len(models) > 1 else models[0]  # noqa: UP007
        if tag_field is not None and len(models) > 1:
            judge = Annotated[judge, Field(discriminator=tag_field)]
        self._judge: TypeAdapter[Any] = TypeAdapter(judge)

    def decode(self, raw: bytes) -> Any:
        """A Struct (fast path) or a model instance; raises pydantic's `ValidationError` if the model rejects it."""
        if _SUB_MICROSECOND.search(raw) is None:
            try:
                value = self._fast.decode(raw)
            except (msgspec.ValidationError, msgspec.DecodeError):
                pass
            else:
                if _checked(value):
                    return value
        return self._judge.validate_json(raw)

    def model_of(self, value: Any) -> type[BaseModel]:
        """Which model a decoded value stands for."""
        return self._model_of[type(value)]
