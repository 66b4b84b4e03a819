"""Every TariffService and RatingService use case enforces its permission on a real database.

A refused call raises ``Forbidden`` and commits nothing (no COMMIT reaches the database and
the tariff and CDR tables are unchanged); an allowed call succeeds. Every role × use case
runs on SQLite; on PostgreSQL one role that holds every permission and one that holds none
of these run each use case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.tables import cdrs, tariff_assignments, tariff_versions, tariffs
from ampyre.domain.errors import Forbidden
from ampyre.domain.locations import Address, GeoPoint, Location
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.domain.rating.tariff import Dimension, PriceComponent, Tariff, TariffElement
from ampyre.domain.stations import Station
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.access import ROLE_PERMISSIONS, Actor, Permission, permissions_of
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.records import CdrFilter, Page, Role
from ampyre.services.tariffs import TariffService

P = Permission
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETUP = Actor("setup", Role.ADMIN)
ENERGY = Tariff(
    currency="EUR",
    elements=(TariffElement((PriceComponent(Dimension.ENERGY, Decimal("0.30")),)),),
)


@dataclass
class World:
    tariffs: TariffService
    rating: RatingService
    assignment_id: int
    cdr_id: int
    running_id: int


async def _seeded(uow: UnitOfWorkFactory) -> World:
    """Tariff AC assigned to the network, unassigned tariff SPARE, station CP1 at L1, a
    completed transaction with its CDR and a running one."""
    clock = FixedClock(NOW)
    tariff_service = TariffService(uow, clock)
    rating = RatingService(uow, clock)
    async with uow() as work:
        await work.locations.add(
            Location(
                id="L1",
                name="Depot",
                address=Address("Main 1", "Kraków", "30-001", "PL"),
                coordinates=GeoPoint(Decimal("50.06"), Decimal("19.94")),
                time_zone="Europe/Warsaw",
            )
        )
        await work.stations.add(Station("CP1", location_id="L1"))
        await work.stations.add(Station("CP2"))
        done = Transaction(0, "CP1", 1, "TAG1", 0, NOW, NOW, "k1")
        end = NOW + timedelta(hours=1)
        done.stop(meter_stop_wh=5000, at=end, received_at=end, reason=StopReason.LOCAL)
        completed_id = await work.transactions.add(done)
        later = NOW + timedelta(hours=2)
        running_id = await work.transactions.add(
            Transaction(0, "CP1", 2, "TAG1", 0, later, later, "k2")
        )
        await work.commit()
    await tariff_service.do_create_tariff(SETUP, "AC", "AC", ENERGY)
    await tariff_service.do_create_tariff(SETUP, "SPARE", "Spare", ENERGY)
    assigned = await tariff_service.do_assign(
        SETUP, TariffAssignment("AC", AssignmentScope.NETWORK)
    )
    cdr = await rating.do_rate_transaction(completed_id)
    assert assigned.id is not None
    assert cdr.id is not None
    return World(tariff_service, rating, assigned.id, cdr.id, running_id)


UseCase = Callable[[World, Actor], Awaitable[object]]

USE_CASES: list[tuple[str, Permission, UseCase]] = [
    (
        "create tariff",
        P.TARIFFS_WRITE,
        lambda w, a: w.tariffs.do_create_tariff(a, "NEW", "New", ENERGY),
    ),
    (
        "add version",
        P.TARIFFS_WRITE,
        lambda w, a: w.tariffs.do_add_version(a, "AC", ENERGY, valid_from=NOW + timedelta(days=1)),
    ),
    ("rename", P.TARIFFS_WRITE, lambda w, a: w.tariffs.do_rename(a, "AC", "Renamed")),
    ("delete tariff", P.TARIFFS_WRITE, lambda w, a: w.tariffs.do_delete_tariff(a, "SPARE")),
    ("get tariff", P.TARIFFS_READ, lambda w, a: w.tariffs.get_tariff(a, "AC")),
    ("list tariffs", P.TARIFFS_READ, lambda w, a: w.tariffs.list_tariffs(a, Page())),
    (
        "assign",
        P.TARIFFS_WRITE,
        lambda w, a: w.tariffs.do_assign(
            a, TariffAssignment("SPARE", AssignmentScope.STATION, "CP2")
        ),
    ),
    ("unassign", P.TARIFFS_WRITE, lambda w, a: w.tariffs.do_unassign(a, w.assignment_id)),
    ("list assignments", P.TARIFFS_READ, lambda w, a: w.tariffs.list_assignments(a)),
    ("resolve", P.TARIFFS_READ, lambda w, a: w.tariffs.resolve(a, "CP1")),
    ("live cost", P.TRANSACTIONS_READ, lambda w, a: w.rating.live_cost(a, w.running_id)),
    (
        "credit",
        P.CDRS_WRITE,
        lambda w, a: w.rating.do_credit(a, w.cdr_id, reason="complaint", rerate=True),
    ),
    ("get cdr", P.CDRS_READ, lambda w, a: w.rating.get_cdr(a, w.cdr_id)),
    ("list cdrs", P.CDRS_READ, lambda w, a: w.rating.list_cdrs(a, CdrFilter(), Page())),
]

RATING_PERMISSIONS = {P.TARIFFS_READ, P.TARIFFS_WRITE, P.CDRS_READ, P.CDRS_WRITE}
WATCHED = (tariffs, tariff_versions, tariff_assignments, cdrs)


def test_every_rating_permission_is_exercised() -> None:
    exercised = {permission for _, permission, _ in USE_CASES}
    assert exercised == RATING_PERMISSIONS | {P.TRANSACTIONS_READ}


def test_the_postgres_roles_cover_both_outcomes() -> None:
    exercised = {permission for _, permission, _ in USE_CASES}
    assert exercised <= permissions_of(Role.ADMIN)
    assert not exercised & permissions_of(Role.INSTALLER)
    assert set(ROLE_PERMISSIONS) == set(Role)


def _count_commits(engine: AsyncEngine) -> list[int]:
    commits = [0]

    def on_commit(_conn: sa.Connection) -> None:
        commits[0] += 1

    sa.event.listen(engine.sync_engine, "commit", on_commit)
    return commits


async def _snapshot(engine: AsyncEngine) -> list[list[tuple[object, ...]]]:
    async with engine.connect() as conn:
        return [
            [tuple(row) for row in await conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in WATCHED
        ]


async def _check(
    engine: AsyncEngine,
    uow: UnitOfWorkFactory,
    role: Role,
    permission: Permission,
    use_case: UseCase,
) -> None:
    world = await _seeded(uow)
    before = await _snapshot(engine)
    commits = _count_commits(engine)
    actor = Actor("someone", role)
    if permission in permissions_of(role):
        await use_case(world, actor)
    else:
        with pytest.raises(Forbidden, match=permission.value):
            await use_case(world, actor)
        assert commits == [0]
        assert await _snapshot(engine) == before


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("permission", "use_case"),
    [(p, u) for _, p, u in USE_CASES],
    ids=[name for name, _, _ in USE_CASES],
)
async def test_use_case_enforces_its_permission(
    engine: AsyncEngine,
    uow: UnitOfWorkFactory,
    role: Role,
    permission: Permission,
    use_case: UseCase,
) -> None:
    await _check(engine, uow, role, permission, use_case)


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
@pytest.mark.parametrize("role", [Role.ADMIN, Role.INSTALLER])
@pytest.mark.parametrize(
    ("permission", "use_case"),
    [(p, u) for _, p, u in USE_CASES],
    ids=[name for name, _, _ in USE_CASES],
)
async def test_use_case_enforces_its_permission_on_postgres(
    engine: AsyncEngine,
    uow: UnitOfWorkFactory,
    role: Role,
    permission: Permission,
    use_case: UseCase,
) -> None:
    await _check(engine, uow, role, permission, use_case)


WRITES = [(name, u) for name, p, u in USE_CASES if p in {P.TARIFFS_WRITE, P.CDRS_WRITE}]


@pytest.mark.parametrize("use_case", [u for _, u in WRITES], ids=[name for name, _ in WRITES])
async def test_allowed_writes_commit(
    engine: AsyncEngine, uow: UnitOfWorkFactory, use_case: UseCase
) -> None:
    """The refusal checks above would hold trivially if a write never committed."""
    world = await _seeded(uow)
    before = await _snapshot(engine)
    commits = _count_commits(engine)
    await use_case(world, Actor("op", Role.OPERATOR))
    assert commits[0] >= 1
    assert await _snapshot(engine) != before


async def test_public_reads_need_no_actor(uow: UnitOfWorkFactory) -> None:
    world = await _seeded(uow)
    assert (await world.tariffs.get_tariff(None, "AC")).id == "AC"
    assert (await world.tariffs.resolve(None, "CP1")).tariff_id == "AC"
