"""Operator use cases for stations: register, approve or reject, edit, set the password,
delete, and look at a station (detail, lists, status and connection history).

Station passwords (OCPP security profile 1) are stored only as hashes
(:mod:`ampyre.domain.station_secrets`); a generated password is returned exactly once, by the
call that generated it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.station_secrets import generate_password, hash_password, validate_password
from ampyre.domain.stations import Connector, RegistrationStatus, Station, validate_station_id
from ampyre.domain.transactions import Transaction
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import Clock, StationCommands, UnitOfWork, UnitOfWorkFactory
from ampyre.services.records import ConnectionEvent, Page, StatusChange, TransactionFilter
from ampyre.services.updates import KEEP, Keep, merged

log = logging.getLogger(__name__)

NAME_MAX_LENGTH = 255
GROUP_MAX_LENGTH = 64
MAX_GROUPS = 32


def validate_station_name(name: str | None) -> str | None:
    if name is not None and (not name.strip() or len(name) > NAME_MAX_LENGTH):
        raise ValidationFailed(f"a station name must be 1-{NAME_MAX_LENGTH} characters")
    return name


def validate_groups(groups: tuple[str, ...]) -> tuple[str, ...]:
    """Groups are free-text labels (e.g. "depot-north"), unique, 1-64 characters each."""
    if len(groups) > MAX_GROUPS:
        raise ValidationFailed(f"a station belongs to at most {MAX_GROUPS} groups")
    for group in groups:
        if not group.strip() or len(group) > GROUP_MAX_LENGTH:
            raise ValidationFailed(f"a group name must be 1-{GROUP_MAX_LENGTH} characters")
    if len(set(groups)) != len(groups):
        raise ValidationFailed("a group is listed twice")
    return groups


def password_or_generated(password: str | None) -> tuple[str, str | None]:
    """The validated ``password``, or a generated one (returned twice: to use and to show)."""
    if password is None:
        generated = generate_password()
        return generated, generated
    return validate_password(password), None


async def require_location(uow: UnitOfWork, location_id: str | None) -> None:
    """``ValidationFailed`` when a station would point at a location that does not exist."""
    if location_id is not None and await uow.locations.get(location_id) is None:
        raise ValidationFailed(f"location {location_id} does not exist")


async def require_station(uow: UnitOfWork, station_id: str) -> Station:
    station = await uow.stations.get(station_id)
    if station is None:
        raise NotFound(f"station {station_id} does not exist")
    return station


@dataclass(frozen=True, slots=True)
class NewStation:
    """A station to register. ``password`` None means "generate one for me"."""

    id: str
    password: str | None = None
    location_id: str | None = None
    name: str | None = None
    max_power_w: int | None = None
    groups: tuple[str, ...] = ()
    registration_status: RegistrationStatus = RegistrationStatus.ACCEPTED


@dataclass(frozen=True, slots=True)
class CreatedStation:
    station: Station
    generated_password: str | None
    """The plain generated password: shown to the operator once, never stored."""


@dataclass(frozen=True, slots=True)
class StationUpdate:
    """Fields to change; ``KEEP`` leaves a field as stored, None clears it."""

    name: str | Keep | None = KEEP
    location_id: str | Keep | None = KEEP
    max_power_w: int | Keep | None = KEEP
    groups: tuple[str, ...] | Keep = KEEP


@dataclass(frozen=True, slots=True)
class StationDetail:
    """A station with its connectors and what is happening on it now."""

    station: Station
    connectors: list[Connector]
    station_status: StatusChange | None
    """The newest status of connector 0 (the station as a whole), if it ever sent one."""
    active_transactions: list[Transaction] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StationAdminService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    stations: StationCommands | None = None
    """When given, a rejected or deleted station that is connected is disconnected."""

    async def do_create_station(self, actor: Actor, new: NewStation) -> CreatedStation:
        """Register a station; ``Conflict`` if the id is taken.

        Without a password one is generated (OCPP 1.6 security whitepaper: 16-40 characters)
        and returned in ``generated_password``.
        """
        check_permission(actor, Permission.STATIONS_WRITE)
        password, generated = password_or_generated(new.password)
        station = Station(
            id=validate_station_id(new.id),
            registration_status=new.registration_status,
            location_id=new.location_id,
            name=validate_station_name(new.name),
            max_power_w=new.max_power_w,
            groups=validate_groups(new.groups),
            created_at=self.clock.now(),
        )
        station.password_hash = hash_password(password)
        async with self.uow_factory() as uow:
            if await uow.stations.get(station.id) is not None:
                raise Conflict(f"station {station.id} already exists")
            await require_location(uow, station.location_id)
            await uow.stations.add(station)
            await uow.commit()
        return CreatedStation(station, generated)

    async def do_approve_station(self, actor: Actor, station_id: str) -> Station:
        """Accept a station (e.g. one held Pending on first contact); its next
        BootNotification is answered Accepted (OCPP 1.6 §4.2)."""
        return await self._set_registration(actor, station_id, RegistrationStatus.ACCEPTED)

    async def do_reject_station(self, actor: Actor, station_id: str) -> Station:
        """Reject a station: it may no longer connect, and an open connection is closed."""
        station = await self._set_registration(actor, station_id, RegistrationStatus.REJECTED)
        await self._disconnect(station_id, "station rejected by the operator")
        return station

    async def _set_registration(
        self, actor: Actor, station_id: str, status: RegistrationStatus
    ) -> Station:
        check_permission(actor, Permission.STATIONS_WRITE)
        async with self.uow_factory() as uow:
            station = await require_station(uow, station_id)
            station.registration_status = status
            await uow.stations.update(station)
            await uow.commit()
        return station

    async def do_update_station(
        self, actor: Actor, station_id: str, update: StationUpdate
    ) -> Station:
        check_permission(actor, Permission.STATIONS_WRITE)
        async with self.uow_factory() as uow:
            current = await require_station(uow, station_id)
            changed = replace(
                current,
                name=validate_station_name(merged(update.name, current.name)),
                location_id=merged(update.location_id, current.location_id),
                max_power_w=merged(update.max_power_w, current.max_power_w),
                groups=validate_groups(merged(update.groups, current.groups)),
            )
            if changed.location_id != current.location_id:
                await require_location(uow, changed.location_id)
            await uow.stations.update(changed)
            await uow.commit()
        return changed

    async def do_set_station_password(
        self, actor: Actor, station_id: str, password: str | None
    ) -> str | None:
        """Replace the station's Basic-auth password; None generates one, which is returned.

        An open connection stays up: the new password counts from the next connection.
        """
        check_permission(actor, Permission.STATIONS_WRITE)
        plain, generated = password_or_generated(password)
        password_hash = hash_password(plain)
        async with self.uow_factory() as uow:
            station = await require_station(uow, station_id)
            station.password_hash = password_hash
            await uow.stations.update(station)
            await uow.commit()
        return generated

    async def do_delete_station(self, actor: Actor, station_id: str) -> None:
        """Delete a station and its connectors.

        ``Conflict`` when it has transactions: they are billing records, so such a station is
        rejected instead of deleted.
        """
        check_permission(actor, Permission.STATIONS_WRITE)
        async with self.uow_factory() as uow:
            await require_station(uow, station_id)
            if await uow.transactions.list(TransactionFilter(station_id=station_id), Page(1, 0)):
                raise Conflict(
                    f"station {station_id} has transactions and cannot be deleted; reject it"
                )
            for connector in await uow.connectors.list_for_station(station_id):
                await uow.connectors.delete(station_id, connector.connector_id)
            await uow.stations.delete(station_id)
            await uow.commit()
        await self._disconnect(station_id, "station deleted by the operator")

    async def _disconnect(self, station_id: str, reason: str) -> None:
        if self.stations is None or not self.stations.is_connected(station_id):
            return
        try:
            await self.stations.disconnect(station_id, reason=reason)
        except Exception:
            log.exception("could not disconnect station %s", station_id)

    async def get_station(self, actor: Actor, station_id: str) -> StationDetail:
        check_permission(actor, Permission.STATIONS_READ)
        async with self.uow_factory() as uow:
            station = await require_station(uow, station_id)
            connectors = await uow.connectors.list_for_station(station_id)
            newest = await uow.connectors.status_history(station_id, 0, Page(1, 0))
            active = await uow.transactions.active_for_station(station_id)
        return StationDetail(station, connectors, newest[0] if newest else None, active)

    async def list_stations(
        self,
        actor: Actor,
        page: Page,
        *,
        location_id: str | None = None,
        registration_status: RegistrationStatus | None = None,
        connected: bool | None = None,
    ) -> list[Station]:
        check_permission(actor, Permission.STATIONS_READ)
        async with self.uow_factory() as uow:
            return await uow.stations.list(
                page,
                location_id=location_id,
                registration_status=registration_status,
                connected=connected,
            )

    async def status_history(
        self, actor: Actor, station_id: str, page: Page, *, connector_id: int | None = None
    ) -> list[StatusChange]:
        """Newest first; ``connector_id`` 0 is the station itself, None means all."""
        check_permission(actor, Permission.STATIONS_READ)
        async with self.uow_factory() as uow:
            await require_station(uow, station_id)
            return await uow.connectors.status_history(station_id, connector_id, page)

    async def connection_history(
        self, actor: Actor, station_id: str, page: Page
    ) -> list[ConnectionEvent]:
        """Connects and disconnects of the station, newest first."""
        check_permission(actor, Permission.STATIONS_READ)
        async with self.uow_factory() as uow:
            await require_station(uow, station_id)
            return await uow.logs.connection_events(station_id, page)
