"""Charging stations, their connectors and the live status of each connector.

OCPP 1.6 §4.9 (StatusNotification): connector 0 stands for the whole station; connectors are
numbered from 1. The status enums below use the 1.6 spellings, which are also Ampyre's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ampyre.domain.errors import ValidationFailed

STATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:*+\-|@]{1,48}$")
"""OCPP 1.6 identity: CiString of at most 48 printable characters safe in a URL path segment."""


class RegistrationStatus(StrEnum):
    """OCPP 1.6 §7.7 RegistrationStatus, also the operator's approval state of a station."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class ConnectorStandard(StrEnum):
    """Plug standards, named as in OCPI 2.2.1 ConnectorType (subset seen in Europe)."""

    TYPE2 = "IEC_62196_T2"
    TYPE2_COMBO = "IEC_62196_T2_COMBO"
    CHADEMO = "CHADEMO"
    TYPE1 = "IEC_62196_T1"
    TYPE1_COMBO = "IEC_62196_T1_COMBO"
    DOMESTIC_F = "DOMESTIC_F"
    TESLA = "TESLA_S"


class ConnectorFormat(StrEnum):
    SOCKET = "SOCKET"
    CABLE = "CABLE"


class PowerType(StrEnum):
    AC_1_PHASE = "AC_1_PHASE"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class ConnectorStatus(StrEnum):
    """OCPP 1.6 §7.7 ChargePointStatus."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


OCCUPIED_STATUSES = frozenset(
    {
        ConnectorStatus.PREPARING,
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.SUSPENDED_EVSE,
        ConnectorStatus.FINISHING,
    }
)


@dataclass(slots=True)
class BootInfo:
    """What a station said about itself in its last BootNotification (OCPP 1.6 §4.2)."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


@dataclass(slots=True)
class Station:
    """A charge point as the operator registered it and as it last described itself.

    ``password_hash`` is the output of :func:`ampyre.domain.station_secrets.hash_password`;
    the plain password is never stored.
    """

    id: str
    registration_status: RegistrationStatus = RegistrationStatus.ACCEPTED
    location_id: str | None = None
    name: str | None = None
    password_hash: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    ocpp_version: str | None = None
    max_power_w: int | None = None
    groups: tuple[str, ...] = ()
    last_boot_at: datetime | None = None
    last_seen_at: datetime | None = None
    connected: bool = False
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        validate_station_id(self.id)
        if self.max_power_w is not None and self.max_power_w <= 0:
            raise ValidationFailed("max power must be a positive number of watts")

    def apply_boot(self, boot: BootInfo, at: datetime) -> None:
        """Keep the identity a station reported at boot (vendor, model, serial, firmware)."""
        self.vendor = boot.vendor
        self.model = boot.model
        self.serial_number = boot.serial_number
        self.firmware_version = boot.firmware_version
        self.last_boot_at = at


def validate_station_id(station_id: str) -> str:
    """Raise ``ValidationFailed`` unless ``station_id`` is a usable OCPP identity."""
    if not STATION_ID_PATTERN.match(station_id):
        raise ValidationFailed(
            f"station id {station_id!r} must be 1-48 characters of letters, digits and ._:*+-|@"
        )
    return station_id


@dataclass(slots=True)
class Connector:
    """One plug of a station; ``evse_id`` is the eMI3 EVSE id shown to drivers (optional).

    ``connector_id`` 0 is never stored as a connector: it is the station itself.
    """

    station_id: str
    connector_id: int
    standard: ConnectorStandard = ConnectorStandard.TYPE2
    format: ConnectorFormat = ConnectorFormat.SOCKET
    power_type: PowerType = PowerType.AC_3_PHASE
    max_power_w: int | None = None
    evse_id: str | None = None
    status: ConnectorStatus = ConnectorStatus.UNAVAILABLE
    error_code: str = "NoError"
    vendor_error_code: str | None = None
    info: str | None = None
    status_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.connector_id < 1:
            raise ValidationFailed("connector ids start at 1 (0 is the whole station)")
        if self.max_power_w is not None and self.max_power_w <= 0:
            raise ValidationFailed("max power must be a positive number of watts")


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A StatusNotification as received (OCPP 1.6 §4.9), with both clocks recorded.

    ``station_time`` is the station's own timestamp (may drift or be absent);
    ``received_at`` is when Ampyre received the frame.
    """

    station_id: str
    connector_id: int
    status: ConnectorStatus
    error_code: str
    received_at: datetime
    station_time: datetime | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None


@dataclass(slots=True)
class StationStatus:
    """Whole-station (connector 0) status plus the connectors, as shown to operators."""

    station: Station
    connectors: list[Connector] = field(default_factory=list)
