"""Remote starts ⇄ ``remote_starts`` rows."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow
from ampyre.db.tables import remote_starts
from ampyre.domain.charging_limits import ChargingLimit, RemoteStartRequest


class SqlRemoteStartRepository:
    """``RemoteStartRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, request: RemoteStartRequest) -> int:
        limit = request.limit
        result = await self._conn.execute(
            sa.insert(remote_starts)
            .values(
                station_id=request.station_id,
                id_tag=request.id_tag,
                connector_id=request.connector_id,
                energy_limit_wh=None if limit is None else limit.energy_wh,
                duration_limit_s=None if limit is None else limit.duration_s,
                requested_by=request.requested_by,
                requested_at=request.requested_at,
                expires_at=request.expires_at,
                transaction_id=request.transaction_id,
            )
            .returning(remote_starts.c.id)
        )
        new_id: int = result.scalar_one()
        return new_id

    async def delete(self, request_id: int) -> None:
        await self._conn.execute(sa.delete(remote_starts).where(remote_starts.c.id == request_id))

    async def open_for(self, station_id: str, id_tag: str) -> list[RemoteStartRequest]:
        rows = await self._conn.execute(
            sa.select(remote_starts)
            .where(
                remote_starts.c.station_id == station_id,
                remote_starts.c.id_tag == id_tag,
                remote_starts.c.transaction_id.is_(None),
            )
            .order_by(remote_starts.c.requested_at, remote_starts.c.id)
        )
        return [_request(row) for row in rows]

    async def claim(self, request_id: int, transaction_id: int) -> None:
        await self._conn.execute(
            sa.update(remote_starts)
            .where(remote_starts.c.id == request_id)
            .values(transaction_id=transaction_id)
        )


def _request(row: AnyRow) -> RemoteStartRequest:
    limit = None
    if row.energy_limit_wh is not None or row.duration_limit_s is not None:
        limit = ChargingLimit(energy_wh=row.energy_limit_wh, duration_s=row.duration_limit_s)
    return RemoteStartRequest(
        id=row.id,
        station_id=row.station_id,
        id_tag=row.id_tag,
        connector_id=row.connector_id,
        limit=limit,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        transaction_id=row.transaction_id,
    )
