"""Refund requests as the API shows them: amounts in major units as decimal strings."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel, UtcTime
from ampyre.domain.refunds import REASON_MAX, RefundStatus
from ampyre.services.payment_store import RefundRequest


class RefundCreate(ApiModel):
    transaction_id: int = Field(ge=1, description="The session to refund.")
    amount: Decimal | None = Field(
        default=None,
        gt=0,
        description="In the currency the session was paid in; omitted: all that is left.",
    )
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="The driver's words.")


class RefundReject(ApiModel):
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="Told to the driver.")


class RefundOut(BaseModel):
    id: str
    transaction_id: int
    payment_id: str
    customer_id: str
    amount: Decimal
    currency: str
    reason: str
    status: RefundStatus
    automatic: bool = Field(description="Approved by the rules, without support.")
    decision_reason: str
    requested_at: UtcTime
    requested_by: str | None
    due_by: UtcTime | None = Field(description="Once approved: paid back by then.")
    decided_by: str | None
    decided_at: UtcTime | None
    paid_at: UtcTime | None
    failure_message: str | None

    @classmethod
    def from_domain(cls, r: RefundRequest) -> RefundOut:
        return cls(
            id=r.id,
            transaction_id=r.transaction_id,
            payment_id=r.payment_id,
            customer_id=r.customer_id,
            amount=r.amount.decimal(),
            currency=r.amount.currency,
            reason=r.reason,
            status=r.status,
            automatic=r.automatic,
            decision_reason=r.decision_reason,
            requested_at=r.requested_at,
            requested_by=r.requested_by,
            due_by=r.due_by,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            paid_at=r.paid_at,
            failure_message=r.failure_message,
        )
