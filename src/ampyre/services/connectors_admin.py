"""Operator use cases for the connectors (plugs) of a station.

The operator describes each plug (standard, cable or socket, power); the station reports its
live status (StatusNotification), which these use cases never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.stations import Connector, ConnectorFormat, ConnectorStandard, PowerType
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.stations_admin import require_station
from ampyre.services.updates import KEEP, Keep, merged

EVSE_ID_PATTERN = re.compile(r"^[A-Z]{2}\*?[A-Z0-9]{3}\*?E[A-Z0-9*]{1,30}$", re.IGNORECASE)
"""eMI3 / ISO 15118 EVSE id: country, operator id, "E", outlet id; "*" separators optional
(e.g. ``PL*AMP*E0001*1``)."""

MAX_CONNECTOR_ID = 99


def validate_evse_id(evse_id: str | None) -> str | None:
    if evse_id is not None and not EVSE_ID_PATTERN.match(evse_id):
        raise ValidationFailed(f"EVSE id {evse_id!r} is not an eMI3 EVSE id such as PL*AMP*E0001*1")
    return evse_id


@dataclass(frozen=True, slots=True)
class NewConnector:
    station_id: str
    connector_id: int
    standard: ConnectorStandard = ConnectorStandard.TYPE2
    format: ConnectorFormat = ConnectorFormat.SOCKET
    power_type: PowerType = PowerType.AC_3_PHASE
    max_power_w: int | None = None
    evse_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectorUpdate:
    """Fields to change; ``KEEP`` leaves a field as stored, None clears it."""

    standard: ConnectorStandard | Keep = KEEP
    format: ConnectorFormat | Keep = KEEP
    power_type: PowerType | Keep = KEEP
    max_power_w: int | Keep | None = KEEP
    evse_id: str | Keep | None = KEEP


@dataclass(frozen=True, slots=True)
class ConnectorService:
    uow_factory: UnitOfWorkFactory

    async def list_connectors(self, actor: Actor, station_id: str) -> list[Connector]:
        check_permission(actor, Permission.STATIONS_READ)
        async with self.uow_factory() as uow:
            await require_station(uow, station_id)
            return await uow.connectors.list_for_station(station_id)

    async def get_connector(self, actor: Actor, station_id: str, connector_id: int) -> Connector:
        check_permission(actor, Permission.STATIONS_READ)
        async with self.uow_factory() as uow:
            await require_station(uow, station_id)
            connector = await uow.connectors.get(station_id, connector_id)
        if connector is None:
            raise NotFound(f"station {station_id} has no connector {connector_id}")
        return connector

    async def do_create_connector(self, actor: Actor, new: NewConnector) -> Connector:
        """Describe a new plug of a station; ``Conflict`` if the number is taken.

        Its status stays Unavailable until the station reports one.
        """
        check_permission(actor, Permission.STATIONS_WRITE)
        if new.connector_id > MAX_CONNECTOR_ID:
            raise ValidationFailed(f"connector ids go up to {MAX_CONNECTOR_ID}")
        connector = Connector(
            station_id=new.station_id,
            connector_id=new.connector_id,
            standard=new.standard,
            format=new.format,
            power_type=new.power_type,
            max_power_w=new.max_power_w,
            evse_id=validate_evse_id(new.evse_id),
        )
        async with self.uow_factory() as uow:
            await require_station(uow, new.station_id)
            if await uow.connectors.get(new.station_id, new.connector_id) is not None:
                raise Conflict(f"station {new.station_id} already has connector {new.connector_id}")
            await uow.connectors.save(connector)
            await uow.commit()
        return connector

    async def do_update_connector(
        self, actor: Actor, station_id: str, connector_id: int, update: ConnectorUpdate
    ) -> Connector:
        check_permission(actor, Permission.STATIONS_WRITE)
        async with self.uow_factory() as uow:
            await require_station(uow, station_id)
            current = await uow.connectors.get(station_id, connector_id)
            if current is None:
                raise NotFound(f"station {station_id} has no connector {connector_id}")
            changed = replace(
                current,
                standard=merged(update.standard, current.standard),
                format=merged(update.format, current.format),
                power_type=merged(update.power_type, current.power_type),
                max_power_w=merged(update.max_power_w, current.max_power_w),
                evse_id=validate_evse_id(merged(update.evse_id, current.evse_id)),
            )
            await uow.connectors.save(changed)
            await uow.commit()
        return changed

    async def do_delete_connector(self, actor: Actor, station_id: str, connector_id: int) -> None:
        check_permission(actor, Permission.STATIONS_WRITE)
        async with self.uow_factory() as uow:
            await require_station(uow, station_id)
            if await uow.connectors.get(station_id, connector_id) is None:
                raise NotFound(f"station {station_id} has no connector {connector_id}")
            await uow.connectors.delete(station_id, connector_id)
            await uow.commit()
