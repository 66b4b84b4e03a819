"""Bonus points request and response models."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel, UtcTime
from ampyre.domain.tokens import REFERENCE_MAX, BonusEntry, BonusMovement
from ampyre.services.bonus import BonusStatement, Redemption


class BonusEntryOut(BaseModel):
    movement: BonusMovement
    points: int = Field(description="Signed: earned > 0, redeemed < 0, adjusted either way.")
    at: UtcTime
    reference: str = Field(
        description='"session:<transaction id>" for earn and redeem; the reason of an adjustment.'
    )
    actor: str = Field(description='Who recorded it ("system" for points earned).')
    value: Decimal | None = Field(
        default=None,
        description="What a redemption took off its session (plan currency, fixed then).",
    )

    @classmethod
    def from_domain(cls, entry: BonusEntry) -> BonusEntryOut:
        return cls(
            movement=entry.movement,
            points=entry.points,
            at=entry.at,
            reference=entry.reference,
            actor=entry.actor,
            value=entry.value,
        )


class BonusLedgerOut(BaseModel):
    contract_id: str = Field(description="Compact eMAID.")
    balance: int = Field(description="Points available (the sum of the entries, never < 0).")
    currency: str | None = Field(description="The plan's currency, which points are worth.")
    point_value: Decimal | None = Field(
        description="What one point takes off a session; null: the plan has no bonus rule."
    )
    balance_value: Decimal | None = Field(description="balance × point_value.")
    entries: list[BonusEntryOut] = Field(description="Oldest first.")

    @classmethod
    def from_domain(cls, statement: BonusStatement) -> BonusLedgerOut:
        return cls(
            contract_id=statement.contract_id,
            balance=statement.balance,
            currency=statement.currency,
            point_value=statement.point_value,
            balance_value=statement.balance_value,
            entries=[BonusEntryOut.from_domain(e) for e in statement.ledger.entries],
        )


class RedeemRequest(ApiModel):
    transaction_id: int = Field(ge=1, description="A rated session of the contract.")


class RedemptionOut(BaseModel):
    contract_id: str
    transaction_id: int
    points: int = Field(description="Points spent (> 0).")
    value: Decimal = Field(description="What they take off the session, in `currency`.")
    amount_due: Decimal = Field(description="The session's total including VAT.")
    remaining_due: Decimal = Field(description="amount_due − value.")
    currency: str
    balance: int = Field(description="Points left on the contract.")
    entry: BonusEntryOut

    @classmethod
    def from_domain(cls, redemption: Redemption) -> RedemptionOut:
        return cls(
            contract_id=redemption.contract_id,
            transaction_id=redemption.transaction_id,
            points=redemption.points,
            value=redemption.value,
            amount_due=redemption.amount_due,
            remaining_due=redemption.remaining_due,
            currency=redemption.currency,
            balance=redemption.balance,
            entry=BonusEntryOut.from_domain(redemption.entry),
        )


class AdjustRequest(ApiModel):
    points: int = Field(description="Points to add (> 0) or take away (< 0); not 0.")
    reason: str = Field(min_length=1, max_length=REFERENCE_MAX, examples=["goodwill: broken card"])
