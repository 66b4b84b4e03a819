"""Connector request and response models."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel, PatchModel, UtcTime, given, given_value
from ampyre.domain.stations import (
    Connector,
    ConnectorFormat,
    ConnectorStandard,
    ConnectorStatus,
    PowerType,
)
from ampyre.services.connectors_admin import MAX_CONNECTOR_ID, ConnectorUpdate, NewConnector

_EVSE_ID = Field(
    default=None,
    max_length=48,
    description="eMI3 EVSE id shown to drivers.",
    examples=["PL*AMP*E0001*1"],
)
_MAX_POWER = Field(default=None, gt=0, description="Maximum power in W.", examples=[22000])


class ConnectorCreate(ApiModel):
    connector_id: int = Field(
        ge=1, le=MAX_CONNECTOR_ID, description="OCPP connector number, from 1."
    )
    standard: ConnectorStandard = ConnectorStandard.TYPE2
    format: ConnectorFormat = ConnectorFormat.SOCKET
    power_type: PowerType = PowerType.AC_3_PHASE
    max_power_w: int | None = _MAX_POWER
    evse_id: str | None = _EVSE_ID

    def to_domain(self, station_id: str) -> NewConnector:
        return NewConnector(
            station_id=station_id,
            connector_id=self.connector_id,
            standard=self.standard,
            format=self.format,
            power_type=self.power_type,
            max_power_w=self.max_power_w,
            evse_id=self.evse_id,
        )


class ConnectorPatch(PatchModel):
    """Only the fields sent are changed; `null` clears `max_power_w` or `evse_id`."""

    not_nullable = ("standard", "format", "power_type")

    standard: ConnectorStandard | None = None
    format: ConnectorFormat | None = None
    power_type: PowerType | None = None
    max_power_w: int | None = _MAX_POWER
    evse_id: str | None = _EVSE_ID

    def to_update(self) -> ConnectorUpdate:
        return ConnectorUpdate(
            standard=given_value(self, "standard", self.standard),
            format=given_value(self, "format", self.format),
            power_type=given_value(self, "power_type", self.power_type),
            max_power_w=given(self, "max_power_w", self.max_power_w),
            evse_id=given(self, "evse_id", self.evse_id),
        )


class ConnectorOut(BaseModel):
    connector_id: int
    standard: ConnectorStandard
    format: ConnectorFormat
    power_type: PowerType
    max_power_w: int | None
    evse_id: str | None
    status: ConnectorStatus = Field(description="Last status the station reported.")
    error_code: str = Field(examples=["NoError"])
    vendor_error_code: str | None
    info: str | None
    status_at: UtcTime | None = Field(description="When that status was reported.")

    @classmethod
    def from_domain(cls, connector: Connector) -> ConnectorOut:
        return cls(
            connector_id=connector.connector_id,
            standard=connector.standard,
            format=connector.format,
            power_type=connector.power_type,
            max_power_w=connector.max_power_w,
            evse_id=connector.evse_id,
            status=connector.status,
            error_code=connector.error_code,
            vendor_error_code=connector.vendor_error_code,
            info=connector.info,
            status_at=connector.status_at,
        )
