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
from starlette.routing import Mount, Route, WebSocketRoute

from ampyre.api.app import build_api
from ampyre.api.context import ApiContext
from ampyre.config import Settings
from ampyre.db.engine import create_engine
from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.db.uow import uow_factory
from ampyre.ocpp.gateway.endpoint import GatewaySettings, OcppGateway
from ampyre.ocpp.gateway.registry import ConnectionRegistry
from ampyre.ocpp.rpc import OcppVersion, registry_for
from ampyre.services.charge_points import ChargePointService, GatewayPolicy
from ampyre.services.charging_limits import LimitEnforcer
from ampyre.services.clock import SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.health import HealthService
from ampyre.services.ports import Clock, UnitOfWorkFactory
from ampyre.workers.periodic import PeriodicJobs, schedule_health_jobs

log = logging.getLogger(__name__)

HEALTH_PERIOD_S = 30.0
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


def build_components(settings: Settings, clock: Clock | None = None) -> Components:
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    uows = uow_factory(engine)
    telemetry = BatchedTelemetryWriter(engine)
    registry = ConnectionRegistry()
    limits = LimitEnforcer(registry, clock, command_timeout_s=settings.ocpp_command_timeout_s)
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
        commands=CommandService(uows, registry, settings.ocpp_command_timeout_s, clock),
        health=HealthService(
            uows,
            clock,
            offline_after_s=settings.ocpp_offline_after_s,
            stuck_grace_s=settings.stuck_transaction_grace_s,
            message_log_retention_days=settings.message_log_retention_days,
        ),
    )


def build_app(components: Components, *, background_jobs: bool = True) -> Starlette:
    """The ASGI app: OCPP WebSocket endpoint, REST API under /api/v1, and /health."""
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
        )
    )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "connections": len(components.registry)})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        registry_for(OcppVersion.V16).warm()
        await components.telemetry.start()
        await components.limits.load(components.uow_factory)
        jobs = PeriodicJobs()
        if background_jobs:

            async def check_time_limits() -> None:
                components.limits.check_deadlines()

            jobs.every(LIMIT_CHECK_PERIOD_S, "charging-limits", check_time_limits)
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
            await components.limits.close()
            await components.registry.close_all("server shutting down")
            await components.telemetry.stop()
            await components.engine.dispose()

    prefix = settings.ocpp_path_prefix.rstrip("/")
    routes: list[Any] = [
        Route("/health", health),
        WebSocketRoute(prefix + "/{path:path}", gateway.handle),
        Mount("/api/v1", app=api),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
