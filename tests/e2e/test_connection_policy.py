"""Unknown-station policy, connection history and ghost sockets."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import InvalidStatus

from ampyre.config import UnknownStationPolicy
from ampyre.domain.stations import RegistrationStatus
from tests.e2e.conftest import PASSWORD, LiveServer, ServerFactory
from tests.e2e.station_client import station


async def test_unknown_station_is_held_pending_until_approved(
    server_factory: ServerFactory,
) -> None:
    server: LiveServer = await server_factory(ocpp_unknown_stations=UnknownStationPolicy.PENDING)
    async with station(server.ocpp, "NEW-1", None) as cp:
        assert (await cp.boot())["status"] == "Pending"
        pending = await server.api.get("/stations", params={"registration_status": "Pending"})
        assert [s["id"] for s in pending.json()["items"]] == ["NEW-1"]
        assert (await server.api.post("/stations/NEW-1/approve")).status_code == 200
        assert (await cp.boot())["status"] == "Accepted"


async def test_unknown_station_accepted_when_configured(server_factory: ServerFactory) -> None:
    server: LiveServer = await server_factory(ocpp_unknown_stations=UnknownStationPolicy.ACCEPT)
    async with station(server.ocpp, "LAB-1", None) as cp:
        assert (await cp.boot())["status"] == "Accepted"


async def test_rejected_station_is_refused_at_the_handshake(server: LiveServer) -> None:
    await server.add_station("CP-R", status=RegistrationStatus.REJECTED)

    with pytest.raises(InvalidStatus) as refused:
        async with station(server.ocpp, "CP-R", PASSWORD):
            pass
    assert refused.value.response.status_code == 401


async def test_connection_history_and_online_flag(server: LiveServer) -> None:
    await server.add_station("CP-H")
    for _ in range(2):
        async with station(server.ocpp, "CP-H", PASSWORD) as cp:
            await cp.boot()
            assert (await server.api.get("/stations/CP-H")).json()["connected"] is True
    for _ in range(100):
        if (await server.api.get("/stations/CP-H")).json()["connected"] is False:
            break
        await asyncio.sleep(0.02)
    assert (await server.api.get("/stations/CP-H")).json()["connected"] is False
    history = (await server.api.get("/stations/CP-H/connections")).json()
    events = [e["event"] for e in history["items"]]
    assert events == ["disconnected", "connected", "disconnected", "connected"]


async def test_ghost_socket_is_closed_after_the_silence_limit(server: LiveServer) -> None:
    await server.add_station("CP-G")
    async with station(server.ocpp, "CP-G", PASSWORD) as cp:
        await cp.boot()
        loop = asyncio.get_running_loop()
        registry = server.components.registry
        assert await registry.close_silent(now=loop.time(), silent_for=900) == []
        assert await registry.close_silent(now=loop.time() + 901, silent_for=900) == ["CP-G"]
        await cp.wait_closed()
        assert cp.rpc.closed
