"""A minimal OCPP 1.6 CSMS for the simulator and load generator tests.

Real WebSocket server (websockets) + the real RpcConnection on the CSMS side, Basic auth,
subprotocol ocpp1.6, no compression. Records every CALL it receives and keeps the live
connections so a test can send commands to the stations.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from ampyre.ocpp.rpc import Handler, OcppVersion, RpcConnection, Side, WebsocketsTransport


@dataclass(frozen=True)
class Received:
    station_id: str
    action: str
    payload: dict[str, Any]


@dataclass
class TinyCsms:
    """`passwords` maps station id → password; None accepts any station without auth.

    `boot_answers` gives per station the BootNotification statuses to answer in turn (the
    last one repeats); others get Accepted. `heartbeat_interval` is the interval answered.
    """

    passwords: dict[str, str] | None = None
    boot_answers: dict[str, list[str]] = field(default_factory=dict)
    heartbeat_interval: int = 300
    boot_retry_interval: int = 1
    validate: bool = True
    overrides: dict[str, Handler] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    connections: dict[str, RpcConnection] = field(default_factory=dict)
    connects: dict[str, int] = field(default_factory=dict)
    rejected_handshakes: int = 0
    started: dict[int, Received] = field(default_factory=dict)
    _server: Server | None = None
    _transaction_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _boots: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/ocpp"

    async def start(self) -> TinyCsms:
        self._server = await serve(
            self._serve_station,
            "127.0.0.1",
            0,
            subprotocols=[Subprotocol(OcppVersion.V16.value)],
            compression=None,
            process_request=self._check_auth,
            ping_interval=None,
            max_queue=4,
        )
        return self

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def _check_auth(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.passwords is None:
            return None
        station_id = unquote(request.path.rsplit("/", 1)[-1])
        expected = self.passwords.get(station_id)
        token = base64.b64encode(f"{station_id}:{expected}".encode()).decode()
        if expected is None or request.headers.get("Authorization") != f"Basic {token}":
            self.rejected_handshakes += 1
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        return None

    async def _serve_station(self, websocket: ServerConnection) -> None:
        assert websocket.request is not None
        station_id = unquote(websocket.request.path.rsplit("/", 1)[-1])
        self.connects[station_id] = self.connects.get(station_id, 0) + 1
        connection = RpcConnection(
            WebsocketsTransport(websocket),
            version=OcppVersion.V16,
            side=Side.CSMS,
            handlers=self._handlers(station_id),
            validate=self.validate,
        )
        self.connections[station_id] = connection
        try:
            await connection.run()
        finally:
            if self.connections.get(station_id) is connection:
                del self.connections[station_id]

    def _handlers(self, station_id: str) -> dict[str, Any]:
        def recorded(action: str, answer: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
            async def handler(payload: dict[str, Any]) -> dict[str, Any]:
                self.received.append(Received(station_id, action, payload))
                return answer(payload)

            return handler

        standard = {
            "BootNotification": recorded("BootNotification", lambda p: self._boot(station_id)),
            "Heartbeat": recorded("Heartbeat", lambda p: {"currentTime": _now()}),
            "StatusNotification": recorded("StatusNotification", lambda p: {}),
            "Authorize": recorded("Authorize", self._authorize),
            "StartTransaction": recorded("StartTransaction", lambda p: self._start(station_id, p)),
            "StopTransaction": recorded("StopTransaction", lambda p: {}),
            "MeterValues": recorded("MeterValues", lambda p: {}),
            "DataTransfer": recorded("DataTransfer", lambda p: {"status": "Accepted"}),
        }
        return standard | self.overrides

    def _boot(self, station_id: str) -> dict[str, Any]:
        answers = self.boot_answers.get(station_id, ["Accepted"])
        count = self._boots.get(station_id, 0)
        self._boots[station_id] = count + 1
        status = answers[min(count, len(answers) - 1)]
        interval = self.heartbeat_interval if status == "Accepted" else self.boot_retry_interval
        return {"status": status, "currentTime": _now(), "interval": interval}

    @staticmethod
    def _authorize(payload: dict[str, Any]) -> dict[str, Any]:
        status = "Blocked" if payload["idTag"].startswith("BLOCKED") else "Accepted"
        return {"idTagInfo": {"status": status}}

    def _start(self, station_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        status = "Blocked" if payload["idTag"].startswith("BLOCKED") else "Accepted"
        transaction_id = next(self._transaction_ids)
        self.started[transaction_id] = Received(station_id, "StartTransaction", payload)
        return {"transactionId": transaction_id, "idTagInfo": {"status": status}}

    # -- helpers for assertions --------------------------------------------------------------

    def of(self, action: str, station_id: str | None = None) -> list[Received]:
        return [
            r
            for r in self.received
            if r.action == action and (station_id is None or r.station_id == station_id)
        ]

    def transaction_of(self, station_id: str, id_tag: str) -> int:
        """Id given to the latest StartTransaction of `station_id` with `id_tag`."""
        return max(
            transaction_id
            for transaction_id, start in self.started.items()
            if start.station_id == station_id and start.payload["idTag"] == id_tag
        )

    async def wait_until(self, condition: Callable[[], bool], within_s: float = 5.0) -> None:
        deadline = time.monotonic() + within_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.01)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
