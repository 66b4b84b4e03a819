"""Bodies of station commands and the station's answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel
from ampyre.domain.charging_limits import ChargingLimit
from ampyre.services.commands import TRIGGERABLE_MESSAGES
from ampyre.services.ports import CommandResult


class RemoteStartBody(ApiModel):
    id_tag: str = Field(
        min_length=1,
        max_length=20,
        examples=["04A2B3C4D5E6F7"],
        description="The tag the session runs under: the operator's own or a customer's.",
    )
    connector_id: int | None = Field(
        default=None, ge=1, description="Leave out to let the station choose."
    )
    limit_kwh: Decimal | None = Field(
        default=None,
        gt=0,
        le=1000,
        decimal_places=3,
        description="Stop the session once this much energy was delivered (kWh, up to 3 "
        "decimals). Enforced by Ampyre from the meter values.",
        examples=["20.5"],
    )
    limit_minutes: int | None = Field(
        default=None,
        ge=1,
        le=10_080,
        description="Stop the session this many minutes after it started.",
        examples=[45],
    )

    def charging_limit(self) -> ChargingLimit | None:
        if self.limit_kwh is None and self.limit_minutes is None:
            return None
        return ChargingLimit(
            energy_wh=None if self.limit_kwh is None else int(self.limit_kwh * 1000),
            duration_s=None if self.limit_minutes is None else self.limit_minutes * 60,
        )


class ResetBody(ApiModel):
    type: Literal["Soft", "Hard"] = Field(description="OCPP 1.6 §5.14 ResetType.")


class UnlockBody(ApiModel):
    connector_id: int = Field(ge=1)


class AvailabilityBody(ApiModel):
    connector_id: int = Field(ge=0, description="0 changes the whole station.")
    type: Literal["Operative", "Inoperative"] = Field(description="OCPP 1.6 §5.2 AvailabilityType.")


class ConfigurationChangeBody(ApiModel):
    key: str = Field(min_length=1, max_length=50, examples=["HeartbeatInterval"])
    value: str = Field(max_length=500, examples=["300"])


class TriggerBody(ApiModel):
    message: str = Field(
        description="OCPP 1.6 §7.37 MessageTrigger: " + ", ".join(TRIGGERABLE_MESSAGES) + ".",
        examples=["StatusNotification"],
    )
    connector_id: int | None = Field(default=None, ge=1)


class DataTransferBody(ApiModel):
    vendor_id: str = Field(min_length=1, max_length=255, examples=["com.example"])
    message_id: str | None = Field(default=None, max_length=50)
    data: str | None = None


class CommandResultOut(BaseModel):
    status: str | None = Field(
        description="The `status` field of the station's answer, when it has one.",
        examples=["Accepted"],
    )
    response: dict[str, Any] = Field(
        description="The station's whole answer payload, as received.",
        examples=[{"status": "Accepted"}],
    )

    @classmethod
    def from_result(cls, result: CommandResult) -> CommandResultOut:
        return cls(status=result.status, response=result.payload)
