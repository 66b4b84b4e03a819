"""A scripted OCPP 1.6 station for end-to-end tests: real WebSocket, real RPC layer."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from ampyre.ocpp.rpc import OcppVersion, RpcConnection, Side, WebsocketsTransport

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def basic_auth(station_id: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class TestStation:
    """One connected station; ``calls`` records the CALLs Ampyre sent it (action, payload).

    ``answers`` maps an action to a coroutine answering it (defaults answer "Accepted").
    """

    __test__ = False

    def __init__(self, ws: ClientConnection, answers: dict[str, Handler] | None = None) -> None:
        self.ws = ws
        self.calls: list[tuple[str, dict[str, Any]]] = []
        handlers: dict[str, Handler] = {}
        for action in (
            "RemoteStartTransaction",
            "RemoteStopTransaction",
            "Reset",
            "UnlockConnector",
            "ChangeAvailability",
            "ChangeConfiguration",
            "TriggerMessage",
            "ClearCache",
            "DataTransfer",
            "GetConfiguration",
        ):
            handlers[action] = self._recording(action, (answers or {}).get(action))
        self.rpc = RpcConnection(
            WebsocketsTransport(ws),
            version=OcppVersion.V16,
            side=Side.CHARGE_POINT,
            handlers=handlers,
            call_timeout=10,
        )
        self._task = asyncio.create_task(self.rpc.run())

    def _recording(self, action: str, answer: Handler | None) -> Handler:
        async def handle(payload: dict[str, Any]) -> dict[str, Any]:
            self.calls.append((action, payload))
            if answer is not None:
                return await answer(payload)
            if action == "GetConfiguration":
                return {"configurationKey": [], "unknownKey": payload.get("key", [])}
            if action == "DataTransfer":
                return {"status": "Accepted", "data": "pong"}
            if action == "UnlockConnector":
                return {"status": "Unlocked"}
            return {"status": "Accepted"}

        return handle

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.rpc.call(action, payload)

    async def boot(self) -> dict[str, Any]:
        return await self.call(
            "BootNotification",
            {"chargePointVendor": "TestVendor", "chargePointModel": "T1", "firmwareVersion": "1.0"},
        )

    async def status(self, connector_id: int, status: str, error: str = "NoError") -> None:
        await self.call(
            "StatusNotification",
            {
                "connectorId": connector_id,
                "status": status,
                "errorCode": error,
                "timestamp": now_iso(),
            },
        )

    async def start(
        self, id_tag: str, meter_start: int = 0, connector_id: int = 1, timestamp: str | None = None
    ) -> dict[str, Any]:
        return await self.call(
            "StartTransaction",
            {
                "connectorId": connector_id,
                "idTag": id_tag,
                "meterStart": meter_start,
                "timestamp": timestamp or now_iso(),
            },
        )

    async def stop(
        self,
        transaction_id: int,
        meter_stop: int,
        reason: str = "Local",
        id_tag: str | None = None,
        timestamp: str | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "transactionId": transaction_id,
            "meterStop": meter_stop,
            "timestamp": timestamp or now_iso(),
            "reason": reason,
        }
        if id_tag is not None:
            payload["idTag"] = id_tag
        return await self.call("StopTransaction", payload)

    async def meter(self, transaction_id: int, wh: int, connector_id: int = 1) -> None:
        await self.call(
            "MeterValues",
            {
                "connectorId": connector_id,
                "transactionId": transaction_id,
                "meterValue": [
                    {
                        "timestamp": now_iso(),
                        "sampledValue": [
                            {
                                "value": str(wh),
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            },
                            {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
                        ],
                    }
                ],
            },
        )

    async def wait_closed(self) -> None:
        """Wait (up to 5 s) until Ampyre (or the network) closed the connection."""
        await asyncio.wait_for(self._task, 5)

    async def close(self) -> None:
        await self.rpc.close()
        with contextlib.suppress(Exception):
            await self._task


@contextlib.asynccontextmanager
async def station(
    url: str, station_id: str, password: str | None, answers: dict[str, Handler] | None = None
) -> AsyncIterator[TestStation]:
    headers = basic_auth(station_id, password) if password is not None else {}
    async with connect(
        f"{url}/{station_id}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=headers,
        compression=None,
    ) as ws:
        client = TestStation(ws, answers)
        try:
            yield client
        finally:
            await client.close()
