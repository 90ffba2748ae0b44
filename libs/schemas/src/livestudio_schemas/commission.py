"""Payload of `livestudio.commission.v1`: statement status changes and their lines, for payroll and finance."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from livestudio_schemas.envelope import event_type
from livestudio_schemas.types import AwareDatetime, Money

STATEMENT_CALCULATED = event_type("commission.statement.calculated")
STATEMENT_APPROVED = event_type("commission.statement.approved")
STATEMENT_PAID = event_type("commission.statement.paid")
STATEMENT_VOIDED = event_type("commission.statement.voided")

StatementStatus = Literal["calculated", "approved", "paid", "void"]


class StatementLine(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    line_id: str
    line_kind: Literal["earning", "adjustment"]
    rule_id: str | None = None
    account_id: str | None = None
    session_id: int | None = None
    description: str
    base: Money | None = Field(default=None, description="what the rule was applied to (GMV, orders, hours)")
    amount: Money


class StatementChanged(BaseModel):
    """A host's statement for one pay period, after a change of figures or status."""

    model_config = ConfigDict(extra="allow", frozen=True)

    statement_id: str
    studio_id: str
    host_id: str
    period_start: date
    period_end: date
    status: StatementStatus
    currency: str = "IDR"
    total: Money
    lines: list[StatementLine]
    actor: str | None = Field(default=None, description="who approved / paid / voided")
    changed_at: AwareDatetime
    revision: int = Field(ge=1, description="increases with every recalculation or status change")
