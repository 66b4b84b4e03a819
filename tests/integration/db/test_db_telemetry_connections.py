"""Connection events and last-seen times through the telemetry writer's background lane."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from dbfactories import allow_inserts, at, refuse_inserts, station
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.telemetry import BatchedTelemetryWriter, UnstorableItem
from ampyre.domain.stations import Station
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import ConnectionEvent, Page


def connected(station_id: str, seconds: float, version: str = "ocpp1.6") -> ConnectionEvent:
    return ConnectionEvent(station_id, "connected", at(seconds), version)


def disconnected(station_id: str, seconds: float) -> ConnectionEvent:
    return ConnectionEvent(station_id, "disconnected", at(seconds), "closed")


@pytest.fixture
async def writer(engine: AsyncEngine) -> AsyncIterator[BatchedTelemetryWriter]:
    writer = BatchedTelemetryWriter(engine, max_delay=0.02)
    await writer.start()
    yield writer
    await writer.stop()


async def _station(uow: UnitOfWorkFactory, station_id: str) -> Station:
    async with uow() as tx:
        found = await tx.stations.get(station_id)
    assert found is not None
    return found


async def _history(uow: UnitOfWorkFactory, station_id: str) -> list[tuple[str, str | None]]:
    async with uow() as tx:
        events = await tx.logs.connection_events(station_id, Page())
    return [(event.event, event.detail) for event in events]


@pytest.mark.parametrize("together", [True, False], ids=["one-batch", "batch-each"])
async def test_events_are_kept_in_order_and_the_last_one_sets_the_flag(
    writer: BatchedTelemetryWriter, uow: UnitOfWorkFactory, together: bool
) -> None:
    async with uow() as tx:
        await tx.stations.add(station(connected=False, last_seen_at=at(-10), ocpp_version=None))
        await tx.commit()
    events = [
        (connected("ST-1", 0, "ocpp2.0.1"), "ocpp2.0.1"),
        (disconnected("ST-1", 5), None),
        (connected("ST-1", 10, "ocpp1.6"), "ocpp1.6"),
    ]
    if together:
        await asyncio.gather(
            *(writer.record_connection(event, ocpp_version=version) for event, version in events)
        )
    else:
        for event, version in events:
            await writer.record_connection(event, ocpp_version=version)

    stored = await _station(uow, "ST-1")
    assert (stored.connected, stored.ocpp_version, stored.last_seen_at) == (True, "ocpp1.6", at(10))
    assert await _history(uow, "ST-1") == [
        ("connected", "ocpp1.6"),
        ("disconnected", "closed"),
        ("connected", "ocpp2.0.1"),
    ]

    await writer.record_connection(disconnected("ST-1", 20))
    stored = await _station(uow, "ST-1")
    assert (stored.connected, stored.ocpp_version, stored.last_seen_at) == (
        False,
        "ocpp1.6",
        at(10),
    )


async def test_a_connect_of_an_unknown_station_writes_nothing(
    writer: BatchedTelemetryWriter, uow: UnitOfWorkFactory
) -> None:
    await writer.record_connection(connected("ST-GONE", 0), ocpp_version="ocpp1.6")
    await writer.record_connection(disconnected("ST-GONE", 5))

    async with uow() as tx:
        assert await tx.stations.get("ST-GONE") is None
    assert await _history(uow, "ST-GONE") == [("disconnected", "closed")]


async def test_a_connect_and_frames_in_one_batch_keep_the_newest_time(
    writer: BatchedTelemetryWriter, uow: UnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.stations.add(station("ST-1", connected=False, last_seen_at=None))
        await tx.stations.add(station("ST-2", connected=False, last_seen_at=None))
        await tx.commit()
    writer.touch("ST-1", at(20))
    writer.touch("ST-2", at(5))
    await asyncio.gather(
        writer.record_connection(connected("ST-1", 10)),
        writer.record_connection(connected("ST-2", 30)),
    )

    assert (await _station(uow, "ST-1")).last_seen_at == at(20)
    assert (await _station(uow, "ST-2")).last_seen_at == at(30)
    assert (await _station(uow, "ST-2")).connected


async def test_last_seen_is_written_once_per_resolution(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.stations.add(station("ST-1", last_seen_at=None))
        await tx.stations.add(station("ST-2"))
        await tx.commit()
    writer = BatchedTelemetryWriter(engine, max_delay=0.001, last_seen_resolution_s=30)
    await writer.start()
    flushes = iter(range(100))

    async def seen_after(touch_at: float) -> object:
        writer.touch("ST-1", at(touch_at))
        # An awaited event in the same lane: everything queued before it is committed.
        await writer.record_connection(disconnected("ST-2", next(flushes)))
        return (await _station(uow, "ST-1")).last_seen_at

    try:
        assert await seen_after(0) == at(0)
        assert await seen_after(29) == at(0)
        assert await seen_after(31) == at(31)
        await writer.record_connection(disconnected("ST-1", 40))
        assert await seen_after(45) == at(45)  # a disconnect forgets the resolution
    finally:
        await writer.stop()


async def test_an_event_waits_while_the_database_fails_and_is_written_after(
    engine: AsyncEngine, uow: UnitOfWorkFactory, backend: str
) -> None:
    async with uow() as tx:
        await tx.stations.add(station())
        await tx.commit()
    await refuse_inserts(engine, backend, "connection_events")
    writer = BatchedTelemetryWriter(engine, max_delay=0.001, retry_delay=0.01)
    await writer.start()
    try:
        recording = asyncio.create_task(writer.record_connection(disconnected("ST-1", 0)))
        await asyncio.sleep(0.1)
        assert not recording.done()
        await allow_inserts(engine, backend, "connection_events")
        await asyncio.wait_for(recording, timeout=10)
    finally:
        await writer.stop()
    assert await _history(uow, "ST-1") == [("disconnected", "closed")]
    assert not (await _station(uow, "ST-1")).connected


async def test_unstorable_events_fail_only_their_caller(writer: BatchedTelemetryWriter) -> None:
    with pytest.raises(UnstorableItem):
        await writer.record_connection(ConnectionEvent("ST-1", "sideways", at(0)))
    with pytest.raises(UnstorableItem):
        await writer.record_connection(connected("not a station id", 0))
    with pytest.raises(UnstorableItem):
        await writer.record_connection(connected("ST-1", 0), ocpp_version="x" * 17)
    with pytest.raises(UnstorableItem):
        await writer.record_connection(ConnectionEvent("ST-1", "connected", at(0), "bad\x00"))
