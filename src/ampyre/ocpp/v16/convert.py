"""Conversions between OCPP 1.6 payload fields and domain values.

The payloads have already passed schema validation, so only what the schema cannot express is
checked here (e.g. a date-time that parses but has no time zone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ampyre.domain.metering import MeterSample, ReadingContext, SampledValue, ValueFormat
from ampyre.domain.stations import BootInfo
from ampyre.ocpp.rpc import ErrorKind, OcppError


def parse_time(value: str, field: str) -> datetime:
    """An OCPP date-time as an aware UTC datetime; a time without offset is taken as UTC
    (OCPP 1.6 §3.13 requires UTC; several station makes omit the "Z")."""
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise OcppError(
            ErrorKind.PROPERTY_CONSTRAINT_VIOLATION, f"{field}: {value!r} is not an ISO 8601 time"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """UTC ISO 8601 with millisecond precision and a "Z", as stations expect."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def boot_info(payload: dict[str, Any]) -> BootInfo:
    return BootInfo(
        vendor=payload["chargePointVendor"],
        model=payload["chargePointModel"],
        serial_number=payload.get("chargePointSerialNumber")
        or payload.get("chargeBoxSerialNumber"),
        firmware_version=payload.get("firmwareVersion"),
        iccid=payload.get("iccid"),
        imsi=payload.get("imsi"),
        meter_type=payload.get("meterType"),
        meter_serial_number=payload.get("meterSerialNumber"),
    )


def meter_samples(items: list[dict[str, Any]], field: str) -> tuple[MeterSample, ...]:
    """OCPP 1.6 MeterValue[] → samples, keeping each value's text and signed data as sent."""
    samples = []
    for index, item in enumerate(items):
        values = tuple(
            SampledValue(
                value=value["value"],
                measurand=value.get("measurand", "Energy.Active.Import.Register"),
                unit=value.get("unit"),
                phase=value.get("phase"),
                context=ReadingContext(value.get("context", "Sample.Periodic")),
                location=value.get("location"),
                format=ValueFormat(value.get("format", "Raw")),
                signed_data=value["value"] if value.get("format") == "SignedData" else None,
            )
            for value in item["sampledValue"]
        )
        samples.append(
            MeterSample(
                timestamp=parse_time(item["timestamp"], f"{field}[{index}].timestamp"),
                values=values,
            )
        )
    return tuple(samples)


def id_tag_info(
    status: str, expires_at: datetime | None, parent_id_tag: str | None
) -> dict[str, Any]:
    """OCPP 1.6 §7.15 IdTagInfo."""
    info: dict[str, Any] = {"status": status}
    if expires_at is not None:
        info["expiryDate"] = format_time(expires_at)
    if parent_id_tag is not None:
        info["parentIdTag"] = parent_id_tag
    return info
