"""Station, connector and location use cases on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from service_fakes import MemoryStore, RecordingStationCommands

from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.locations import Address, GeoPoint, Location, OpeningHours, OpeningPeriod
from ampyre.domain.station_secrets import verify_password
from ampyre.domain.stations import ConnectorStandard, RegistrationStatus
from ampyre.domain.transactions import Transaction
from ampyre.services.access import Actor
from ampyre.services.clock import FixedClock
from ampyre.services.connectors_admin import ConnectorService, ConnectorUpdate, NewConnector
from ampyre.services.locations import LocationService, LocationUpdate
from ampyre.services.records import Page, Role, StatusChange
from ampyre.services.stations_admin import NewStation, StationAdminService, StationUpdate

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
ADMIN = Actor("test", Role.ADMIN)
PASSWORD = "0123456789abcdefXYZ"


def _location(location_id: str = "L1", **changes: object) -> Location:
    fields: dict[str, object] = {
        "id": location_id,
        "name": "Depot",
        "address": Address("Main 1", "Kraków", "30-001", "PL"),
        "coordinates": GeoPoint(Decimal("50.0614300"), Decimal("19.9365800")),
        "time_zone": "Europe/Warsaw",
    }
    fields.update(changes)
    return Location(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def station_commands() -> RecordingStationCommands:
    return RecordingStationCommands()


@pytest.fixture
def stations(store: MemoryStore, station_commands: RecordingStationCommands) -> StationAdminService:
    return StationAdminService(store, FixedClock(NOW), station_commands)


async def test_create_without_password_returns_a_generated_one_that_verifies(
    store: MemoryStore, stations: StationAdminService
) -> None:
    created = await stations.do_create_station(ADMIN, NewStation("CP1", groups=("north",)))
    assert created.generated_password is not None
    stored = store.state.stations["CP1"]
    assert stored.password_hash is not None
    assert created.generated_password not in stored.password_hash
    assert verify_password(created.generated_password, stored.password_hash)
    assert stored.created_at == NOW
    assert stored.registration_status is RegistrationStatus.ACCEPTED


async def test_create_with_password_generates_nothing(
    store: MemoryStore, stations: StationAdminService
) -> None:
    created = await stations.do_create_station(ADMIN, NewStation("CP1", PASSWORD))
    assert created.generated_password is None
    hashed = store.state.stations["CP1"].password_hash
    assert hashed is not None
    assert verify_password(PASSWORD, hashed)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewStation("bad id"), "station id"),
        (NewStation("CP1", "short"), "16-40"),
        (NewStation("CP1", PASSWORD, max_power_w=0), "positive"),
        (NewStation("CP1", PASSWORD, groups=("a", "a")), "twice"),
        (NewStation("CP1", PASSWORD, name=" "), "name"),
        (NewStation("CP1", PASSWORD, location_id="nowhere"), "location nowhere"),
    ],
)
async def test_create_refuses_invalid_stations(
    store: MemoryStore, stations: StationAdminService, new: NewStation, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await stations.do_create_station(ADMIN, new)
    assert store.state.stations == {}


async def test_create_refuses_a_taken_id(stations: StationAdminService) -> None:
    await stations.do_create_station(ADMIN, NewStation("CP1", PASSWORD))
    with pytest.raises(Conflict):
        await stations.do_create_station(ADMIN, NewStation("CP1", PASSWORD))


async def test_update_keeps_unmentioned_fields_and_clears_none(
    store: MemoryStore, stations: StationAdminService
) -> None:
    await LocationService(store).do_create_location(ADMIN, _location())
    await stations.do_create_station(
        ADMIN, NewStation("CP1", PASSWORD, location_id="L1", name="Gate", max_power_w=22_000)
    )
    changed = await stations.do_update_station(
        ADMIN, "CP1", StationUpdate(name=None, groups=("g1",))
    )
    assert (changed.name, changed.location_id, changed.max_power_w) == (None, "L1", 22_000)
    assert store.state.stations["CP1"].groups == ("g1",)
    with pytest.raises(ValidationFailed, match="location L2"):
        await stations.do_update_station(ADMIN, "CP1", StationUpdate(location_id="L2"))
    with pytest.raises(NotFound):
        await stations.do_update_station(ADMIN, "CP404", StationUpdate(name="x"))


async def test_approve_and_reject_change_registration_and_reject_disconnects(
    store: MemoryStore,
    stations: StationAdminService,
    station_commands: RecordingStationCommands,
) -> None:
    await stations.do_create_station(
        ADMIN, NewStation("CP1", PASSWORD, registration_status=RegistrationStatus.PENDING)
    )
    approved = await stations.do_approve_station(ADMIN, "CP1")
    assert approved.registration_status is RegistrationStatus.ACCEPTED
    station_commands.connected.add("CP1")
    await stations.do_reject_station(ADMIN, "CP1")
    assert store.state.stations["CP1"].registration_status is RegistrationStatus.REJECTED
    assert [sid for sid, _ in station_commands.disconnected] == ["CP1"]


async def test_set_password_replaces_the_hash(
    store: MemoryStore, stations: StationAdminService
) -> None:
    await stations.do_create_station(ADMIN, NewStation("CP1", PASSWORD))
    assert await stations.do_set_station_password(ADMIN, "CP1", "another-password-123") is None
    hashed = store.state.stations["CP1"].password_hash
    assert hashed is not None
    assert verify_password("another-password-123", hashed)
    assert not verify_password(PASSWORD, hashed)
    generated = await stations.do_set_station_password(ADMIN, "CP1", None)
    assert generated is not None
    hashed = store.state.stations["CP1"].password_hash
    assert hashed is not None
    assert verify_password(generated, hashed)


async def test_delete_removes_connectors_but_not_a_station_with_transactions(
    store: MemoryStore, stations: StationAdminService
) -> None:
    connectors = ConnectorService(store)
    for station_id in ("CP1", "CP2"):
        await stations.do_create_station(ADMIN, NewStation(station_id, PASSWORD))
        await connectors.do_create_connector(ADMIN, NewConnector(station_id, 1))
    store.state.transactions[1] = Transaction(1, "CP2", 1, "TAG", 0, NOW, NOW, "k")
    await stations.do_delete_station(ADMIN, "CP1")
    assert "CP1" not in store.state.stations
    assert ("CP1", 1) not in store.state.connectors
    with pytest.raises(Conflict, match="transactions"):
        await stations.do_delete_station(ADMIN, "CP2")
    assert "CP2" in store.state.stations


async def test_detail_has_connectors_station_status_and_active_transactions(
    store: MemoryStore, stations: StationAdminService
) -> None:
    await stations.do_create_station(ADMIN, NewStation("CP1", PASSWORD))
    await ConnectorService(store).do_create_connector(ADMIN, NewConnector("CP1", 1))
    store.state.status_changes.append(
        StatusChange("CP1", 0, "Available", "NoError", None, None, None, NOW)
    )
    store.state.transactions[1] = Transaction(1, "CP1", 1, "TAG", 0, NOW, NOW, "k")
    detail = await stations.get_station(ADMIN, "CP1")
    assert [c.connector_id for c in detail.connectors] == [1]
    assert detail.station_status is not None
    assert detail.station_status.status == "Available"
    assert [t.id for t in detail.active_transactions] == [1]


async def test_connectors_create_update_delete(
    store: MemoryStore, stations: StationAdminService
) -> None:
    connectors = ConnectorService(store)
    with pytest.raises(NotFound):
        await connectors.do_create_connector(ADMIN, NewConnector("CP1", 1))
    await stations.do_create_station(ADMIN, NewStation("CP1", PASSWORD))
    await connectors.do_create_connector(
        ADMIN, NewConnector("CP1", 1, evse_id="PL*AMP*E0001*1", max_power_w=11_000)
    )
    with pytest.raises(Conflict):
        await connectors.do_create_connector(ADMIN, NewConnector("CP1", 1))
    with pytest.raises(ValidationFailed, match="EVSE"):
        await connectors.do_create_connector(ADMIN, NewConnector("CP1", 2, evse_id="nope"))
    with pytest.raises(ValidationFailed, match="start at 1"):
        await connectors.do_create_connector(ADMIN, NewConnector("CP1", 0))
    changed = await connectors.do_update_connector(
        ADMIN, "CP1", 1, ConnectorUpdate(standard=ConnectorStandard.CHADEMO, evse_id=None)
    )
    assert (changed.standard, changed.evse_id, changed.max_power_w) == (
        ConnectorStandard.CHADEMO,
        None,
        11_000,
    )
    await connectors.do_delete_connector(ADMIN, "CP1", 1)
    with pytest.raises(NotFound):
        await connectors.do_delete_connector(ADMIN, "CP1", 1)


async def test_location_rules(store: MemoryStore) -> None:
    locations = LocationService(store)
    with pytest.raises(ValidationFailed, match="alpha-2"):
        await locations.do_create_location(
            ADMIN, _location(address=Address("Main 1", "Kraków", "30-001", "Poland"))
        )
    with pytest.raises(ValidationFailed, match="opening periods"):
        await locations.do_create_location(
            ADMIN, _location(opening_hours=OpeningHours(twentyfourseven=False))
        )
    with pytest.raises(ValidationFailed, match="location id"):
        await locations.do_create_location(ADMIN, _location("has space"))
    await locations.do_create_location(ADMIN, _location())
    with pytest.raises(Conflict):
        await locations.do_create_location(ADMIN, _location())
    hours = OpeningHours(False, (OpeningPeriod(1, "08:00", "18:00"),))
    changed = await locations.do_update_location(
        ADMIN, "L1", LocationUpdate(name="Depot 2", opening_hours=hours)
    )
    assert (changed.name, changed.opening_hours, changed.time_zone) == (
        "Depot 2",
        hours,
        "Europe/Warsaw",
    )
    with pytest.raises(ValidationFailed, match="time zone"):
        await locations.do_update_location(ADMIN, "L1", LocationUpdate(time_zone="Mars/Base"))
    assert store.state.locations["L1"].time_zone == "Europe/Warsaw"
    assert [loc.id for loc in await locations.list_locations(ADMIN, Page())] == ["L1"]


async def test_a_location_with_stations_cannot_be_deleted(
    store: MemoryStore, stations: StationAdminService
) -> None:
    locations = LocationService(store)
    await locations.do_create_location(ADMIN, _location())
    await stations.do_create_station(ADMIN, NewStation("CP1", PASSWORD, location_id="L1"))
    with pytest.raises(Conflict, match="still has stations"):
        await locations.do_delete_location(ADMIN, "L1")
    await stations.do_update_station(ADMIN, "CP1", StationUpdate(location_id=None))
    await locations.do_delete_location(ADMIN, "L1")
    with pytest.raises(NotFound):
        await locations.get_location(ADMIN, "L1")
