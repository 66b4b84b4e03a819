"""OCPP message log response model."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import UtcTime
from ampyre.services.records import LoggedFrame


class LoggedFrameOut(BaseModel):
    """One exchange: the CALL and its answer, verbatim."""

    station_id: str
    direction: str = Field(description="`in`: the station called; `out`: Ampyre called.")
    message_id: str | None
    action: str | None = Field(examples=["BootNotification"])
    request: str | None = Field(description="The CALL frame as sent on the wire.")
    response: str | None = Field(description="The CALLRESULT or CALLERROR frame.")
    requested_at: UtcTime
    answered_at: UtcTime | None
    error_code: str | None = Field(description="OCPP error code of a CALLERROR.")

    @classmethod
    def from_domain(cls, frame: LoggedFrame) -> LoggedFrameOut:
        return cls(
            station_id=frame.station_id,
            direction=frame.direction,
            message_id=frame.message_id,
            action=frame.action,
            request=frame.request,
            response=frame.response,
            requested_at=frame.requested_at,
            answered_at=frame.answered_at,
            error_code=frame.error_code,
        )
