"""Plan (offer) request and response models.

Amounts are decimal strings ("9.99") both ways: a JSON number with a fraction is refused in
requests, because it may have lost digits before it reaches Ampyre (JSON parsers read such
numbers as binary floats); whole numbers are accepted as they are exact.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field, WithJsonSchema

from ampyre.api.schemas.common import ApiModel, PatchModel, UtcTime, given, given_value
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.plans import BonusBasis, BonusRule, Plan, SpecialPrice
from ampyre.domain.rating.assignment import AssignmentScope
from ampyre.services.plans import NewPlan, PlanUpdate
from ampyre.services.updates import Keep

MAX_DIGITS = 30
"""Digits an amount in a request may have: far more than any price needs, few enough that
no absurd input ("1e999999") reaches the money rules."""


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError(f'send amounts as decimal strings (e.g. "9.99"), not the number {value}')
    return value


DecimalText = Annotated[
    Decimal,
    Field(max_digits=MAX_DIGITS),
    BeforeValidator(_no_float),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["9.99"]}, mode="validation"
    ),
]
"""An exact decimal in a request: a string like "9.99" (or a whole JSON number)."""


class SpecialPriceModel(ApiModel):
    scope: AssignmentScope = Field(
        description="operator, partner or station_group (a plan has no per-station prices)."
    )
    target: str = Field(
        min_length=1,
        max_length=64,
        description="The operator id, roaming partner id or station group name.",
        examples=["north"],
    )
    tariff_id: str = Field(min_length=1, max_length=36, description="In the plan's currency.")
    priority: int = Field(
        default=100,
        ge=-1_000_000,
        le=1_000_000,
        description="Lower wins among matching station groups.",
    )

    def to_domain(self) -> SpecialPrice:
        return SpecialPrice(self.scope, self.target, self.tariff_id, self.priority)

    @classmethod
    def from_domain(cls, price: SpecialPrice) -> SpecialPriceModel:
        return cls(
            scope=price.scope,
            target=price.target,
            tariff_id=price.tariff_id,
            priority=price.priority,
        )


class BonusModel(ApiModel):
    basis: BonusBasis = Field(description="energy: points per kWh; amount: per currency unit.")
    points_per_unit: DecimalText = Field(description="Points per kWh or per 1 unit paid.")
    point_value: DecimalText = Field(
        description="What one redeemed point takes off a session, in the plan's currency."
    )

    def to_domain(self) -> BonusRule:
        return BonusRule(self.basis, self.points_per_unit, self.point_value)


class BonusOut(BaseModel):
    basis: BonusBasis
    points_per_unit: Decimal
    point_value: Decimal


_FEE = "Excluding VAT, per month, with at most the currency's decimals."
_TYPES = "Customer types that may subscribe."


class PlanCreate(ApiModel):
    id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", examples=["HOME-PLUS"])
    name: str = Field(min_length=1, max_length=200, examples=["Home Plus"])
    description: str = Field(default="", max_length=4000)
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["PLN"])
    monthly_fee: DecimalText = Field(description=_FEE)
    card_fee: DecimalText = Field(description="Excluding VAT, per RFID card issued.")
    vat_percent: DecimalText | None = Field(
        default=None, description="VAT on the fees in percent; null: no VAT applies."
    )
    valid_from: AwareDatetime | None = Field(
        default=None, description="When it can first be subscribed to (now when omitted)."
    )
    valid_until: AwareDatetime | None = Field(
        default=None, description="When it can no longer be subscribed to (exclusive)."
    )
    special_prices: list[SpecialPriceModel] = Field(default_factory=list)
    bonus: BonusModel | None = None
    eligible_customer_types: list[CustomerType] = Field(
        default_factory=lambda: list(CustomerType), description=f"{_TYPES} Default: all."
    )

    def to_new(self) -> NewPlan:
        return NewPlan(
            id=self.id,
            name=self.name,
            currency=self.currency,
            monthly_fee=self.monthly_fee,
            card_fee=self.card_fee,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            description=self.description,
            vat_percent=self.vat_percent,
            special_prices=tuple(p.to_domain() for p in self.special_prices),
            bonus=None if self.bonus is None else self.bonus.to_domain(),
            eligible_customer_types=frozenset(self.eligible_customer_types),
        )


class PlanPatch(PatchModel):
    """Only the fields sent change; ``special_prices`` sent replaces them all; null clears
    ``valid_until`` (no end), ``vat_percent`` (no VAT) or ``bonus`` (no points). The
    currency cannot change: an offer in another currency is a new plan."""

    not_nullable = (
        "name",
        "description",
        "monthly_fee",
        "card_fee",
        "valid_from",
        "special_prices",
        "eligible_customer_types",
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    monthly_fee: DecimalText | None = Field(default=None, description=_FEE)
    card_fee: DecimalText | None = None
    vat_percent: DecimalText | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    special_prices: list[SpecialPriceModel] | None = None
    bonus: BonusModel | None = None
    eligible_customer_types: list[CustomerType] | None = Field(default=None, description=_TYPES)

    def to_update(self) -> PlanUpdate:
        prices = given_value(self, "special_prices", self.special_prices)
        bonus = given(self, "bonus", self.bonus)
        types = given_value(self, "eligible_customer_types", self.eligible_customer_types)
        return PlanUpdate(
            name=given_value(self, "name", self.name),
            description=given_value(self, "description", self.description),
            monthly_fee=given_value(self, "monthly_fee", self.monthly_fee),
            card_fee=given_value(self, "card_fee", self.card_fee),
            vat_percent=given(self, "vat_percent", self.vat_percent),
            valid_from=given_value(self, "valid_from", self.valid_from),
            valid_until=given(self, "valid_until", self.valid_until),
            special_prices=prices
            if isinstance(prices, Keep)
            else tuple(p.to_domain() for p in prices),
            bonus=bonus if not isinstance(bonus, BonusModel) else bonus.to_domain(),
            eligible_customer_types=types if isinstance(types, Keep) else frozenset(types),
        )


class PlanOut(BaseModel):
    id: str
    name: str
    description: str
    currency: str
    monthly_fee: Decimal = Field(examples=["29.00"])
    card_fee: Decimal = Field(examples=["10.00"])
    vat_percent: Decimal | None = Field(examples=["23"])
    valid_from: UtcTime
    valid_until: UtcTime | None
    offered_now: bool = Field(description="Whether it can be subscribed to now.")
    special_prices: list[SpecialPriceModel]
    bonus: BonusOut | None
    eligible_customer_types: list[CustomerType]

    @classmethod
    def from_domain(cls, plan: Plan, now: datetime) -> PlanOut:
        bonus = plan.bonus
        return cls(
            id=plan.id,
            name=plan.name,
            description=plan.description,
            currency=plan.currency,
            monthly_fee=plan.monthly_fee,
            card_fee=plan.card_fee,
            vat_percent=plan.vat_percent,
            valid_from=plan.valid_from,
            valid_until=plan.valid_until,
            offered_now=plan.is_offered_at(now),
            special_prices=[SpecialPriceModel.from_domain(p) for p in plan.special_prices],
            bonus=None
            if bonus is None
            else BonusOut(
                basis=bonus.basis,
                points_per_unit=bonus.points_per_unit,
                point_value=bonus.point_value,
            ),
            eligible_customer_types=[t for t in CustomerType if t in plan.eligible_customer_types],
        )
