from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ampyre.domain.customer_types import CustomerType
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.plans import BonusBasis, BonusRule, Plan, SpecialPrice
from ampyre.domain.rating.assignment import (
    AssignmentScope,
    PricingContext,
    TariffAssignment,
    resolve_assignment,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def plan(**changes: Any) -> Plan:
    base = Plan(
        id="basic",
        name="Basic",
        currency="EUR",
        monthly_fee=Decimal("9.99"),
        card_fee=Decimal("5.00"),
        valid_from=T0,
        valid_until=T0 + timedelta(days=365),
    )
    return replace(base, **changes)


def test_special_prices_become_plan_only_assignments_that_win_at_their_group() -> None:
    special = plan(
        special_prices=(
            SpecialPrice(AssignmentScope.STATION_GROUP, "motorway", "cheap-dc", priority=5),
            SpecialPrice(AssignmentScope.PARTNER, "NL-TNM", "roaming"),
        )
    )
    assignments = special.special_price_assignments()
    assert assignments[0] == TariffAssignment(
        "cheap-dc", AssignmentScope.STATION_GROUP, "motorway", plan_id="basic", priority=5
    )
    assert all(a.plan_id == "basic" for a in assignments)
    general = TariffAssignment("standard", AssignmentScope.NETWORK)
    everything = (*assignments, general)

    at_group = PricingContext("S1", station_groups=frozenset({"motorway"}), plan_id="basic")
    elsewhere = PricingContext("S2", plan_id="basic")
    without_plan = PricingContext("S1", station_groups=frozenset({"motorway"}))
    assert resolve_assignment(everything, at_group) == assignments[0]
    assert resolve_assignment(everything, elsewhere) == general
    assert resolve_assignment(everything, without_plan) == general


@pytest.mark.parametrize(
    "scope", [AssignmentScope.STATION, AssignmentScope.LOCATION, AssignmentScope.NETWORK]
)
def test_special_prices_only_per_operator_partner_or_group(scope: AssignmentScope) -> None:
    with pytest.raises(ValidationFailed, match="operator, partner or station group"):
        SpecialPrice(scope, "x", "t")


def test_special_price_needs_a_target_and_tariff() -> None:
    with pytest.raises(ValidationFailed):
        SpecialPrice(AssignmentScope.OPERATOR, "", "t")
    with pytest.raises(ValidationFailed):
        SpecialPrice(AssignmentScope.OPERATOR, "op", "")


def test_two_special_prices_for_one_target_are_refused() -> None:
    twice = (
        SpecialPrice(AssignmentScope.OPERATOR, "op", "a"),
        SpecialPrice(AssignmentScope.OPERATOR, "op", "b"),
    )
    with pytest.raises(ValidationFailed, match="two special prices"):
        plan(special_prices=twice)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"id": ""}, "plan id"),
        ({"name": "  "}, "plan name"),
        ({"currency": "eur"}, "ISO 4217"),
        ({"monthly_fee": Decimal("-1")}, "monthly fee"),
        ({"monthly_fee": Decimal("9.999")}, "more than 2 decimals"),
        ({"card_fee": Decimal("NaN")}, "card fee"),
        ({"currency": "JPY", "monthly_fee": Decimal("100.5")}, "more than 0 decimals"),
        ({"vat_percent": Decimal("101")}, "VAT"),
        ({"valid_from": datetime(2026, 1, 1)}, "time zone"),  # noqa: DTZ001
        ({"valid_until": T0}, "after its valid_from"),
        ({"eligible_customer_types": frozenset()}, "at least one customer type"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_invalid_plans_are_refused(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationFailed, match=words):
        plan(**changes)


def test_offer_period_is_from_inclusive_until_exclusive() -> None:
    offer = plan()
    assert offer.is_offered_at(T0)
    assert not offer.is_offered_at(T0 - timedelta(microseconds=1))
    assert not offer.is_offered_at(T0 + timedelta(days=365))
    assert plan(valid_until=None).is_offered_at(T0 + timedelta(days=10_000))


def test_subscription_checks_offer_period_and_customer_type() -> None:
    business_only = plan(
        eligible_customer_types=frozenset(
            {CustomerType.BUSINESS_DOMESTIC, CustomerType.BUSINESS_FOREIGN}
        )
    )
    business_only.check_subscription(CustomerType.BUSINESS_FOREIGN, T0)
    with pytest.raises(Conflict) as not_eligible:
        business_only.check_subscription(CustomerType.PRIVATE, T0)
    assert not_eligible.value.code == "plan_not_eligible"
    assert "business_domestic, business_foreign" in not_eligible.value.message
    with pytest.raises(Conflict) as over:
        business_only.check_subscription(CustomerType.BUSINESS_DOMESTIC, T0 + timedelta(days=400))
    assert over.value.code == "plan_not_offered"


def test_all_customer_types_are_eligible_by_default() -> None:
    for kind in CustomerType:
        plan().check_subscription(kind, T0)


@pytest.mark.parametrize(
    ("basis", "per_unit", "kwh", "amount", "points"),
    [
        (BonusBasis.ENERGY, "3", "2.5", "99", 7),  # 7.5 rounds down
        (BonusBasis.ENERGY, "1", "0.999", "0", 0),
        (BonusBasis.ENERGY, "0.5", "40", "0", 20),
        (BonusBasis.AMOUNT, "1", "50", "12.99", 12),
        (BonusBasis.AMOUNT, "10", "0", "0.10", 1),
    ],
)
def test_points_are_whole_and_rounded_down(
    basis: BonusBasis, per_unit: str, kwh: str, amount: str, points: int
) -> None:
    rule = BonusRule(basis, Decimal(per_unit), Decimal("0.01"))
    assert rule.points_for(energy_kwh=Decimal(kwh), amount=Decimal(amount)) == points


def test_bonus_rule_validation() -> None:
    with pytest.raises(ValidationFailed):
        BonusRule(BonusBasis.ENERGY, Decimal(0), Decimal("0.01"))
    with pytest.raises(ValidationFailed):
        BonusRule(BonusBasis.ENERGY, Decimal(1), Decimal(0))
    with pytest.raises(ValidationFailed):
        BonusRule(BonusBasis.ENERGY, Decimal(1), Decimal(1)).points_for(
            energy_kwh=Decimal(-1), amount=Decimal(0)
        )


@pytest.mark.parametrize(
    ("balance", "due", "points", "value"),
    [
        (1000, "3.456", 345, "3.45"),  # never more than the amount due
        (100, "3.456", 100, "1.00"),  # never more than the balance
        (0, "5", 0, "0.00"),
        (50, "0", 0, "0.00"),
    ],
)
def test_redemption_fits_balance_and_amount_due(
    balance: int, due: str, points: int, value: str
) -> None:
    rule = BonusRule(BonusBasis.AMOUNT, Decimal(1), Decimal("0.01"))
    assert rule.redemption(balance=balance, amount_due=Decimal(due)) == (points, Decimal(value))
