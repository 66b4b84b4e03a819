"""What happens when a station talks to Ampyre: connect, boot, status, authorise, transactions.

These use cases are protocol-neutral: the OCPP 1.6 adapter (and later 2.0.1) translates frames
into these calls. The hot paths (status, meter values, heartbeats) go through the batched
``TelemetryWriter``; the rest runs in one unit of work per call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ampyre.domain.authorization import AuthorizationTrigger
from ampyre.domain.charging_limits import RemoteStartRequest
from ampyre.domain.id_tags import Authorization
from ampyre.domain.metering import MeterSample, register_reading_wh
from ampyre.domain.stations import BootInfo, RegistrationStatus, Station, StatusReport
from ampyre.domain.transactions import (
    StartRequest,
    StopReason,
    Transaction,
    TransactionFlag,
    is_offline_start,
)
from ampyre.services.authorization import AuthorizationRequest, AuthorizationService
from ampyre.services.charging_limits import LimitEnforcer
from ampyre.services.ports import Clock, TelemetryWriter, UnitOfWork, UnitOfWorkFactory
from ampyre.services.records import ConnectionEvent, LoggedFrame, MeterBatch
from ampyre.services.verified_passwords import VerifiedPasswords

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GatewayPolicy:
    """Operator settings that shape how stations are admitted and paced."""

    unknown_stations: str = "reject"
    """"reject", "pending" or "accept" (see ``config.UnknownStationPolicy``)."""
    require_auth: bool = True
    heartbeat_interval_s: int = 300
    pending_retry_interval_s: int = 60


@dataclass(frozen=True, slots=True)
class ConnectDecision:
    allowed: bool
    reason: str
    registration_status: RegistrationStatus | None = None


@dataclass(frozen=True, slots=True)
class BootDecision:
    """The BootNotification answer: status, interval in seconds, and Ampyre's time."""

    status: RegistrationStatus
    interval_s: int
    current_time: datetime


@dataclass(frozen=True, slots=True)
class StartOutcome:
    transaction_id: int
    authorization: Authorization
    replayed: bool
    """True when this start was seen before (retransmission or offline replay)."""


@dataclass(frozen=True, slots=True)
class StopRequest:
    """A StopTransaction as received (OCPP 1.6 §4.10); meter in Wh."""

    station_id: str
    transaction_id: int
    meter_stop_wh: int
    station_time: datetime
    received_at: datetime
    reason: StopReason = StopReason.LOCAL
    id_tag: str | None = None
    transaction_data: tuple[MeterSample, ...] = ()


class ChargePointService:
    """Use cases triggered by stations. One instance per process, shared by all connections."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        telemetry: TelemetryWriter,
        clock: Clock,
        policy: GatewayPolicy,
        limits: LimitEnforcer | None = None,
        on_completed: Callable[[int], None] | None = None,
        authorizer: AuthorizationService | None = None,
    ) -> None:
        self._uow = uow_factory
        self._telemetry = telemetry
        self._clock = clock
        self._policy = policy
        self._passwords = VerifiedPasswords()
        self._limits = limits
        self._on_completed = on_completed
        """Told the id of every transaction that completes (e.g. to rate it into a CDR)."""
        self._auth = authorizer or AuthorizationService(uow_factory, clock)

    @property
    def clock(self) -> Clock:
        return self._clock

    async def check_connection(self, station_id: str, password: str | None) -> ConnectDecision:
        """Decide at the WebSocket handshake whether the station may connect.

        Security profile 1: the Basic-auth password must match the station's stored hash
        (a reconnect with an unchanged password skips scrypt, see ``VerifiedPasswords``).
        Unknown stations follow the policy; ``pending``/``accept`` register them on the spot.
        """
        async with self._uow() as uow:
            station = await uow.stations.get(station_id)
            if station is None:
                if self._policy.unknown_stations == "reject":
                    return ConnectDecision(False, "unknown station")
                status = (
                    RegistrationStatus.PENDING
                    if self._policy.unknown_stations == "pending"
                    else RegistrationStatus.ACCEPTED
                )
                station = Station(
                    id=station_id, registration_status=status, created_at=self._clock.now()
                )
                await uow.stations.add(station)
                await uow.commit()
                log.info("unknown station %s registered as %s", station_id, status)
                return ConnectDecision(True, "registered on first contact", status)
        if station.registration_status is RegistrationStatus.REJECTED:
            return ConnectDecision(False, "station is rejected by the operator")
        if self._policy.require_auth and station.password_hash is not None:
            if password is None:
                return ConnectDecision(False, "password required")
            if not await self._passwords.verify(station_id, password, station.password_hash):
                return ConnectDecision(False, "wrong password")
        return ConnectDecision(True, "ok", station.registration_status)

    async def do_connection_opened(self, station_id: str, ocpp_version: str) -> None:
        """The station is connected (and seen now) speaking ``ocpp_version``, with a history
        entry; nothing for a station that no longer exists. Returns once stored, so the
        station's frames (e.g. a Boot rewriting the station) are handled after it.

        Batched with other stations' connection events: a reconnect storm costs a few
        statements per batch instead of a transaction per station.
        """
        event = ConnectionEvent(station_id, "connected", self._clock.now(), ocpp_version)
        await self._telemetry.record_connection(event, ocpp_version=ocpp_version)

    async def do_connection_closed(self, station_id: str, detail: str) -> None:
        """The station is disconnected, with a history entry (batched like connects)."""
        event = ConnectionEvent(station_id, "disconnected", self._clock.now(), detail)
        await self._telemetry.record_connection(event)

    async def do_boot(self, station_id: str, boot: BootInfo) -> BootDecision:
        """OCPP 1.6 §4.2: keep the boot data and answer with the station's registration."""
        now = self._clock.now()
        async with self._uow() as uow:
            station = await uow.stations.get(station_id)
            if station is None:
                return BootDecision(
                    RegistrationStatus.REJECTED, self._policy.pending_retry_interval_s, now
                )
            station.apply_boot(boot, now)
            station.last_seen_at = now
            await uow.stations.update(station)
            await uow.commit()
        status = station.registration_status
        interval = (
            self._policy.heartbeat_interval_s
            if status is RegistrationStatus.ACCEPTED
            else self._policy.pending_retry_interval_s
        )
        return BootDecision(status, interval, now)

    async def registration_status(self, station_id: str) -> RegistrationStatus | None:
        async with self._uow() as uow:
            station = await uow.stations.get(station_id)
        return None if station is None else station.registration_status

    def touch(self, station_id: str) -> datetime:
        """A frame arrived: remember when (batched, not awaited). Returns Ampyre's time."""
        now = self._clock.now()
        self._telemetry.touch(station_id, now)
        return now

    def log_frame(self, frame: LoggedFrame) -> None:
        self._telemetry.record_frame(frame)

    async def do_status(self, report: StatusReport) -> None:
        """Persist a connector (or station, connector 0) status and its history row."""
        await self._telemetry.record_status(report)

    async def check_authorize(self, station_id: str, id_tag: str) -> Authorization:
        """OCPP 1.6 §4.1 Authorize through the authorisation pipeline (logged), with
        ConcurrentTx for a token already in a session."""
        async with self._uow() as uow:
            busy = await uow.transactions.has_active_for_tag(id_tag)
            decision = await self._auth.authorise(
                uow,
                AuthorizationRequest(id_tag, AuthorizationTrigger.AUTHORIZE, station_id),
                in_session=busy,
            )
            await uow.commit()
        return decision.authorization

    async def do_start_transaction(
        self, request: StartRequest, samples: tuple[MeterSample, ...] = ()
    ) -> StartOutcome:
        """OCPP 1.6 §4.8: record the start and answer a system-wide unique transactionId.

        The same start (see ``StartRequest.start_key``) always gets the same id. A transaction
        still open on the same connector is closed as stuck: a connector runs one at a time.
        A start with a tag that is not accepted is still recorded (the station has started
        it; it will stop it if configured to), flagged ``not_authorized``. A token of a
        contract gives the transaction its contract and plan (whose prices rate it).
        """
        async with self._uow() as uow:
            auth_request = AuthorizationRequest(
                request.id_tag,
                AuthorizationTrigger.START,
                request.station_id,
                request.connector_id,
                at=request.received_at,
            )
            existing = await uow.transactions.get_by_start_key(request.start_key)
            if existing is not None:
                replay = await self._auth.decide(uow, auth_request)
                return StartOutcome(existing.id, replay.authorization, replayed=True)
            busy = await uow.transactions.has_active_for_tag(
                request.id_tag,
                excluding_station=request.station_id,
                excluding_connector=request.connector_id,
            )
            decision = await self._auth.decide(uow, auth_request, in_session=busy)
            auth = decision.authorization
            for stale in await uow.transactions.active_for_connector(
                request.station_id, request.connector_id
            ):
                if stale.close_as_stuck(at=request.station_time, reason=StopReason.OTHER):
                    await uow.transactions.update(stale)
                    await uow.usage.enqueue_for_rating(stale.id, request.received_at)
                    log.warning(
                        "transaction %s on %s/%s closed: a new one started on the connector",
                        stale.id,
                        request.station_id,
                        request.connector_id,
                    )
            transaction = Transaction(
                id=0,
                station_id=request.station_id,
                connector_id=request.connector_id,
                id_tag=request.id_tag,
                meter_start_wh=request.meter_start_wh,
                started_at=request.station_time,
                start_received_at=request.received_at,
                start_key=request.start_key,
                auth_status=auth.status.value,
                reservation_id=request.reservation_id,
                contract_id=decision.contract_id,
                plan_id=decision.plan_id,
            )
            if is_offline_start(request.station_time, request.received_at):
                transaction.flags.add(TransactionFlag.STARTED_OFFLINE)
            if not auth.accepted:
                transaction.flags.add(TransactionFlag.NOT_AUTHORIZED)
            remote = await self._remote_start_for(uow, request)
            if remote is not None and remote.limit is not None:
                transaction.energy_limit_wh = remote.limit.energy_wh
                transaction.duration_limit_s = remote.limit.duration_s
            transaction.id = await uow.transactions.add(transaction)
            await self._auth.record(uow, auth_request, decision, transaction_id=transaction.id)
            if remote is not None and remote.id is not None:
                await uow.remote_starts.claim(remote.id, transaction.id)
            await uow.commit()
        if self._limits is not None:
            self._limits.watch(transaction)
        if samples:
            await self._record_samples(
                request.station_id, request.connector_id, transaction.id, samples
            )
        return StartOutcome(transaction.id, auth, replayed=False)

    @staticmethod
    async def _remote_start_for(
        uow: UnitOfWork, request: StartRequest
    ) -> RemoteStartRequest | None:
        """The operator's remote start this StartTransaction answers, if any (oldest first)."""
        for candidate in await uow.remote_starts.open_for(request.station_id, request.id_tag):
            if candidate.matches(
                station_id=request.station_id,
                id_tag=request.id_tag,
                connector_id=request.connector_id,
                at=request.received_at,
            ):
                return candidate
        return None

    async def do_stop_transaction(self, request: StopRequest) -> Authorization | None:
        """OCPP 1.6 §4.10: close the transaction once; a repeated stop changes nothing.

        Returns the authorisation of the stop id tag (None when no tag was given). An unknown
        transaction id is answered normally too (the station must be able to empty its queue),
        and logged.
        """
        stopped = False
        async with self._uow() as uow:
            transaction = await uow.transactions.get(request.transaction_id)
            stop_auth = None
            if request.id_tag is not None:
                auth_request = AuthorizationRequest(
                    request.id_tag, AuthorizationTrigger.STOP, request.station_id
                )
                stop_auth = (auth_request, await self._auth.decide(uow, auth_request))
            auth = None if stop_auth is None else stop_auth[1].authorization
            if transaction is None or transaction.station_id != request.station_id:
                log.warning(
                    "StopTransaction for unknown transaction %s from %s",
                    request.transaction_id,
                    request.station_id,
                )
                return auth
            highest = await uow.transactions.max_register_wh(transaction.id)
            stopped = transaction.stop(
                meter_stop_wh=request.meter_stop_wh,
                at=request.station_time,
                received_at=request.received_at,
                reason=request.reason,
                id_tag=request.id_tag,
            )
            if stopped:
                if highest is not None and request.meter_stop_wh < highest:
                    transaction.flags.add(TransactionFlag.REGISTER_WENT_BACKWARDS)
                await uow.transactions.update(transaction)
                await uow.usage.enqueue_for_rating(transaction.id, request.received_at)
                if stop_auth is not None:
                    await self._auth.record(uow, *stop_auth, transaction_id=transaction.id)
                await uow.commit()
        if self._limits is not None:
            self._limits.forget(request.transaction_id)
        if stopped and request.transaction_data:
            await self._record_samples(
                request.station_id,
                transaction.connector_id,
                transaction.id,
                request.transaction_data,
            )
        if stopped and self._on_completed is not None:
            self._on_completed(request.transaction_id)
        return auth

    async def do_meter_values(
        self,
        station_id: str,
        connector_id: int,
        transaction_id: int | None,
        samples: tuple[MeterSample, ...],
    ) -> None:
        """OCPP 1.6 §4.7: persist every sampled value (durable before the answer)."""
        await self._record_samples(station_id, connector_id, transaction_id, samples)

    async def _record_samples(
        self,
        station_id: str,
        connector_id: int,
        transaction_id: int | None,
        samples: tuple[MeterSample, ...],
    ) -> None:
        register_wh: int | None = None
        register_at: datetime | None = None
        for sample in samples:
            reading = register_reading_wh(sample)
            if reading is not None and (register_at is None or sample.timestamp >= register_at):
                register_wh, register_at = reading, sample.timestamp
        await self._telemetry.record_meter_values(
            MeterBatch(
                station_id=station_id,
                connector_id=connector_id,
                transaction_id=transaction_id,
                received_at=self._clock.now(),
                samples=samples,
                register_wh=register_wh,
                register_at=register_at,
            )
        )
        if self._limits is not None:
            self._limits.observe(transaction_id, register_wh, self._clock.now())
