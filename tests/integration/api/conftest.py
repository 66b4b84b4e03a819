"""The REST API over real databases: every test runs on SQLite (a fresh file per test) and
on PostgreSQL (one throwaway database per session, emptied before each test).

``AMPYRE_TEST_SKIP_POSTGRES=1`` skips the PostgreSQL runs; without it a missing server is
an error, not a skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from api_station_commands import ScriptedStationCommands
from api_testkit import T0, Tokens
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.api.app import build_api
from ampyre.api.context import ApiContext
from ampyre.db import testing
from ampyre.db.engine import create_engine
from ampyre.db.schema import upgrade
from ampyre.db.uow import uow_factory
from ampyre.services.api_tokens import ApiTokenService
from ampyre.services.clock import FixedClock, SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def api_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-sqlite") / "template.db"
    asyncio.run(upgrade(testing.sqlite_url(path)))
    return path


@pytest.fixture(scope="session")
def api_postgres_url() -> Iterator[str]:
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
    """A migrated, empty database (session fixtures are created outside the event loop)."""
    if backend == "sqlite":
        target = tmp_path / "ampyre.db"
        testing.copy_sqlite_database(request.getfixturevalue("api_sqlite_template"), target)
        return testing.sqlite_url(target)
    url: str = request.getfixturevalue("api_postgres_url")
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


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def station_commands() -> ScriptedStationCommands:
    return ScriptedStationCommands()


@pytest.fixture
async def client(
    uow: UnitOfWorkFactory, clock: FixedClock, station_commands: ScriptedStationCommands
) -> AsyncIterator[httpx.AsyncClient]:
    commands = CommandService(uow, station_commands, timeout_s=2.0, clock=SystemClock())
    app = build_api(ApiContext(uow_factory=uow, clock=clock, commands=commands))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


@pytest.fixture
async def tokens(uow: UnitOfWorkFactory, clock: FixedClock) -> Tokens:
    service = ApiTokenService(uow, clock)
    secrets = {}
    for role in Role:
        _, secret = await service.do_create_token(None, f"{role.value} token", role)
        secrets[role] = secret
    return Tokens(secrets)


@pytest.fixture
def admin(tokens: Tokens) -> dict[str, str]:
    return tokens.headers(Role.ADMIN)
