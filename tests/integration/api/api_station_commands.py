"""A ``StationCommands`` stand-in for the API tests (the real one is the OCPP gateway).

It records every call with its arguments and answers with ``answer`` for the stations in
``connected``; set ``failure`` to an exception (``CommandTimeout``, ``CommandFailed``) to make
the next calls fail the way the gateway does.
"""
# ruff: noqa: ASYNC109  (the StationCommands port takes ``timeout`` by name)

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ampyre.services.errors import StationNotConnected
from ampyre.services.ports import CommandResult


@dataclass
class Call:
    name: str
    station_id: str
    arguments: dict[str, Any]


@dataclass
class ScriptedStationCommands:
    connected: set[str] = field(default_factory=set)
    answer: CommandResult = field(
        default_factory=lambda: CommandResult("Accepted", {"status": "Accepted"})
    )
    failure: Exception | None = None
    calls: list[Call] = field(default_factory=list)
    disconnected: list[str] = field(default_factory=list)

    def is_connected(self, station_id: str) -> bool:
        return station_id in self.connected

    def connected_ids(self) -> list[str]:
        return sorted(self.connected)

    def _call(self, name: str, station_id: str, **arguments: Any) -> CommandResult:
        if station_id not in self.connected:
            raise StationNotConnected(f"station {station_id} is not connected")
        self.calls.append(Call(name, station_id, arguments))
        if self.failure is not None:
            raise self.failure
        return self.answer

    async def remote_start(
        self, station_id: str, *, id_tag: str, connector_id: int | None, timeout: float
    ) -> CommandResult:
        return self._call("remote_start", station_id, id_tag=id_tag, connector_id=connector_id)

    async def remote_stop(
        self, station_id: str, *, transaction_id: int, timeout: float
    ) -> CommandResult:
        return self._call("remote_stop", station_id, transaction_id=transaction_id)

    async def reset(self, station_id: str, *, hard: bool, timeout: float) -> CommandResult:
        return self._call("reset", station_id, hard=hard)

    async def unlock_connector(
        self, station_id: str, *, connector_id: int, timeout: float
    ) -> CommandResult:
        return self._call("unlock_connector", station_id, connector_id=connector_id)

    async def change_availability(
        self, station_id: str, *, connector_id: int, operative: bool, timeout: float
    ) -> CommandResult:
        return self._call(
            "change_availability", station_id, connector_id=connector_id, operative=operative
        )

    async def get_configuration(
        self, station_id: str, *, keys: Sequence[str], timeout: float
    ) -> CommandResult:
        return self._call("get_configuration", station_id, keys=list(keys))

    async def change_configuration(
        self, station_id: str, *, key: str, value: str, timeout: float
    ) -> CommandResult:
        return self._call("change_configuration", station_id, key=key, value=value)

    async def trigger_message(
        self, station_id: str, *, message: str, connector_id: int | None, timeout: float
    ) -> CommandResult:
        return self._call("trigger_message", station_id, message=message, connector_id=connector_id)

    async def clear_cache(self, station_id: str, *, timeout: float) -> CommandResult:
        return self._call("clear_cache", station_id)

    async def data_transfer(
        self,
        station_id: str,
        *,
        vendor_id: str,
        message_id: str | None,
        data: str | None,
        timeout: float,
    ) -> CommandResult:
        return self._call(
            "data_transfer", station_id, vendor_id=vendor_id, message_id=message_id, data=data
        )

    async def disconnect(self, station_id: str, *, reason: str) -> None:
        self.disconnected.append(station_id)
        self.connected.discard(station_id)
