"""Transactions: round trip, unique start keys, system-wide ids, queries."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from dbfactories import at, station, transaction
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.tables import transactions
from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.domain.errors import Conflict
from ampyre.domain.metering import MeterSample, SampledValue
from ampyre.domain.transactions import StopReason, TransactionFlag, TransactionState
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import MeterBatch, Page, TransactionFilter


async def test_round_trip_of_a_completed_transaction(uow: UnitOfWorkFactory) -> None:
    original = transaction(
        auth_status="Invalid",
        reservation_id=7,
        flags={TransactionFlag.NOT_AUTHORIZED, TransactionFlag.STARTED_OFFLINE},
    )
    async with uow() as tx:
        original.id = await tx.transactions.add(original)
        await tx.commit()
    original.stop(
        meter_stop_wh=5000,
        at=at(3600),
        received_at=at(3601),
        reason=StopReason.EV_DISCONNECTED,
        id_tag="TAG-2",
    )
    async with uow() as tx:
        await tx.transactions.update(original)
        await tx.commit()

    async with uow() as tx:
        by_id = await tx.transactions.get(original.id)
        by_key = await tx.transactions.get_by_start_key("key-1")

    assert by_id == original
    assert by_key == original
    assert by_id is not None
    assert by_id.state is TransactionState.COMPLETED
    assert by_id.stopped_at == at(3600)


async def test_start_key_is_unique_and_the_unit_of_work_stays_usable(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        first = await tx.transactions.add(transaction("same-key"))
        with pytest.raises(Conflict):
            await tx.transactions.add(transaction("same-key", connector_id=2))
        winner = await tx.transactions.get_by_start_key("same-key")
        await tx.commit()

    assert winner is not None
    assert winner.id == first
    assert winner.connector_id == 1


async def test_ids_increase_are_unique_and_never_reused(
    uow: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    async def start(index: int) -> int:
        async with uow() as tx:
            new_id = await tx.transactions.add(transaction(f"key-{index}"))
            await tx.commit()
        return new_id

    concurrent = await asyncio.gather(*(start(index) for index in range(20)))
    sequential = [await start(index) for index in range(20, 25)]

    assert len(set(concurrent)) == 20
    assert sequential == sorted(sequential)
    assert min(sequential) > max(concurrent)
    assert all(0 < new_id < 2**31 for new_id in concurrent + sequential)

    async with engine.begin() as conn:
        await conn.execute(sa.delete(transactions).where(transactions.c.id == max(sequential)))
    assert await start(99) > max(sequential)


async def test_update_never_moves_the_live_meter_back(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        new_id = await tx.transactions.add(transaction(last_meter_wh=3000, last_meter_at=at(60)))
        await tx.commit()
    stale = transaction(id=new_id, last_meter_wh=2000, last_meter_at=at(30))
    stale.flags.add(TransactionFlag.CLOSED_BY_CSMS)

    async with uow() as tx:
        await tx.transactions.update(stale)
        await tx.commit()

    async with uow() as tx:
        loaded = await tx.transactions.get(new_id)
    assert loaded is not None
    assert (loaded.last_meter_wh, loaded.last_meter_at) == (3000, at(60))
    assert loaded.flags == {TransactionFlag.CLOSED_BY_CSMS}


async def test_active_queries_and_tag_in_use(uow: UnitOfWorkFactory) -> None:
    done = transaction("k-done", connector_id=1, state=TransactionState.COMPLETED)
    async with uow() as tx:
        await tx.transactions.add(done)
        a = await tx.transactions.add(transaction("k-a", connector_id=1, started_at=at(10)))
        b = await tx.transactions.add(transaction("k-b", connector_id=1, started_at=at(5)))
        c = await tx.transactions.add(transaction("k-c", connector_id=2, id_tag="TAG-2"))
        await tx.transactions.add(transaction("k-d", station_id="ST-2", id_tag="TAG-3"))
        await tx.commit()

    async with uow() as tx:
        on_connector = await tx.transactions.active_for_connector("ST-1", 1)
        on_station = await tx.transactions.active_for_station("ST-1")
        tag_busy = await tx.transactions.has_active_for_tag("TAG-1")
        tag_busy_elsewhere = await tx.transactions.has_active_for_tag(
            "TAG-1", excluding_station="ST-1", excluding_connector=1
        )
        tag3_elsewhere = await tx.transactions.has_active_for_tag(
            "TAG-3", excluding_station="ST-1", excluding_connector=1
        )
        tag3_other_station = await tx.transactions.has_active_for_tag(
            "TAG-3", excluding_station="ST-2"
        )

    assert [item.id for item in on_connector] == [b, a]
    assert [item.id for item in on_station] == [c, b, a]
    assert tag_busy
    assert not tag_busy_elsewhere
    assert tag3_elsewhere
    assert not tag3_other_station


async def test_list_filters_newest_first(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        old = await tx.transactions.add(transaction("k1", started_at=at(0)))
        mid = await tx.transactions.add(
            transaction("k2", started_at=at(100), state=TransactionState.COMPLETED)
        )
        new = await tx.transactions.add(transaction("k3", started_at=at(200), id_tag="TAG-9"))
        other = await tx.transactions.add(transaction("k4", station_id="ST-2", started_at=at(50)))
        await tx.commit()

    async with uow() as tx:
        everything = await tx.transactions.list(TransactionFilter(), Page())
        window = await tx.transactions.list(
            TransactionFilter(station_id="ST-1", started_from=at(0), started_to=at(200)), Page()
        )
        active_tag = await tx.transactions.list(
            TransactionFilter(id_tag="TAG-9", active=True), Page()
        )
        completed = await tx.transactions.list(TransactionFilter(active=False), Page())
        page = await tx.transactions.list(TransactionFilter(), Page(limit=2, offset=1))

    assert [item.id for item in everything] == [new, mid, other, old]
    assert [item.id for item in window] == [mid, old]
    assert [item.id for item in active_tag] == [new]
    assert [item.id for item in completed] == [mid]
    assert [item.id for item in page] == [mid, other]


async def test_samples_and_highest_register(uow: UnitOfWorkFactory, engine: AsyncEngine) -> None:
    async with uow() as tx:
        new_id = await tx.transactions.add(transaction())
        other_id = await tx.transactions.add(transaction("k-other"))
        await tx.commit()
    late = MeterSample(
        at(120),
        (
            SampledValue("1.5", unit="kWh", phase="L1"),
            SampledValue("4.5", unit="kWh"),
            SampledValue("16.0", measurand="Current.Import", unit="A", phase="L1"),
        ),
    )
    early = MeterSample(at(60), (SampledValue("3000", unit="Wh"),))
    writer = BatchedTelemetryWriter(engine)
    await writer.start()
    try:
        await writer.record_meter_values(
            MeterBatch("ST-1", 1, new_id, at(121), (late, early), 4500, at(120))
        )
        await writer.record_meter_values(
            MeterBatch("ST-1", 1, other_id, at(130), (MeterSample(at(125), ()),))
        )
    finally:
        await writer.stop()

    async with uow() as tx:
        samples = await tx.transactions.samples(new_id)
        highest = await tx.transactions.max_register_wh(new_id)
        none_stored = await tx.transactions.max_register_wh(other_id)

    assert [stored.sample for stored in samples] == [early, late]
    assert {(s.station_id, s.connector_id, s.transaction_id) for s in samples} == {
        ("ST-1", 1, new_id)
    }
    assert samples[0].received_at == at(121)
    assert highest == 4500
    assert none_stored is None


async def test_stuck_after_boot(uow: UnitOfWorkFactory, engine: AsyncEngine) -> None:
    async with uow() as tx:
        await tx.stations.add(station("ST-1", last_boot_at=at(100)))
        await tx.stations.add(station("ST-2", last_boot_at=at(100)))
        await tx.stations.add(station("ST-3", last_boot_at=at(500)))
        stuck = await tx.transactions.add(transaction("k1", start_received_at=at(50)))
        await tx.transactions.add(transaction("k2", connector_id=2, start_received_at=at(150)))
        alive = await tx.transactions.add(
            transaction("k3", station_id="ST-2", start_received_at=at(50))
        )
        await tx.transactions.add(transaction("k4", station_id="ST-3", start_received_at=at(50)))
        await tx.commit()
    reading = MeterSample(at(0), (SampledValue("1200"),))
    writer = BatchedTelemetryWriter(engine)
    await writer.start()
    try:
        for transaction_id, received in ((stuck, at(90)), (alive, at(110))):
            await writer.record_meter_values(
                MeterBatch("ST-x", 1, transaction_id, received, (reading,))
            )
    finally:
        await writer.stop()

    async with uow() as tx:
        found = await tx.transactions.stuck_after_boot(at(400))

    assert [item.id for item in found] == [stuck]
