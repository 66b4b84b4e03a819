"""The hand-written migrations produce exactly ``tables.metadata``, and go back down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ampyre.db import testing
from ampyre.db.engine import create_engine
from ampyre.db.schema import downgrade, head_revision, schema_state, upgrade
from ampyre.db.tables import metadata


@pytest.fixture
async def empty_db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all (a new file, or a new PostgreSQL database)."""
    if backend == "sqlite":
        yield testing.sqlite_url(tmp_path / "empty.db")
        return
    url = await testing.create_postgres_database()
    try:
        yield url
    finally:
        await testing.drop_postgres_database(url)


async def _differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync: sa.Connection) -> list[Any]:
                context = MigrationContext.configure(
                    sync, opts={"compare_type": True, "compare_server_default": False}
                )
                return list(compare_metadata(context, metadata))

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_schema_state_of_an_empty_database_then_after_upgrade(empty_db_url: str) -> None:
    before = await schema_state(empty_db_url)
    assert before.current is None
    assert before.head == head_revision()
    assert not before.up_to_date

    await upgrade(empty_db_url)

    after = await schema_state(empty_db_url)
    assert after.current == after.head == head_revision()
    assert after.up_to_date


async def test_migrations_create_exactly_the_metadata(empty_db_url: str) -> None:
    await upgrade(empty_db_url)

    assert await _differences(empty_db_url) == []
    assert await _table_names(empty_db_url) == {*metadata.tables, "alembic_version"}


async def test_downgrade_to_base_removes_every_table(empty_db_url: str) -> None:
    await upgrade(empty_db_url)

    await downgrade(empty_db_url)

    assert await _table_names(empty_db_url) <= {"alembic_version"}
    assert (await schema_state(empty_db_url)).current is None
    await upgrade(empty_db_url)
    assert await _differences(empty_db_url) == []


async def test_comparison_would_notice_a_missing_index(empty_db_url: str) -> None:
    """Guards the test above: compare_metadata really looks at the schema."""
    await upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("DROP INDEX ix_connection_events_station_id_at")
    finally:
        await engine.dispose()

    differences = await _differences(empty_db_url)

    assert [difference[0] for difference in differences] == ["add_index"]
