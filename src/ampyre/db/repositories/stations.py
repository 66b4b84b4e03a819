"""Stations ⇄ ``stations`` rows."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, paged, require_one_row
from ampyre.db.tables import stations
from ampyre.domain.stations import RegistrationStatus, Station
from ampyre.services.records import Page

_ID_CHUNK = 1000
"""Ids per ``IN (...)`` query, well below both databases' bound-parameter limits."""


def later_of(column: sa.ColumnElement[datetime], value: datetime) -> sa.ColumnElement[datetime]:
    """SQL for "``value`` if it is later than ``column`` (or ``column`` is NULL), else ``column``".

    Used so a last-seen time only ever moves forward, whoever writes it.
    """
    new = sa.literal(value, type_=column.type)
    return sa.case((sa.or_(column.is_(None), column < new), new), else_=column)


class SqlStationRepository:
    """``StationRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, station_id: str) -> Station | None:
        row = (
            await self._conn.execute(sa.select(stations).where(stations.c.id == station_id))
        ).one_or_none()
        return None if row is None else _station(row)

    async def list(
        self,
        page: Page,
        *,
        location_id: str | None = None,
        registration_status: RegistrationStatus | None = None,
        connected: bool | None = None,
    ) -> list[Station]:
        """Ordered by station id."""
        statement = sa.select(stations).order_by(stations.c.id)
        if location_id is not None:
            statement = statement.where(stations.c.location_id == location_id)
        if registration_status is not None:
            statement = statement.where(stations.c.registration_status == registration_status.value)
        if connected is not None:
            statement = statement.where(stations.c.connected == connected)
        return [_station(row) for row in await self._conn.execute(paged(statement, page))]

    async def add(self, station: Station) -> None:
        """Raises ``Conflict`` when the id is taken; ``created_at`` None means "now"."""
        await insert_unique(
            self._conn,
            sa.insert(stations).values(_insert_columns(station)),
            exists=lambda: self._exists(station.id),
            what=f"station {station.id!r}",
        )

    async def add_many(self, stations_to_add: Sequence[Station]) -> None:
        """Insert all in one executemany; any duplicate fails the whole call (IntegrityError)."""
        if not stations_to_add:
            return
        rows = [_insert_columns(station) for station in stations_to_add]
        # executemany needs the same keys in every row: stations without ``created_at`` go
        # in a second statement that lets the column default fill it.
        dated = [row for row in rows if "created_at" in row]
        undated = [row for row in rows if "created_at" not in row]
        for group in (dated, undated):
            if group:
                await self._conn.execute(sa.insert(stations), group)

    async def update(self, station: Station) -> None:
        """Write every field except ``created_at`` (set once) and ``last_seen_at``, which only
        moves forward (telemetry may have recorded a later frame meanwhile).

        Raises ``NotFound`` when there is no such station.
        """
        values = _columns(station)
        last_seen = values.pop("last_seen_at")
        if last_seen is not None:
            values["last_seen_at"] = later_of(stations.c.last_seen_at, last_seen)
        result = await self._conn.execute(
            sa.update(stations).where(stations.c.id == station.id).values(values)
        )
        require_one_row(result, f"station {station.id!r}")

    async def delete(self, station_id: str) -> None:
        """Deletes its connectors too; deleting a missing station does nothing."""
        await self._conn.execute(sa.delete(stations).where(stations.c.id == station_id))

    async def existing_ids(self, station_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        unique = sorted(set(station_ids))
        for start in range(0, len(unique), _ID_CHUNK):
            chunk = unique[start : start + _ID_CHUNK]
            result = await self._conn.scalars(
                sa.select(stations.c.id).where(stations.c.id.in_(chunk))
            )
            found.update(result)
        return found

    async def set_connected(self, station_id: str, connected: bool, at: datetime) -> None:
        """Set the presence flag; connecting also counts as being seen at ``at``.

        A missing station is ignored (it may have been deleted while connected).
        """
        values: dict[str, Any] = {"connected": connected}
        if connected:
            values["last_seen_at"] = later_of(stations.c.last_seen_at, at)
        await self._conn.execute(
            sa.update(stations).where(stations.c.id == station_id).values(values)
        )

    async def mark_disconnected_if_silent(self, silent_since: datetime) -> builtins.list[str]:
        """Stations marked connected whose last frame is older than ``silent_since`` (or that
        never sent one) become disconnected; returns their ids, sorted.
        """
        silent = sa.literal(silent_since, type_=stations.c.last_seen_at.type)
        result = await self._conn.execute(
            sa.update(stations)
            .where(
                stations.c.connected.is_(True),
                sa.or_(stations.c.last_seen_at.is_(None), stations.c.last_seen_at < silent),
            )
            .values(connected=False)
            .returning(stations.c.id)
        )
        return sorted(result.scalars())

    async def _exists(self, station_id: str) -> bool:
        return await self.get(station_id) is not None


def _columns(station: Station) -> dict[str, Any]:
    return {
        "location_id": station.location_id,
        "name": station.name,
        "password_hash": station.password_hash,
        "registration_status": station.registration_status.value,
        "vendor": station.vendor,
        "model": station.model,
        "serial_number": station.serial_number,
        "firmware_version": station.firmware_version,
        "ocpp_version": station.ocpp_version,
        "max_power_w": station.max_power_w,
        "groups": list(station.groups),
        "last_boot_at": station.last_boot_at,
        "last_seen_at": station.last_seen_at,
        "connected": station.connected,
    }


def _insert_columns(station: Station) -> dict[str, Any]:
    columns = {"id": station.id, **_columns(station)}
    if station.created_at is not None:
        columns["created_at"] = station.created_at
    return columns


def _station(row: AnyRow) -> Station:
    return Station(
        id=row.id,
        registration_status=RegistrationStatus(row.registration_status),
        location_id=row.location_id,
        name=row.name,
        password_hash=row.password_hash,
        vendor=row.vendor,
        model=row.model,
        serial_number=row.serial_number,
        firmware_version=row.firmware_version,
        ocpp_version=row.ocpp_version,
        max_power_w=row.max_power_w,
        groups=tuple(row.groups),
        last_boot_at=row.last_boot_at,
        last_seen_at=row.last_seen_at,
        connected=row.connected,
        created_at=row.created_at,
    )
