"""Operator commands to stations (REST → OCPP → the station's answer back to the caller).

Each use case checks what Ampyre can check itself (the station exists and is connected, the
id tag and transaction exist) before anything is sent, so a caller gets a fast and clear error
instead of a station timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from ampyre.domain.authorization import AuthorizationTrigger
from ampyre.domain.charging_limits import (
    REMOTE_START_VALIDITY_S,
    ChargingLimit,
    RemoteStartRequest,
)
from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.id_tags import validate_id_tag
from ampyre.services.authorization import AuthorizationRequest, AuthorizationService
from ampyre.services.errors import StationNotConnected
from ampyre.services.ports import Clock, CommandResult, StationCommands, UnitOfWorkFactory

TRIGGERABLE_MESSAGES = (
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
)
"""OCPP 1.6 §7.46 MessageTrigger values."""


@dataclass(frozen=True, slots=True)
class CommandService:
    uow_factory: UnitOfWorkFactory
    stations: StationCommands
    timeout_s: float
    clock: Clock
    authorizer: AuthorizationService | None = None
    """Checks the id tag of a remote start before it is sent (None: the station decides)."""

    async def _require_connected(self, station_id: str) -> None:
        async with self.uow_factory() as uow:
            if await uow.stations.get(station_id) is None:
                raise NotFound(f"station {station_id} does not exist")
        if not self.stations.is_connected(station_id):
            raise StationNotConnected(f"station {station_id} is not connected")

    async def do_remote_start(
        self,
        station_id: str,
        *,
        id_tag: str,
        connector_id: int | None,
        limit: ChargingLimit | None = None,
        requested_by: str = "operator",
    ) -> CommandResult:
        """OCPP 1.6 §5.11 RemoteStartTransaction; ``connector_id`` None lets the station pick.

        The request is recorded first, so the station's StartTransaction (which may arrive
        before its answer to this command) finds it and the transaction inherits ``limit``.
        If the station does not accept, the record is removed again. The id tag goes
        through the authorisation pipeline first: a token that may not charge is refused
        here (``Conflict``, code ``not_authorized``) with the pipeline's reason.
        """
        validate_id_tag(id_tag)
        if connector_id is not None and connector_id < 1:
            raise ValidationFailed("connector ids start at 1")
        await self._require_connected(station_id)
        await self._authorise_remote_start(station_id, id_tag, connector_id)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            request_id = await uow.remote_starts.add(
                RemoteStartRequest(
                    id=None,
                    station_id=station_id,
                    id_tag=id_tag,
                    connector_id=connector_id,
                    limit=limit,
                    requested_by=requested_by,
                    requested_at=now,
                    expires_at=now + timedelta(seconds=REMOTE_START_VALIDITY_S),
                )
            )
            await uow.commit()
        accepted = False
        try:
            result = await self.stations.remote_start(
                station_id, id_tag=id_tag, connector_id=connector_id, timeout=self.timeout_s
            )
            accepted = result.status == "Accepted"
            return result
        finally:
            if not accepted:
                async with self.uow_factory() as uow:
                    await uow.remote_starts.delete(request_id)
                    await uow.commit()

    async def _authorise_remote_start(
        self, station_id: str, id_tag: str, connector_id: int | None
    ) -> None:
        if self.authorizer is None:
            return
        async with self.uow_factory() as uow:
            decision = await self.authorizer.authorise(
                uow,
                AuthorizationRequest(
                    id_tag, AuthorizationTrigger.REMOTE_START, station_id, connector_id
                ),
                in_session=await uow.transactions.has_active_for_tag(id_tag),
            )
            await uow.commit()
        answer = decision.authorization
        if not answer.accepted:
            raise Conflict(
                f"{id_tag} may not charge ({answer.status.value}): {answer.reason}",
                code="not_authorized",
            )

    async def do_remote_stop(self, transaction_id: int) -> CommandResult:
        """OCPP 1.6 §5.12 RemoteStopTransaction of an active transaction."""
        async with self.uow_factory() as uow:
            transaction = await uow.transactions.get(transaction_id)
        if transaction is None:
            raise NotFound(f"transaction {transaction_id} does not exist")
        if not transaction.active:
            raise ValidationFailed(f"transaction {transaction_id} has already stopped")
        await self._require_connected(transaction.station_id)
        return await self.stations.remote_stop(
            transaction.station_id, transaction_id=transaction_id, timeout=self.timeout_s
        )

    async def do_reset(self, station_id: str, *, hard: bool) -> CommandResult:
        await self._require_connected(station_id)
        return await self.stations.reset(station_id, hard=hard, timeout=self.timeout_s)

    async def do_unlock_connector(self, station_id: str, connector_id: int) -> CommandResult:
        if connector_id < 1:
            raise ValidationFailed("connector ids start at 1")
        await self._require_connected(station_id)
        return await self.stations.unlock_connector(
            station_id, connector_id=connector_id, timeout=self.timeout_s
        )

    async def do_change_availability(
        self, station_id: str, *, connector_id: int, operative: bool
    ) -> CommandResult:
        """``connector_id`` 0 changes the whole station (OCPP 1.6 §5.2)."""
        if connector_id < 0:
            raise ValidationFailed("connector id must be 0 (whole station) or more")
        await self._require_connected(station_id)
        return await self.stations.change_availability(
            station_id, connector_id=connector_id, operative=operative, timeout=self.timeout_s
        )

    async def get_configuration(self, station_id: str, keys: Sequence[str]) -> CommandResult:
        """OCPP 1.6 §5.8; an empty ``keys`` asks for every key."""
        for key in keys:
            if not 1 <= len(key) <= 50:
                raise ValidationFailed("configuration keys are 1-50 characters")
        await self._require_connected(station_id)
        return await self.stations.get_configuration(
            station_id, keys=list(keys), timeout=self.timeout_s
        )

    async def do_change_configuration(
        self, station_id: str, *, key: str, value: str
    ) -> CommandResult:
        if not 1 <= len(key) <= 50:
            raise ValidationFailed("configuration keys are 1-50 characters")
        if len(value) > 500:
            raise ValidationFailed("configuration values are at most 500 characters")
        await self._require_connected(station_id)
        return await self.stations.change_configuration(
            station_id, key=key, value=value, timeout=self.timeout_s
        )

    async def do_trigger_message(
        self, station_id: str, *, message: str, connector_id: int | None
    ) -> CommandResult:
        if message not in TRIGGERABLE_MESSAGES:
            raise ValidationFailed(f"message must be one of {', '.join(TRIGGERABLE_MESSAGES)}")
        await self._require_connected(station_id)
        return await self.stations.trigger_message(
            station_id, message=message, connector_id=connector_id, timeout=self.timeout_s
        )

    async def do_clear_cache(self, station_id: str) -> CommandResult:
        await self._require_connected(station_id)
        return await self.stations.clear_cache(station_id, timeout=self.timeout_s)

    async def do_data_transfer(
        self, station_id: str, *, vendor_id: str, message_id: str | None, data: str | None
    ) -> CommandResult:
        if not 1 <= len(vendor_id) <= 255:
            raise ValidationFailed("vendorId is 1-255 characters")
        if message_id is not None and len(message_id) > 50:
            raise ValidationFailed("messageId is at most 50 characters")
        await self._require_connected(station_id)
        return await self.stations.data_transfer(
            station_id,
            vendor_id=vendor_id,
            message_id=message_id,
            data=data,
            timeout=self.timeout_s,
        )
