"""Database access for one-shot CLI commands, with a clear error on an un-migrated schema."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ampyre.cli.common import fail, settings_or_exit
from ampyre.db.engine import create_engine
from ampyre.db.schema import schema_state
from ampyre.db.uow import uow_factory
from ampyre.services.access import Actor
from ampyre.services.clock import SystemClock
from ampyre.services.ports import Clock, UnitOfWorkFactory
from ampyre.services.records import Role

CLI_ACTOR = Actor(name="cli", role=Role.ADMIN)
"""Whoever runs the CLI on the server has the operator's full rights."""


@dataclass(frozen=True, slots=True)
class CliContext:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    actor: Actor = CLI_ACTOR


@contextlib.asynccontextmanager
async def cli_context() -> AsyncIterator[CliContext]:
    settings = settings_or_exit()
    state = await schema_state(settings.database_url)
    if not state.up_to_date:
        fail("the database schema is not up to date: run `ampyre db upgrade` first")
    engine = create_engine(settings.database_url)
    try:
        yield CliContext(uow_factory(engine), SystemClock())
    finally:
        await engine.dispose()
