"""Vehicle request and response models."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel, PatchModel, given, given_value
from ampyre.domain.stations import ConnectorStandard
from ampyre.domain.vehicles import BATTERY_MAX_KWH, PLATE_MAX, TEXT_MAX, Vehicle
from ampyre.services.vehicles import Autocharge, VehicleUpdate

_BATTERY = Field(
    default=None,
    gt=0,
    le=BATTERY_MAX_KWH,
    decimal_places=3,
    description="Usable battery capacity in kWh (up to 3 decimals).",
    examples=["77.4"],
)
_PLATE = Field(default=None, min_length=1, max_length=PLATE_MAX, examples=["KR 1234E"])


class AutochargeModel(ApiModel):
    mac: str = Field(
        min_length=12,
        max_length=21,
        description="The vehicle's MAC address (EVCCID) as stations report it for "
        "AutoCharge: 12 hex digits, with or without ':' or '-', or 'VID:' + 12 hex digits.",
        examples=["92:D5:0A:69:3F:80"],
    )
    contract_id: str = Field(
        min_length=1,
        max_length=40,
        description="eMAID of the customer's contract the vehicle's sessions are charged to.",
        examples=["PL-AMP-C00000001-1"],
    )

    def to_domain(self) -> Autocharge:
        return Autocharge(self.mac, self.contract_id)


class VehicleCreate(ApiModel):
    customer_id: str = Field(min_length=1, max_length=36)
    make: str = Field(min_length=1, max_length=TEXT_MAX, examples=["Hyundai"])
    model: str = Field(min_length=1, max_length=TEXT_MAX, examples=["Ioniq 5"])
    battery_kwh: Decimal | None = _BATTERY
    connector_standards: list[ConnectorStandard] = Field(
        default_factory=list, description="The plugs the vehicle takes (OCPI connector types)."
    )
    plate: str | None = _PLATE
    autocharge: AutochargeModel | None = Field(
        default=None, description="Issue the vehicle's autocharge token too."
    )


class VehiclePatch(PatchModel):
    """Only the fields sent change; null clears the battery capacity or the plate."""

    not_nullable = ("make", "model", "connector_standards")

    make: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX)
    model: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX)
    battery_kwh: Decimal | None = _BATTERY
    connector_standards: list[ConnectorStandard] | None = None
    plate: str | None = _PLATE

    def to_update(self) -> VehicleUpdate:
        standards = given_value(self, "connector_standards", self.connector_standards)
        return VehicleUpdate(
            make=given_value(self, "make", self.make),
            model=given_value(self, "model", self.model),
            battery_kwh=given(self, "battery_kwh", self.battery_kwh),
            connector_standards=standards
            if not isinstance(standards, list)
            else frozenset(standards),
            plate=given(self, "plate", self.plate),
        )


class VehicleOut(BaseModel):
    id: str
    customer_id: str
    make: str
    model: str
    battery_kwh: Decimal | None = Field(description="kWh, without trailing zeros.")
    connector_standards: list[ConnectorStandard] = Field(description="Sorted.")
    plate: str | None
    token_uid: str | None = Field(description="The autocharge token, if enabled.")

    @classmethod
    def from_domain(cls, vehicle: Vehicle) -> VehicleOut:
        return cls(
            id=vehicle.id,
            customer_id=vehicle.customer_id,
            make=vehicle.make,
            model=vehicle.model,
            battery_kwh=None if vehicle.battery_kwh is None else _plain(vehicle.battery_kwh),
            connector_standards=sorted(vehicle.connector_standards),
            plate=vehicle.plate,
            token_uid=vehicle.token_uid,
        )


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent ("77.400" → "77.4"), so
    both databases answer alike."""
    return Decimal(format(value.normalize(), "f"))
