"""/locations: sites where stations stand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.locations import LocationCreate, LocationOut, LocationPatch
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.locations import new_location_id
from ampyre.services.records import Page

router = APIRouter(prefix="/locations", tags=["locations"])

LocationId = Annotated[str, Path(description="The location's id.")]


@router.get("", summary="List locations")
async def list_locations(
    services: Services,
    actor: Annotated[Actor, acting(P.LOCATIONS_READ)],
    page: Annotated[Page, Depends(page_params)],
) -> Paged[LocationOut]:
    found = await services.locations.list_locations(actor, page)
    return Paged(
        items=[LocationOut.from_domain(x) for x in found], limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a location",
    responses=error_responses(409),
)
async def create_location(
    body: LocationCreate,
    services: Services,
    actor: Annotated[Actor, acting(P.LOCATIONS_WRITE)],
) -> LocationOut:
    location = body.to_domain(body.id or new_location_id())
    return LocationOut.from_domain(await services.locations.do_create_location(actor, location))


@router.get("/{location_id}", summary="Get a location", responses=error_responses(404))
async def get_location(
    location_id: LocationId,
    services: Services,
    actor: Annotated[Actor, acting(P.LOCATIONS_READ)],
) -> LocationOut:
    return LocationOut.from_domain(await services.locations.get_location(actor, location_id))


@router.patch("/{location_id}", summary="Change a location", responses=error_responses(404))
async def update_location(
    location_id: LocationId,
    body: LocationPatch,
    services: Services,
    actor: Annotated[Actor, acting(P.LOCATIONS_WRITE)],
) -> LocationOut:
    changed = await services.locations.do_update_location(actor, location_id, body.to_update())
    return LocationOut.from_domain(changed)


@router.delete(
    "/{location_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a location",
    description="Refused with 409 while stations still stand at the location.",
    responses=error_responses(404, 409),
)
async def delete_location(
    location_id: LocationId,
    services: Services,
    actor: Annotated[Actor, acting(P.LOCATIONS_WRITE)],
) -> None:
    await services.locations.do_delete_location(actor, location_id)
