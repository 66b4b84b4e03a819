"""Station request and response models (the password hash is never part of any)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel, PatchModel, UtcTime, given, given_value
from ampyre.api.schemas.connectors import ConnectorOut
from ampyre.api.schemas.transactions import TransactionOut
from ampyre.domain.station_secrets import MAX_LENGTH, MIN_LENGTH
from ampyre.domain.stations import RegistrationStatus, Station
from ampyre.services.records import ConnectionEvent, StatusChange
from ampyre.services.station_import import ImportReport
from ampyre.services.stations_admin import (
    GROUP_MAX_LENGTH,
    MAX_GROUPS,
    NAME_MAX_LENGTH,
    NewStation,
    StationDetail,
    StationUpdate,
)

Groups = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=GROUP_MAX_LENGTH)]],
    Field(max_length=MAX_GROUPS, description="Free-text labels.", examples=[["depot-north"]]),
]
_PASSWORD_DESCRIPTION = (
    f"HTTP Basic password of the station (OCPP security profile 1), {MIN_LENGTH}-{MAX_LENGTH} "
    "printable ASCII characters. Leave it out to have one generated."
)
_NAME = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH, examples=["Gate 1"])
_LOCATION = Field(default=None, examples=["krk-depot-1"])
_MAX_POWER = Field(default=None, gt=0, description="Maximum power in W.", examples=[22000])


class StationCreate(ApiModel):
    id: str = Field(
        pattern=r"^[A-Za-z0-9._:*+\-|@]{1,48}$",
        description="The OCPP identity, as in the station's URL (`/ocpp/{id}`).",
        examples=["CP-KRK-0001"],
    )
    password: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description=_PASSWORD_DESCRIPTION,
    )
    location_id: str | None = _LOCATION
    name: str | None = _NAME
    max_power_w: int | None = _MAX_POWER
    groups: Groups = Field(default_factory=list)
    registration_status: RegistrationStatus = Field(
        default=RegistrationStatus.ACCEPTED,
        description="Pending stations get BootNotification Pending until approved.",
    )

    def to_domain(self) -> NewStation:
        return NewStation(
            id=self.id,
            password=self.password,
            location_id=self.location_id,
            name=self.name,
            max_power_w=self.max_power_w,
            groups=tuple(self.groups),
            registration_status=self.registration_status,
        )


class StationPatch(PatchModel):
    """Only the fields sent are changed; `null` clears `name`, `location_id`, `max_power_w`."""

    not_nullable = ("groups",)

    name: str | None = _NAME
    location_id: str | None = _LOCATION
    max_power_w: int | None = _MAX_POWER
    groups: Groups | None = None

    def to_update(self) -> StationUpdate:
        return StationUpdate(
            name=given(self, "name", self.name),
            location_id=given(self, "location_id", self.location_id),
            max_power_w=given(self, "max_power_w", self.max_power_w),
            groups=given_value(self, "groups", None if self.groups is None else tuple(self.groups)),
        )


class PasswordChange(ApiModel):
    password: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description=_PASSWORD_DESCRIPTION,
    )


class GeneratedPassword(BaseModel):
    generated_password: str | None = Field(
        description="The generated password, shown this once; null when you chose one."
    )


class StationOut(BaseModel):
    id: str
    registration_status: RegistrationStatus
    location_id: str | None
    name: str | None
    has_password: bool = Field(description="Whether the station must authenticate.")
    vendor: str | None = Field(description="From the station's last BootNotification.")
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    ocpp_version: str | None = Field(examples=["1.6"])
    max_power_w: int | None
    groups: list[str]
    connected: bool
    last_boot_at: UtcTime | None
    last_seen_at: UtcTime | None
    created_at: UtcTime | None

    @classmethod
    def from_domain(cls, station: Station) -> StationOut:
        return cls.model_validate(_station_fields(station))


def _station_fields(s: Station) -> dict[str, object]:
    return {
        "id": s.id,
        "registration_status": s.registration_status,
        "location_id": s.location_id,
        "name": s.name,
        "has_password": s.password_hash is not None,
        "vendor": s.vendor,
        "model": s.model,
        "serial_number": s.serial_number,
        "firmware_version": s.firmware_version,
        "ocpp_version": s.ocpp_version,
        "max_power_w": s.max_power_w,
        "groups": list(s.groups),
        "connected": s.connected,
        "last_boot_at": s.last_boot_at,
        "last_seen_at": s.last_seen_at,
        "created_at": s.created_at,
    }


class StationCreated(BaseModel):
    station: StationOut
    generated_password: str | None = Field(
        description="The generated password, shown this once; null when you sent one."
    )


class StatusChangeOut(BaseModel):
    connector_id: int = Field(description="0 is the station as a whole.")
    status: str = Field(examples=["Available"])
    error_code: str = Field(examples=["NoError"])
    info: str | None
    vendor_error_code: str | None
    station_time: UtcTime | None = Field(description="The station's timestamp, if it sent one.")
    received_at: UtcTime

    @classmethod
    def from_domain(cls, change: StatusChange) -> StatusChangeOut:
        return cls(
            connector_id=change.connector_id,
            status=change.status,
            error_code=change.error_code,
            info=change.info,
            vendor_error_code=change.vendor_error_code,
            station_time=change.station_time,
            received_at=change.received_at,
        )


class StationDetailOut(StationOut):
    connectors: list[ConnectorOut]
    station_status: StatusChangeOut | None = Field(
        description="Newest status of the station as a whole (connector 0)."
    )
    active_transactions: list[TransactionOut]

    @classmethod
    def from_detail(cls, detail: StationDetail) -> StationDetailOut:
        fields = _station_fields(detail.station)
        fields["connectors"] = [ConnectorOut.from_domain(c) for c in detail.connectors]
        fields["station_status"] = (
            None
            if detail.station_status is None
            else StatusChangeOut.from_domain(detail.station_status)
        )
        fields["active_transactions"] = [
            TransactionOut.from_domain(t) for t in detail.active_transactions
        ]
        return cls.model_validate(fields)


class ConnectionEventOut(BaseModel):
    event: str = Field(description="`connected` or `disconnected`.")
    at: UtcTime
    detail: str | None = Field(description="OCPP version on connect, reason on disconnect.")

    @classmethod
    def from_domain(cls, event: ConnectionEvent) -> ConnectionEventOut:
        return cls(event=event.event, at=event.at, detail=event.detail)


class RowErrorOut(BaseModel):
    line: int = Field(description="Line in the CSV file, from 1 (the header is line 1).")
    station_id: str
    message: str


class ImportReportOut(BaseModel):
    rows: int = Field(description="Data rows in the file.")
    imported: int = Field(description="Stations registered.")
    errors: list[RowErrorOut] = Field(
        description="Rows skipped because they are invalid (only with `skip_invalid=true`)."
    )

    @classmethod
    def from_report(cls, report: ImportReport) -> ImportReportOut:
        return cls(
            rows=report.rows,
            imported=report.imported,
            errors=[
                RowErrorOut(line=e.line, station_id=e.station_id, message=e.message)
                for e in report.errors
            ],
        )
