"""Payload builders for the CALLs a simulated OCPP 1.6 charge point sends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ampyre.simulator.clock import utc_timestamp
from ampyre.simulator.meter import Reading

VENDOR = "Ampyre"
AC_MODEL = "SimCharger 22"
DC_MODEL = "SimCharger DC50"
FIRMWARE_VERSION = "1.4.2-sim"

AC_PHASES = ("L1", "L2", "L3")
AC_VOLTAGE_PHASES = ("L1-N", "L2-N", "L3-N")


def boot_notification(model: str, serial: str) -> dict[str, Any]:
    return {
        "chargePointVendor": VENDOR,
        "chargePointModel": model,
        "chargePointSerialNumber": serial[:25],
        "chargeBoxSerialNumber": serial[:25],
        "firmwareVersion": FIRMWARE_VERSION,
        "meterType": "SimMeter 3P",
        "meterSerialNumber": f"M{serial}"[:25],
    }


def status_notification(
    connector_id: int, status: str, error_code: str = "NoError"
) -> dict[str, Any]:
    return {
        "connectorId": connector_id,
        "errorCode": error_code,
        "status": status,
        "timestamp": utc_timestamp(),
    }


def sampled_values(
    reading: Reading, measurands: Iterable[str], context: str
) -> list[dict[str, Any]]:
    """SampledValue entries for `measurands` (OCPP 1.6 §7.43), in the order given.

    AC reports Current.Import and Voltage per phase (L1..L3, L1-N..L3-N); DC reports them once
    and adds SoC. Measurands the reading cannot provide are left out.
    """
    values: list[dict[str, Any]] = []
    dc = reading.soc_percent is not None or len(reading.currents_a) == 1
    for measurand in measurands:
        if measurand == "Energy.Active.Import.Register":
            values.append(_value(str(reading.energy_wh), measurand, "Wh", context))
        elif measurand == "Power.Active.Import":
            values.append(_value(f"{reading.power_w:.1f}", measurand, "W", context))
        elif measurand == "Current.Import" and dc:
            values.append(_value(f"{reading.currents_a[0]:.2f}", measurand, "A", context))
        elif measurand == "Current.Import":
            values.extend(
                _value(f"{current:.2f}", measurand, "A", context, phase=phase)
                for phase, current in zip(AC_PHASES, reading.currents_a, strict=True)
            )
        elif measurand == "Voltage" and dc:
            values.append(_value(f"{reading.voltage_v:.1f}", measurand, "V", context))
        elif measurand == "Voltage":
            values.extend(
                _value(f"{reading.voltage_v:.1f}", measurand, "V", context, phase=phase)
                for phase in AC_VOLTAGE_PHASES
            )
        elif measurand == "SoC" and reading.soc_percent is not None:
            values.append(
                _value(f"{reading.soc_percent:.0f}", measurand, "Percent", context, location="EV")
            )
    return values


def _value(
    value: str,
    measurand: str,
    unit: str,
    context: str,
    *,
    phase: str | None = None,
    location: str = "Outlet",
) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "value": value,
        "context": context,
        "format": "Raw",
        "measurand": measurand,
        "location": location,
        "unit": unit,
    }
    if phase is not None:
        sample["phase"] = phase
    return sample


def meter_values(
    connector_id: int,
    transaction_id: int | None,
    samples: list[dict[str, Any]],
    timestamp: str | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "connectorId": connector_id,
        "meterValue": [{"timestamp": timestamp or utc_timestamp(), "sampledValue": samples}],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


def start_transaction(connector_id: int, id_tag: str, meter_start: int) -> dict[str, Any]:
    return {
        "connectorId": connector_id,
        "idTag": id_tag,
        "meterStart": meter_start,
        "timestamp": utc_timestamp(),
    }


def stop_transaction(
    transaction_id: int,
    meter_stop: int,
    reason: str,
    id_tag: str | None,
    transaction_data: list[dict[str, Any]],
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "transactionId": transaction_id,
        "meterStop": meter_stop,
        "timestamp": utc_timestamp(),
        "reason": reason,
    }
    if id_tag is not None:
        payload["idTag"] = id_tag
    if transaction_data:
        payload["transactionData"] = transaction_data
    return payload
