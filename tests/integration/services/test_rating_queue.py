"""Every way a transaction completes queues it for rating, and rating empties the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db import testing
from ampyre.db.engine import create_engine
from ampyre.db.schema import upgrade
from ampyre.db.tables import rating_queue
from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.domain.errors import Conflict
from ampyre.domain.id_tags import IdTag
from ampyre.domain.stations import BootInfo, Station
from ampyre.domain.transactions import StartRequest, StopReason
from ampyre.services import rating as rating_module
from ampyre.services.charge_points import ChargePointService, GatewayPolicy, StopRequest
from ampyre.services.clock import FixedClock
from ampyre.services.health import HealthService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.rating import RatingService

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


async def queued(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(rating_queue.c.transaction_id).order_by(rating_queue.c.transaction_id)
        )
        return [row[0] for row in rows]


@pytest.fixture
async def service(engine: AsyncEngine, uow: UnitOfWorkFactory) -> AsyncIterator[ChargePointService]:
    telemetry = BatchedTelemetryWriter(engine)
    await telemetry.start()
    async with uow() as work:
        await work.stations.add(Station("CP-1"))
        await work.id_tags.add(IdTag("TAG"))
        await work.commit()
    yield ChargePointService(uow, telemetry, FixedClock(T0), GatewayPolicy())
    await telemetry.stop()


async def test_stop_reuse_and_reboot_queue_and_rating_dequeues(
    service: ChargePointService, engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    clock = service.clock
    assert isinstance(clock, FixedClock)

    async def start(meter: int) -> int:
        outcome = await service.do_start_transaction(
            StartRequest("CP-1", 1, "TAG", meter, clock.now(), clock.now())
        )
        return outcome.transaction_id

    stopped = await start(0)
    await service.do_stop_transaction(
        StopRequest("CP-1", stopped, 500, clock.now(), clock.now(), StopReason.LOCAL)
    )
    await service.do_stop_transaction(  # a retransmitted stop queues nothing more
        StopRequest("CP-1", stopped, 500, clock.now(), clock.now(), StopReason.LOCAL)
    )
    clock.advance(60)
    forgotten = await start(600)
    clock.advance(60)
    replacing = await start(700)  # the same connector: the forgotten one is closed
    assert await queued(engine) == [stopped, forgotten]

    clock.advance(60)
    await service.do_boot("CP-1", BootInfo(vendor="V", model="M"))  # forgets `replacing`
    health = HealthService(
        uow,
        FixedClock(T0.replace(hour=12)),
        offline_after_s=900,
        stuck_grace_s=600,
        message_log_retention_days=30,
    )
    assert await health.do_close_stuck_transactions() == [replacing]
    assert await queued(engine) == [stopped, forgotten, replacing]

    assert await RatingService(uow, clock).do_rate_pending(limit=2) == 2
    assert await queued(engine) == [replacing]
    assert await RatingService(uow, clock).do_rate_pending() == 1
    assert await queued(engine) == []


async def test_upgrade_queues_completed_transactions_without_cdr(
    backend: str, tmp_path: Path
) -> None:
    url = (
        testing.sqlite_url(tmp_path / "old.db")
        if backend == "sqlite"
        else await testing.create_postgres_database()
    )
    try:
        await upgrade(url, "0003")
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                for number, state in enumerate(("Completed", "Active", "Completed"), start=1):
                    await conn.execute(
                        sa.text(
                            "INSERT INTO transactions (id, station_id, connector_id, id_tag,"
                            " auth_status, state, meter_start_wh, started_at,"
                            " start_received_at, start_key, flags)"
                            " VALUES (:id, 'CP', 1, 'T', 'Accepted', :state, 0, :at, :at,"
                            " :key, '[]')"
                        ),
                        {
                            "id": number,
                            "state": state,
                            "at": T0.replace(tzinfo=None) if backend == "sqlite" else T0,
                            "key": f"k{number}",
                        },
                    )
            await upgrade(url)
            assert await queued(engine) == [1, 3]
        finally:
            await engine.dispose()
    finally:
        if backend == "postgres":
            await testing.drop_postgres_database(url)


async def test_a_session_that_cannot_be_rated_does_not_stop_the_others(
    service: ChargePointService,
    engine: AsyncEngine,
    uow: UnitOfWorkFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = service.clock
    assert isinstance(clock, FixedClock)
    ids = []
    for connector in (1, 2):
        started = await service.do_start_transaction(
            StartRequest("CP-1", connector, "TAG", 0, clock.now(), clock.now())
        )
        ids.append(started.transaction_id)
        clock.advance(60)
        await service.do_stop_transaction(
            StopRequest("CP-1", started.transaction_id, 100, clock.now(), clock.now())
        )
    poisoned = ids[0]
    real = rating_module.rate_session

    def failing(tariff: Any, usage: Any, tz: Any) -> Any:
        if usage.meter_start_wh == 0 and usage.started_at == T0:
            raise ArithmeticError("corrupt meter data")
        return real(tariff, usage, tz)

    monkeypatch.setattr(rating_module, "rate_session", failing)
    rating = RatingService(uow, clock)
    assert await rating.do_rate_pending() == 1
    assert await queued(engine) == [poisoned]
    with pytest.raises(Conflict, match="could not be rated") as refused:
        await rating.do_rate_transaction(poisoned)
    assert refused.value.code == "rating_failed"
    monkeypatch.setattr(rating_module, "rate_session", real)
    assert await rating.do_rate_pending() == 1
    assert await queued(engine) == []
