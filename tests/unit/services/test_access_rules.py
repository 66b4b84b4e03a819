"""The role → permission table and its enforcement inside every operator use case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from service_fakes import MemoryStore, RecordingStationCommands

from ampyre.domain.errors import Forbidden
from ampyre.domain.id_tags import IdTag
from ampyre.domain.locations import Address, GeoPoint, Location
from ampyre.domain.transactions import Transaction
from ampyre.services.access import (
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    check_permission,
    has_permission,
    permissions_of,
)
from ampyre.services.api_tokens import ApiTokenService
from ampyre.services.clock import FixedClock
from ampyre.services.commands import CommandService
from ampyre.services.connectors_admin import ConnectorService, ConnectorUpdate, NewConnector
from ampyre.services.id_tags import IdTagService, IdTagUpdate
from ampyre.services.locations import LocationService, LocationUpdate
from ampyre.services.operator_commands import OperatorCommands
from ampyre.services.queries import QueryService
from ampyre.services.records import Page, Role, TransactionFilter
from ampyre.services.station_import import StationImportService, StationRow
from ampyre.services.stations_admin import NewStation, StationAdminService, StationUpdate

P = Permission
READS = {
    P.STATIONS_READ,
    P.LOCATIONS_READ,
    P.ID_TAGS_READ,
    P.TRANSACTIONS_READ,
    P.MESSAGE_LOG_READ,
    P.TARIFFS_READ,
    P.CDRS_READ,
    P.CUSTOMERS_READ,
    P.PLANS_READ,
    P.AUTHORIZATIONS_READ,
    P.PAYMENTS_READ,
}
SITE = {P.STATIONS_READ, P.LOCATIONS_READ, P.TRANSACTIONS_READ, P.TARIFFS_READ, P.CDRS_READ}


def test_every_role_has_an_entry() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, set(Permission)),
        (Role.OPERATOR, set(Permission) - {P.API_TOKENS_MANAGE}),
        (
            Role.SUPPORT_L2,
            READS
            | {
                P.STATIONS_COMMAND,
                P.STATIONS_RESET,
                P.ID_TAGS_WRITE,
                P.CUSTOMERS_WRITE,
                P.REFUNDS_APPROVE,
            },
        ),
        (Role.SUPPORT_L1, READS | {P.STATIONS_COMMAND}),
        (
            Role.CALL_CENTRE,
            {
                P.STATIONS_READ,
                P.TRANSACTIONS_READ,
                P.TARIFFS_READ,
                P.CUSTOMERS_READ,
                P.PLANS_READ,
                P.AUTHORIZATIONS_READ,
                P.PAYMENTS_READ,
            },
        ),
        (
            Role.INSTALLER,
            {P.STATIONS_READ, P.MESSAGE_LOG_READ, P.STATIONS_COMMAND, P.STATIONS_RESET},
        ),
        (Role.STATION_OWNER, SITE),
        (Role.READONLY, SITE),
    ],
)
def test_role_grants_exactly(role: Role, expected: set[Permission]) -> None:
    assert permissions_of(role) == expected


def test_check_permission_raises_forbidden_with_the_missing_permission() -> None:
    actor = Actor("ann", Role.CALL_CENTRE)
    assert has_permission(actor, P.TRANSACTIONS_READ)
    check_permission(actor, P.TRANSACTIONS_READ)
    with pytest.raises(Forbidden, match="message_log:read"):
        check_permission(actor, P.MESSAGE_LOG_READ)


def test_only_admin_manages_tokens_and_only_some_reset() -> None:
    assert [r for r in Role if P.API_TOKENS_MANAGE in permissions_of(r)] == [Role.ADMIN]
    may_reset = {r for r in Role if P.STATIONS_RESET in permissions_of(r)}
    assert may_reset == {Role.ADMIN, Role.OPERATOR, Role.SUPPORT_L2, Role.INSTALLER}


NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


@dataclass
class Services:
    store: MemoryStore
    locations: LocationService
    stations: StationAdminService
    connectors: ConnectorService
    imports: StationImportService
    tags: IdTagService
    tokens: ApiTokenService
    queries: QueryService
    commands: OperatorCommands


def _services() -> Services:
    store = MemoryStore()
    clock = FixedClock(NOW)
    station_commands = RecordingStationCommands(connected={"CP1"})
    return Services(
        store=store,
        locations=LocationService(store),
        stations=StationAdminService(store, clock),
        connectors=ConnectorService(store),
        imports=StationImportService(store, clock),
        tags=IdTagService(store),
        tokens=ApiTokenService(store, clock),
        queries=QueryService(store),
        commands=OperatorCommands(
            CommandService(store, station_commands, timeout_s=1, clock=clock)
        ),
    )


def _location(location_id: str = "L1") -> Location:
    return Location(
        id=location_id,
        name="Depot",
        address=Address("Main 1", "Kraków", "30-001", "PL"),
        coordinates=GeoPoint(Decimal("50.06"), Decimal("19.94")),
        time_zone="Europe/Warsaw",
    )


UseCase = Callable[[Services, Actor], Awaitable[object]]
PASSWORD = "s3cret-password-0001"

USE_CASES: list[tuple[str, Permission, UseCase]] = [
    (
        "create location",
        P.LOCATIONS_WRITE,
        lambda s, a: s.locations.do_create_location(a, _location("L2")),
    ),
    ("get location", P.LOCATIONS_READ, lambda s, a: s.locations.get_location(a, "L1")),
    ("list locations", P.LOCATIONS_READ, lambda s, a: s.locations.list_locations(a, Page())),
    (
        "update location",
        P.LOCATIONS_WRITE,
        lambda s, a: s.locations.do_update_location(a, "L1", LocationUpdate(name="New")),
    ),
    ("delete location", P.LOCATIONS_WRITE, lambda s, a: s.locations.do_delete_location(a, "L1")),
    (
        "create station",
        P.STATIONS_WRITE,
        lambda s, a: s.stations.do_create_station(a, NewStation("CP9")),
    ),
    ("approve station", P.STATIONS_WRITE, lambda s, a: s.stations.do_approve_station(a, "CP1")),
    ("reject station", P.STATIONS_WRITE, lambda s, a: s.stations.do_reject_station(a, "CP1")),
    (
        "edit station",
        P.STATIONS_WRITE,
        lambda s, a: s.stations.do_update_station(a, "CP1", StationUpdate(name="x")),
    ),
    (
        "set password",
        P.STATIONS_WRITE,
        lambda s, a: s.stations.do_set_station_password(a, "CP1", None),
    ),
    ("delete station", P.STATIONS_WRITE, lambda s, a: s.stations.do_delete_station(a, "CP2")),
    ("station detail", P.STATIONS_READ, lambda s, a: s.stations.get_station(a, "CP1")),
    ("list stations", P.STATIONS_READ, lambda s, a: s.stations.list_stations(a, Page())),
    ("status history", P.STATIONS_READ, lambda s, a: s.stations.status_history(a, "CP1", Page())),
    ("connections", P.STATIONS_READ, lambda s, a: s.stations.connection_history(a, "CP1", Page())),
    (
        "import",
        P.STATIONS_WRITE,
        lambda s, a: s.imports.do_import_stations(a, [StationRow(1, "CP7", PASSWORD)]),
    ),
    ("list connectors", P.STATIONS_READ, lambda s, a: s.connectors.list_connectors(a, "CP1")),
    (
        "create connector",
        P.STATIONS_WRITE,
        lambda s, a: s.connectors.do_create_connector(a, NewConnector("CP1", 2)),
    ),
    (
        "update connector",
        P.STATIONS_WRITE,
        lambda s, a: s.connectors.do_update_connector(a, "CP1", 1, ConnectorUpdate(evse_id=None)),
    ),
    (
        "delete connector",
        P.STATIONS_WRITE,
        lambda s, a: s.connectors.do_delete_connector(a, "CP1", 1),
    ),
    ("add tag", P.ID_TAGS_WRITE, lambda s, a: s.tags.do_add_tag(a, IdTag("NEWTAG"))),
    ("get tag", P.ID_TAGS_READ, lambda s, a: s.tags.get_tag(a, "TAG1")),
    ("list tags", P.ID_TAGS_READ, lambda s, a: s.tags.list_tags(a, Page())),
    (
        "update tag",
        P.ID_TAGS_WRITE,
        lambda s, a: s.tags.do_update_tag(a, "TAG1", IdTagUpdate(note="n")),
    ),
    ("delete tag", P.ID_TAGS_WRITE, lambda s, a: s.tags.do_delete_tag(a, "TAG1")),
    (
        "create token",
        P.API_TOKENS_MANAGE,
        lambda s, a: s.tokens.do_create_token(a, "ci", Role.READONLY),
    ),
    ("list tokens", P.API_TOKENS_MANAGE, lambda s, a: s.tokens.list_tokens(a)),
    ("revoke token", P.API_TOKENS_MANAGE, lambda s, a: s.tokens.do_revoke_token(a, 1)),
    (
        "transactions",
        P.TRANSACTIONS_READ,
        lambda s, a: s.queries.list_transactions(a, TransactionFilter(), Page()),
    ),
    ("transaction", P.TRANSACTIONS_READ, lambda s, a: s.queries.get_transaction(a, 1)),
    ("message log", P.MESSAGE_LOG_READ, lambda s, a: s.queries.message_log(a, Page())),
    (
        "remote start",
        P.STATIONS_COMMAND,
        lambda s, a: s.commands.do_remote_start(a, "CP1", id_tag="TAG1", connector_id=1),
    ),
    ("remote stop", P.STATIONS_COMMAND, lambda s, a: s.commands.do_remote_stop(a, 1)),
    ("reset", P.STATIONS_RESET, lambda s, a: s.commands.do_reset(a, "CP1", hard=False)),
    ("unlock", P.STATIONS_COMMAND, lambda s, a: s.commands.do_unlock_connector(a, "CP1", 1)),
    (
        "availability",
        P.STATIONS_COMMAND,
        lambda s, a: s.commands.do_change_availability(a, "CP1", connector_id=0, operative=True),
    ),
    (
        "get configuration",
        P.STATIONS_COMMAND,
        lambda s, a: s.commands.get_configuration(a, "CP1", []),
    ),
    (
        "change configuration",
        P.STATIONS_COMMAND,
        lambda s, a: s.commands.do_change_configuration(a, "CP1", key="K", value="v"),
    ),
    (
        "trigger",
        P.STATIONS_COMMAND,
        lambda s, a: s.commands.do_trigger_message(
            a, "CP1", message="Heartbeat", connector_id=None
        ),
    ),
    ("clear cache", P.STATIONS_COMMAND, lambda s, a: s.commands.do_clear_cache(a, "CP1")),
    (
        "data transfer",
        P.STATIONS_COMMAND,
        lambda s, a: s.commands.do_data_transfer(
            a, "CP1", vendor_id="acme", message_id=None, data=None
        ),
    ),
]


async def _seeded() -> Services:
    services = _services()
    admin = Actor("setup", Role.ADMIN)
    await services.locations.do_create_location(admin, _location())
    await services.stations.do_create_station(admin, NewStation("CP1", PASSWORD))
    await services.stations.do_create_station(admin, NewStation("CP2", PASSWORD))
    await services.connectors.do_create_connector(admin, NewConnector("CP1", 1))
    await services.tags.do_add_tag(admin, IdTag("TAG1"))
    await services.tokens.do_create_token(admin, "first", Role.READONLY)
    services.store.state.transactions[1] = Transaction(
        id=1,
        station_id="CP1",
        connector_id=1,
        id_tag="TAG1",
        meter_start_wh=0,
        started_at=NOW,
        start_received_at=NOW,
        start_key="k1",
    )
    return services


RATING_PERMISSIONS = {
    P.TARIFFS_READ,
    P.TARIFFS_WRITE,
    P.CDRS_READ,
    P.CDRS_WRITE,
    P.CUSTOMERS_READ,
    P.CUSTOMERS_WRITE,
    P.CUSTOMERS_PRIVACY,
    P.PLANS_READ,
    P.PLANS_WRITE,
    P.AUTHORIZATIONS_READ,
    P.PAYMENTS_CONFIGURE,
    P.PAYMENTS_READ,
    P.REFUNDS_APPROVE,
}
"""Exercised per role against a real database in tests/integration/services/
test_tariff_access.py, test_payment_provider_service.py and test_refund_requests.py, and
tests/integration/api/ (test_api_customers.py, test_api_plans_contracts.py,
test_api_authorizations.py, test_api_payment_providers.py, test_api_refunds.py: their
repositories have no fakes)."""


def test_every_permission_is_exercised() -> None:
    exercised = {permission for _, permission, _ in USE_CASES}
    assert exercised == set(Permission) - RATING_PERMISSIONS


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("permission", "use_case"),
    [(p, u) for _, p, u in USE_CASES],
    ids=[name for name, _, _ in USE_CASES],
)
async def test_use_case_enforces_its_permission(
    role: Role, permission: Permission, use_case: UseCase
) -> None:
    services = await _seeded()
    commits_before = services.store.commits
    actor = Actor("someone", role)
    if permission in permissions_of(role):
        await use_case(services, actor)
    else:
        with pytest.raises(Forbidden):
            await use_case(services, actor)
        assert services.store.commits == commits_before
