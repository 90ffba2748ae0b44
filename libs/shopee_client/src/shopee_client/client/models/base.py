"""Shared pieces of the response models: the base class and the field types for Shopee's wire quirks.

- `ShopeeModel`: snake_case attributes with Shopee's names as aliases; unknown fields are kept
  (`extra="allow"`, see `model_extra`); models are frozen.
- `EpochMs` / `EpochSeconds`: epoch timestamps → aware UTC `datetime`.
- `DurationMs`: a duration in milliseconds → `timedelta` (exact to the millisecond; `.total_seconds() * 1000`
  gives the ms back).
- `Money`: an exact `Decimal` in the account currency's major unit (whole rupiah for IDR). JSON floats are read
  through their shortest repr, so `12.5` is `Decimal("12.5")`, never a binary approximation.
- `AffiliateMoney`: the affiliate report's integer 1/100000 units → exact `Decimal` (`123400000` → `1234`).
JSON `null` stays `None` everywhere: unknown is not zero.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, Strict

__all__ = [
    "AffiliateMoney",
    "DurationMs",
    "EpochMs",
    "EpochSeconds",
    "Money",
    "Page",
    "ShopeeModel",
]


def _to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class ShopeeModel(BaseModel):
    """Base of every response model: camelCase aliases, extra fields kept, immutable."""

    model_config = ConfigDict(
        alias_generator=_to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=True,
    )


class SnakeShopeeModel(ShopeeModel):
    """For endpoints whose wire names are already snake_case (shopee.<d>/api, live.*, affiliate)."""

    model_config = ConfigDict(alias_generator=None)


def _number(value: Any) -> Any:
    """Reject booleans (JSON true is not a number); pass other values on for pydantic to check."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    return value


def _ms_to_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    value = _number(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=value)
    raise ValueError("expected epoch milliseconds")


def _s_to_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    value = _number(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(0, UTC) + timedelta(seconds=value)
    raise ValueError("expected epoch seconds")


def _ms_to_timedelta(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    value = _number(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int | float):
        return timedelta(milliseconds=value)
    raise ValueError("expected a duration in milliseconds")


def _to_decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    value = _number(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError("expected a decimal number") from None
        if not result.is_finite():
            raise ValueError("expected a finite decimal number")
        return result
    raise ValueError("expected a number")


def _affiliate_units(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    raw = _to_decimal(value)
    assert isinstance(raw, Decimal)
    return raw.scaleb(-5)


def _dt_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _td_ms(value: timedelta) -> int:
    return value // timedelta(milliseconds=1)


EpochMs = Annotated[
    datetime, BeforeValidator(_ms_to_datetime), PlainSerializer(_dt_ms, return_type=int, when_used="json")
]
EpochSeconds = Annotated[datetime, BeforeValidator(_s_to_datetime)]
DurationMs = Annotated[
    timedelta, BeforeValidator(_ms_to_timedelta), PlainSerializer(_td_ms, return_type=int, when_used="json")
]
Money = Annotated[Decimal, BeforeValidator(_to_decimal)]
AffiliateMoney = Annotated[Decimal, BeforeValidator(_affiliate_units)]
Count = Annotated[int, Strict()]  # JSON integers only (no bools, no strings): validated in Rust, fast
Ratio = Annotated[float, BeforeValidator(_number)]

T = TypeVar("T")


class Page(ShopeeModel, Generic[T]):
    """One page of a paginated list: `data{page, pageSize, total, totalPage, list[]}`."""

    page: int
    page_size: int
    total: int
    total_page: int
    items: list[T] = Field(alias="list")


OptCount = Count | None
OptMoney = Money | None
