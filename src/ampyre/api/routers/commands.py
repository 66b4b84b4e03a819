"""Commands to connected stations; each answer carries the station's own reply.

A station that is not connected gives 409 ``station_not_connected``; one that does not answer
in time 504 ``station_timeout``; one that answers with an OCPP CALLERROR 502 ``station_error``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.commands import (
    AvailabilityBody,
    CommandResultOut,
    ConfigurationChangeBody,
    DataTransferBody,
    RemoteStartBody,
    ResetBody,
    TriggerBody,
    UnlockBody,
)
from ampyre.api.schemas.common import error_responses
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P

router = APIRouter(tags=["commands"], responses=error_responses(404, 409, 502, 504))

StationId = Annotated[str, Path(description="The station's OCPP identity.")]
Commander = Annotated[Actor, acting(P.STATIONS_COMMAND)]
_STATION = "/stations/{station_id}/commands"


@router.post(f"{_STATION}/remote-start", summary="Start a session (RemoteStartTransaction)")
async def remote_start(
    station_id: StationId, body: RemoteStartBody, services: Services, actor: Commander
) -> CommandResultOut:
    result = await services.commands.do_remote_start(
        actor,
        station_id,
        id_tag=body.id_tag,
        connector_id=body.connector_id,
        limit=body.charging_limit(),
    )
    return CommandResultOut.from_result(result)


@router.post(
    "/transactions/{transaction_id}/stop",
    summary="Stop a running session (RemoteStopTransaction)",
)
async def remote_stop(
    transaction_id: Annotated[int, Path(description="The OCPP transactionId.")],
    services: Services,
    actor: Commander,
) -> CommandResultOut:
    return CommandResultOut.from_result(
        await services.commands.do_remote_stop(actor, transaction_id)
    )


@router.post(f"{_STATION}/reset", summary="Reboot the station (Reset)")
async def reset(
    station_id: StationId,
    body: ResetBody,
    services: Services,
    actor: Annotated[Actor, acting(P.STATIONS_RESET)],
) -> CommandResultOut:
    result = await services.commands.do_reset(actor, station_id, hard=body.type == "Hard")
    return CommandResultOut.from_result(result)


@router.post(f"{_STATION}/unlock", summary="Unlock a connector (UnlockConnector)")
async def unlock(
    station_id: StationId, body: UnlockBody, services: Services, actor: Commander
) -> CommandResultOut:
    result = await services.commands.do_unlock_connector(actor, station_id, body.connector_id)
    return CommandResultOut.from_result(result)


@router.post(
    f"{_STATION}/availability",
    summary="Make a connector or the station (in)operative (ChangeAvailability)",
)
async def availability(
    station_id: StationId, body: AvailabilityBody, services: Services, actor: Commander
) -> CommandResultOut:
    result = await services.commands.do_change_availability(
        actor, station_id, connector_id=body.connector_id, operative=body.type == "Operative"
    )
    return CommandResultOut.from_result(result)


@router.get(f"{_STATION}/configuration", summary="Read configuration (GetConfiguration)")
async def get_configuration(
    station_id: StationId,
    services: Services,
    actor: Commander,
    key: Annotated[
        list[str], Query(description="Keys to read (repeat the parameter); none: all keys.")
    ] = [],  # noqa: B006 - FastAPI copies query defaults per request
) -> CommandResultOut:
    result = await services.commands.get_configuration(actor, station_id, key)
    return CommandResultOut.from_result(result)


@router.put(
    f"{_STATION}/configuration", summary="Change one configuration key (ChangeConfiguration)"
)
async def change_configuration(
    station_id: StationId, body: ConfigurationChangeBody, services: Services, actor: Commander
) -> CommandResultOut:
    result = await services.commands.do_change_configuration(
        actor, station_id, key=body.key, value=body.value
    )
    return CommandResultOut.from_result(result)


@router.post(f"{_STATION}/trigger", summary="Ask the station to send a message (TriggerMessage)")
async def trigger(
    station_id: StationId, body: TriggerBody, services: Services, actor: Commander
) -> CommandResultOut:
    result = await services.commands.do_trigger_message(
        actor, station_id, message=body.message, connector_id=body.connector_id
    )
    return CommandResultOut.from_result(result)


@router.post(f"{_STATION}/clear-cache", summary="Clear the authorisation cache (ClearCache)")
async def clear_cache(
    station_id: StationId, services: Services, actor: Commander
) -> CommandResultOut:
    return CommandResultOut.from_result(await services.commands.do_clear_cache(actor, station_id))


@router.post(f"{_STATION}/data-transfer", summary="Vendor-specific message (DataTransfer)")
async def data_transfer(
    station_id: StationId, body: DataTransferBody, services: Services, actor: Commander
) -> CommandResultOut:
    result = await services.commands.do_data_transfer(
        actor, station_id, vendor_id=body.vendor_id, message_id=body.message_id, data=body.data
    )
    return CommandResultOut.from_result(result)
