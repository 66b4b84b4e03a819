from decimal import Decimal
from typing import Any

import pytest

from ampyre.ocpp.rpc import (
    ErrorKind,
    OcppError,
    OcppVersion,
    SchemaRegistry,
    actions_from_charge_point,
    actions_from_csms,
    all_actions,
    registry_for,
)

V16 = OcppVersion.V16
V201 = OcppVersion.V201


def violation(version: OcppVersion, action: str, payload: dict[str, Any]) -> OcppError:
    with pytest.raises(OcppError) as raised:
        registry_for(version).validate_request(action, payload)
    return raised.value


@pytest.mark.parametrize("version", list(OcppVersion))
def test_direction_tables_cover_exactly_the_actions_with_schemas(version: OcppVersion) -> None:
    registry = SchemaRegistry(version)
    assert registry.actions == all_actions(version)
    assert actions_from_charge_point(version) & actions_from_csms(version) == {"DataTransfer"}


def test_1_6_includes_the_security_extension_messages() -> None:
    assert {"SecurityEventNotification", "SignCertificate", "LogStatusNotification"} <= (
        actions_from_charge_point(V16)
    )
    assert {"CertificateSigned", "ExtendedTriggerMessage", "SignedUpdateFirmware"} <= (
        actions_from_csms(V16)
    )
    assert "BootNotification" in actions_from_charge_point(V201)
    assert "RequestStartTransaction" in actions_from_csms(V201)
    assert "RemoteStartTransaction" not in all_actions(V201)


@pytest.mark.parametrize("version", list(OcppVersion))
def test_every_schema_compiles(version: OcppVersion) -> None:
    registry = SchemaRegistry(version)
    registry.warm()
    assert registry.request_validator("Heartbeat") is registry.request_validator("Heartbeat")


def test_validators_are_compiled_once_and_shared() -> None:
    assert registry_for(V16) is registry_for(V16)
    registry = SchemaRegistry(V16)
    first = registry.response_validator("BootNotification")
    registry.validate_response(
        "BootNotification",
        {"status": "Accepted", "currentTime": "2026-11-21T10:00:00Z", "interval": 300},
    )
    assert registry.response_validator("BootNotification") is first


def test_realistic_messages_pass(
    boot_16: dict[str, Any],
    meter_values_16: dict[str, Any],
    boot_201: dict[str, Any],
    meter_values_201: dict[str, Any],
) -> None:
    registry_for(V16).validate_request("BootNotification", boot_16)
    registry_for(V16).validate_request("MeterValues", meter_values_16)
    registry_for(V201).validate_request("BootNotification", boot_201)
    registry_for(V201).validate_request("MeterValues", meter_values_201)


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-11-21T10:00:00Z",
        "2026-11-21T10:00:00.123Z",
        "2026-11-21T10:00:00.123456Z",
        "2026-11-21T11:00:00+01:00",
        "2026-11-21T05:00:00-05:00",
        "2026-11-21T10:00:00.5+00:00",
    ],
)
def test_rfc_3339_timestamps_pass(timestamp: str) -> None:
    registry_for(V16).validate_request(
        "StatusNotification",
        {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": timestamp},
    )


@pytest.mark.parametrize(
    "timestamp", ["2026-11-21T10:00:00", "2026-11-21 10:00:00Z", "21.11.2026 10:00", ""]
)
def test_timestamps_without_offset_or_not_iso_are_property_violations(timestamp: str) -> None:
    error = violation(
        V16,
        "StatusNotification",
        {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": timestamp},
    )
    assert error.kind is ErrorKind.PROPERTY_CONSTRAINT_VIOLATION
    assert error.description == "timestamp: not a valid date-time"


def test_one_decimal_charging_limits_pass_the_multiple_of_check() -> None:
    payload: dict[str, Any] = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 21.4},
                    {"startPeriod": 60, "limit": 6.9},
                    {"startPeriod": 120, "limit": Decimal("32.2")},
                ],
                "minChargingRate": 0.3,
            },
        },
    }
    registry_for(V16).validate_request("SetChargingProfile", payload)
    payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = 7.15
    error = violation(V16, "SetChargingProfile", payload)
    assert error.kind is ErrorKind.PROPERTY_CONSTRAINT_VIOLATION
    assert "limit: not a multiple of 0.1" in error.description


def test_missing_required_field_is_an_occurrence_violation(boot_16: dict[str, Any]) -> None:
    del boot_16["chargePointModel"]
    error = violation(V16, "BootNotification", boot_16)
    assert error.kind is ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION
    assert error.description == "chargePointModel: required but missing"


def test_nested_paths_are_named(meter_values_16: dict[str, Any]) -> None:
    del meter_values_16["meterValue"][0]["sampledValue"][3]["value"]
    error = violation(V16, "MeterValues", meter_values_16)
    assert error.kind is ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION
    assert error.description == "meterValue[0].sampledValue[3].value: required but missing"


def test_unexpected_property_and_empty_arrays_are_occurrence_violations(
    meter_values_16: dict[str, Any],
) -> None:
    meter_values_16["meterValue"][0]["sampledValue"][0]["unitOfMeasure"] = "Wh"
    error = violation(V16, "MeterValues", meter_values_16)
    assert error.kind is ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION
    assert "unexpected property 'unitOfMeasure'" in error.description
    error = violation(V16, "MeterValues", {"connectorId": 1, "meterValue": []})
    assert error.kind is ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION
    assert error.description == "meterValue: fewer than 1 items"


def test_wrong_json_type_is_a_type_violation(meter_values_16: dict[str, Any]) -> None:
    meter_values_16["connectorId"] = "1"
    error = violation(V16, "MeterValues", meter_values_16)
    assert error.kind is ErrorKind.TYPE_CONSTRAINT_VIOLATION
    assert error.description == "connectorId: expected integer"


def test_bad_enum_and_too_long_strings_are_property_violations(
    meter_values_16: dict[str, Any], boot_201: dict[str, Any]
) -> None:
    meter_values_16["meterValue"][0]["sampledValue"][1]["unit"] = "Joule"
    error = violation(V16, "MeterValues", meter_values_16)
    assert error.kind is ErrorKind.PROPERTY_CONSTRAINT_VIOLATION
    assert error.description == "meterValue[0].sampledValue[1].unit: not one of the allowed values"
    boot_201["chargingStation"]["vendorName"] = "V" * 51
    error = violation(V201, "BootNotification", boot_201)
    assert error.kind is ErrorKind.PROPERTY_CONSTRAINT_VIOLATION
    assert error.description == "chargingStation.vendorName: longer than 50 characters"


def test_descriptions_stay_short_whatever_the_peer_sends() -> None:
    error = violation(V16, "Heartbeat", {"k" * 10_000: 1})
    assert error.kind is ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION
    assert len(error.description) < 120


def test_unknown_action_is_not_implemented() -> None:
    error = violation(V16, "TransactionEvent", {})
    assert error.kind is ErrorKind.NOT_IMPLEMENTED


def test_non_json_python_values_are_refused_locally() -> None:
    error = violation(V16, "DataTransfer", {"vendorId": "x", "data": b"bytes"})
    assert error.kind is ErrorKind.TYPE_CONSTRAINT_VIOLATION


def test_responses_are_validated_with_the_response_schema() -> None:
    registry_for(V16).validate_response(
        "StartTransaction",
        {
            "transactionId": 17,
            "idTagInfo": {"status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z"},
        },
    )
    with pytest.raises(OcppError) as raised:
        registry_for(V16).validate_response("StartTransaction", {"transactionId": 17})
    assert raised.value.kind is ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION
