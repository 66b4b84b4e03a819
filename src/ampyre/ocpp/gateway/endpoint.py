"""The WebSocket endpoint stations connect to: ``ws(s)://host:port/ocpp/{stationId}``.

Handshake (OCPP-J 1.6 §3, OCPP.md "Transport"): choose the subprotocol, check HTTP Basic
credentials (security profile 1) and the unknown-station policy, then run the RPC connection
until the socket closes. Refusals happen before the upgrade, with an HTTP status.

The gateway is a plain ASGI application that :class:`OcppDispatch` puts in front of the
Starlette app, so frames skip Starlette's routing, middleware and exception wrappers (see
:mod:`ampyre.ocpp.gateway.asgi_transport`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.stations import RegistrationStatus, validate_station_id
from ampyre.ocpp.gateway.asgi_transport import AsgiTransport
from ampyre.ocpp.gateway.handshake import parse_basic_auth, station_id_from_path
from ampyre.ocpp.gateway.registry import ConnectionRegistry, LiveConnection
from ampyre.ocpp.rpc import LoggedExchange, OcppVersion, RpcConnection, Side, choose_subprotocol
from ampyre.ocpp.v16.station_messages import StationMessages
from ampyre.services.charge_points import ChargePointService
from ampyre.services.records import LoggedFrame

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = (OcppVersion.V16,)


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    path_prefix: str = "/ocpp"
    call_timeout_s: float = 30.0
    validate_schemas: bool = True


class StationFrameLog:
    """Turns the RPC layer's exchanges into message-log rows for one station."""

    __slots__ = ("_service", "_station_id")

    def __init__(self, station_id: str, service: ChargePointService) -> None:
        self._station_id = station_id
        self._service = service

    def record(self, entry: LoggedExchange) -> None:
        self._service.log_frame(
            LoggedFrame(
                station_id=self._station_id,
                direction=entry.direction,
                message_id=entry.message_id,
                action=entry.action,
                request=entry.request,
                response=entry.response,
                requested_at=entry.requested_at,
                answered_at=entry.answered_at,
                error_code=entry.error_code,
            )
        )


class OcppGateway:
    """ASGI WebSocket handler for stations; one instance per process."""

    def __init__(
        self,
        service: ChargePointService,
        registry: ConnectionRegistry,
        settings: GatewaySettings,
    ) -> None:
        self._service = service
        self._registry = registry
        self._settings = settings
        self._closing: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one station connection (an ASGI ``websocket`` scope): the handshake through
        Starlette's ``WebSocket``, the frames through ``receive``/``send`` directly."""
        websocket = WebSocket(scope, receive, send)
        station_id = station_id_from_path(scope["path"], self._settings.path_prefix)
        if station_id is None:
            await _deny(websocket, 404, "no station id in the path")
            return
        try:
            validate_station_id(station_id)
        except ValidationFailed as exc:
            await _deny(websocket, 400, exc.message)
            return
        version = choose_subprotocol(scope.get("subprotocols", []), SUPPORTED_VERSIONS)
        if version is None:
            await _deny(websocket, 400, "no supported OCPP subprotocol offered (ocpp1.6)")
            return
        credentials = parse_basic_auth(websocket.headers.get("authorization"))
        if credentials is not None and credentials.username != station_id:
            await _deny(websocket, 401, "username does not match the station id")
            return
        decision = await self._service.check_connection(
            station_id, credentials.password if credentials else None
        )
        if not decision.allowed:
            log.warning("refused station %s: %s", station_id, decision.reason)
            await _deny(websocket, 401, decision.reason)
            return
        await websocket.accept(subprotocol=version.value)
        transport = AsgiTransport(receive, send)
        await self._serve(transport, station_id, version, decision.registration_status)

    async def _serve(
        self,
        transport: AsgiTransport,
        station_id: str,
        version: OcppVersion,
        registration: RegistrationStatus | None,
    ) -> None:
        messages = StationMessages(
            station_id, self._service, accepted=registration is RegistrationStatus.ACCEPTED
        )
        service = self._service
        loop = asyncio.get_running_loop()

        def on_frame() -> None:  # runs only inside rpc.run(), after ``live`` exists
            live.last_frame = loop.time()
            service.touch(station_id)

        rpc = RpcConnection(
            transport,
            version=version,
            side=Side.CSMS,
            handlers=messages.handlers(),
            call_timeout=self._settings.call_timeout_s,
            exchange_log=StationFrameLog(station_id, service),
            validate=self._settings.validate_schemas,
            on_frame=on_frame,
        )
        live = LiveConnection(station_id, version, rpc, last_frame=loop.time())
        previous = self._registry.add(live)
        if previous is not None:
            log.info("station %s reconnected: closing its previous connection", station_id)
            # Closing may wait for a closing handshake the vanished peer never completes:
            # never let it delay serving the new connection.
            closing = asyncio.create_task(previous.rpc.close(1000, "replaced by a new connection"))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        detail = "closed"
        try:
            await service.do_connection_opened(station_id, version.value)
            await rpc.run()
        except Exception:
            detail = "closed after an internal error"
            log.exception("connection of %s failed", station_id)
            raise
        finally:
            if self._registry.remove(live):
                with contextlib.suppress(Exception):
                    await service.do_connection_closed(station_id, detail)


class OcppDispatch:
    """ASGI application in front of the web app: WebSocket connections under the OCPP path
    prefix go straight to the gateway; everything else (REST API, health, lifespan) to the
    wrapped application. Station sockets thus skip Starlette's middleware stack, whose
    suspended coroutines would otherwise be kept for every open connection."""

    def __init__(self, app: ASGIApp, *, gateway: OcppGateway, path_prefix: str) -> None:
        self._app = app
        self._gateway = gateway
        self._prefix = path_prefix.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"].startswith(self._prefix):
            await self._gateway(scope, receive, send)
        else:
            await self._app(scope, receive, send)


async def _deny(websocket: WebSocket, status: int, reason: str) -> None:
    """Refuse the upgrade with an HTTP status (needs the ASGI denial-response extension;
    falls back to closing before accept, which servers answer with HTTP 403)."""
    headers = {"WWW-Authenticate": 'Basic realm="OCPP"'} if status == 401 else None
    try:
        await websocket.send_denial_response(
            Response(reason, status_code=status, headers=headers, media_type="text/plain")
        )
    except RuntimeError:
        await websocket.close(code=1008, reason=reason[:120])
