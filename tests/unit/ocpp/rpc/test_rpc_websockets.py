"""RpcConnection over real sockets: a `websockets` server and client on 127.0.0.1."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

from ampyre.ocpp.rpc import (
    ConnectionLost,
    OcppVersion,
    RpcConnection,
    Side,
    WebsocketsTransport,
    choose_subprotocol,
)

SUPPORTED = [OcppVersion.V16, OcppVersion.V201]


@dataclass
class CsmsServer:
    server: Server
    connections: list[RpcConnection] = field(default_factory=list)
    finished: list[RpcConnection] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = next(iter(self.server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}/ocpp/CP-1"


async def boot(payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted", "currentTime": "2026-11-21T10:00:00Z", "interval": 300}


async def heartbeat(payload: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": "2026-11-21T10:00:00Z"}


def select(connection: ServerConnection, offered: Sequence[str]) -> Subprotocol | None:
    version = choose_subprotocol(offered, SUPPORTED)
    return Subprotocol(version.value) if version else None


@pytest.fixture
async def csms() -> AsyncIterator[CsmsServer]:
    state: CsmsServer

    async def handle(websocket: ServerConnection) -> None:
        rpc = RpcConnection(
            WebsocketsTransport(websocket),
            version=OcppVersion(websocket.subprotocol or ""),
            side=Side.CSMS,
            handlers={"BootNotification": boot, "Heartbeat": heartbeat},
        )
        state.connections.append(rpc)
        await rpc.run()
        state.finished.append(rpc)

    async with serve(handle, "127.0.0.1", 0, select_subprotocol=select, compression=None) as server:
        state = CsmsServer(server)
        yield state


async def test_station_and_csms_exchange_calls_over_a_socket(
    csms: CsmsServer, boot_16: dict[str, Any], meter_values_16: dict[str, Any]
) -> None:
    async def reset(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    async with connect(csms.url, subprotocols=[Subprotocol("ocpp1.6")]) as websocket:
        assert websocket.subprotocol == "ocpp1.6"
        station = RpcConnection(
            WebsocketsTransport(websocket),
            version=OcppVersion.V16,
            side=Side.CHARGE_POINT,
            handlers={"Reset": reset},
        )
        reader = asyncio.create_task(station.run())
        answer = await station.call("BootNotification", boot_16)
        assert answer["status"] == "Accepted"
        [server_side] = csms.connections
        assert await server_side.call("Reset", {"type": "Soft"}) == {"status": "Accepted"}
        assert await station.call("Heartbeat", {}) == {"currentTime": "2026-11-21T10:00:00Z"}
        await station.close()
        await asyncio.wait_for(reader, 2.0)
    for _ in range(100):
        if csms.finished:
            break
        await asyncio.sleep(0.01)
    assert csms.finished == [server_side]
    with pytest.raises(ConnectionLost):
        await server_side.call("Reset", {"type": "Soft"})


async def test_newest_offered_version_is_negotiated(csms: CsmsServer) -> None:
    offered = [Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")]
    async with connect(csms.url, subprotocols=offered) as websocket:
        assert websocket.subprotocol == "ocpp2.0.1"
        await websocket.send('[2,"h1","Heartbeat",{}]')
        assert orjson.loads(await websocket.recv()) == [
            3,
            "h1",
            {"currentTime": "2026-11-21T10:00:00Z"},
        ]


async def test_garbage_and_binary_frames_are_answered_not_fatal(csms: CsmsServer) -> None:
    async with connect(csms.url, subprotocols=[Subprotocol("ocpp1.6")]) as websocket:
        for garbage in ["{", '[2,123,"Heartbeat",{}]', "[" * 50_000]:
            await websocket.send(garbage)
            assert orjson.loads(await websocket.recv())[:3] == [4, "-1", "FormationViolation"]
        await websocket.send(b'[2,"bin","Heartbeat",{}]')
        assert orjson.loads(await websocket.recv())[:2] == [3, "bin"]
        await websocket.send(b"\xff\xfe not utf-8")
        assert orjson.loads(await websocket.recv())[:3] == [4, "-1", "FormationViolation"]
        await websocket.send('[2,"ok","Heartbeat",{}]')
        assert orjson.loads(await websocket.recv())[:2] == [3, "ok"]


async def test_pending_call_fails_when_the_station_disconnects(csms: CsmsServer) -> None:
    async with connect(csms.url, subprotocols=[Subprotocol("ocpp1.6")]) as websocket:
        await websocket.send('[2,"h1","Heartbeat",{}]')
        await websocket.recv()
        [server_side] = csms.connections
        pending = asyncio.create_task(server_side.call("ClearCache", {}))
        frame = orjson.loads(await websocket.recv())
        assert frame[2] == "ClearCache"
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(pending, 2.0)
