"""The use-case objects the routers call, built once per application from an ``ApiContext``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from ampyre.api.context import ApiContext
from ampyre.services.api_tokens import ApiTokenService
from ampyre.services.authorization_log import AuthorizationLogService
from ampyre.services.bonus import BonusService
from ampyre.services.charging_tokens import ChargingTokenService
from ampyre.services.connectors_admin import ConnectorService
from ampyre.services.contracts import ContractService
from ampyre.services.customers import CustomerService
from ampyre.services.id_tags import IdTagService
from ampyre.services.locations import LocationService
from ampyre.services.operator_commands import OperatorCommands
from ampyre.services.payment_providers import PaymentProviderService
from ampyre.services.payments import PaymentService
from ampyre.services.plans import PlanService
from ampyre.services.ports import Clock
from ampyre.services.queries import QueryService
from ampyre.services.rating import RatingService
from ampyre.services.refunds import RefundService
from ampyre.services.station_import import StationImportService
from ampyre.services.stations_admin import StationAdminService
from ampyre.services.tariffs import TariffService
from ampyre.services.vehicles import VehicleService


@dataclass(frozen=True, slots=True)
class ApiServices:
    locations: LocationService
    stations: StationAdminService
    connectors: ConnectorService
    imports: StationImportService
    id_tags: IdTagService
    tokens: ApiTokenService
    queries: QueryService
    commands: OperatorCommands
    tariffs: TariffService
    rating: RatingService
    customers: CustomerService
    plans: PlanService
    contracts: ContractService
    charging_tokens: ChargingTokenService
    vehicles: VehicleService
    bonus: BonusService
    authorization_log: AuthorizationLogService
    payment_providers: PaymentProviderService
    payments: PaymentService
    refunds: RefundService
    clock: Clock

    @classmethod
    def from_context(cls, ctx: ApiContext) -> ApiServices:
        return cls(
            locations=LocationService(ctx.uow_factory),
            stations=StationAdminService(ctx.uow_factory, ctx.clock, ctx.commands.stations),
            connectors=ConnectorService(ctx.uow_factory),
            imports=StationImportService(ctx.uow_factory, ctx.clock),
            id_tags=IdTagService(ctx.uow_factory),
            tokens=ApiTokenService(ctx.uow_factory, ctx.clock),
            queries=QueryService(ctx.uow_factory),
            commands=OperatorCommands(ctx.commands),
            tariffs=ctx.tariffs,
            rating=ctx.rating,
            customers=ctx.customers,
            plans=ctx.plans,
            contracts=ctx.contracts,
            charging_tokens=ctx.charging_tokens,
            vehicles=ctx.vehicles,
            bonus=ctx.bonus,
            authorization_log=AuthorizationLogService(ctx.uow_factory),
            payment_providers=ctx.payment_providers,
            payments=ctx.payments,
            refunds=ctx.refunds,
            clock=ctx.clock,
        )


def get_services(request: Request) -> ApiServices:
    """The services of the API application serving this request (set by ``build_api``)."""
    return cast(ApiServices, request.app.state.services)


Services = Annotated[ApiServices, Depends(get_services)]
