"""Locations ⇄ ``locations`` rows (address and contact flattened, opening hours as JSON)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, paged, require_one_row
from ampyre.db.tables import locations, stations
from ampyre.domain.locations import (
    Address,
    Contact,
    GeoPoint,
    Location,
    OpeningHours,
    OpeningPeriod,
)
from ampyre.services.records import Page


class SqlLocationRepository:
    """``LocationRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, location_id: str) -> Location | None:
        row = (
            await self._conn.execute(sa.select(locations).where(locations.c.id == location_id))
        ).one_or_none()
        return None if row is None else _location(row)

    async def list(self, page: Page) -> list[Location]:
        statement = paged(sa.select(locations).order_by(locations.c.id), page)
        return [_location(row) for row in await self._conn.execute(statement)]

    async def add(self, location: Location) -> None:
        """Raises ``Conflict`` when a location with the same id exists."""
        await insert_unique(
            self._conn,
            sa.insert(locations).values(id=location.id, **_columns(location)),
            exists=lambda: self._exists(location.id),
            what=f"location {location.id!r}",
        )

    async def update(self, location: Location) -> None:
        """Raises ``NotFound`` when there is no such location."""
        result = await self._conn.execute(
            sa.update(locations).where(locations.c.id == location.id).values(**_columns(location))
        )
        require_one_row(result, f"location {location.id!r}")

    async def delete(self, location_id: str) -> None:
        """Deleting a missing location does nothing; stations must have been moved first."""
        await self._conn.execute(sa.delete(locations).where(locations.c.id == location_id))

    async def has_stations(self, location_id: str) -> bool:
        found = await self._conn.scalar(
            sa.select(sa.literal(1)).where(stations.c.location_id == location_id).limit(1)
        )
        return found is not None

    async def _exists(self, location_id: str) -> bool:
        return await self.get(location_id) is not None


def _columns(location: Location) -> dict[str, Any]:
    return {
        "name": location.name,
        "street": location.address.street,
        "city": location.address.city,
        "postal_code": location.address.postal_code,
        "country": location.address.country,
        "latitude": location.coordinates.latitude,
        "longitude": location.coordinates.longitude,
        "time_zone": location.time_zone,
        "opening_hours": _opening_hours_json(location.opening_hours),
        "contact_phone": location.contact.phone,
        "contact_email": location.contact.email,
        "contact_website": location.contact.website,
        "points_of_interest": list(location.points_of_interest),
        "public": location.public,
    }


def _opening_hours_json(hours: OpeningHours) -> dict[str, Any]:
    return {
        "twentyfourseven": hours.twentyfourseven,
        "periods": [
            {"weekday": period.weekday, "begin": period.begin, "end": period.end}
            for period in hours.periods
        ],
    }


def _location(row: AnyRow) -> Location:
    hours = row.opening_hours
    return Location(
        id=row.id,
        name=row.name,
        address=Address(
            street=row.street, city=row.city, postal_code=row.postal_code, country=row.country
        ),
        coordinates=GeoPoint(latitude=row.latitude, longitude=row.longitude),
        time_zone=row.time_zone,
        opening_hours=OpeningHours(
            twentyfourseven=hours["twentyfourseven"],
            periods=tuple(
                OpeningPeriod(weekday=p["weekday"], begin=p["begin"], end=p["end"])
                for p in hours["periods"]
            ),
        ),
        contact=Contact(
            phone=row.contact_phone, email=row.contact_email, website=row.contact_website
        ),
        points_of_interest=tuple(row.points_of_interest),
        public=row.public,
    )
