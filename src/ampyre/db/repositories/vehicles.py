"""Vehicles ⇄ ``vehicles`` rows."""

from __future__ import annotations

import builtins
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, require_one_row
from ampyre.db.tables import vehicles
from ampyre.domain.stations import ConnectorStandard
from ampyre.domain.vehicles import Vehicle


class SqlVehicleRepository:
    """``VehicleRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, vehicle_id: str) -> Vehicle | None:
        row = (
            await self._conn.execute(sa.select(vehicles).where(vehicles.c.id == vehicle_id))
        ).first()
        return None if row is None else _vehicle(row)

    async def of_customer(self, customer_id: str) -> builtins.list[Vehicle]:
        """Oldest first."""
        statement = (
            sa.select(vehicles)
            .where(vehicles.c.customer_id == customer_id)
            .order_by(vehicles.c.created_at, vehicles.c.id)
        )
        return [_vehicle(row) for row in await self._conn.execute(statement)]

    async def add(self, vehicle: Vehicle) -> None:
        """``Conflict`` when the id exists; another vehicle with the same token is an
        integrity error (the use cases never give one token to two vehicles)."""
        await insert_unique(
            self._conn,
            sa.insert(vehicles).values(id=vehicle.id, **_columns(vehicle)),
            exists=lambda: self._exists(vehicle.id),
            what=f"vehicle {vehicle.id}",
        )

    async def update(self, vehicle: Vehicle) -> None:
        """Write every field but the id; ``NotFound`` when there is no such vehicle."""
        result = await self._conn.execute(
            sa.update(vehicles).where(vehicles.c.id == vehicle.id).values(**_columns(vehicle))
        )
        require_one_row(result, f"vehicle {vehicle.id}")

    async def delete(self, vehicle_id: str) -> None:
        """Remove the vehicle (its token stays: sessions and history refer to it)."""
        await self._conn.execute(sa.delete(vehicles).where(vehicles.c.id == vehicle_id))

    async def _exists(self, vehicle_id: str) -> bool:
        return await self.get(vehicle_id) is not None


def _columns(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "customer_id": vehicle.customer_id,
        "make": vehicle.make,
        "model": vehicle.model,
        "battery_kwh": vehicle.battery_kwh,
        "connector_standards": sorted(standard.value for standard in vehicle.connector_standards),
        "plate": vehicle.plate,
        "token_uid": vehicle.token_uid,
    }


def _vehicle(row: AnyRow) -> Vehicle:
    battery: Decimal | None = row.battery_kwh
    return Vehicle(
        id=row.id,
        customer_id=row.customer_id,
        make=row.make,
        model=row.model,
        connector_standards=frozenset(ConnectorStandard(s) for s in row.connector_standards),
        battery_kwh=battery,
        plate=row.plate,
        token_uid=row.token_uid,
    )
