"""Bodies of station commands and the station's answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel
from ampyre.services.commands import TRIGGERABLE_MESSAGES
from ampyre.services.ports import CommandResult


class RemoteStartBody(ApiModel):
    id_tag: str = Field(min_length=1, max_length=20, examples=["04A2B3C4D5E6F7"])
    connector_id: int | None = Field(
        default=None, ge=1, description="Leave out to let the station choose."
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
