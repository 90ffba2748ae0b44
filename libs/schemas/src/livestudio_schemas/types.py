"""Shared value types of the contract: exact money, aware timestamps, identifiers."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pydantic
from pydantic import Field, PlainSerializer

Money = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=2, description="exact amount in the account currency, as a string"),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
]
"""Exact money in the account's currency (IDR is whole rupiah; others may have cents). Never a float."""

Count = Annotated[int, Field(ge=0)]
"""A non-negative counter reported by Shopee."""

AwareDatetime = pydantic.AwareDatetime
"""A timestamp with its offset (checked by pydantic-core itself: no Python call per value)."""

Ratio = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=6, description="a rate as reported by Shopee, exact decimal"),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
]
