"""Reads of the OCPP message log and the connection history (writes of frames are batched
by :class:`ampyre.db.telemetry.BatchedTelemetryWriter`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, paged
from ampyre.db.tables import connection_events, message_log
from ampyre.services.records import ConnectionEvent, LoggedFrame, Page


class SqlLogRepository:
    """``LogRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def frames(
        self,
        page: Page,
        *,
        station_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LoggedFrame]:
        """Newest request first; ``since`` ≤ ``requested_at`` < ``until``."""
        log = message_log
        statement = sa.select(log).order_by(log.c.requested_at.desc(), log.c.id.desc())
        if station_id is not None:
            statement = statement.where(log.c.station_id == station_id)
        if action is not None:
            statement = statement.where(log.c.action == action)
        if since is not None:
            statement = statement.where(log.c.requested_at >= since)
        if until is not None:
            statement = statement.where(log.c.requested_at < until)
        return [_frame(row) for row in await self._conn.execute(paged(statement, page))]

    async def connection_events(self, station_id: str, page: Page) -> list[ConnectionEvent]:
        """Newest first."""
        events = connection_events
        statement = (
            sa.select(events)
            .where(events.c.station_id == station_id)
            .order_by(events.c.at.desc(), events.c.id.desc())
        )
        return [_event(row) for row in await self._conn.execute(paged(statement, page))]

    async def add_connection_event(self, event: ConnectionEvent) -> None:
        await self._conn.execute(sa.insert(connection_events).values(asdict(event)))

    async def delete_frames_before(self, before: datetime) -> int:
        """Delete frames requested before ``before`` (retention); returns how many."""
        result = await self._conn.execute(
            sa.delete(message_log).where(message_log.c.requested_at < before)
        )
        return result.rowcount


def _frame(row: AnyRow) -> LoggedFrame:
    return LoggedFrame(
        station_id=row.station_id,
        direction=row.direction,
        message_id=row.message_id,
        action=row.action,
        request=row.request,
        response=row.response,
        requested_at=row.requested_at,
        answered_at=row.answered_at,
        error_code=row.error_code,
    )


def _event(row: AnyRow) -> ConnectionEvent:
    return ConnectionEvent(station_id=row.station_id, event=row.event, at=row.at, detail=row.detail)
