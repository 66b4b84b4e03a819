"""/stations/{station_id}/connectors: the plugs of a station."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import error_responses
from ampyre.api.schemas.connectors import ConnectorCreate, ConnectorOut, ConnectorPatch
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P

router = APIRouter(
    prefix="/stations/{station_id}/connectors",
    tags=["connectors"],
    responses=error_responses(404),
)

StationId = Annotated[str, Path(description="The station's OCPP identity.")]
ConnectorId = Annotated[int, Path(ge=1, description="OCPP connector number, from 1.")]
Reader = Annotated[Actor, acting(P.STATIONS_READ)]
Writer = Annotated[Actor, acting(P.STATIONS_WRITE)]


@router.get("", summary="List a station's connectors")
async def list_connectors(
    station_id: StationId, services: Services, actor: Reader
) -> list[ConnectorOut]:
    found = await services.connectors.list_connectors(actor, station_id)
    return [ConnectorOut.from_domain(c) for c in found]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a connector",
    responses=error_responses(409),
)
async def create_connector(
    station_id: StationId, body: ConnectorCreate, services: Services, actor: Writer
) -> ConnectorOut:
    created = await services.connectors.do_create_connector(actor, body.to_domain(station_id))
    return ConnectorOut.from_domain(created)


@router.get("/{connector_id}", summary="Get a connector")
async def get_connector(
    station_id: StationId, connector_id: ConnectorId, services: Services, actor: Reader
) -> ConnectorOut:
    found = await services.connectors.get_connector(actor, station_id, connector_id)
    return ConnectorOut.from_domain(found)


@router.patch("/{connector_id}", summary="Change a connector")
async def update_connector(
    station_id: StationId,
    connector_id: ConnectorId,
    body: ConnectorPatch,
    services: Services,
    actor: Writer,
) -> ConnectorOut:
    changed = await services.connectors.do_update_connector(
        actor, station_id, connector_id, body.to_update()
    )
    return ConnectorOut.from_domain(changed)


@router.delete(
    "/{connector_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a connector"
)
async def delete_connector(
    station_id: StationId, connector_id: ConnectorId, services: Services, actor: Writer
) -> None:
    await services.connectors.do_delete_connector(actor, station_id, connector_id)
