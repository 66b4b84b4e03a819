"""Live station connections in this process, and the ``StationCommands`` port over them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ampyre.ocpp.rpc import (
    CallErrorReceived,
    CallTimeout,
    ConnectionLost,
    InvalidResponse,
    OcppVersion,
    RpcConnection,
)
from ampyre.ocpp.v16 import commands as v16
from ampyre.services.errors import CommandFailed, CommandTimeout, StationNotConnected
from ampyre.services.ports import CommandResult

log = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)
class LiveConnection:
    """One open station socket; ``last_frame`` is the event-loop time of its newest frame."""

    station_id: str
    version: OcppVersion
    rpc: RpcConnection
    last_frame: float = 0.0


class ConnectionRegistry:
    """Which station is connected to this process, and how to send it a command.

    A station that connects again replaces its older connection (the old socket is closed):
    stations reconnect after network trouble before the old TCP connection times out.
    """

    def __init__(self) -> None:
        self._live: dict[str, LiveConnection] = {}

    def __len__(self) -> int:
        return len(self._live)

    def get(self, station_id: str) -> LiveConnection | None:
        return self._live.get(station_id)

    def add(self, connection: LiveConnection) -> LiveConnection | None:
        """Register ``connection``; returns the connection it replaced, if any."""
        previous = self._live.get(connection.station_id)
        self._live[connection.station_id] = connection
        return previous

    def remove(self, connection: LiveConnection) -> bool:
        """Forget ``connection`` unless a newer one for the same station took its place."""
        if self._live.get(connection.station_id) is connection:
            del self._live[connection.station_id]
            return True
        return False

    def is_connected(self, station_id: str) -> bool:
        return station_id in self._live

    def connected_ids(self) -> list[str]:
        return list(self._live)

    async def close_silent(self, *, now: float, silent_for: float) -> list[str]:
        """Close connections with no frame for ``silent_for`` seconds ("ghost online" sockets
        whose peer vanished without a TCP close). Returns the station ids closed."""
        silent = [c for c in self._live.values() if now - c.last_frame > silent_for]
        for connection in silent:
            await connection.rpc.close(1001, "no frame received for too long")
        return [c.station_id for c in silent]

    async def close_all(self, reason: str) -> None:
        for connection in list(self._live.values()):
            await connection.rpc.close(1001, reason)

    async def _send(
        self, station_id: str, command: tuple[str, dict[str, Any]], timeout: float
    ) -> CommandResult:
        connection = self._live.get(station_id)
        if connection is None:
            raise StationNotConnected(f"station {station_id} is not connected")
        action, payload = command
        try:
            answer = await connection.rpc.call(action, payload, timeout=timeout)
        except CallTimeout as exc:
            raise CommandTimeout(
                f"station {station_id} did not answer {action} within {timeout:g} s"
            ) from exc
        except ConnectionLost as exc:
            raise StationNotConnected(
                f"station {station_id} disconnected before answering {action}"
            ) from exc
        except CallErrorReceived as exc:
            raise CommandFailed(
                f"station {station_id} answered {action} with {exc.code}: {exc.description}"
            ) from exc
        except InvalidResponse as exc:
            raise CommandFailed(
                f"station {station_id} sent an invalid {action} answer: {exc}"
            ) from exc
        status = answer.get("status")
        return CommandResult(status=status if isinstance(status, str) else None, payload=answer)

    async def remote_start(
        self, station_id: str, *, id_tag: str, connector_id: int | None, timeout: float
    ) -> CommandResult:
        return await self._send(station_id, v16.remote_start(id_tag, connector_id), timeout)

    async def remote_stop(
        self, station_id: str, *, transaction_id: int, timeout: float
    ) -> CommandResult:
        return await self._send(station_id, v16.remote_stop(transaction_id), timeout)

    async def reset(self, station_id: str, *, hard: bool, timeout: float) -> CommandResult:
        return await self._send(station_id, v16.reset(hard=hard), timeout)

    async def unlock_connector(
        self, station_id: str, *, connector_id: int, timeout: float
    ) -> CommandResult:
        return await self._send(station_id, v16.unlock_connector(connector_id), timeout)

    async def change_availability(
        self, station_id: str, *, connector_id: int, operative: bool, timeout: float
    ) -> CommandResult:
        return await self._send(
            station_id, v16.change_availability(connector_id, operative=operative), timeout
        )

    async def get_configuration(
        self, station_id: str, *, keys: Sequence[str], timeout: float
    ) -> CommandResult:
        return await self._send(station_id, v16.get_configuration(keys), timeout)

    async def change_configuration(
        self, station_id: str, *, key: str, value: str, timeout: float
    ) -> CommandResult:
        return await self._send(station_id, v16.change_configuration(key, value), timeout)

    async def trigger_message(
        self, station_id: str, *, message: str, connector_id: int | None, timeout: float
    ) -> CommandResult:
        return await self._send(station_id, v16.trigger_message(message, connector_id), timeout)

    async def clear_cache(self, station_id: str, *, timeout: float) -> CommandResult:
        return await self._send(station_id, v16.clear_cache(), timeout)

    async def data_transfer(
        self,
        station_id: str,
        *,
        vendor_id: str,
        message_id: str | None,
        data: str | None,
        timeout: float,
    ) -> CommandResult:
        return await self._send(station_id, v16.data_transfer(vendor_id, message_id, data), timeout)

    async def disconnect(self, station_id: str, *, reason: str) -> None:
        connection = self._live.get(station_id)
        if connection is not None:
            await connection.rpc.close(1000, reason)
