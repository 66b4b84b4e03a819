"""Payments as the API shows them: amounts in major units as decimal strings, with the
currency; the ledger entries and the payment log of one payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import UtcTime
from ampyre.domain.ledger import LedgerKind
from ampyre.domain.payments import PaymentPurpose, PaymentState
from ampyre.services.payment_store import LogStage
from ampyre.services.payments import PaymentStatement, WebhookOutcome


class LedgerEntryOut(BaseModel):
    key: str = Field(description="Names the movement; each is recorded once.")
    kind: LedgerKind
    amount: Decimal
    currency: str
    at: UtcTime


class PaymentStepOut(BaseModel):
    stage: LogStage
    operation: str
    at: UtcTime
    summary: str
    idempotency_key: str | None
    payload: dict[str, Any] = Field(description="The provider's object, without secrets.")


class PaymentOut(BaseModel):
    id: str
    customer_id: str
    provider: str
    reference: str | None = Field(description="The provider's id of the payment.")
    purpose: PaymentPurpose
    transaction_id: int | None
    state: PaymentState
    currency: str
    authorized: Decimal
    captured: Decimal
    refunded: Decimal
    authorization_expires_at: UtcTime | None
    failure_code: str | None
    failure_message: str | None
    ledger: list[LedgerEntryOut]
    log: list[PaymentStepOut]

    @classmethod
    def from_statement(cls, statement: PaymentStatement) -> PaymentOut:
        p = statement.payment
        return cls(
            id=p.id,
            customer_id=p.customer_id,
            provider=p.provider,
            reference=p.reference,
            purpose=p.purpose,
            transaction_id=p.transaction_id,
            state=p.state,
            currency=p.currency,
            authorized=p.authorized.decimal(),
            captured=p.captured.decimal(),
            refunded=p.refunded.decimal(),
            authorization_expires_at=p.authorization_expires_at,
            failure_code=p.failure_code,
            failure_message=p.failure_message,
            ledger=[
                LedgerEntryOut(
                    key=e.key,
                    kind=e.kind,
                    amount=e.amount.decimal(),
                    currency=e.amount.currency,
                    at=e.at,
                )
                for e in statement.ledger
            ],
            log=[
                PaymentStepOut(
                    stage=s.stage,
                    operation=s.operation,
                    at=s.at,
                    summary=s.summary,
                    idempotency_key=s.idempotency_key,
                    payload=dict(s.payload),
                )
                for s in statement.log
            ],
        )


class WebhookReceivedOut(BaseModel):
    event_id: str
    duplicate: bool = Field(description="The event was received before; nothing changed.")
    moved: bool = Field(description="Whether the event moved a payment forward.")

    @classmethod
    def from_outcome(cls, outcome: WebhookOutcome) -> WebhookReceivedOut:
        return cls(event_id=outcome.event_id, duplicate=outcome.duplicate, moved=outcome.moved)
