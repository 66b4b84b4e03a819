"""Shared constants and helpers of the API tests (imported by name: not a conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ampyre.api.context import ApiContext
from ampyre.db.secret_box import FernetSecretBox, generate_key
from ampyre.domain.refunds import RefundRules
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
from ampyre.services.records import Role
from ampyre.services.refunds import RefundService
from ampyre.services.tariffs import TariffService
from ampyre.services.vehicles import VehicleService

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
"""The tests' fixed clock time."""


@dataclass(frozen=True)
class Tokens:
    """A bearer secret per role, created through the CLI bootstrap path."""

    secrets: dict[Role, str]

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[role]}"}


def api_context(
    uow: UnitOfWorkFactory,
    clock: Clock,
    commands: CommandService,
    payment_providers: PaymentProviderService | None = None,
) -> ApiContext:
    """Every service of the API over ``uow`` (operator in PL, eMAIDs PL-AMP-...); payment
    providers: none offered, unless given, with a fresh secret key."""
    providers = payment_providers or PaymentProviderService(
        uow, clock, {}, FernetSecretBox([generate_key()])
    )
    payments = PaymentService(uow, clock, providers)
    return ApiContext(
        uow_factory=uow,
        clock=clock,
        commands=commands,
        tariffs=TariffService(uow, clock),
        rating=RatingService(uow, clock),
        customers=CustomerService(uow, clock, operator_country="PL"),
        plans=PlanService(uow, clock),
        contracts=ContractService(uow, clock, emaid_country="PL", emaid_provider="AMP"),
        charging_tokens=ChargingTokenService(uow, clock),
        vehicles=VehicleService(uow, clock),
        bonus=BonusService(uow, clock),
        payment_providers=providers,
        payments=payments,
        refunds=RefundService(uow, clock, payments, RefundRules()),
    )
