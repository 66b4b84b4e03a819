"""The one place that wires adapters into services and builds the ASGI application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from ampyre.api.app import build_api
from ampyre.api.context import ApiContext
from ampyre.config import Settings
from ampyre.db.engine import create_engine
from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.db.uow import uow_factory
from ampyre.domain.refunds import RefundRules
from ampyre.ocpp.gateway.endpoint import GatewaySettings, OcppDispatch, OcppGateway
from ampyre.ocpp.gateway.registry import ConnectionRegistry
from ampyre.ocpp.rpc import OcppVersion, registry_for
from ampyre.payment_wiring import SANDBOX_PATH, build_sandbox, payment_provider_service
from ampyre.payments.sandbox import SandboxApp
from ampyre.services.authorization import AuthorizationService, StationCacheRevoker
from ampyre.services.bonus import BonusService
from ampyre.services.charge_points import ChargePointService, GatewayPolicy
from ampyre.services.charging_limits import LimitEnforcer
from ampyre.services.charging_tokens import ChargingTokenService
from ampyre.services.clock import SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.contracts import ContractService
from ampyre.services.customers import CustomerService
from ampyre.services.health import HealthService
from ampyre.services.payment_providers import PaymentProviderService
from ampyre.services.payments import PaymentService
from ampyre.services.plans import PlanService
from ampyre.services.ports import Clock, UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.refunds import RefundService
from ampyre.services.tariffs import TariffService
from ampyre.services.vehicles import VehicleService
from ampyre.workers.cdrs import CdrWorker
from ampyre.workers.periodic import PeriodicJobs, schedule_health_jobs
from ampyre.workers.refunds import schedule_refunds

log = logging.getLogger(__name__)

HEALTH_PERIOD_S = 30.0
TELEMETRY_MAX_DELAY_S = 0.002
"""How long a durable batch (statuses, meter values) waits for more items: the latency a
StatusNotification/MeterValues answer pays for fewer, larger commits (docs/benchmarks.md)."""
LAST_SEEN_RESOLUTION_S = 30.0
OFFLINE_CHECKS_PER_LIMIT = 10
"""``stations.last_seen_at`` is written at most once per resolution per station: at most
30 s, and at most a tenth of ``ocpp_offline_after_s`` so no busy station looks silent."""
LIMIT_CHECK_PERIOD_S = 10.0
"""Time limits of operator-started sessions are enforced within this many seconds."""


@dataclass(slots=True)
class Components:
    """Everything a running process holds, for the lifespan and for tests to reach into."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    uow_factory: UnitOfWorkFactory
    telemetry: BatchedTelemetryWriter
    charge_points: ChargePointService
    registry: ConnectionRegistry
    limits: LimitEnforcer
    commands: CommandService
    health: HealthService
    tariffs: TariffService
    rating: RatingService
    cdr_worker: CdrWorker
    authorizations: AuthorizationService
    revoker: StationCacheRevoker
    payment_providers: PaymentProviderService
    sandbox: SandboxApp | None
    """The built-in sandbox payment provider (test mode), when it is served."""
    payments: PaymentService
    refunds: RefundService


def build_components(settings: Settings, clock: Clock | None = None) -> Components:
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    uows = uow_factory(engine)
    telemetry = BatchedTelemetryWriter(
        engine,
        max_delay=TELEMETRY_MAX_DELAY_S,
        durable_flushers=1,
        last_seen_resolution_s=min(
            LAST_SEEN_RESOLUTION_S, settings.ocpp_offline_after_s / OFFLINE_CHECKS_PER_LIMIT
        ),
    )
    registry = ConnectionRegistry()
    limits = LimitEnforcer(registry, clock, command_timeout_s=settings.ocpp_command_timeout_s)
    rating = RatingService(
        uows,
        clock,
        operator_id=settings.operator_id,
        default_currency=settings.default_currency,
    )
    cdr_worker = CdrWorker(rating, period_s=settings.cdr_sweep_period_s)
    authorizations = AuthorizationService(uows, clock, operator_id=settings.operator_id)
    providers = payment_provider_service(settings, uows, clock)
    payments = PaymentService(uows, clock, providers)
    charge_points = ChargePointService(
        uows,
        telemetry,
        clock,
        GatewayPolicy(
            unknown_stations=settings.ocpp_unknown_stations.value,
            require_auth=settings.ocpp_require_auth,
            heartbeat_interval_s=settings.ocpp_heartbeat_interval_s,
            pending_retry_interval_s=settings.ocpp_pending_retry_interval_s,
        ),
        limits,
        on_completed=cdr_worker.notify,
        authorizer=authorizations,
    )
    return Components(
        settings=settings,
        clock=clock,
        engine=engine,
        uow_factory=uows,
        telemetry=telemetry,
        charge_points=charge_points,
        registry=registry,
        limits=limits,
        commands=CommandService(
            uows, registry, settings.ocpp_command_timeout_s, clock, authorizer=authorizations
        ),
        revoker=StationCacheRevoker(uows, registry, settings.ocpp_command_timeout_s),
        health=HealthService(
            uows,
            clock,
            offline_after_s=settings.ocpp_offline_after_s,
            stuck_grace_s=settings.stuck_transaction_grace_s,
            message_log_retention_days=settings.message_log_retention_days,
        ),
        tariffs=TariffService(uows, clock, operator_id=settings.operator_id),
        rating=rating,
        cdr_worker=cdr_worker,
        authorizations=authorizations,
        payment_providers=providers,
        sandbox=build_sandbox(settings, clock),
        payments=payments,
        refunds=RefundService(uows, clock, payments, RefundRules()),
    )


def build_app(components: Components, *, background_jobs: bool = True) -> ASGIApp:
    """The ASGI app: OCPP WebSocket endpoint, REST API under /api/v1, and /health.

    Station sockets (ws://host/ocpp/{id}) go to the gateway before Starlette (see
    ``OcppDispatch``); the rest is a Starlette app with the lifespan.
    """
    settings = components.settings
    gateway = OcppGateway(
        components.charge_points,
        components.registry,
        GatewaySettings(
            path_prefix=settings.ocpp_path_prefix,
            call_timeout_s=settings.ocpp_call_timeout_s,
            validate_schemas=settings.ocpp_validate_schemas,
        ),
    )
    api = build_api(
        ApiContext(
            uow_factory=components.uow_factory,
            clock=components.clock,
            commands=components.commands,
            tariffs=components.tariffs,
            rating=components.rating,
            customers=CustomerService(
                components.uow_factory,
                components.clock,
                operator_country=settings.operator_country,
                revoker=components.revoker,
            ),
            plans=PlanService(components.uow_factory, components.clock),
            contracts=ContractService(
                components.uow_factory,
                components.clock,
                emaid_country=settings.operator_country,
                emaid_provider=settings.emsp_party_id,
                revoker=components.revoker,
            ),
            charging_tokens=ChargingTokenService(
                components.uow_factory, components.clock, revoker=components.revoker
            ),
            vehicles=VehicleService(
                components.uow_factory, components.clock, revoker=components.revoker
            ),
            bonus=BonusService(components.uow_factory, components.clock),
            payment_providers=components.payment_providers,
            payments=components.payments,
            refunds=components.refunds,
        )
    )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "connections": len(components.registry)})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Refuse to start when stored secrets cannot be read with the configured keys.
        await components.payment_providers.check_stored_secrets()
        if components.sandbox is not None:
            await components.sandbox.psp.start()
        registry_for(OcppVersion.V16).warm()
        await components.telemetry.start()
        await components.limits.load(components.uow_factory)
        components.cdr_worker.start()
        jobs = PeriodicJobs()
        if background_jobs:

            async def check_time_limits() -> None:
                components.limits.check_deadlines()

            jobs.every(LIMIT_CHECK_PERIOD_S, "charging-limits", check_time_limits)
            schedule_refunds(jobs, components.refunds)
            loop = asyncio.get_running_loop()
            schedule_health_jobs(
                jobs,
                components.health,
                lambda: components.registry.close_silent(
                    now=loop.time(), silent_for=settings.ocpp_offline_after_s
                ),
                period_s=HEALTH_PERIOD_S,
            )
        try:
            yield
        finally:
            await jobs.stop()
            await components.cdr_worker.stop()
            await components.limits.close()
            await components.registry.close_all("server shutting down")
            await components.telemetry.stop()
            if components.sandbox is not None:
                await components.sandbox.psp.stop()
            await components.engine.dispose()

    routes: list[Any] = [Route("/health", health), Mount("/api/v1", app=api)]
    if components.sandbox is not None:
        routes.append(Mount(SANDBOX_PATH, app=components.sandbox))
    web = Starlette(routes=routes, lifespan=lifespan)
    return OcppDispatch(web, gateway=gateway, path_prefix=settings.ocpp_path_prefix)
