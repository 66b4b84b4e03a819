"""Group commit of statuses, meter values, message log and last-seen times."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime

import pytest
import sqlalchemy as sa
from dbfactories import allow_inserts, at, refuse_inserts, station, transaction
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.tables import connector_status_history, message_log, meter_values
from ampyre.db.telemetry import BatchedTelemetryWriter, TelemetryWriteFailed, UnstorableItem
from ampyre.domain.metering import MeterSample, ReadingContext, SampledValue, ValueFormat
from ampyre.domain.stations import Connector, ConnectorStatus, StatusReport
from ampyre.services.ports import TelemetryWriter, UnitOfWorkFactory
from ampyre.services.records import LoggedFrame, MeterBatch, Page


def status(
    station_id: str = "ST-1",
    connector_id: int = 1,
    state: ConnectorStatus = ConnectorStatus.CHARGING,
    received_at: datetime | None = None,
    **changes: str | datetime | None,
) -> StatusReport:
    return StatusReport(
        station_id=station_id,
        connector_id=connector_id,
        status=state,
        error_code="NoError",
        received_at=received_at or at(0),
        **changes,  # type: ignore[arg-type]
    )


def meter(transaction_id: int | None, values: tuple[str, ...], **changes: object) -> MeterBatch:
    sample = MeterSample(at(0), tuple(SampledValue(value) for value in values))
    return MeterBatch("ST-1", 1, transaction_id, at(1), (sample,), **changes)  # type: ignore[arg-type]


@pytest.fixture
async def writer(engine: AsyncEngine) -> AsyncIterator[BatchedTelemetryWriter]:
    writer = BatchedTelemetryWriter(engine)
    await writer.start()
    yield writer
    await writer.stop()


async def _count(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as conn:
        counted: int = await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    return counted


def _count_commits(engine: AsyncEngine) -> list[int]:
    commits = [0]

    def on_commit(_conn: sa.Connection) -> None:
        commits[0] += 1

    sa.event.listen(engine.sync_engine, "commit", on_commit)
    return commits


async def test_the_writer_implements_the_port(writer: BatchedTelemetryWriter) -> None:
    port: TelemetryWriter = writer
    assert port is writer


async def test_200_concurrent_callers_are_committed_together(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    async with uow() as tx:
        for number in range(10):
            await tx.stations.add(station(f"ST-{number}"))
        await tx.commit()
    commits = _count_commits(engine)
    writer = BatchedTelemetryWriter(engine, max_delay=0.02)
    await writer.start()
    calls: list[Awaitable[None]] = []
    for index in range(100):
        calls.append(
            writer.record_status(status(f"ST-{index % 10}", index % 3, received_at=at(index)))
        )
        calls.append(writer.record_meter_values(meter(None, (str(index), "7"))))
    results = await asyncio.gather(*calls)
    await writer.stop()

    assert results == [None] * 200
    assert commits[0] <= 4
    assert await _count(engine, connector_status_history) == 100
    assert await _count(engine, meter_values) == 200
    async with uow() as tx:
        connectors = await tx.connectors.list_for_station("ST-4")
    # ST-4 got indexes 4, 14, ..., 94: connector (index % 3) 1 and 2 exist, 0 is the station.
    assert [connector.connector_id for connector in connectors] == [1, 2]
    assert connectors[0].status_at == at(94)


@pytest.fixture
async def poisoned_meter_values(engine: AsyncEngine, backend: str) -> AsyncIterator[None]:
    """A trigger that makes the database refuse a sample whose measurand is "Poison"."""
    async with engine.begin() as conn:
        if backend == "sqlite":
            await conn.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON meter_values "
                "WHEN NEW.measurand = 'Poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            )
        else:
            await conn.exec_driver_sql(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'poisoned'; END $$"
            )
            await conn.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON meter_values FOR EACH ROW "
                "WHEN (NEW.measurand = 'Poison') EXECUTE FUNCTION poison()"
            )
    yield
    async with engine.begin() as conn:
        if backend == "sqlite":
            await conn.exec_driver_sql("DROP TRIGGER poison")
        else:
            await conn.exec_driver_sql("DROP TRIGGER poison ON meter_values")
            await conn.exec_driver_sql("DROP FUNCTION poison()")


@pytest.mark.usefixtures("poisoned_meter_values")
async def test_a_failing_batch_fails_all_its_callers_and_writes_nothing(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.stations.add(station())
        await tx.commit()
    writer = BatchedTelemetryWriter(engine, max_delay=0.05)
    await writer.start()
    poison = MeterBatch(
        "ST-1", 1, None, at(1), (MeterSample(at(0), (SampledValue("1", "Poison"),)),)
    )
    calls = [writer.record_status(status(connector_id=index % 3)) for index in range(50)]
    calls += [writer.record_meter_values(meter(None, ("1", "2"))) for _ in range(50)]
    calls.append(writer.record_meter_values(poison))

    outcomes = await asyncio.gather(*calls, return_exceptions=True)

    assert all(isinstance(outcome, TelemetryWriteFailed) for outcome in outcomes)
    causes = {id(outcome.__cause__) for outcome in outcomes if isinstance(outcome, Exception)}
    assert len(causes) == 1
    assert await _count(engine, connector_status_history) == 0
    assert await _count(engine, meter_values) == 0
    async with uow() as tx:
        assert await tx.connectors.list_for_station("ST-1") == []

    await writer.record_status(status())
    await writer.stop()
    assert await _count(engine, connector_status_history) == 1


async def test_stop_flushes_fire_and_forget_items(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.stations.add(station("ST-1", last_seen_at=at(-10)))
        await tx.stations.add(station("ST-2", last_seen_at=at(500)))
        await tx.commit()
    writer = BatchedTelemetryWriter(engine, max_delay=30.0, max_batch=100)
    await writer.start()
    for index in range(250):
        writer.record_frame(
            LoggedFrame("ST-1", "in", f"m{index}", "Heartbeat", "[2]", "[3]", at(index), None, None)
        )
        writer.touch("ST-1", at(index))
        writer.touch("ST-2", at(index))
    writer.touch("ST-1", at(-100))

    await asyncio.wait_for(writer.stop(), timeout=10)

    assert await _count(engine, message_log) == 250
    async with uow() as tx:
        first, second = await tx.stations.get("ST-1"), await tx.stations.get("ST-2")
    assert first is not None
    assert second is not None
    assert first.last_seen_at == at(249)
    assert second.last_seen_at == at(500)
    with pytest.raises(RuntimeError):
        writer.touch("ST-1", at(1000))
    with pytest.raises(RuntimeError):
        await writer.record_status(status())


async def test_statuses_create_connectors_and_keep_the_station_status_in_history(
    writer: BatchedTelemetryWriter, uow: UnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.stations.add(station())
        await tx.connectors.save(Connector("ST-1", 1, max_power_w=22_000, evse_id="E1"))
        await tx.commit()

    await writer.record_status(
        status(connector_id=1, info="plugged", vendor_error_code="V1", received_at=at(10))
    )
    await writer.record_status(status(connector_id=1, state=ConnectorStatus.AVAILABLE))
    await writer.record_status(status(connector_id=2, state=ConnectorStatus.FAULTED))
    await writer.record_status(status(connector_id=0, state=ConnectorStatus.UNAVAILABLE))
    await writer.record_status(status("ST-UNKNOWN", 1, station_time=at(-5)))

    async with uow() as tx:
        connectors = await tx.connectors.list_for_station("ST-1")
        unknown = await tx.connectors.list_for_station("ST-UNKNOWN")
        station_history = await tx.connectors.status_history("ST-1", 0, Page())
        all_history = await tx.connectors.status_history("ST-1", None, Page())
        unknown_history = await tx.connectors.status_history("ST-UNKNOWN", None, Page())

    assert connectors == [
        Connector(
            "ST-1",
            1,
            max_power_w=22_000,
            evse_id="E1",
            status=ConnectorStatus.CHARGING,
            vendor_error_code="V1",
            info="plugged",
            status_at=at(10),
        ),
        Connector("ST-1", 2, status=ConnectorStatus.FAULTED, status_at=at(0)),
    ]
    assert unknown == []
    assert [change.status for change in station_history] == ["Unavailable"]
    assert [change.connector_id for change in all_history] == [1, 0, 2, 1]
    assert all_history[0].received_at == at(10)
    assert unknown_history[0].station_time == at(-5)


async def test_meter_values_are_kept_exactly_and_advance_the_live_meter(
    writer: BatchedTelemetryWriter, uow: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    async with uow() as tx:
        transaction_id = await tx.transactions.add(transaction(meter_start_wh=1000))
        await tx.commit()
    signed = "<?xml version='1.0'?>\n<signedMeterValue>\r\n AbC+/= </signedMeterValue>\t"
    values = (
        SampledValue("0001.50", unit="kWh", phase="L1", context=ReadingContext.TRIGGER),
        SampledValue("2.0000", unit="kWh", location="Outlet"),
        SampledValue("xyz", format=ValueFormat.SIGNED_DATA, signed_data=signed),
        SampledValue("1e400", unit="kWh", phase="L2"),
    )
    await writer.record_meter_values(
        MeterBatch("ST-1", 1, transaction_id, at(5), (MeterSample(at(4), values),), 2000, at(4))
    )

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(
                    meter_values.c.value,
                    meter_values.c.signed_data,
                    meter_values.c.energy_wh,
                    meter_values.c.context,
                ).order_by(meter_values.c.id)
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("0001.50", None, None, "Trigger"),
        ("2.0000", None, 2000, "Sample.Periodic"),
        ("xyz", signed, None, "Sample.Periodic"),
        ("1e400", None, None, "Sample.Periodic"),
    ]

    readings = [
        (1500, at(60)),
        (2000, at(50)),
        (2500, at(120)),
        (2500, at(180)),
        (900, at(200)),
        (10**30, at(300)),
    ]
    for wh, when in readings:
        await writer.record_meter_values(
            MeterBatch("ST-1", 1, transaction_id, when, (), register_wh=wh, register_at=when)
        )
    async with uow() as tx:
        live = await tx.transactions.get(transaction_id)
    assert live is not None
    assert (live.last_meter_wh, live.last_meter_at) == (2500, at(180))


async def test_callers_wait_for_room_instead_of_anything_being_dropped(
    engine: AsyncEngine,
) -> None:
    writer = BatchedTelemetryWriter(engine, max_delay=0.001, max_batch=10, max_pending=20)
    await writer.start()
    highest = 0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal highest
        while not done.is_set():
            highest = max(highest, writer.pending_rows)
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    await asyncio.gather(
        *(writer.record_status(status("ST-9", 0, received_at=at(i))) for i in range(200))
    )
    done.set()
    await watcher
    await writer.stop()

    assert 10 <= highest <= 20
    assert await _count(engine, connector_status_history) == 200


async def test_unstorable_items_fail_only_their_caller(
    writer: BatchedTelemetryWriter, engine: AsyncEngine
) -> None:
    naive = datetime(2025, 3, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(UnstorableItem):
        await writer.record_status(status(received_at=naive))
    with pytest.raises(UnstorableItem):
        await writer.record_status(status(info="bad\x00byte"))
    with pytest.raises(UnstorableItem):
        await writer.record_status(status(connector_id=2**31))
    with pytest.raises(UnstorableItem):
        await writer.record_status(status("not a station id"))
    with pytest.raises(UnstorableItem):
        await writer.record_meter_values(
            MeterBatch("x" * 49, 1, None, at(0), (MeterSample(at(0), (SampledValue("1"),)),))
        )
    with pytest.raises(UnstorableItem):
        await writer.record_meter_values(meter(2**31, ("1",)))
    with pytest.raises(UnstorableItem):
        writer.record_frame(
            LoggedFrame("ST-1", "sideways", None, None, None, None, at(0), None, None)
        )
    with pytest.raises(UnstorableItem):
        writer.touch("ST-1", naive)

    writer.record_frame(
        LoggedFrame("ST-1", "in", "m1", "DataTransfer", "[2,\x00\ud800]", None, at(0), None, None)
    )
    await writer.record_status(status())
    await writer.stop()

    async with engine.connect() as conn:
        request = await conn.scalar(sa.select(message_log.c.request))
        history = await conn.scalar(
            sa.select(sa.func.count()).select_from(connector_status_history)
        )
    assert request == "[2,\ufffd\ufffd\ufffd\ufffd]"
    assert history == 1


async def test_the_writer_must_be_started(engine: AsyncEngine) -> None:
    writer = BatchedTelemetryWriter(engine)
    with pytest.raises(RuntimeError):
        await writer.record_status(status())
    with pytest.raises(RuntimeError):
        writer.record_frame(LoggedFrame("ST-1", "in", None, None, None, None, at(0), None, None))


async def test_batches_in_flight_together_keep_the_newest_status_and_reading(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.stations.add(station())
        transaction_id = await tx.transactions.add(transaction(meter_start_wh=0))
        await tx.commit()
    commits = _count_commits(engine)
    writer = BatchedTelemetryWriter(engine, max_delay=0, durable_flushers=3)
    await writer.start()
    order = [7, 2, 9, 0, 5, 8, 1, 6, 3, 4] * 3
    calls = []
    for index, second in enumerate(order):
        state = ConnectorStatus.FAULTED if second == 9 else ConnectorStatus.AVAILABLE
        calls.append(
            asyncio.create_task(writer.record_status(status(state=state, received_at=at(second))))
        )
        calls.append(
            asyncio.create_task(
                writer.record_meter_values(
                    MeterBatch("ST-1", 1, transaction_id, at(second), (), 100 * second + index % 2)
                )
            )
        )
        await asyncio.sleep(0.001)
    await asyncio.gather(*calls)
    await writer.stop()

    assert commits[0] >= 5  # the items really went in several batches
    async with uow() as tx:
        connector = await tx.connectors.get("ST-1", 1)
        live = await tx.transactions.get(transaction_id)
    assert connector is not None
    assert (connector.status, connector.status_at) == (ConnectorStatus.FAULTED, at(9))
    assert live is not None
    assert (live.last_meter_wh, live.last_meter_at) == (900, at(9))


async def test_fire_and_forget_items_survive_a_database_failure(
    engine: AsyncEngine, backend: str
) -> None:
    await refuse_inserts(engine, backend, "message_log")
    writer = BatchedTelemetryWriter(engine, max_delay=0.001, retry_delay=0.01)
    await writer.start()
    for index in range(30):
        writer.record_frame(
            LoggedFrame("ST-1", "in", f"m{index}", "Heartbeat", "[]", None, at(index), None, None)
        )
        await asyncio.sleep(0.005)
    assert writer.pending_rows == 30

    await allow_inserts(engine, backend, "message_log")
    await writer.stop()

    async with engine.connect() as conn:
        stored = (await conn.scalars(sa.select(message_log.c.message_id))).all()
    assert sorted(stored) == sorted(f"m{index}" for index in range(30))


async def test_within_one_batch_the_latest_received_status_wins(
    writer: BatchedTelemetryWriter, uow: UnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.stations.add(station())
        await tx.commit()

    await asyncio.gather(
        writer.record_status(status(state=ConnectorStatus.FINISHING, received_at=at(5))),
        writer.record_status(status(state=ConnectorStatus.CHARGING, received_at=at(3))),
    )

    async with uow() as tx:
        connector = await tx.connectors.get("ST-1", 1)
        history = await tx.connectors.status_history("ST-1", 1, Page())
    assert connector is not None
    assert (connector.status, connector.status_at) == (ConnectorStatus.FINISHING, at(5))
    assert [change.status for change in history] == ["Finishing", "Charging"]
