"""Domain objects with sensible defaults for the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.domain.locations import (
    Address,
    Contact,
    GeoPoint,
    Location,
    OpeningHours,
    OpeningPeriod,
)
from ampyre.domain.stations import RegistrationStatus, Station
from ampyre.domain.transactions import Transaction

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def location(location_id: str = "LOC-1", **changes: Any) -> Location:
    values: dict[str, Any] = {
        "id": location_id,
        "name": "Market Square",
        "address": Address("Rynek 1", "Kraków", "31-042", "PL"),
        "coordinates": GeoPoint(Decimal("50.0616501"), Decimal("-19.9373508")),
        "time_zone": "Europe/Warsaw",
        "opening_hours": OpeningHours(
            twentyfourseven=False,
            periods=(OpeningPeriod(1, "08:00", "20:00"), OpeningPeriod(6, "22:00", "02:00")),
        ),
        "contact": Contact(phone="+48 12 000 00 00", email="site@example.org"),
        "points_of_interest": ("supermarket", "toilets"),
        "public": True,
    }
    values.update(changes)
    return Location(**values)


def station(station_id: str = "ST-1", **changes: Any) -> Station:
    values: dict[str, Any] = {
        "id": station_id,
        "registration_status": RegistrationStatus.ACCEPTED,
        "name": f"Station {station_id}",
        "password_hash": "scrypt1$c2FsdA==$ZGlnZXN0",
        "vendor": "Acme",
        "model": "AC22",
        "serial_number": "SN-001",
        "firmware_version": "1.2.3",
        "ocpp_version": "1.6",
        "max_power_w": 22_000,
        "groups": ("north", "fleet"),
        "last_boot_at": at(-3600),
        "last_seen_at": at(-60),
        "connected": True,
        "created_at": at(-86_400),
    }
    values.update(changes)
    return Station(**values)


def transaction(start_key: str = "key-1", **changes: Any) -> Transaction:
    values: dict[str, Any] = {
        "id": 0,
        "station_id": "ST-1",
        "connector_id": 1,
        "id_tag": "TAG-1",
        "meter_start_wh": 1000,
        "started_at": at(0),
        "start_received_at": at(1),
        "start_key": start_key,
    }
    values.update(changes)
    return Transaction(**values)


async def refuse_inserts(engine: AsyncEngine, backend: str, table: str) -> None:
    """Make every INSERT into ``table`` fail ("database trouble") until :func:`allow_inserts`."""
    statements = {
        "sqlite": [
            f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'database trouble'); END"
        ],
        "postgres": [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'database trouble'; END $$",
            f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse()",
        ],
    }[backend]
    await _run(engine, statements)


async def allow_inserts(engine: AsyncEngine, backend: str, table: str) -> None:
    statements = {
        "sqlite": ["DROP TRIGGER refuse"],
        "postgres": [f"DROP TRIGGER refuse ON {table}", "DROP FUNCTION refuse()"],
    }[backend]
    await _run(engine, statements)


async def _run(engine: AsyncEngine, statements: list[str]) -> None:
    async with engine.begin() as conn:
        for statement in statements:
            await conn.exec_driver_sql(statement)
