"""Connectors ⇄ ``connectors`` rows, and reads of ``connector_status_history``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.dialects import upsert_insert
from ampyre.db.repositories.base import AnyRow, paged
from ampyre.db.tables import connector_status_history, connectors
from ampyre.domain.stations import (
    Connector,
    ConnectorFormat,
    ConnectorStandard,
    ConnectorStatus,
    PowerType,
)
from ampyre.services.records import Page, StatusChange

_KEY_NAMES = ("station_id", "connector_id")


class SqlConnectorRepository:
    """``ConnectorRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def list_for_station(self, station_id: str) -> list[Connector]:
        """Ordered by connector id."""
        statement = (
            sa.select(connectors)
            .where(connectors.c.station_id == station_id)
            .order_by(connectors.c.connector_id)
        )
        return [_connector(row) for row in await self._conn.execute(statement)]

    async def get(self, station_id: str, connector_id: int) -> Connector | None:
        statement = sa.select(connectors).where(
            connectors.c.station_id == station_id, connectors.c.connector_id == connector_id
        )
        row = (await self._conn.execute(statement)).one_or_none()
        return None if row is None else _connector(row)

    async def save(self, connector: Connector) -> None:
        """Insert or update every field (one ``INSERT ... ON CONFLICT DO UPDATE``).

        The station must exist (foreign key).
        """
        values = connector_columns(connector)
        insert = upsert_insert(self._conn.dialect.name, connectors).values(values)
        statement = insert.on_conflict_do_update(
            index_elements=list(_KEY_NAMES),
            set_={name: insert.excluded[name] for name in values if name not in _KEY_NAMES},
        )
        await self._conn.execute(statement)

    async def delete(self, station_id: str, connector_id: int) -> None:
        await self._conn.execute(
            sa.delete(connectors).where(
                connectors.c.station_id == station_id, connectors.c.connector_id == connector_id
            )
        )

    async def status_history(
        self, station_id: str, connector_id: int | None, page: Page
    ) -> list[StatusChange]:
        """Newest first (by receive time); ``connector_id`` 0 is the station, None all."""
        history = connector_status_history
        statement = (
            sa.select(history)
            .where(history.c.station_id == station_id)
            .order_by(history.c.received_at.desc(), history.c.id.desc())
        )
        if connector_id is not None:
            statement = statement.where(history.c.connector_id == connector_id)
        return [_status_change(row) for row in await self._conn.execute(paged(statement, page))]


def connector_columns(connector: Connector) -> dict[str, Any]:
    """All columns of the ``connectors`` row for ``connector``."""
    return {
        "station_id": connector.station_id,
        "connector_id": connector.connector_id,
        "standard": connector.standard.value,
        "format": connector.format.value,
        "power_type": connector.power_type.value,
        "max_power_w": connector.max_power_w,
        "evse_id": connector.evse_id,
        "status": connector.status.value,
        "error_code": connector.error_code,
        "vendor_error_code": connector.vendor_error_code,
        "info": connector.info,
        "status_at": connector.status_at,
    }


def _connector(row: AnyRow) -> Connector:
    return Connector(
        station_id=row.station_id,
        connector_id=row.connector_id,
        standard=ConnectorStandard(row.standard),
        format=ConnectorFormat(row.format),
        power_type=PowerType(row.power_type),
        max_power_w=row.max_power_w,
        evse_id=row.evse_id,
        status=ConnectorStatus(row.status),
        error_code=row.error_code,
        vendor_error_code=row.vendor_error_code,
        info=row.info,
        status_at=row.status_at,
    )


def _status_change(row: AnyRow) -> StatusChange:
    return StatusChange(
        station_id=row.station_id,
        connector_id=row.connector_id,
        status=row.status,
        error_code=row.error_code,
        info=row.info,
        vendor_error_code=row.vendor_error_code,
        station_time=row.station_time,
        received_at=row.received_at,
    )
