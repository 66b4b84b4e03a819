"""Unit of work boundaries, the log repository, engines and the UTC column type."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from dbfactories import at, location, station
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.engine import normalise_url
from ampyre.db.tables import stations
from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.db.uow import SqlUnitOfWork
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import ConnectionEvent, LoggedFrame, Page


async def test_leaving_without_commit_rolls_everything_back(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.locations.add(location())
        await tx.stations.add(station(location_id="LOC-1"))

    async def fail_half_way() -> None:
        async with uow() as tx:
            await tx.stations.add(station("ST-2"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_half_way()

    async with uow() as tx:
        await tx.stations.add(station("ST-3"))
        await tx.rollback()
        await tx.commit()

    async with uow() as tx:
        assert await tx.locations.list(Page()) == []
        assert await tx.stations.list(Page()) == []


async def test_commit_persists_and_work_after_commit_needs_its_own_commit(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.stations.add(station("ST-1"))
        await tx.commit()
        await tx.stations.add(station("ST-2"))

    async with uow() as tx:
        assert [item.id for item in await tx.stations.list(Page())] == ["ST-1"]


async def test_unit_of_work_outside_its_block_refuses(engine: AsyncEngine) -> None:
    work = SqlUnitOfWork(engine)
    with pytest.raises(RuntimeError):
        await work.commit()
    async with work:
        with pytest.raises(RuntimeError):
            await work.__aenter__()
    with pytest.raises(RuntimeError):
        await work.rollback()


async def test_frames_are_filtered_and_newest_first(
    uow: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    frames = [
        LoggedFrame("ST-1", "in", "m1", "Heartbeat", "[2]", "[3]", at(0), at(0.1), None),
        LoggedFrame("ST-1", "out", "m2", "Reset", "[2,r]", None, at(10), None, "Timeout"),
        LoggedFrame("ST-2", "in", "m3", "Heartbeat", "[2]", "[3]", at(20), at(20.1), None),
        LoggedFrame("ST-1", "in", "m4", "Heartbeat", "[2]", "[3]", at(30), at(30.1), None),
    ]
    writer = BatchedTelemetryWriter(engine)
    await writer.start()
    for frame in frames:
        writer.record_frame(frame)
    await writer.stop()

    async with uow() as tx:
        newest = await tx.logs.frames(Page())
        station_heartbeats = await tx.logs.frames(Page(), station_id="ST-1", action="Heartbeat")
        window = await tx.logs.frames(Page(), since=at(10), until=at(30))
        paged = await tx.logs.frames(Page(limit=1, offset=1))

    assert newest == frames[::-1]
    assert station_heartbeats == [frames[3], frames[0]]
    assert window == [frames[2], frames[1]]
    assert paged == [frames[2]]

    async with uow() as tx:
        deleted = await tx.logs.delete_frames_before(at(20))
        await tx.commit()
    async with uow() as tx:
        left = await tx.logs.frames(Page())
    assert deleted == 2
    assert left == [frames[3], frames[2]]


async def test_connection_events(uow: UnitOfWorkFactory) -> None:
    events = [
        ConnectionEvent("ST-1", "connected", at(0), "10.0.0.1"),
        ConnectionEvent("ST-1", "disconnected", at(60)),
        ConnectionEvent("ST-2", "connected", at(30)),
        ConnectionEvent("ST-1", "connected", at(90)),
    ]
    async with uow() as tx:
        for event in events:
            await tx.logs.add_connection_event(event)
        await tx.commit()

    async with uow() as tx:
        history = await tx.logs.connection_events("ST-1", Page())
        second = await tx.logs.connection_events("ST-1", Page(limit=1, offset=1))

    assert history == [events[3], events[1], events[0]]
    assert second == [events[1]]


async def test_naive_datetimes_are_refused(uow: UnitOfWorkFactory) -> None:
    naive = datetime(2025, 3, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    async with uow() as tx:
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            await tx.stations.add(station(last_seen_at=naive))


async def test_stored_times_compare_in_utc_order(engine: AsyncEngine) -> None:
    """Rows written with different UTC offsets sort and filter by the instant they name."""
    east = timezone(timedelta(hours=14))
    west = timezone(timedelta(hours=-12))
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(stations),
            [
                {
                    "id": "EAST",
                    "registration_status": "Accepted",
                    "groups": [],
                    "connected": False,
                    "last_seen_at": at(10).astimezone(east),
                },
                {
                    "id": "WEST",
                    "registration_status": "Accepted",
                    "groups": [],
                    "connected": False,
                    "last_seen_at": at(0).astimezone(west),
                },
            ],
        )
    async with engine.connect() as conn:
        ordered = (
            (await conn.execute(sa.select(stations.c.id).order_by(stations.c.last_seen_at)))
            .scalars()
            .all()
        )
        later = (
            (
                await conn.execute(
                    sa.select(stations.c.id).where(stations.c.last_seen_at > at(5).astimezone(west))
                )
            )
            .scalars()
            .all()
        )

    assert ordered == ["WEST", "EAST"]
    assert later == ["EAST"]


async def test_sqlite_connections_use_wal_and_foreign_keys(
    engine: AsyncEngine, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite pragmas")
    async with engine.connect() as conn:
        journal = await conn.scalar(sa.text("PRAGMA journal_mode"))
        foreign_keys = await conn.scalar(sa.text("PRAGMA foreign_keys"))
        synchronous = await conn.scalar(sa.text("PRAGMA synchronous"))
        busy = await conn.scalar(sa.text("PRAGMA busy_timeout"))
    assert (journal, foreign_keys, synchronous, busy) == ("wal", 1, 1, 30_000)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///ampyre.db", "sqlite+aiosqlite:///ampyre.db"),
        ("sqlite:////var/lib/ampyre.db", "sqlite+aiosqlite:////var/lib/ampyre.db"),
        ("sqlite+aiosqlite:///a.db", "sqlite+aiosqlite:///a.db"),
        ("postgresql://u:p@db:5432/ampyre", "postgresql+asyncpg://u:***@db:5432/ampyre"),
        ("postgres://u@db/ampyre", "postgresql+asyncpg://u@db/ampyre"),
        ("postgresql+psycopg2://db/ampyre", "postgresql+asyncpg://db/ampyre"),
    ],
)
def test_urls_are_normalised_to_the_async_drivers(given: str, expected: str) -> None:
    assert str(normalise_url(given)) == expected


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        normalise_url("mysql://db/ampyre")
