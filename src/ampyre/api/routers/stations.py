"""/stations: registration, approval, passwords, details and histories of stations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.stations import (
    ConnectionEventOut,
    GeneratedPassword,
    PasswordChange,
    StationCreate,
    StationCreated,
    StationDetailOut,
    StationOut,
    StationPatch,
    StatusChangeOut,
)
from ampyre.domain.stations import RegistrationStatus
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import Page

router = APIRouter(prefix="/stations", tags=["stations"])

StationId = Annotated[str, Path(description="The station's OCPP identity.")]
Reader = Annotated[Actor, acting(P.STATIONS_READ)]
Writer = Annotated[Actor, acting(P.STATIONS_WRITE)]
PageParams = Annotated[Page, Depends(page_params)]


@router.get("", summary="List stations")
async def list_stations(
    services: Services,
    actor: Reader,
    page: PageParams,
    location_id: Annotated[str | None, Query(description="Only stations at this site.")] = None,
    registration_status: Annotated[RegistrationStatus | None, Query()] = None,
    connected: Annotated[bool | None, Query(description="Only (dis)connected ones.")] = None,
) -> Paged[StationOut]:
    found = await services.stations.list_stations(
        actor,
        page,
        location_id=location_id,
        registration_status=registration_status,
        connected=connected,
    )
    return Paged(
        items=[StationOut.from_domain(s) for s in found], limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a station",
    description="Without `password` one is generated and returned once in "
    "`generated_password`; only its hash is stored.",
    responses=error_responses(409),
)
async def create_station(body: StationCreate, services: Services, actor: Writer) -> StationCreated:
    created = await services.stations.do_create_station(actor, body.to_domain())
    return StationCreated(
        station=StationOut.from_domain(created.station),
        generated_password=created.generated_password,
    )


@router.get(
    "/{station_id}",
    summary="Get a station with its connectors and live status",
    responses=error_responses(404),
)
async def get_station(station_id: StationId, services: Services, actor: Reader) -> StationDetailOut:
    return StationDetailOut.from_detail(await services.stations.get_station(actor, station_id))


@router.patch("/{station_id}", summary="Change a station", responses=error_responses(404))
async def update_station(
    station_id: StationId, body: StationPatch, services: Services, actor: Writer
) -> StationOut:
    changed = await services.stations.do_update_station(actor, station_id, body.to_update())
    return StationOut.from_domain(changed)


@router.delete(
    "/{station_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a station",
    description="Refused with 409 when the station has transactions: reject it instead.",
    responses=error_responses(404, 409),
)
async def delete_station(station_id: StationId, services: Services, actor: Writer) -> None:
    await services.stations.do_delete_station(actor, station_id)


@router.post(
    "/{station_id}/approve",
    summary="Accept a station",
    description="Its next BootNotification is answered Accepted.",
    responses=error_responses(404),
)
async def approve_station(station_id: StationId, services: Services, actor: Writer) -> StationOut:
    return StationOut.from_domain(await services.stations.do_approve_station(actor, station_id))


@router.post(
    "/{station_id}/reject",
    summary="Reject a station",
    description="It can no longer connect; an open connection is closed.",
    responses=error_responses(404),
)
async def reject_station(station_id: StationId, services: Services, actor: Writer) -> StationOut:
    return StationOut.from_domain(await services.stations.do_reject_station(actor, station_id))


@router.post(
    "/{station_id}/password",
    summary="Set a new station password",
    description="Send `{}` to have one generated (returned once). An open connection stays "
    "up; the password counts from the next connection.",
    responses=error_responses(404),
)
async def set_password(
    station_id: StationId, body: PasswordChange, services: Services, actor: Writer
) -> GeneratedPassword:
    generated = await services.stations.do_set_station_password(actor, station_id, body.password)
    return GeneratedPassword(generated_password=generated)


@router.get(
    "/{station_id}/status-history",
    summary="Status changes of a station's connectors, newest first",
    responses=error_responses(404),
)
async def status_history(
    station_id: StationId,
    services: Services,
    actor: Reader,
    page: PageParams,
    connector_id: Annotated[
        int | None, Query(ge=0, description="Only this connector (0: the station itself).")
    ] = None,
) -> Paged[StatusChangeOut]:
    changes = await services.stations.status_history(
        actor, station_id, page, connector_id=connector_id
    )
    return Paged(
        items=[StatusChangeOut.from_domain(c) for c in changes],
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/{station_id}/connections",
    summary="Connects and disconnects of a station, newest first",
    responses=error_responses(404),
)
async def connections(
    station_id: StationId, services: Services, actor: Reader, page: PageParams
) -> Paged[ConnectionEventOut]:
    events = await services.stations.connection_history(actor, station_id, page)
    return Paged(
        items=[ConnectionEventOut.from_domain(e) for e in events],
        limit=page.limit,
        offset=page.offset,
    )
