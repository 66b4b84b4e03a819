"""Which side may send which action, per version.

Taken from the message lists of OCPP 1.6 §4-§5 plus the "Improved security for OCPP 1.6-J"
whitepaper (its messages ship in the `ocpp` package's 1.6 schemas), and OCPP 2.0.1 part 2
(messages from the Charging Station / from the CSMS). DataTransfer goes both ways. The union of
the two sets of a version equals the actions that have schema files (checked by the tests).
"""

from __future__ import annotations

from enum import Enum

from ampyre.ocpp.rpc.versions import OcppVersion


class Side(Enum):
    """Which end of the connection an RpcConnection plays."""

    CSMS = "csms"
    CHARGE_POINT = "charge_point"


_V16_FROM_CHARGE_POINT = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        # security extension
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
    }
)

_V16_FROM_CSMS = frozenset(
    {
        "CancelReservation",
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "ClearChargingProfile",
        "DataTransfer",
        "GetCompositeSchedule",
        "GetConfiguration",
        "GetDiagnostics",
        "GetLocalListVersion",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "TriggerMessage",
        "UnlockConnector",
        "UpdateFirmware",
        # security extension
        "CertificateSigned",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetInstalledCertificateIds",
        "GetLog",
        "InstallCertificate",
        "SignedUpdateFirmware",
    }
)

_V201_FROM_CHARGE_POINT = frozenset(
    {
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    }
)

_V201_FROM_CSMS = frozenset(
    {
        "CancelReservation",
        "CertificateSigned",
        "ChangeAvailability",
        "ClearCache",
        "ClearChargingProfile",
        "ClearDisplayMessage",
        "ClearVariableMonitoring",
        "CostUpdated",
        "CustomerInformation",
        "DataTransfer",
        "DeleteCertificate",
        "GetBaseReport",
        "GetChargingProfiles",
        "GetCompositeSchedule",
        "GetDisplayMessages",
        "GetInstalledCertificateIds",
        "GetLocalListVersion",
        "GetLog",
        "GetMonitoringReport",
        "GetReport",
        "GetTransactionStatus",
        "GetVariables",
        "InstallCertificate",
        "PublishFirmware",
        "RequestStartTransaction",
        "RequestStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "SetDisplayMessage",
        "SetMonitoringBase",
        "SetMonitoringLevel",
        "SetNetworkProfile",
        "SetVariableMonitoring",
        "SetVariables",
        "TriggerMessage",
        "UnlockConnector",
        "UnpublishFirmware",
        "UpdateFirmware",
    }
)

_FROM_CHARGE_POINT = {
    OcppVersion.V16: _V16_FROM_CHARGE_POINT,
    OcppVersion.V201: _V201_FROM_CHARGE_POINT,
}
_FROM_CSMS = {OcppVersion.V16: _V16_FROM_CSMS, OcppVersion.V201: _V201_FROM_CSMS}


def actions_from_charge_point(version: OcppVersion) -> frozenset[str]:
    """Actions a charge point (charging station) may send as CALL to the CSMS."""
    return _FROM_CHARGE_POINT[version]


def actions_from_csms(version: OcppVersion) -> frozenset[str]:
    """Actions the CSMS may send as CALL to a charge point."""
    return _FROM_CSMS[version]


def actions_sent_by(side: Side, version: OcppVersion) -> frozenset[str]:
    """Actions `side` may send as CALL."""
    if side is Side.CSMS:
        return _FROM_CSMS[version]
    return _FROM_CHARGE_POINT[version]


def actions_received_by(side: Side, version: OcppVersion) -> frozenset[str]:
    """Actions `side` may receive as CALL (what its peer may send)."""
    if side is Side.CSMS:
        return _FROM_CHARGE_POINT[version]
    return _FROM_CSMS[version]


def all_actions(version: OcppVersion) -> frozenset[str]:
    """Every action the version defines, in either direction."""
    return _FROM_CHARGE_POINT[version] | _FROM_CSMS[version]
