"""Configuration key store of a simulated OCPP 1.6 charge point (OCPP 1.6 §9.1 core keys)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

MAX_VALUE_LENGTH = 500
GET_CONFIGURATION_MAX_KEYS = 50

SAMPLEABLE_MEASURANDS = frozenset(
    {
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Voltage",
        "SoC",
        "Power.Offered",
        "Current.Offered",
    }
)


class ValueType(Enum):
    INTEGER = "integer"
    BOOLEAN = "boolean"
    MEASURANDS = "measurands"
    TEXT = "text"


@dataclass
class ConfigurationKey:
    value: str
    readonly: bool
    value_type: ValueType


class ConfigurationStore:
    """Keys, values and readonly flags answered to GetConfiguration / set by ChangeConfiguration.

    Values are kept as the strings of the wire format; typed getters parse them.
    """

    def __init__(
        self,
        *,
        connectors: int,
        heartbeat_interval: int,
        meter_interval: int,
        measurands: Iterable[str],
    ) -> None:
        integer, boolean, csl, text = (
            ValueType.INTEGER,
            ValueType.BOOLEAN,
            ValueType.MEASURANDS,
            ValueType.TEXT,
        )
        phase_rotation = ",".join(f"{n}.RST" for n in range(connectors + 1))
        entries: list[tuple[str, str, bool, ValueType]] = [
            ("AllowOfflineTxForUnknownId", "false", False, boolean),
            ("AuthorizationCacheEnabled", "true", False, boolean),
            ("AuthorizeRemoteTxRequests", "false", False, boolean),
            ("ClockAlignedDataInterval", "0", False, integer),
            ("ConnectionTimeOut", "60", False, integer),
            ("ConnectorPhaseRotation", phase_rotation, False, text),
            ("GetConfigurationMaxKeys", str(GET_CONFIGURATION_MAX_KEYS), True, integer),
            ("HeartbeatInterval", str(heartbeat_interval), False, integer),
            ("LocalAuthorizeOffline", "true", False, boolean),
            ("LocalPreAuthorize", "false", False, boolean),
            ("MeterValuesAlignedData", "Energy.Active.Import.Register", False, csl),
            ("MeterValuesSampledData", ",".join(measurands), False, csl),
            ("MeterValuesSampledDataMaxLength", "6", True, integer),
            ("MeterValueSampleInterval", str(meter_interval), False, integer),
            ("NumberOfConnectors", str(connectors), True, integer),
            ("ResetRetries", "3", False, integer),
            ("StopTransactionOnEVSideDisconnect", "true", False, boolean),
            ("StopTransactionOnInvalidId", "true", False, boolean),
            ("StopTxnAlignedData", "", False, csl),
            ("StopTxnSampledData", "Energy.Active.Import.Register", False, csl),
            ("SupportedFeatureProfiles", "Core,RemoteTrigger", True, text),
            ("TransactionMessageAttempts", "3", False, integer),
            ("TransactionMessageRetryInterval", "60", False, integer),
            ("UnlockConnectorOnEVSideDisconnect", "true", False, boolean),
            ("WebSocketPingInterval", "60", False, integer),
        ]
        self._keys = {
            name: ConfigurationKey(value, readonly, value_type)
            for name, value, readonly, value_type in entries
        }

    def get_configuration(self, keys: Iterable[str] | None) -> dict[str, Any]:
        """GetConfiguration.conf payload: all keys when `keys` is empty or None."""
        requested = list(keys or [])
        names = requested or list(self._keys)
        known = [
            {"key": name, "readonly": self._keys[name].readonly, "value": self._keys[name].value}
            for name in names
            if name in self._keys
        ]
        unknown = [name for name in requested if name not in self._keys]
        result: dict[str, Any] = {"configurationKey": known}
        if unknown:
            result["unknownKey"] = unknown
        return result

    def change(self, key: str, value: str) -> str:
        """Apply ChangeConfiguration; returns its status (Accepted, Rejected or NotSupported)."""
        entry = self._keys.get(key)
        if entry is None:
            return "NotSupported"
        if entry.readonly or not self._is_valid(entry.value_type, value):
            return "Rejected"
        entry.value = value.lower() if entry.value_type is ValueType.BOOLEAN else value
        return "Accepted"

    def _is_valid(self, value_type: ValueType, value: str) -> bool:
        if len(value) > MAX_VALUE_LENGTH:
            return False
        if value_type is ValueType.INTEGER:
            return value.isascii() and value.isdigit()
        if value_type is ValueType.BOOLEAN:
            return value.lower() in {"true", "false"}
        if value_type is ValueType.MEASURANDS:
            items = _split_list(value)
            max_items = self.integer("MeterValuesSampledDataMaxLength")
            return len(items) <= max_items and all(i in SAMPLEABLE_MEASURANDS for i in items)
        return True

    def value(self, key: str) -> str:
        return self._keys[key].value

    def integer(self, key: str) -> int:
        return int(self._keys[key].value)

    def boolean(self, key: str) -> bool:
        return self._keys[key].value == "true"

    def measurands(self, key: str) -> tuple[str, ...]:
        return tuple(_split_list(self._keys[key].value))


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
