"""RatingService over SQLite and PostgreSQL: CDRs, batches, concurrency, live cost, credits.

Meter values and connector statuses go through the telemetry writer, as the OCPP gateway
stores them; transactions through their repository. Times are in January, when Warsaw is
UTC+1. Expected amounts are worked out by hand in each test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.tables import cdrs
from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.locations import Address, GeoPoint, Location
from ampyre.domain.metering import MeterSample, SampledValue
from ampyre.domain.money import Price
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.domain.rating.cdr import Cdr
from ampyre.domain.rating.tariff import (
    Dimension,
    PriceComponent,
    Restrictions,
    Tariff,
    TariffElement,
)
from ampyre.domain.stations import ConnectorStatus, Station, StatusReport
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.access import Actor
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.records import CdrFilter, MeterBatch, Page, Role
from ampyre.services.tariffs import TariffService

T = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
"""Monday 2026-01-12 21:00 in Warsaw."""
ADMIN = Actor("admin", Role.ADMIN)
D = Dimension
POWER = "Power.Active.Import"
CURRENT = "Current.Import"


def minutes(value: float) -> datetime:
    return T + timedelta(minutes=value)


def price(dimension: Dimension, amount: str, vat: str | None = None) -> PriceComponent:
    return PriceComponent(dimension, Decimal(amount), None if vat is None else Decimal(vat))


def tariff(*elements: TariffElement | PriceComponent, currency: str = "EUR") -> Tariff:
    """A bare component is an element of its own without restrictions."""
    return Tariff(
        currency=currency,
        elements=tuple(
            e if isinstance(e, TariffElement) else TariffElement((e,)) for e in elements
        ),
    )


def volumes(*values: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def money(excl: str, incl: str | None = None) -> Price:
    return Price(Decimal(excl), Decimal(incl if incl is not None else excl))


@dataclass
class World:
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    writer: BatchedTelemetryWriter
    clock: FixedClock
    tariffs: TariffService
    rating: RatingService

    async def charge(
        self,
        station_id: str,
        start: datetime,
        end: datetime | None,
        wh: tuple[int, int],
        *,
        connector: int = 1,
    ) -> int:
        """A session from ``start`` to ``end`` (None: still running), register ``wh`` at
        its start and stop; returns the transaction id."""
        session = Transaction(
            0,
            station_id,
            connector,
            "TAG-1",
            wh[0],
            start,
            start,
            f"{station_id}/{connector}/{start.isoformat()}",
        )
        if end is not None:
            session.stop(meter_stop_wh=wh[1], at=end, received_at=end, reason=StopReason.LOCAL)
        async with self.uow() as work:
            new_id = await work.transactions.add(session)
            if end is not None:
                await work.usage.enqueue_for_rating(new_id, end)
            await work.commit()
        return new_id

    async def stop(self, transaction_id: int, at: datetime, wh: int) -> None:
        async with self.uow() as work:
            session = await work.transactions.get(transaction_id)
            assert session is not None
            session.stop(meter_stop_wh=wh, at=at, received_at=at, reason=StopReason.LOCAL)
            await work.transactions.update(session)
            await work.usage.enqueue_for_rating(transaction_id, at)
            await work.commit()

    async def meter(
        self,
        transaction_id: int,
        at: datetime,
        wh: int | None,
        *extra: SampledValue,
        station_id: str = "CP-WAW",
        connector: int = 1,
    ) -> None:
        """One MeterValues sample: the register (if ``wh``) and ``extra`` values."""
        values = (*((SampledValue(str(wh), unit="Wh"),) if wh is not None else ()), *extra)
        await self.writer.record_meter_values(
            MeterBatch(
                station_id,
                connector,
                transaction_id,
                at + timedelta(seconds=1),
                (MeterSample(at, values),),
                register_wh=wh,
                register_at=at if wh is not None else None,
            )
        )

    async def status(self, at: datetime, status: ConnectorStatus, *, connector: int = 1) -> None:
        await self.writer.record_status(
            StatusReport(
                "CP-WAW",
                connector,
                status,
                "NoError",
                received_at=at + timedelta(seconds=2),
                station_time=at,
            )
        )

    async def assign_network(self, tariff_id: str, new: Tariff) -> None:
        await self.tariffs.do_create_tariff(ADMIN, tariff_id, tariff_id, new)
        await self.tariffs.do_assign(ADMIN, TariffAssignment(tariff_id, AssignmentScope.NETWORK))

    async def cdr_rows(self) -> list[tuple[int, int]]:
        """(transaction id, sequence) of every stored CDR."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                sa.select(cdrs.c.transaction_id, cdrs.c.sequence).order_by(cdrs.c.id)
            )
            return [(row.transaction_id, row.sequence) for row in result]


@pytest.fixture
async def world(engine: AsyncEngine, uow: UnitOfWorkFactory) -> AsyncIterator[World]:
    """Station CP-WAW at a Warsaw location, CP-NOLOC without a location."""
    async with uow() as work:
        await work.locations.add(
            Location(
                id="WAW",
                name="Warszawa",
                address=Address("Marszałkowska 1", "Warszawa", "00-001", "PL"),
                coordinates=GeoPoint(Decimal("52.2297"), Decimal("21.0122")),
                time_zone="Europe/Warsaw",
            )
        )
        await work.stations.add(Station("CP-WAW", location_id="WAW"))
        await work.stations.add(Station("CP-NOLOC"))
        await work.commit()
    writer = BatchedTelemetryWriter(engine)
    await writer.start()
    clock = FixedClock(T - timedelta(days=1))
    try:
        yield World(
            engine=engine,
            uow=uow,
            writer=writer,
            clock=clock,
            tariffs=TariffService(uow, clock),
            rating=RatingService(uow, clock),
        )
    finally:
        await writer.stop()


AC = tariff(price(D.FLAT, "1.00", "23"), price(D.ENERGY, "0.30", "23"))
"""1.00 per session and 0.30 per kWh, 23 % VAT."""


async def test_rating_a_transaction_writes_exactly_one_cdr(world: World) -> None:
    await world.assign_network("AC", AC)
    tx = await world.charge("CP-WAW", T, minutes(60), (100_000, 110_000))

    cdr = await world.rating.do_rate_transaction(tx)

    assert cdr.id is not None
    assert cdr.created_at is not None
    assert (cdr.sequence, cdr.tariff_id, cdr.tariff_version, cdr.currency) == (1, "AC", 1, "EUR")
    s = cdr.session
    assert (s.transaction_id, s.station_id, s.connector_id, s.id_tag) == (tx, "CP-WAW", 1, "TAG-1")
    assert (s.location_id, s.time_zone, s.started_at, s.ended_at) == (
        "WAW",
        "Europe/Warsaw",
        T,
        minutes(60),
    )
    assert (cdr.energy_kwh, cdr.charging_s, cdr.parking_s) == volumes(10, 3600, 0)
    assert cdr.energy_cost == money("3.00", "3.69")
    assert cdr.fixed_cost == money("1.00", "1.23")
    assert cdr.time_cost == cdr.parking_cost == money("0.00")
    assert cdr.total == money("4.00", "4.92")
    assert [(v.vat_percent, v.excl_vat, v.incl_vat) for v in cdr.vat_totals] == [
        (Decimal(23), Decimal("4.00"), Decimal("4.92"))
    ]
    assert sum((line.amount.excl_vat for line in cdr.lines), Decimal(0)) == Decimal(4)
    assert not cdr.is_credit

    assert await world.rating.do_rate_transaction(tx) == cdr
    assert await world.rating.do_rate_pending() == 0
    assert await world.rating.get_cdr(ADMIN, cdr.id) == cdr
    assert await world.cdr_rows() == [(tx, 1)]


async def test_a_running_or_unknown_transaction_is_not_rated(world: World) -> None:
    await world.assign_network("AC", AC)
    running = await world.charge("CP-WAW", T, None, (0, 0))

    with pytest.raises(Conflict, match="still running") as refused:
        await world.rating.do_rate_transaction(running)
    assert refused.value.code == "transaction_active"
    with pytest.raises(NotFound):
        await world.rating.do_rate_transaction(running + 1000)
    assert await world.rating.do_rate_pending() == 0
    assert await world.cdr_rows() == []


async def test_rate_pending_rates_a_batch_and_skips_rated_transactions(world: World) -> None:
    await world.assign_network("AC", AC)
    done = [
        await world.charge("CP-WAW", minutes(10 * i), minutes(10 * i + 5), (0, 1000 * (i + 1)))
        for i in range(6)
    ]
    running = await world.charge("CP-WAW", minutes(100), None, (0, 0), connector=2)
    already = await world.rating.do_rate_transaction(done[0])

    assert await world.rating.do_rate_pending(limit=2) == 2
    assert await world.rating.do_rate_pending() == 3
    assert await world.rating.do_rate_pending() == 0

    stored = await world.rating.list_cdrs(ADMIN, CdrFilter(), Page())
    assert sorted(c.session.transaction_id for c in stored) == done
    assert running not in {c.session.transaction_id for c in stored}
    for cdr in stored:
        kwh = done.index(cdr.session.transaction_id) + 1
        assert cdr.energy_kwh == kwh
        assert cdr.total.excl_vat == Decimal("1.00") + Decimal("0.30") * kwh
    assert await world.rating.do_rate_transaction(done[0]) == already

    await world.stop(running, minutes(130), 2000)
    assert await world.rating.do_rate_pending() == 1
    assert sorted(await world.cdr_rows()) == sorted((t, 1) for t in [*done, running])


async def test_concurrent_raters_write_one_cdr_per_transaction(world: World) -> None:
    await world.assign_network("AC", AC)
    first = [
        await world.charge("CP-WAW", minutes(i), minutes(i + 1), (0, 100 * i + 100))
        for i in range(25)
    ]

    written = await asyncio.gather(world.rating.do_rate_pending(), world.rating.do_rate_pending())

    assert sum(written) == len(first)
    assert sorted(await world.cdr_rows()) == [(t, 1) for t in first]

    second = [
        await world.charge("CP-NOLOC", minutes(i), minutes(i + 1), (0, 100 * i + 100))
        for i in range(10)
    ]
    results = await asyncio.gather(
        world.rating.do_rate_pending(),
        *(world.rating.do_rate_transaction(t) for t in second[:4]),
        world.rating.do_rate_pending(),
    )

    rows = await world.cdr_rows()
    assert sorted(rows) == [(t, 1) for t in [*first, *second]]
    by_transaction = {
        c.session.transaction_id: c
        for c in await world.rating.list_cdrs(ADMIN, CdrFilter(), Page(limit=100))
    }
    for transaction_id, returned in zip(second[:4], results[1:5], strict=True):
        assert isinstance(returned, Cdr)
        assert returned == by_transaction[transaction_id]


async def test_without_an_applicable_tariff_the_cdr_is_free(world: World) -> None:
    tx = await world.charge("CP-WAW", T, minutes(60), (0, 7000))
    cdr = await world.rating.do_rate_transaction(tx)
    assert (cdr.tariff_id, cdr.tariff_version, cdr.currency) == (None, None, "EUR")
    assert cdr.total == money("0.00")
    assert (cdr.energy_kwh, cdr.charging_s) == volumes(7, 3600)

    in_zloty = RatingService(world.uow, world.clock, default_currency="PLN")
    other = await world.charge("CP-WAW", minutes(60), minutes(90), (7000, 8000))
    assert (await in_zloty.do_rate_transaction(other)).currency == "PLN"


async def test_a_tariff_whose_versions_start_later_leaves_the_session_free(world: World) -> None:
    await world.tariffs.do_create_tariff(ADMIN, "LATER", "Later", AC, valid_from=minutes(30))
    await world.tariffs.do_assign(ADMIN, TariffAssignment("LATER", AssignmentScope.NETWORK))
    before = await world.charge("CP-WAW", T, minutes(60), (0, 7000))
    after = await world.charge("CP-WAW", minutes(30), minutes(60), (0, 1000), connector=2)

    assert await world.rating.do_rate_pending() == 2
    free = await world.rating.do_rate_transaction(before)
    priced = await world.rating.do_rate_transaction(after)
    assert (free.tariff_id, free.total) == (None, money("0.00"))
    assert (priced.tariff_id, priced.total.excl_vat) == ("LATER", Decimal("1.30"))


NIGHT = tariff(
    TariffElement((price(D.ENERGY, "0.10"),), Restrictions(start_time=time(22), end_time=time(6))),
    price(D.ENERGY, "0.50"),
)
"""0.10 per kWh from 22:00 to 06:00 local time, 0.50 otherwise; no VAT."""


async def test_a_station_without_location_is_rated_in_utc(world: World) -> None:
    await world.assign_network("NIGHT", NIGHT)
    # 21:30-22:30 UTC = 22:30-23:30 in Warsaw; 2 kWh evenly.
    start, end = T + timedelta(minutes=90), T + timedelta(minutes=150)
    nowhere = await world.charge("CP-NOLOC", start, end, (0, 2000))
    warsaw = await world.charge("CP-WAW", start, end, (0, 2000))

    assert await world.rating.do_rate_pending() == 2
    utc = await world.rating.do_rate_transaction(nowhere)
    local = await world.rating.do_rate_transaction(warsaw)

    assert (utc.session.time_zone, utc.session.location_id) == ("UTC", None)
    assert utc.energy_cost == money("0.60")  # 1 kWh at 0.50 before 22:00 UTC, 1 at 0.10
    assert (local.session.time_zone, local.session.location_id) == ("Europe/Warsaw", "WAW")
    assert local.energy_cost == money("0.20")

    elsewhere = RatingService(world.uow, world.clock, default_time_zone="Europe/Warsaw")
    cost = await elsewhere.live_cost(ADMIN, nowhere)
    assert cost.total == money("0.20")


async def test_the_version_in_force_at_the_start_prices_the_whole_session(world: World) -> None:
    await world.assign_network("AC", AC)
    early = await world.charge("CP-WAW", T, minutes(60), (0, 10_000))
    await world.tariffs.do_add_version(
        ADMIN,
        "AC",
        tariff(price(D.FLAT, "1.00", "23"), price(D.ENERGY, "0.60", "23")),
        valid_from=minutes(30),
    )
    late = await world.charge("CP-WAW", minutes(45), minutes(105), (0, 10_000), connector=2)

    assert await world.rating.do_rate_pending() == 2
    first = await world.rating.do_rate_transaction(early)
    second = await world.rating.do_rate_transaction(late)

    assert (first.tariff_version, first.energy_cost.excl_vat) == (1, Decimal("3.00"))
    assert (second.tariff_version, second.energy_cost.excl_vat) == (2, Decimal("6.00"))


async def test_a_credit_negates_and_references_and_cannot_be_credited(world: World) -> None:
    await world.assign_network("AC", AC)
    tx = await world.charge("CP-WAW", T, minutes(60), (0, 10_000))
    original = await world.rating.do_rate_transaction(tx)
    assert original.id is not None

    with pytest.raises(ValidationFailed, match="reason"):
        await world.rating.do_credit(ADMIN, original.id, reason="  ", rerate=False)
    credit, replacement = await world.rating.do_credit(
        ADMIN, original.id, reason=" wrong tariff ", rerate=False
    )

    assert replacement is None
    assert credit.id is not None
    assert (credit.credit_reference_id, credit.sequence, credit.reason) == (
        original.id,
        2,
        "wrong tariff",
    )
    assert credit.is_credit
    assert credit.total == money("-4.00", "-4.92")
    assert credit.energy_cost == money("-3.00", "-3.69")
    assert credit.fixed_cost == money("-1.00", "-1.23")
    assert (credit.energy_kwh, credit.charging_s) == volumes(-10, -3600)
    assert [line.amount for line in credit.lines] == [
        Price(-line.amount.excl_vat, -line.amount.incl_vat) for line in original.lines
    ]
    assert [(v.excl_vat, v.incl_vat) for v in credit.vat_totals] == [
        (Decimal("-4.00"), Decimal("-4.92"))
    ]
    assert await world.rating.get_cdr(ADMIN, credit.id) == credit

    with pytest.raises(Conflict) as twice:
        await world.rating.do_credit(ADMIN, original.id, reason="again", rerate=False)
    assert twice.value.code == "already_credited"
    with pytest.raises(Conflict) as of_credit:
        await world.rating.do_credit(ADMIN, credit.id, reason="undo", rerate=True)
    assert of_credit.value.code == "credit_of_credit"
    with pytest.raises(NotFound):
        await world.rating.do_credit(ADMIN, credit.id + 100, reason="nope", rerate=False)
    assert await world.cdr_rows() == [(tx, 1), (tx, 2)]
    assert await world.rating.do_rate_transaction(tx) == original


async def test_a_credit_with_rerate_prices_the_session_with_todays_assignment(
    world: World,
) -> None:
    await world.assign_network("AC", AC)
    tx = await world.charge("CP-WAW", T, minutes(60), (0, 10_000))
    original = await world.rating.do_rate_transaction(tx)
    assert original.id is not None
    await world.tariffs.do_create_tariff(ADMIN, "CHEAP", "Cheap", tariff(price(D.ENERGY, "0.1")))
    await world.tariffs.do_assign(
        ADMIN, TariffAssignment("CHEAP", AssignmentScope.STATION, "CP-WAW")
    )

    credit, replacement = await world.rating.do_credit(
        ADMIN, original.id, reason="customer contract", rerate=True
    )

    assert replacement is not None
    assert (credit.sequence, replacement.sequence) == (2, 3)
    assert (replacement.tariff_id, replacement.credit_reference_id) == ("CHEAP", None)
    assert replacement.total == money("1.00")
    history = await world.rating.list_cdrs(ADMIN, CdrFilter(transaction_id=tx), Page())
    assert sorted(c.sequence for c in history) == [1, 2, 3]
    assert sum((c.total.excl_vat for c in history), Decimal(0)) == Decimal("1.00")
    # The replacement can itself be corrected.
    assert replacement.id is not None
    again, _ = await world.rating.do_credit(ADMIN, replacement.id, reason="x", rerate=False)
    assert (again.sequence, again.credit_reference_id) == (4, replacement.id)


TIMED = tariff(price(D.ENERGY, "0.30"), price(D.TIME, "1.20"))
"""0.30 per kWh and 1.20 per hour of charging; no VAT."""


async def test_live_cost_follows_the_latest_reading(world: World) -> None:
    await world.assign_network("TIMED", TIMED)
    tx = await world.charge("CP-WAW", T, None, (50_000, 0))

    fresh = await world.rating.live_cost(ADMIN, tx)
    assert (fresh.active, fresh.as_of, fresh.total) == (True, T, money("0.00"))
    assert (fresh.tariff_id, fresh.tariff_version) == ("TIMED", 1)

    await world.meter(tx, minutes(15), 52_500)
    first = await world.rating.live_cost(ADMIN, tx)
    # 2.5 kWh × 0.30 + 0.25 h × 1.20
    assert (first.as_of, first.total) == (minutes(15), money("1.05"))
    assert first.priced.energy_kwh == Decimal("2.5")
    assert first.priced.charging_s == 900

    await world.meter(tx, minutes(30), 55_000)
    world.clock.advance(86_400)  # the wall clock does not move the cost, readings do
    second = await world.rating.live_cost(ADMIN, tx)
    assert (second.as_of, second.total) == (minutes(30), money("2.10"))
    assert await world.cdr_rows() == []

    await world.stop(tx, minutes(45), 56_000)
    final = await world.rating.live_cost(ADMIN, tx)
    assert (final.active, final.as_of, final.total) == (False, minutes(45), money("2.70"))
    assert (await world.rating.do_rate_transaction(tx)).total == final.total
    with pytest.raises(NotFound):
        await world.rating.live_cost(ADMIN, tx + 1000)


PARKING = tariff(price(D.TIME, "6.00"), price(D.PARKING_TIME, "3.00"))
"""6.00 per hour of charging, 3.00 per hour of parking; no VAT."""


async def test_suspended_statuses_turn_charging_into_parking(world: World) -> None:
    await world.assign_network("PARKING", PARKING)
    # Connector 1: charging 0-20 and 30-40 min, suspended 20-30 and 40-60 min.
    await world.status(minutes(-2), ConnectorStatus.PREPARING)
    await world.status(minutes(0), ConnectorStatus.CHARGING)
    await world.status(minutes(20), ConnectorStatus.SUSPENDED_EVSE)
    await world.status(minutes(30), ConnectorStatus.CHARGING)
    await world.status(minutes(40), ConnectorStatus.SUSPENDED_EV)
    await world.status(minutes(60), ConnectorStatus.FINISHING)
    # Connector 2 reported the car suspended before the session began, charging at 10 min.
    await world.status(minutes(-5), ConnectorStatus.SUSPENDED_EV, connector=2)
    await world.status(minutes(10), ConnectorStatus.CHARGING, connector=2)
    paused = await world.charge("CP-WAW", T, minutes(60), (0, 4000))
    late = await world.charge("CP-WAW", T, minutes(60), (0, 4000), connector=2)
    plain = await world.charge("CP-WAW", T, minutes(60), (0, 4000), connector=3)

    assert await world.rating.do_rate_pending() == 3
    first = await world.rating.do_rate_transaction(paused)
    second = await world.rating.do_rate_transaction(late)
    third = await world.rating.do_rate_transaction(plain)

    assert (first.charging_s, first.parking_s, first.energy_kwh) == volumes(1800, 1800, 4)
    assert (first.time_cost, first.parking_cost) == (money("3.00"), money("1.50"))
    assert (second.charging_s, second.parking_s) == volumes(3000, 600)
    assert (second.time_cost, second.parking_cost) == (money("5.00"), money("0.50"))
    assert (third.charging_s, third.parking_s) == volumes(3600, 0)
    assert third.total == money("6.00")


def phases(measurand: str, unit: str, *values: str) -> tuple[SampledValue, ...]:
    return tuple(
        SampledValue(v, measurand=measurand, unit=unit, phase=f"L{i}")
        for i, v in enumerate(values, start=1)
    )


POWERED = tariff(
    TariffElement((price(D.ENERGY, "0.20"),), Restrictions(max_power=Decimal(11))),
    price(D.ENERGY, "0.50"),
    TariffElement((price(D.TIME, "1.00"),), Restrictions(min_current=Decimal(32))),
)
"""Energy 0.20 per kWh below 11 kW, else 0.50; time 1.00 per hour from 32 A; no VAT."""


@pytest.mark.parametrize(
    ("sample", "kwh", "total"),
    [
        # 3 × 5 kW = 15 kW (not 5 kW: phases add up), 3 × 12 A = 36 A.
        (phases(POWER, "kW", "5", "5", "5") + phases(CURRENT, "A", "12", "12", "12"), 15, "8.50"),
        # 3 × 3 kW = 9 kW, 3 × 10 A = 30 A: cheap energy, no time fee.
        (phases(POWER, "kW", "3", "3", "3") + phases(CURRENT, "A", "10", "10", "10"), 9, "1.80"),
        # A total (no phase) wins over the phases: 15 000 W and 40 A.
        (
            (
                *phases(POWER, "kW", "3", "3", "3"),
                SampledValue("15000", measurand=POWER, unit="W"),
                *phases(CURRENT, "A", "10", "10", "10"),
                SampledValue("40", measurand=CURRENT, unit="A"),
            ),
            9,
            "5.50",
        ),
    ],
    ids=["fast", "slow", "totals"],
)
async def test_power_and_current_come_from_the_meter_values(
    world: World, sample: tuple[SampledValue, ...], kwh: int, total: str
) -> None:
    await world.assign_network("POWERED", POWERED)
    tx = await world.charge("CP-WAW", T, minutes(60), (0, kwh * 1000))
    await world.meter(tx, T, None, *sample)
    await world.meter(tx, minutes(30), kwh * 500, *sample)
    await world.meter(tx, minutes(60), kwh * 1000, *sample)

    cdr = await world.rating.do_rate_transaction(tx)

    assert cdr.energy_kwh == kwh
    assert cdr.total == money(total)
