"""A real Ampyre server (uvicorn, in this process) on a free port, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from ampyre.cli.server import uvicorn_config
from ampyre.config import Settings
from ampyre.db.engine import create_engine
from ampyre.db.testing import reset_database
from ampyre.domain.id_tags import IdTag
from ampyre.domain.station_secrets import hash_password
from ampyre.domain.stations import RegistrationStatus, Station
from ampyre.main import Components, build_app, build_components
from ampyre.services.api_tokens import ApiTokenService
from ampyre.services.records import Role

PASSWORD = "correct-horse-battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    http: str
    ocpp: str
    components: Components
    api: httpx.AsyncClient

    async def add_station(
        self,
        station_id: str,
        password: str | None = PASSWORD,
        status: RegistrationStatus = RegistrationStatus.ACCEPTED,
    ) -> None:
        async with self.components.uow_factory() as uow:
            await uow.stations.add(
                Station(
                    id=station_id,
                    registration_status=status,
                    password_hash=hash_password(password) if password else None,
                )
            )
            await uow.commit()

    async def add_tag(self, tag: IdTag) -> None:
        async with self.components.uow_factory() as uow:
            await uow.id_tags.add(tag)
            await uow.commit()


ServerFactory = Callable[..., Any]


@pytest.fixture
async def server_factory(db_url: str, backend: str) -> AsyncIterator[ServerFactory]:
    """Start servers with settings overrides; all are stopped after the test."""
    if backend == "postgres":
        engine = create_engine(db_url)
        await reset_database(engine)
        await engine.dispose()
    running: list[tuple[uvicorn.Server, asyncio.Task[None], LiveServer]] = []

    async def start(**overrides: Any) -> LiveServer:
        port = free_port()
        settings = Settings(
            database_url=db_url,
            host="127.0.0.1",
            port=port,
            ocpp_ws_ping_interval_s=None,
            log_level="WARNING",
            **overrides,
        )
        components = build_components(settings)
        config = uvicorn_config(build_app(components, background_jobs=False), settings)
        config.loop = "asyncio"
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        _, secret = await ApiTokenService(components.uow_factory, components.clock).do_create_token(
            None, "tests", Role.ADMIN
        )
        api = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}/api/v1",
            headers={"Authorization": f"Bearer {secret}"},
        )
        live = LiveServer(
            f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ocpp", components, api
        )
        running.append((server, task, live))
        return live

    yield start
    for server, task, live in running:
        await live.api.aclose()
        server.should_exit = True
        await task


@pytest.fixture
async def server(server_factory: ServerFactory) -> LiveServer:
    live: LiveServer = await server_factory()
    return live
