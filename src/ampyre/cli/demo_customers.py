"""Demo customers: a subscriber, a fleet with a depot price and autocharge cars, an ad hoc
driver — with contracts and cards the simulated stations use, so demo sessions go through
the whole authorisation pipeline and earn bonus points.

Ids are fixed (``demo-…``, eMAIDs ``PL-AMP-DEMO0000n``) so seeding twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ampyre.cli.context import CliContext
from ampyre.domain.contracts import Contract
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import (
    BillingAddress,
    Consent,
    ConsentKind,
    Customer,
    CustomerProfile,
    check_customer,
)
from ampyre.domain.emaid import Emaid
from ampyre.domain.plans import BonusBasis, BonusRule, Plan, SpecialPrice
from ampyre.domain.rating.assignment import AssignmentScope
from ampyre.domain.stations import ConnectorStandard
from ampyre.domain.tokens import Token, TokenKind, TokenStatus, autocharge_uid
from ampyre.domain.vehicles import Vehicle
from ampyre.formats.vat_ids import parse_vat_id
from ampyre.services.ports import UnitOfWork

DEPOT_GROUP = "demo-depot"
"""The station group where the fleet plan's own price applies (the Kraków stations)."""
OFFERED_FROM = datetime(2026, 1, 1, tzinfo=UTC)
FLEET_CAR_MAC = "02:1A:7C:00:00:01"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    customer: Customer
    plan_id: str
    instance: str
    """The eMAID instance of the account's contract."""
    cards: tuple[str, ...]


def _plans() -> tuple[Plan, ...]:
    bonus = BonusRule(BonusBasis.ENERGY, Decimal(1), Decimal("0.05"))
    return (
        Plan(
            id="DEMO-FLEX",
            name="Flex",
            description="Pay as you charge; 1 bonus point per kWh, worth 0.05 zł",
            currency="PLN",
            monthly_fee=Decimal("0.00"),
            card_fee=Decimal("15.00"),
            vat_percent=Decimal(23),
            valid_from=OFFERED_FROM,
            bonus=bonus,
        ),
        Plan(
            id="DEMO-FLEET",
            name="Fleet",
            description="For companies: depot price at the Kraków site",
            currency="PLN",
            monthly_fee=Decimal("99.00"),
            card_fee=Decimal("0.00"),
            vat_percent=Decimal(23),
            valid_from=OFFERED_FROM,
            special_prices=(
                SpecialPrice(AssignmentScope.STATION_GROUP, DEPOT_GROUP, "DEMO-PL-FLEET"),
            ),
            eligible_customer_types=frozenset(
                {CustomerType.BUSINESS_DOMESTIC, CustomerType.MUNICIPAL}
            ),
        ),
    )


def _accounts(now: datetime) -> tuple[DemoAccount, ...]:
    consent = Consent(ConsentKind.AUTOMATIC_PAYMENTS, True, now, "demo")
    warsaw = BillingAddress("ul. Prosta 51", "Warszawa", "00-838", "PL")
    return (
        DemoAccount(
            Customer(
                id="demo-anna",
                type=CustomerType.PRIVATE,
                profile=CustomerProfile.SUBSCRIBER,
                name="Anna Nowak",
                email="anna.nowak@example.pl",
                address=warsaw,
                language="pl",
                time_zone="Europe/Warsaw",
            ),
            "DEMO-FLEX",
            "DEMO00001",
            ("DEMO0001", "DEMO0002"),
        ),
        DemoAccount(
            Customer(
                id="demo-flota",
                type=CustomerType.BUSINESS_DOMESTIC,
                profile=CustomerProfile.SUBSCRIBER,
                name="Flota Kurierska Sp. z o.o.",
                email="faktury@flota.example.pl",
                address=warsaw,
                language="pl",
                time_zone="Europe/Warsaw",
                vat_id=parse_vat_id("PL5261040828", "PL"),
            ),
            "DEMO-FLEET",
            "DEMO00002",
            tuple(f"DEMO{n:04d}" for n in range(3, 9)),
        ),
        DemoAccount(
            Customer(
                id="demo-jan",
                type=CustomerType.PRIVATE,
                profile=CustomerProfile.AD_HOC,
                name="Jan Kowalski",
                email="jan.k@example.pl",
                consents=(consent,),
            ),
            "DEMO-FLEX",
            "DEMO00003",
            ("DEMO0009", "DEMO0010"),
        ),
    )


def demo_vehicle_uid() -> str:
    """The autocharge idTag of the fleet's demo car (the simulator uses it like a card)."""
    return autocharge_uid(FLEET_CAR_MAC)


async def seed_customers(ctx: CliContext, *, country: str, provider: str) -> None:
    """Create whatever of the demo customers is missing (plans, customers, contracts,
    cards, the fleet's autocharge car, and a lost card)."""
    now = ctx.clock.now()
    async with ctx.uow_factory() as uow:
        for plan in _plans():
            if await uow.plans.get(plan.id) is None:
                await uow.plans.add(plan)
        for account in _accounts(now):
            await _seed_account(uow, account, Emaid.new(country, provider, account.instance), now)
        await uow.commit()


async def _seed_account(
    uow: UnitOfWork, account: DemoAccount, contract_id: Emaid, now: datetime
) -> None:
    customer = check_customer(account.customer, operator_country=contract_id.country)
    if await uow.customers.get(customer.id) is None:
        await uow.customers.add(customer)
    if await uow.contracts.get(contract_id.compact) is None:
        contract = Contract(contract_id, customer.id, account.plan_id, OFFERED_FROM)
        await uow.contracts.add(contract.activate(at=now, actor="demo"))
    cards = [
        Token(uid, TokenKind.RFID, contract_id, now, printed_number=f"AMP-{uid[-4:]}")
        for uid in account.cards
    ]
    if customer.id == "demo-anna":
        lost = Token("DEMO-LOST", TokenKind.RFID, contract_id, now, status=TokenStatus.LOST)
        cards.append(lost)
    if customer.id == "demo-flota":
        cards.append(Token(demo_vehicle_uid(), TokenKind.VEHICLE, contract_id, now))
    taken = await uow.tokens.existing_uids([card.uid for card in cards])
    await uow.tokens.add_many([card for card in cards if card.uid not in taken])
    if customer.id == "demo-flota" and not await uow.vehicles.of_customer(customer.id):
        await uow.vehicles.add(
            Vehicle(
                id="demo-flota-van-1",
                customer_id=customer.id,
                make="Mercedes-Benz",
                model="eVito",
                connector_standards=frozenset({ConnectorStandard.TYPE2}),
                battery_kwh=Decimal("90"),
                plate="WA 12345",
                token_uid=demo_vehicle_uid(),
            )
        )
