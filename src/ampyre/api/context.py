"""What the REST API needs from the application that mounts it."""

from __future__ import annotations

from dataclasses import dataclass

from ampyre.services.bonus import BonusService
from ampyre.services.charging_tokens import ChargingTokenService
from ampyre.services.commands import CommandService
from ampyre.services.contracts import ContractService
from ampyre.services.customers import CustomerService
from ampyre.services.payment_providers import PaymentProviderService
from ampyre.services.payments import PaymentService
from ampyre.services.plans import PlanService
from ampyre.services.ports import Clock, UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.refunds import RefundService
from ampyre.services.tariffs import TariffService
from ampyre.services.vehicles import VehicleService


@dataclass(frozen=True, slots=True)
class ApiContext:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    commands: CommandService
    """Station commands; its ``stations`` port is also used to disconnect rejected stations."""
    tariffs: TariffService
    rating: RatingService
    customers: CustomerService
    plans: PlanService
    contracts: ContractService
    charging_tokens: ChargingTokenService
    vehicles: VehicleService
    bonus: BonusService
    payment_providers: PaymentProviderService
    payments: PaymentService
    refunds: RefundService
