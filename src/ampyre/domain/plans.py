"""Plans (offers): the terms an operator offers subscribers (seed 001, DOMAIN.md §5).

A plan has a monthly fee, an RFID card fee, special prices (its own tariff at chosen
operators, roaming partners or station groups), an optional bonus points rule and the customer
types that may subscribe to it.

- **Validity** (``valid_from`` inclusive, ``valid_until`` exclusive) is when the plan can be
  *subscribed to*. Contracts already signed keep running on their own dates when the offer
  ends; the plan stays readable for them.
- **Fees** are amounts excluding VAT, like every price of a tariff (DOMAIN.md §1), exact to
  the currency's minor unit. ``vat_percent`` is the VAT rate an invoice applies to them; None
  means no VAT applies, which an invoice shows differently from 0 %. A monthly fee is
  prorated by days (see :func:`ampyre.domain.contracts.prorate_monthly_fee`).
- **Special prices** become :class:`~ampyre.domain.rating.assignment.TariffAssignment` s with
  the plan's id, so rating picks them before any general price for sessions under the plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from ampyre.domain.customer_types import CustomerType
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.money import ZERO, check_currency, minor_units, round_money
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment

ID_MAX = 64
NAME_MAX = 200
DESCRIPTION_MAX = 4000

SPECIAL_PRICE_SCOPES = frozenset(
    {AssignmentScope.OPERATOR, AssignmentScope.PARTNER, AssignmentScope.STATION_GROUP}
)
"""Where a plan may have its own price (seed 001: per operator, roaming partner or group)."""


class BonusBasis(StrEnum):
    """What a session earns bonus points for."""

    ENERGY = "energy"
    """Points per kWh delivered."""
    AMOUNT = "amount"
    """Points per currency unit paid (the session's amount including VAT, after any part
    paid with points)."""


@dataclass(frozen=True, slots=True)
class BonusRule:
    """How a plan's sessions earn points and what a point is worth when redeemed.

    ``points_per_unit`` is points per kWh (ENERGY) or per whole currency unit, e.g. per 1 EUR
    (AMOUNT); ``point_value`` is the amount one redeemed point takes off a later session, in
    the plan's currency. A session earns whole points only: the exact product is rounded
    down (2.5 kWh at 3 points/kWh earns 7 points, not 7.5 or 8), so points are never given
    for energy or money that was not delivered or paid.
    """

    basis: BonusBasis
    points_per_unit: Decimal
    point_value: Decimal

    def __post_init__(self) -> None:
        if not self.points_per_unit.is_finite() or self.points_per_unit <= ZERO:
            raise ValidationFailed("bonus points per unit must be a number above 0")
        if not self.point_value.is_finite() or self.point_value <= ZERO:
            raise ValidationFailed("the value of a bonus point must be an amount above 0")

    def points_for(self, *, energy_kwh: Decimal, amount: Decimal) -> int:
        """Whole points a session earns: ``energy_kwh`` delivered, ``amount`` paid (in the
        plan's currency, including VAT). Only the figure the basis names is used."""
        if not energy_kwh.is_finite() or energy_kwh < ZERO:
            raise ValidationFailed("a session's energy must be a number of kWh >= 0")
        if not amount.is_finite() or amount < ZERO:
            raise ValidationFailed("a session's amount must be a number >= 0")
        quantity = energy_kwh if self.basis is BonusBasis.ENERGY else amount
        return int((quantity * self.points_per_unit).to_integral_value(rounding=ROUND_FLOOR))

    def redemption(self, *, balance: int, amount_due: Decimal) -> tuple[int, Decimal]:
        """How many of ``balance`` points to redeem towards ``amount_due``, and their value.

        As many whole points as fit in the amount due without exceeding it or the balance:
        a redemption never pays more than the session costs, so no change is given in cash.
        """
        if balance < 0:
            raise ValidationFailed("a bonus balance is never negative")
        if not amount_due.is_finite() or amount_due < ZERO:
            raise ValidationFailed("the amount due must be a number >= 0")
        fitting = int((amount_due / self.point_value).to_integral_value(rounding=ROUND_FLOOR))
        points = min(balance, fitting)
        return points, points * self.point_value


@dataclass(frozen=True, slots=True)
class SpecialPrice:
    """The plan's own tariff at one operator, roaming partner or station group.

    ``priority`` orders several matching station groups (lower first), as for any
    assignment (docs/tariffs.md).
    """

    scope: AssignmentScope
    target: str
    tariff_id: str
    priority: int = 100

    def __post_init__(self) -> None:
        if self.scope not in SPECIAL_PRICE_SCOPES:
            raise ValidationFailed(
                f"a plan's special price applies per operator, partner or station group, "
                f"not per {self.scope.value}"
            )
        if not self.tariff_id:
            raise ValidationFailed("a special price needs a tariff")
        TariffAssignment(self.tariff_id, self.scope, self.target)  # checks the target


@dataclass(frozen=True, slots=True)
class Plan:
    """An offer to subscribers. See the module docstring for validity, fees and prices."""

    id: str
    name: str
    currency: str
    monthly_fee: Decimal
    card_fee: Decimal
    valid_from: datetime
    valid_until: datetime | None = None
    description: str = ""
    vat_percent: Decimal | None = None
    special_prices: tuple[SpecialPrice, ...] = ()
    bonus: BonusRule | None = None
    eligible_customer_types: frozenset[CustomerType] = frozenset(CustomerType)

    def __post_init__(self) -> None:
        if not self.id.strip() or len(self.id) > ID_MAX:
            raise ValidationFailed(f"a plan id must be 1-{ID_MAX} characters")
        if not self.name.strip() or len(self.name) > NAME_MAX:
            raise ValidationFailed(f"a plan name must be 1-{NAME_MAX} characters")
        if len(self.description) > DESCRIPTION_MAX:
            raise ValidationFailed(f"a plan description has at most {DESCRIPTION_MAX} characters")
        check_currency(self.currency)
        _check_fee("monthly fee", self.monthly_fee, self.currency)
        _check_fee("card fee", self.card_fee, self.currency)
        if self.vat_percent is not None and (
            not self.vat_percent.is_finite() or not ZERO <= self.vat_percent <= 100
        ):
            raise ValidationFailed("a plan's VAT must be between 0 and 100 percent")
        _check_validity(self.valid_from, self.valid_until)
        _check_special_prices(self.special_prices)
        if not self.eligible_customer_types:
            raise ValidationFailed("a plan must be open to at least one customer type")

    def is_offered_at(self, instant: datetime) -> bool:
        """Whether the plan can be subscribed to at ``instant`` (aware)."""
        require_aware(instant, "the instant")
        return self.valid_from <= instant and (
            self.valid_until is None or instant < self.valid_until
        )

    def check_subscription(self, customer_type: CustomerType, at: datetime) -> None:
        """Raise ``Conflict`` unless a customer of ``customer_type`` may subscribe at ``at``."""
        if not self.is_offered_at(at):
            raise Conflict(
                f"plan {self.id} is offered from {self.valid_from.isoformat()}"
                + (f" until {self.valid_until.isoformat()}" if self.valid_until else "")
                + f", not at {at.isoformat()}",
                code="plan_not_offered",
            )
        if customer_type not in self.eligible_customer_types:
            allowed = ", ".join(sorted(t.value for t in self.eligible_customer_types))
            raise Conflict(
                f"plan {self.id} is open to {allowed} customers, not {customer_type.value}",
                code="plan_not_eligible",
            )

    def special_price_assignments(self) -> tuple[TariffAssignment, ...]:
        """The special prices as tariff assignments that apply only under this plan."""
        return tuple(
            TariffAssignment(
                tariff_id=price.tariff_id,
                scope=price.scope,
                target=price.target,
                plan_id=self.id,
                priority=price.priority,
            )
            for price in self.special_prices
        )


def _check_fee(label: str, fee: Decimal, currency: str) -> None:
    if not fee.is_finite() or fee < ZERO:
        raise ValidationFailed(f"the {label} must be an amount >= 0")
    if round_money(fee, currency) != fee:
        raise ValidationFailed(
            f"the {label} {fee} {currency} has more than {minor_units(currency)} decimals"
        )


def _check_validity(valid_from: datetime, valid_until: datetime | None) -> None:
    require_aware(valid_from, "valid_from")
    if valid_until is not None:
        require_aware(valid_until, "valid_until")
        if valid_until <= valid_from:
            raise ValidationFailed("a plan's valid_until must be after its valid_from")


def _check_special_prices(prices: Iterable[SpecialPrice]) -> None:
    seen: set[tuple[AssignmentScope, str]] = set()
    for price in prices:
        key = (price.scope, price.target)
        if key in seen:
            raise ValidationFailed(
                f"the plan has two special prices for {price.scope.value} {price.target!r}"
            )
        seen.add(key)


def require_aware(instant: datetime, label: str) -> None:
    """Raise ``ValidationFailed`` unless ``instant`` is timezone-aware (``label`` names it)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValidationFailed(f"{label} needs a time zone")
