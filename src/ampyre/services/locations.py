"""Operator use cases for locations (sites): create, read, list, update, delete."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace

from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.locations import Address, Contact, GeoPoint, Location, OpeningHours
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Page
from ampyre.services.updates import KEEP, Keep, merged

LOCATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9._\-]{1,36}$")
"""OCPI 2.2.1 Location.id is a CiString(36); Ampyre keeps it URL-safe as well."""

NAME_MAX_LENGTH = 255
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def new_location_id() -> str:
    """A fresh random location id (a UUID in its 36-character text form)."""
    return str(uuid.uuid4())


def validate_location(location: Location) -> Location:
    """Rules the domain dataclass leaves to the use case: id form, name, country, hours."""
    if not LOCATION_ID_PATTERN.match(location.id):
        raise ValidationFailed(
            f"location id {location.id!r} must be 1-36 characters of letters, digits and ._-"
        )
    if not location.name.strip() or len(location.name) > NAME_MAX_LENGTH:
        raise ValidationFailed(f"a location name must be 1-{NAME_MAX_LENGTH} characters")
    if not _COUNTRY.match(location.address.country):
        raise ValidationFailed(
            f"country {location.address.country!r} must be an ISO 3166-1 alpha-2 code (e.g. PL)"
        )
    for part, value in (
        ("street", location.address.street),
        ("city", location.address.city),
        ("postal code", location.address.postal_code),
    ):
        if not value.strip():
            raise ValidationFailed(f"the address {part} must not be empty")
    hours = location.opening_hours
    if hours.twentyfourseven and hours.periods:
        raise ValidationFailed("a location open 24/7 must not list opening periods")
    if not hours.twentyfourseven and not hours.periods:
        raise ValidationFailed("a location that is not open 24/7 needs opening periods")
    return location


@dataclass(frozen=True, slots=True)
class LocationUpdate:
    """Fields to change; ``KEEP`` leaves a field as stored."""

    name: str | Keep = KEEP
    address: Address | Keep = KEEP
    coordinates: GeoPoint | Keep = KEEP
    time_zone: str | Keep = KEEP
    opening_hours: OpeningHours | Keep = KEEP
    contact: Contact | Keep = KEEP
    points_of_interest: tuple[str, ...] | Keep = KEEP
    public: bool | Keep = KEEP

    def applied_to(self, location: Location) -> Location:
        """A new ``Location`` with the changes (the domain re-validates it)."""
        return replace(
            location,
            name=merged(self.name, location.name),
            address=merged(self.address, location.address),
            coordinates=merged(self.coordinates, location.coordinates),
            time_zone=merged(self.time_zone, location.time_zone),
            opening_hours=merged(self.opening_hours, location.opening_hours),
            contact=merged(self.contact, location.contact),
            points_of_interest=merged(self.points_of_interest, location.points_of_interest),
            public=merged(self.public, location.public),
        )


@dataclass(frozen=True, slots=True)
class LocationService:
    uow_factory: UnitOfWorkFactory

    async def do_create_location(self, actor: Actor, location: Location) -> Location:
        """Register a new location; ``Conflict`` if its id is taken."""
        check_permission(actor, Permission.LOCATIONS_WRITE)
        validate_location(location)
        async with self.uow_factory() as uow:
            if await uow.locations.get(location.id) is not None:
                raise Conflict(f"location {location.id} already exists")
            await uow.locations.add(location)
            await uow.commit()
        return location

    async def get_location(self, actor: Actor, location_id: str) -> Location:
        check_permission(actor, Permission.LOCATIONS_READ)
        async with self.uow_factory() as uow:
            location = await uow.locations.get(location_id)
        if location is None:
            raise NotFound(f"location {location_id} does not exist")
        return location

    async def list_locations(self, actor: Actor, page: Page) -> list[Location]:
        check_permission(actor, Permission.LOCATIONS_READ)
        async with self.uow_factory() as uow:
            return await uow.locations.list(page)

    async def do_update_location(
        self, actor: Actor, location_id: str, update: LocationUpdate
    ) -> Location:
        check_permission(actor, Permission.LOCATIONS_WRITE)
        async with self.uow_factory() as uow:
            current = await uow.locations.get(location_id)
            if current is None:
                raise NotFound(f"location {location_id} does not exist")
            changed = validate_location(update.applied_to(current))
            await uow.locations.update(changed)
            await uow.commit()
        return changed

    async def do_delete_location(self, actor: Actor, location_id: str) -> None:
        """Delete a location; ``Conflict`` while any station still stands there."""
        check_permission(actor, Permission.LOCATIONS_WRITE)
        async with self.uow_factory() as uow:
            if await uow.locations.get(location_id) is None:
                raise NotFound(f"location {location_id} does not exist")
            if await uow.locations.has_stations(location_id):
                raise Conflict(
                    f"location {location_id} still has stations: move or delete them first"
                )
            await uow.locations.delete(location_id)
            await uow.commit()
