"""Database fixtures for every test folder: a test that asks for ``db_url``/``engine``/``uow``
runs on SQLite (a fresh file per test) and on PostgreSQL (one database per session, created
and dropped here, emptied before each test).

``AMPYRE_TEST_SKIP_POSTGRES=1`` skips the PostgreSQL runs; without it a missing server is
an error, not a skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db import testing
from ampyre.db.engine import create_engine
from ampyre.db.schema import upgrade
from ampyre.db.uow import uow_factory
from ampyre.services.ports import UnitOfWorkFactory

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (cheaper than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(upgrade(testing.sqlite_url(path)))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for the whole session, dropped at the end."""
    if testing.postgres_skipped():
        pytest.skip(f"{testing.SKIP_POSTGRES_ENV}=1")
    url = asyncio.run(testing.create_postgres_database())
    try:
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(testing.drop_postgres_database(url))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgres" and testing.postgres_skipped():
        pytest.skip(f"{testing.SKIP_POSTGRES_ENV}=1")
    return name


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        target = tmp_path / "ampyre.db"
        testing.copy_sqlite_database(request.getfixturevalue("sqlite_template"), target)
        return testing.sqlite_url(target)
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def engine(db_url: str, backend: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    if backend == "postgres":
        await testing.reset_database(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> UnitOfWorkFactory:
    return uow_factory(engine)
