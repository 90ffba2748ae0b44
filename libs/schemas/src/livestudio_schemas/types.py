"""Shared value types of the contract: exact money, aware timestamps, identifiers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    return value


Money = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=2, description="exact amount in the account currency, as a string"),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
]
"""Exact money in the account's currency (IDR is whole rupiah; others may have cents). Never a float."""

Count = Annotated[int, Field(ge=0)]
"""A non-negative counter reported by Shopee."""

AwareDatetime = Annotated[datetime, AfterValidator(_aware)]

Ratio = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=6, description="a rate as reported by Shopee, exact decimal"),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
]
