"""Answers of a simulated OCPP 1.6 charge point to the CSMS's commands.

Handlers run inside the RPC read loop, one at a time, so they only change state and answer;
whatever must be sent afterwards (StartTransaction after RemoteStartTransaction, the message a
TriggerMessage asks for, the StopTransactions of a Reset) is scheduled with `spawn` and goes
out after the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from ampyre.simulator.configuration import ConfigurationStore
from ampyre.simulator.connector import ChargingSession, Connector
from ampyre.simulator.report import SimulationReport

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]

TRIGGERABLE = frozenset({"BootNotification", "Heartbeat", "StatusNotification", "MeterValues"})


class CommandTarget(Protocol):
    """The station as the command handlers see it."""

    config: ConfigurationStore
    connectors: dict[int, Connector]
    report: SimulationReport
    closing: bool

    def spawn(self, work: Coroutine[Any, Any, None]) -> None: ...

    def start_session(
        self, connector: Connector, id_tag: str, *, remote: bool, limit_w: float | None
    ) -> asyncio.Task[None]: ...

    def set_status(self, connector: Connector, status: str) -> None: ...

    def set_station_operative(self, operative: bool) -> None: ...

    def sampling_changed(self) -> None: ...

    def heartbeat_changed(self) -> None: ...

    async def reset(self, kind: str) -> None: ...

    async def send_triggered(self, message: str, connector_id: int | None) -> None: ...

    def profile_limit_w(self, profile: dict[str, Any] | None) -> float | None: ...


class CommandHandlers:
    """The handler table given to the RPC connection (`as_table`)."""

    def __init__(self, station: CommandTarget) -> None:
        self.station = station

    def as_table(self) -> dict[str, Handler]:
        table: dict[str, Handler] = {
            "RemoteStartTransaction": self.remote_start_transaction,
            "RemoteStopTransaction": self.remote_stop_transaction,
            "Reset": self.reset,
            "UnlockConnector": self.unlock_connector,
            "ChangeAvailability": self.change_availability,
            "GetConfiguration": self.get_configuration,
            "ChangeConfiguration": self.change_configuration,
            "TriggerMessage": self.trigger_message,
            "ClearCache": self.clear_cache,
            "DataTransfer": self.data_transfer,
        }
        return {action: self._counted(action, handler) for action, handler in table.items()}

    def _counted(self, action: str, handler: Handler) -> Handler:
        async def counted(payload: dict[str, Any]) -> dict[str, Any]:
            self.station.report.commands_received[action] += 1
            return await handler(payload)

        return counted

    def _sessions(self) -> list[ChargingSession]:
        return [c.session for c in self.station.connectors.values() if c.session is not None]

    async def remote_start_transaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Accepted when the connector (or, without connectorId, any connector) is free.

        OCPP 1.6 §5.11: a chargingProfile given here must have purpose TxProfile.
        """
        profile = payload.get("chargingProfile")
        if profile and profile.get("chargingProfilePurpose") != "TxProfile":
            return {"status": "Rejected"}
        if self.station.closing:
            return {"status": "Rejected"}
        connectors = self.station.connectors
        if "connectorId" in payload:
            wanted = connectors.get(payload["connectorId"])
            candidates = [wanted] if wanted is not None else []
        else:
            candidates = list(connectors.values())
        connector = next((c for c in candidates if c.is_free), None)
        if connector is None:
            return {"status": "Rejected"}
        self.station.start_session(
            connector,
            payload["idTag"],
            remote=True,
            limit_w=self.station.profile_limit_w(profile),
        )
        return {"status": "Accepted"}

    async def remote_stop_transaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        for session in self._sessions():
            if session.transaction_id == payload["transactionId"] and session.stop_reason is None:
                session.request_stop("Remote")
                return {"status": "Accepted"}
        return {"status": "Rejected"}

    async def reset(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.station.spawn(self.station.reset(payload["type"]))
        return {"status": "Accepted"}

    async def unlock_connector(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Unlocked for a real connector (stopping its transaction first, OCPP 1.6 §5.18)."""
        connector = self.station.connectors.get(payload["connectorId"])
        if connector is None:
            return {"status": "NotSupported"}
        if connector.session is not None:
            connector.session.request_stop("UnlockCommand")
        return {"status": "Unlocked"}

    async def change_availability(self, payload: dict[str, Any]) -> dict[str, Any]:
        """OCPP 1.6 §5.2: Scheduled when a targeted connector is busy; connector 0 = all."""
        connector_id = payload["connectorId"]
        operative = payload["type"] == "Operative"
        if connector_id == 0:
            targets = list(self.station.connectors.values())
            self.station.set_station_operative(operative)
        elif connector_id in self.station.connectors:
            targets = [self.station.connectors[connector_id]]
        else:
            return {"status": "Rejected"}
        scheduled = False
        for connector in targets:
            if connector.session is not None and not operative:
                connector.unavailable_scheduled = True
                scheduled = True
                continue
            connector.operative = operative
            connector.unavailable_scheduled = False
            if connector.session is None:
                self.station.set_status(connector, connector.idle_status())
        return {"status": "Scheduled" if scheduled else "Accepted"}

    async def get_configuration(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.station.config.get_configuration(payload.get("key"))

    async def change_configuration(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Accepted / Rejected (readonly or bad value) / NotSupported (unknown key).

        HeartbeatInterval and MeterValueSampleInterval apply at once.
        """
        key = payload["key"]
        status = self.station.config.change(key, payload["value"])
        if status == "Accepted" and key == "HeartbeatInterval":
            self.station.heartbeat_changed()
        if status == "Accepted" and key == "MeterValueSampleInterval":
            self.station.sampling_changed()
        return {"status": status}

    async def trigger_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        message = payload["requestedMessage"]
        if message not in TRIGGERABLE:
            return {"status": "NotImplemented"}
        connector_id = payload.get("connectorId")
        if (
            connector_id is not None
            and connector_id != 0
            and connector_id not in self.station.connectors
        ):
            return {"status": "Rejected"}
        self.station.spawn(self.station.send_triggered(message, connector_id))
        return {"status": "Accepted"}

    async def clear_cache(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    async def data_transfer(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "UnknownVendorId"}
