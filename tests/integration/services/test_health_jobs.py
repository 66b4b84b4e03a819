"""Connection health and stuck transactions, on SQLite and PostgreSQL, with a settable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.domain.id_tags import IdTag
from ampyre.domain.stations import BootInfo, Station
from ampyre.domain.transactions import StartRequest, StopReason, TransactionFlag
from ampyre.services.charge_points import ChargePointService, GatewayPolicy, StopRequest
from ampyre.services.clock import FixedClock
from ampyre.services.health import HealthService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Page

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
BOOT = BootInfo(vendor="V", model="M")


@pytest.fixture
async def world(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> AsyncIterator[tuple[FixedClock, ChargePointService, HealthService]]:
    clock = FixedClock(T0)
    telemetry = BatchedTelemetryWriter(engine)
    await telemetry.start()
    async with uow() as work:
        await work.stations.add(Station("CP-1"))
        await work.stations.add(Station("CP-2"))
        await work.id_tags.add(IdTag("TAG"))
        await work.commit()
    service = ChargePointService(uow, telemetry, clock, GatewayPolicy())
    health = HealthService(
        uow, clock, offline_after_s=900, stuck_grace_s=600, message_log_retention_days=30
    )
    yield clock, service, health
    await telemetry.stop()


async def start(clock: FixedClock, service: ChargePointService, station_id: str) -> int:
    outcome = await service.do_start_transaction(
        StartRequest(station_id, 1, "TAG", 1000, clock.now(), clock.now())
    )
    return outcome.transaction_id


async def test_transaction_forgotten_after_a_reboot_is_closed_and_flagged(
    world: tuple[FixedClock, ChargePointService, HealthService], uow: UnitOfWorkFactory
) -> None:
    clock, service, health = world
    forgotten = await start(clock, service, "CP-1")
    clock.advance(60)
    await service.do_boot("CP-1", BOOT)  # rebooted; never stops the transaction
    clock.advance(599)
    assert await health.do_close_stuck_transactions() == []  # grace period not over
    clock.advance(2)
    assert await health.do_close_stuck_transactions() == [forgotten]
    async with uow() as work:
        closed = await work.transactions.get(forgotten)
    assert closed is not None
    assert (closed.active, closed.stop_reason) == (False, StopReason.REBOOT)
    assert closed.meter_stop_wh == 1000
    assert TransactionFlag.CLOSED_BY_CSMS in closed.flags
    assert await health.do_close_stuck_transactions() == []


async def test_transaction_stopped_by_the_station_after_reboot_is_left_alone(
    world: tuple[FixedClock, ChargePointService, HealthService], uow: UnitOfWorkFactory
) -> None:
    clock, service, health = world
    tx = await start(clock, service, "CP-1")
    other = await start(clock, service, "CP-2")  # its station does not reboot
    clock.advance(60)
    await service.do_boot("CP-1", BOOT)
    await service.do_stop_transaction(
        StopRequest("CP-1", tx, 4000, clock.now(), clock.now(), StopReason.POWER_LOSS)
    )
    clock.advance(3600)
    assert await health.do_close_stuck_transactions() == []
    async with uow() as work:
        stopped = await work.transactions.get(tx)
        running = await work.transactions.get(other)
    assert stopped is not None
    assert stopped.stop_reason is StopReason.POWER_LOSS
    assert TransactionFlag.CLOSED_BY_CSMS not in stopped.flags
    assert running is not None
    assert running.active


async def test_a_new_start_on_the_same_connector_closes_the_stale_one(
    world: tuple[FixedClock, ChargePointService, HealthService], uow: UnitOfWorkFactory
) -> None:
    clock, service, _ = world
    stale = await start(clock, service, "CP-1")
    clock.advance(120)
    fresh = await start(clock, service, "CP-1")
    async with uow() as work:
        old = await work.transactions.get(stale)
        new = await work.transactions.get(fresh)
    assert old is not None
    assert not old.active
    assert TransactionFlag.CLOSED_BY_CSMS in old.flags
    assert new is not None
    assert new.active


async def test_silent_stations_go_offline_with_a_history_entry(
    world: tuple[FixedClock, ChargePointService, HealthService], uow: UnitOfWorkFactory
) -> None:
    clock, service, health = world
    await service.do_connection_opened("CP-1", "ocpp1.6")
    await service.do_connection_opened("CP-2", "ocpp1.6")
    clock.advance(600)
    async with uow() as work:  # CP-2 sent a frame recently
        cp2 = await work.stations.get("CP-2")
        assert cp2 is not None
        cp2.last_seen_at = clock.now()
        await work.stations.update(cp2)
        await work.commit()
    clock.advance(301)
    assert await health.do_mark_silent_stations_offline() == ["CP-1"]
    async with uow() as work:
        cp1 = await work.stations.get("CP-1")
        events = await work.logs.connection_events("CP-1", Page())
    assert cp1 is not None
    assert not cp1.connected
    assert [e.event for e in events] == ["disconnected", "connected"]
    assert events[0].detail == "no frame received"
