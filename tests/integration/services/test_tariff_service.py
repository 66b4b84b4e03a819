"""TariffService over SQLite and PostgreSQL: tariffs, versions, assignments and resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.tables import tariff_assignments, tariff_versions, tariffs
from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.locations import Address, GeoPoint, Location
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.domain.rating.tariff import Dimension, PriceComponent, Tariff, TariffElement
from ampyre.domain.stations import Station
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.access import Actor
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.records import Page, Role
from ampyre.services.tariffs import TariffService

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN = Actor("admin", Role.ADMIN)
OPERATOR_ID = "OP1"
S = AssignmentScope


def energy(price: str, currency: str = "EUR") -> Tariff:
    """A tariff with one ENERGY price per kWh (excl. VAT, 23 % VAT)."""
    component = PriceComponent(Dimension.ENERGY, Decimal(price), Decimal(23))
    return Tariff(currency=currency, elements=(TariffElement((component,)),))


@dataclass
class World:
    clock: FixedClock
    tariffs: TariffService
    rating: RatingService
    uow: UnitOfWorkFactory
    engine: AsyncEngine


@pytest.fixture
async def world(uow: UnitOfWorkFactory, engine: AsyncEngine) -> World:
    """Station CP-1 at location LOC-1 in groups north and fleet; CP-2 without location."""
    async with uow() as work:
        await work.locations.add(
            Location(
                id="LOC-1",
                name="Depot",
                address=Address("Main 1", "Kraków", "30-001", "PL"),
                coordinates=GeoPoint(Decimal("50.06"), Decimal("19.94")),
                time_zone="Europe/Warsaw",
            )
        )
        await work.stations.add(Station("CP-1", location_id="LOC-1", groups=("north", "fleet")))
        await work.stations.add(Station("CP-2"))
        await work.commit()
    clock = FixedClock(NOW)
    return World(
        clock=clock,
        tariffs=TariffService(uow, clock, operator_id=OPERATOR_ID),
        rating=RatingService(uow, clock, operator_id=OPERATOR_ID),
        uow=uow,
        engine=engine,
    )


async def rows(engine: AsyncEngine, table: sa.Table) -> list[tuple[object, ...]]:
    """Every row of ``table`` without its created_at (server clock), in key order."""
    columns = [c for c in table.c if c.name != "created_at"]
    async with engine.connect() as conn:
        result = await conn.execute(sa.select(*columns).order_by(*table.primary_key.columns))
        return [tuple(row) for row in result]


async def test_create_and_read_back_a_tariff_exactly(world: World) -> None:
    price = "0.30000000000000004"
    created = await world.tariffs.do_create_tariff(ADMIN, "AC", "  Standard AC ", energy(price))

    assert (created.id, created.name, created.currency) == ("AC", "Standard AC", "EUR")
    assert created.created_at is not None
    [version] = created.versions
    assert (version.number, version.valid_from, version.valid_until) == (1, None, None)
    component = version.tariff.elements[0].components[0]
    assert str(component.price) == price
    assert str(component.vat_percent) == "23"
    assert await world.tariffs.get_tariff(ADMIN, "AC") == created
    assert await world.tariffs.get_tariff(None, "AC") == created  # public read


async def test_create_refuses_taken_and_malformed_ids_and_names(world: World) -> None:
    await world.tariffs.do_create_tariff(ADMIN, "AC", "Standard", energy("0.30"))
    with pytest.raises(Conflict, match="tariff 'AC' already exists"):
        await world.tariffs.do_create_tariff(ADMIN, "AC", "Again", energy("0.40"))
    for bad_id in ("", "with space", "x" * 37, "ümlaut"):
        with pytest.raises(ValidationFailed, match="tariff id"):
            await world.tariffs.do_create_tariff(ADMIN, bad_id, "Name", energy("0.30"))
    for bad_name in ("   ", "n" * 256):
        with pytest.raises(ValidationFailed, match="tariff name"):
            await world.tariffs.do_create_tariff(ADMIN, "OTHER", bad_name, energy("0.30"))
    assert [t.id for t in await world.tariffs.list_tariffs(ADMIN, Page())] == ["AC"]
    assert (await world.tariffs.get_tariff(ADMIN, "AC")).name == "Standard"


async def test_list_is_in_id_order_and_paged(world: World) -> None:
    for tariff_id in ("C", "A", "B"):
        await world.tariffs.do_create_tariff(ADMIN, tariff_id, tariff_id, energy("0.30"))
    listed = await world.tariffs.list_tariffs(ADMIN, Page())
    assert [t.id for t in listed] == ["A", "B", "C"]
    assert [t.id for t in await world.tariffs.list_tariffs(ADMIN, Page(limit=1, offset=1))] == ["B"]


async def test_new_version_closes_the_open_one(world: World) -> None:
    await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.30"))
    day1, day2 = NOW + timedelta(days=1), NOW + timedelta(days=2)

    second = await world.tariffs.do_add_version(ADMIN, "AC", energy("0.35"), valid_from=day1)
    third = await world.tariffs.do_add_version(ADMIN, "AC", energy("0.40"), valid_from=day2)

    assert [(v.number, v.valid_from, v.valid_until) for v in second.versions] == [
        (1, None, day1),
        (2, day1, None),
    ]
    assert [(v.number, v.valid_from, v.valid_until) for v in third.versions] == [
        (1, None, day1),
        (2, day1, day2),
        (3, day2, None),
    ]
    prices = [str(v.tariff.elements[0].components[0].price) for v in third.versions]
    assert prices == ["0.30", "0.35", "0.40"]
    assert await world.tariffs.get_tariff(ADMIN, "AC") == third


async def test_new_version_without_start_starts_now(world: World) -> None:
    await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.30"))
    world.clock.advance(60)
    updated = await world.tariffs.do_add_version(ADMIN, "AC", energy("0.35"), valid_from=None)
    now = world.clock.now()
    assert [(v.valid_from, v.valid_until) for v in updated.versions] == [(None, now), (now, None)]


async def test_overlapping_past_and_currency_changing_versions_are_refused(world: World) -> None:
    day1 = NOW + timedelta(days=1)
    await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.30"))
    await world.tariffs.do_add_version(ADMIN, "AC", energy("0.35"), valid_from=day1)
    before = await rows(world.engine, tariff_versions)

    # Version 2 starts tomorrow: a version from now would overlap version 1.
    with pytest.raises(ValidationFailed, match="overlap"):
        await world.tariffs.do_add_version(ADMIN, "AC", energy("0.50"), valid_from=None)
    with pytest.raises(ValidationFailed, match="past"):
        await world.tariffs.do_add_version(
            ADMIN, "AC", energy("0.50"), valid_from=NOW - timedelta(seconds=1)
        )
    with pytest.raises(ValidationFailed, match="currency"):
        await world.tariffs.do_add_version(ADMIN, "AC", energy("0.50", "PLN"), valid_from=day1)
    with pytest.raises(ValidationFailed, match="time zone"):
        await world.tariffs.do_add_version(
            ADMIN,
            "AC",
            energy("0.50"),
            valid_from=datetime(2027, 1, 1),  # noqa: DTZ001
        )
    with pytest.raises(NotFound):
        await world.tariffs.do_add_version(ADMIN, "NOPE", energy("0.50"), valid_from=day1)

    assert await rows(world.engine, tariff_versions) == before


async def test_a_closed_tariff_takes_a_version_after_its_end_but_not_inside(world: World) -> None:
    end = NOW + timedelta(days=10)
    await world.tariffs.do_create_tariff(ADMIN, "PROMO", "Promo", energy("0.10"), valid_until=end)
    with pytest.raises(ValidationFailed, match="versions 1 and 2 overlap"):
        await world.tariffs.do_add_version(
            ADMIN, "PROMO", energy("0.20"), valid_from=end - timedelta(days=1)
        )
    later = end + timedelta(days=5)
    updated = await world.tariffs.do_add_version(ADMIN, "PROMO", energy("0.20"), valid_from=later)
    assert [(v.valid_from, v.valid_until) for v in updated.versions] == [
        (None, end),
        (later, None),
    ]


async def test_rename(world: World) -> None:
    await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.30"))
    renamed = await world.tariffs.do_rename(ADMIN, "AC", "  Slow charging ")
    assert renamed.name == "Slow charging"
    assert (await world.tariffs.get_tariff(ADMIN, "AC")).name == "Slow charging"
    with pytest.raises(ValidationFailed):
        await world.tariffs.do_rename(ADMIN, "AC", " ")
    with pytest.raises(NotFound):
        await world.tariffs.do_rename(ADMIN, "NOPE", "Name")
    assert (await world.tariffs.get_tariff(ADMIN, "AC")).name == "Slow charging"


async def test_delete_an_unused_tariff_removes_its_versions(world: World) -> None:
    await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.30"))
    await world.tariffs.do_add_version(
        ADMIN, "AC", energy("0.35"), valid_from=NOW + timedelta(days=1)
    )
    await world.tariffs.do_delete_tariff(ADMIN, "AC")

    with pytest.raises(NotFound):
        await world.tariffs.get_tariff(ADMIN, "AC")
    assert await rows(world.engine, tariff_versions) == []
    assert await rows(world.engine, tariffs) == []
    with pytest.raises(NotFound):
        await world.tariffs.do_delete_tariff(ADMIN, "AC")
    # The id is free again.
    again = await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.50"))
    assert [v.number for v in again.versions] == [1]


async def test_delete_is_refused_while_assigned_or_used_by_a_cdr(world: World) -> None:
    await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.30"))
    assigned = await world.tariffs.do_assign(ADMIN, TariffAssignment("AC", S.STATION, "CP-1"))
    with pytest.raises(Conflict, match="assigned") as refused:
        await world.tariffs.do_delete_tariff(ADMIN, "AC")
    assert refused.value.code == "tariff_in_use"

    async with world.uow() as work:
        session = Transaction(0, "CP-1", 1, "TAG", 1000, NOW, NOW, "k1")
        session.stop(
            meter_stop_wh=3000,
            at=NOW + timedelta(hours=1),
            received_at=NOW + timedelta(hours=1),
            reason=StopReason.LOCAL,
        )
        transaction_id = await work.transactions.add(session)
        await work.commit()
    cdr = await world.rating.do_rate_transaction(transaction_id)
    assert cdr.tariff_id == "AC"

    assert assigned.id is not None
    await world.tariffs.do_unassign(ADMIN, assigned.id)
    with pytest.raises(Conflict, match="priced sessions") as refused:
        await world.tariffs.do_delete_tariff(ADMIN, "AC")
    assert refused.value.code == "tariff_in_use"
    assert (await world.tariffs.get_tariff(ADMIN, "AC")).id == "AC"


async def test_assign_list_and_unassign(world: World) -> None:
    await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.30"))
    first = await world.tariffs.do_assign(ADMIN, TariffAssignment("AC", S.NETWORK))
    second = await world.tariffs.do_assign(
        ADMIN, TariffAssignment("AC", S.STATION_GROUP, "north", plan_id="GOLD", priority=5)
    )
    assert first.id is not None
    assert second.id is not None
    assert second.id > first.id
    assert await world.tariffs.list_assignments(ADMIN) == [first, second]
    assert second == TariffAssignment("AC", S.STATION_GROUP, "north", "GOLD", 5, id=second.id)

    await world.tariffs.do_unassign(ADMIN, first.id)
    assert await world.tariffs.list_assignments(ADMIN) == [second]
    with pytest.raises(NotFound):
        await world.tariffs.do_unassign(ADMIN, first.id)
    with pytest.raises(NotFound, match="tariff NOPE"):
        await world.tariffs.do_assign(ADMIN, TariffAssignment("NOPE", S.NETWORK))


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        (
            TariffAssignment("B", S.STATION, "CP-1"),
            "station CP-1 already has a tariff: remove that assignment first",
        ),
        (
            TariffAssignment("B", S.LOCATION, "LOC-1", plan_id="GOLD"),
            "location LOC-1 already has a tariff for plan GOLD: remove that assignment first",
        ),
        (
            TariffAssignment("B", S.NETWORK, priority=1),
            "network already has a tariff: remove that assignment first",
        ),
    ],
    ids=["station", "location-plan", "network"],
)
async def test_same_scope_target_and_plan_is_a_conflict(
    world: World, assignment: TariffAssignment, message: str
) -> None:
    for tariff_id in ("A", "B"):
        await world.tariffs.do_create_tariff(ADMIN, tariff_id, tariff_id, energy("0.30"))
    existing = TariffAssignment("A", assignment.scope, assignment.target, assignment.plan_id)
    kept = await world.tariffs.do_assign(ADMIN, existing)

    with pytest.raises(Conflict) as refused:
        await world.tariffs.do_assign(ADMIN, assignment)

    assert refused.value.code == "already_assigned"
    assert refused.value.message == message
    assert await world.tariffs.list_assignments(ADMIN) == [kept]
    # The same scope and target under another plan (or none) is a different assignment.
    other_plan = TariffAssignment("B", assignment.scope, assignment.target, plan_id="SILVER")
    await world.tariffs.do_assign(ADMIN, other_plan)
    assert len(await rows(world.engine, tariff_assignments)) == 2


async def test_resolution_order_through_the_database(world: World) -> None:
    names = ("NET", "PARTNER", "OPER", "LOC", "NORTH", "FLEET", "STATION", "GOLD-NET", "GOLD-LOC")
    for tariff_id in names:
        await world.tariffs.do_create_tariff(ADMIN, tariff_id, f"{tariff_id} name", energy("0.3"))

    async def resolved(plan_id: str | None = None, partner_id: str | None = None) -> str:
        found = await world.tariffs.resolve(ADMIN, "CP-1", plan_id=plan_id, partner_id=partner_id)
        assert found.tariff_name == f"{found.tariff_id} name"
        assert found.version.number == 1
        return found.tariff_id

    async def assign(
        tariff_id: str,
        scope: S,
        target: str | None,
        *,
        plan_id: str | None = None,
        priority: int = 100,
    ) -> int:
        made = await world.tariffs.do_assign(
            ADMIN, TariffAssignment(tariff_id, scope, target, plan_id, priority)
        )
        assert made.id is not None
        return made.id

    with pytest.raises(NotFound, match="no tariff applies at station CP-1"):
        await resolved()
    await assign("NET", S.NETWORK, None)
    assert await resolved() == "NET"
    await assign("PARTNER", S.PARTNER, "P1")
    assert await resolved() == "NET"
    assert await resolved(partner_id="P1") == "PARTNER"
    operator = await assign("OPER", S.OPERATOR, OPERATOR_ID)
    await assign("OPER", S.OPERATOR, "SOMEONE-ELSE")
    assert await resolved(partner_id="P1") == "OPER"
    location = await assign("LOC", S.LOCATION, "LOC-1")
    await assign("NET", S.LOCATION, "LOC-2")
    assert await resolved(partner_id="P1") == "LOC"
    # Groups: the lower priority number wins, then the group name.
    north = await assign("NORTH", S.STATION_GROUP, "north", priority=50)
    assert await resolved() == "NORTH"
    fleet = await assign("FLEET", S.STATION_GROUP, "fleet", priority=10)
    assert await resolved() == "FLEET"
    await assign("NET", S.STATION_GROUP, "south", priority=1)  # CP-1 is not in it
    assert await resolved() == "FLEET"
    station = await assign("STATION", S.STATION, "CP-1")
    await assign("NET", S.STATION, "CP-2")
    assert await resolved() == "STATION"
    # A plan's special prices come before any general price, however specific.
    await assign("GOLD-NET", S.NETWORK, None, plan_id="GOLD")
    assert await resolved(plan_id="GOLD") == "GOLD-NET"
    await assign("GOLD-LOC", S.LOCATION, "LOC-1", plan_id="GOLD")
    assert await resolved(plan_id="GOLD") == "GOLD-LOC"
    assert await resolved(plan_id="SILVER") == "STATION"
    assert await resolved() == "STATION"

    # Taking assignments away falls back in order.
    await world.tariffs.do_unassign(ADMIN, station)
    assert await resolved() == "FLEET"
    await world.tariffs.do_unassign(ADMIN, fleet)
    assert await resolved() == "NORTH"
    await world.tariffs.do_unassign(ADMIN, north)
    assert await resolved() == "LOC"
    await world.tariffs.do_unassign(ADMIN, location)
    assert await resolved() == "OPER"
    await world.tariffs.do_unassign(ADMIN, operator)
    assert await resolved(partner_id="P1") == "PARTNER"
    assert await resolved() == "NET"


async def test_groups_with_the_same_priority_resolve_by_name(world: World) -> None:
    for tariff_id in ("N", "F"):
        await world.tariffs.do_create_tariff(ADMIN, tariff_id, tariff_id, energy("0.3"))
    await world.tariffs.do_assign(ADMIN, TariffAssignment("N", S.STATION_GROUP, "north"))
    await world.tariffs.do_assign(ADMIN, TariffAssignment("F", S.STATION_GROUP, "fleet"))
    found = await world.tariffs.resolve(ADMIN, "CP-1")
    assert (found.tariff_id, found.assignment.target) == ("F", "fleet")


async def test_a_station_without_location_resolves_past_location_scopes(world: World) -> None:
    for tariff_id in ("LOC", "NET"):
        await world.tariffs.do_create_tariff(ADMIN, tariff_id, tariff_id, energy("0.3"))
    await world.tariffs.do_assign(ADMIN, TariffAssignment("LOC", S.LOCATION, "LOC-1"))
    await world.tariffs.do_assign(ADMIN, TariffAssignment("NET", S.NETWORK))
    assert (await world.tariffs.resolve(ADMIN, "CP-1")).tariff_id == "LOC"
    assert (await world.tariffs.resolve(None, "CP-2")).tariff_id == "NET"


async def test_resolution_picks_the_version_in_force_at_the_instant(world: World) -> None:
    change = NOW + timedelta(days=1)
    await world.tariffs.do_create_tariff(ADMIN, "AC", "AC", energy("0.30"))
    await world.tariffs.do_add_version(ADMIN, "AC", energy("0.35"), valid_from=change)
    await world.tariffs.do_assign(ADMIN, TariffAssignment("AC", S.NETWORK))

    async def version_at(instant: datetime | None) -> int:
        return (await world.tariffs.resolve(ADMIN, "CP-1", at=instant)).version.number

    assert await version_at(None) == 1  # now
    assert await version_at(change - timedelta(microseconds=1)) == 1
    assert await version_at(change) == 2
    assert await version_at(change + timedelta(days=400)) == 2
    world.clock.advance(86_400)
    assert await version_at(None) == 2


async def test_resolution_without_a_version_in_force_or_station_is_not_found(
    world: World,
) -> None:
    start = NOW + timedelta(days=7)
    await world.tariffs.do_create_tariff(ADMIN, "LATER", "Later", energy("0.3"), valid_from=start)
    await world.tariffs.do_assign(ADMIN, TariffAssignment("LATER", S.NETWORK))

    with pytest.raises(NotFound, match="no version in force"):
        await world.tariffs.resolve(ADMIN, "CP-1")
    assert (await world.tariffs.resolve(ADMIN, "CP-1", at=start)).tariff_id == "LATER"
    with pytest.raises(NotFound, match="station CP-404 does not exist"):
        await world.tariffs.resolve(ADMIN, "CP-404")
    with pytest.raises(NotFound, match="station CP-404 does not exist"):
        await world.tariffs.resolve(None, "CP-404")
