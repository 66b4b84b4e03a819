"""Locations and stations round-trip through their repositories."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta, timezone
from decimal import Decimal

import pytest
from dbfactories import at, location, station

from ampyre.domain.errors import Conflict, NotFound
from ampyre.domain.locations import Contact, GeoPoint, OpeningHours
from ampyre.domain.stations import Connector, RegistrationStatus
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Page


async def test_location_round_trip_keeps_decimals_hours_and_contact(
    uow: UnitOfWorkFactory,
) -> None:
    original = location()
    async with uow() as tx:
        await tx.locations.add(original)
        await tx.commit()

    async with uow() as tx:
        loaded = await tx.locations.get("LOC-1")

    assert loaded == original
    assert loaded is not None
    assert loaded.coordinates.latitude == Decimal("50.0616501")
    assert loaded.coordinates.longitude == Decimal("-19.9373508")


async def test_location_update_list_and_delete(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        for location_id in ("LOC-B", "LOC-A", "LOC-C"):
            await tx.locations.add(location(location_id))
        await tx.commit()

    changed = location(
        "LOC-B",
        name="Renamed",
        coordinates=GeoPoint(Decimal("-89.9999999"), Decimal("179.9999999")),
        opening_hours=OpeningHours(),
        contact=Contact(),
        points_of_interest=(),
        public=False,
    )
    async with uow() as tx:
        await tx.locations.update(changed)
        await tx.locations.delete("LOC-C")
        await tx.commit()

    async with uow() as tx:
        assert await tx.locations.get("LOC-B") == changed
        listed = await tx.locations.list(Page(limit=10))
        second_page = await tx.locations.list(Page(limit=1, offset=1))
    assert [item.id for item in listed] == ["LOC-A", "LOC-B"]
    assert [item.id for item in second_page] == ["LOC-B"]


async def test_duplicate_location_is_a_conflict_and_missing_update_not_found(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.locations.add(location())
        with pytest.raises(Conflict):
            await tx.locations.add(location(name="Again"))
        with pytest.raises(NotFound):
            await tx.locations.update(location("LOC-NOPE"))
        await tx.commit()

    async with uow() as tx:
        loaded = await tx.locations.get("LOC-1")
    assert loaded is not None
    assert loaded.name == "Market Square"


async def test_has_stations(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.locations.add(location("LOC-1"))
        await tx.locations.add(location("LOC-2"))
        await tx.stations.add(station("ST-1", location_id="LOC-1"))
        await tx.commit()

    async with uow() as tx:
        assert await tx.locations.has_stations("LOC-1")
        assert not await tx.locations.has_stations("LOC-2")


async def test_station_round_trip_with_aware_utc_datetimes(uow: UnitOfWorkFactory) -> None:
    plus_two = timezone(timedelta(hours=2))
    original = station(last_boot_at=at(0).astimezone(plus_two))
    async with uow() as tx:
        await tx.stations.add(original)
        await tx.commit()

    async with uow() as tx:
        loaded = await tx.stations.get("ST-1")

    assert loaded == original
    assert loaded is not None
    assert loaded.last_boot_at is not None
    assert loaded.last_boot_at.tzinfo is UTC
    assert loaded.last_boot_at == at(0)
    assert loaded.created_at == at(-86_400)


async def test_station_without_created_at_gets_the_database_time(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.stations.add(station("ST-1", created_at=None))
        await tx.stations.add_many([station("ST-2", created_at=None), station("ST-3")])
        await tx.commit()

    async with uow() as tx:
        loaded = [await tx.stations.get(station_id) for station_id in ("ST-1", "ST-2", "ST-3")]

    for item in loaded:
        assert item is not None
        assert item.created_at is not None
        assert item.created_at.tzinfo is UTC
    assert loaded[2] is not None
    assert loaded[2].created_at == at(-86_400)


async def test_station_update_writes_fields_but_last_seen_never_goes_back(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.locations.add(location())
        await tx.stations.add(station(last_seen_at=at(100)))
        await tx.commit()

    changed = station(
        location_id="LOC-1",
        registration_status=RegistrationStatus.PENDING,
        firmware_version="2.0.0",
        groups=(),
        max_power_w=None,
        last_seen_at=at(50),
        connected=False,
        created_at=at(0),
    )
    async with uow() as tx:
        await tx.stations.update(changed)
        await tx.commit()

    async with uow() as tx:
        loaded = await tx.stations.get("ST-1")
    assert loaded == replace(changed, last_seen_at=at(100), created_at=at(-86_400))


async def test_station_list_filters_and_existing_ids(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.locations.add(location())
        await tx.stations.add_many(
            [
                station("ST-1", location_id="LOC-1"),
                station("ST-2", registration_status=RegistrationStatus.PENDING),
                station("ST-3", connected=False, location_id="LOC-1"),
            ]
        )
        await tx.commit()

    async with uow() as tx:
        at_location = await tx.stations.list(Page(), location_id="LOC-1")
        pending = await tx.stations.list(Page(), registration_status=RegistrationStatus.PENDING)
        offline = await tx.stations.list(Page(), connected=False)
        existing = await tx.stations.existing_ids(["ST-3", "ST-9", "ST-1", "ST-1"])

    assert [item.id for item in at_location] == ["ST-1", "ST-3"]
    assert [item.id for item in pending] == ["ST-2"]
    assert [item.id for item in offline] == ["ST-3"]
    assert existing == {"ST-1", "ST-3"}


async def test_adding_an_existing_station_is_a_conflict(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.stations.add(station("ST-1"))
        with pytest.raises(Conflict):
            await tx.stations.add(station("ST-1"))
        await tx.commit()


async def test_set_connected_and_mark_silent_stations(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.stations.add_many(
            [
                station("ST-OLD", last_seen_at=at(-600)),
                station("ST-NEW", last_seen_at=at(-10)),
                station("ST-NEVER", last_seen_at=None),
                station("ST-OFF", last_seen_at=at(-600), connected=False),
            ]
        )
        await tx.stations.set_connected("ST-NEW", False, at(0))
        await tx.stations.set_connected("ST-NEW", True, at(5))
        await tx.stations.set_connected("ST-GONE", True, at(5))
        await tx.commit()

    async with uow() as tx:
        silent = await tx.stations.mark_disconnected_if_silent(at(-60))
        await tx.commit()

    assert silent == ["ST-NEVER", "ST-OLD"]
    async with uow() as tx:
        new = await tx.stations.get("ST-NEW")
        connected = await tx.stations.list(Page(), connected=True)
    assert new is not None
    assert new.last_seen_at == at(5)
    assert [item.id for item in connected] == ["ST-NEW"]


async def test_deleting_a_station_deletes_its_connectors(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.stations.add(station())
        await tx.connectors.save(Connector("ST-1", 1))
        await tx.commit()

    async with uow() as tx:
        await tx.stations.delete("ST-1")
        await tx.stations.delete("ST-NOT-THERE")
        await tx.commit()

    async with uow() as tx:
        assert await tx.stations.get("ST-1") is None
        assert await tx.connectors.list_for_station("ST-1") == []
