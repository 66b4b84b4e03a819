"""The REST API over real databases (the ``uow`` fixture of tests/conftest.py: SQLite and
PostgreSQL), a settable clock and scripted station commands."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from api_station_commands import ScriptedStationCommands
from api_testkit import T0, Tokens, api_context

from ampyre.api.app import build_api
from ampyre.services.api_tokens import ApiTokenService
from ampyre.services.clock import FixedClock, SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role


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
    app = build_api(api_context(uow, clock, commands))
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
