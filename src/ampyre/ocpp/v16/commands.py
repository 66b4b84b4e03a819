"""Payloads of the commands Ampyre sends to OCPP 1.6 stations (OCPP 1.6 §5).

Each function returns ``(action, payload)``; the gateway sends it and hands the answer back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Command = tuple[str, dict[str, Any]]


def remote_start(id_tag: str, connector_id: int | None) -> Command:
    payload: dict[str, Any] = {"idTag": id_tag}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    return "RemoteStartTransaction", payload


def remote_stop(transaction_id: int) -> Command:
    return "RemoteStopTransaction", {"transactionId": transaction_id}


def reset(*, hard: bool) -> Command:
    return "Reset", {"type": "Hard" if hard else "Soft"}


def unlock_connector(connector_id: int) -> Command:
    return "UnlockConnector", {"connectorId": connector_id}


def change_availability(connector_id: int, *, operative: bool) -> Command:
    return "ChangeAvailability", {
        "connectorId": connector_id,
        "type": "Operative" if operative else "Inoperative",
    }


def get_configuration(keys: Sequence[str]) -> Command:
    return "GetConfiguration", ({"key": list(keys)} if keys else {})


def change_configuration(key: str, value: str) -> Command:
    return "ChangeConfiguration", {"key": key, "value": value}


def trigger_message(message: str, connector_id: int | None) -> Command:
    payload: dict[str, Any] = {"requestedMessage": message}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    return "TriggerMessage", payload


def clear_cache() -> Command:
    return "ClearCache", {}


def data_transfer(vendor_id: str, message_id: str | None, data: str | None) -> Command:
    payload: dict[str, Any] = {"vendorId": vendor_id}
    if message_id is not None:
        payload["messageId"] = message_id
    if data is not None:
        payload["data"] = data
    return "DataTransfer", payload
