"""/vehicles: customers' vehicles and autocharge (the car starts charging when plugged in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import error_responses
from ampyre.api.schemas.vehicles import AutochargeModel, VehicleCreate, VehicleOut, VehiclePatch
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P

router = APIRouter(prefix="/vehicles", tags=["vehicles"])

VehicleParam = Annotated[str, Path(max_length=36, description="The vehicle id.")]
Reader = Annotated[Actor, acting(P.CUSTOMERS_READ)]
Writer = Annotated[Actor, acting(P.CUSTOMERS_WRITE)]


@router.get("", summary="A customer's vehicles", responses=error_responses(404))
async def list_vehicles(
    services: Services,
    actor: Reader,
    customer_id: Annotated[str, Query(max_length=36, description="The customer's id.")],
) -> list[VehicleOut]:
    """Oldest first."""
    found = await services.vehicles.list(actor, customer_id)
    return [VehicleOut.from_domain(v) for v in found]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a vehicle",
    responses=error_responses(404, 409, 422),
)
async def register(body: VehicleCreate, services: Services, actor: Writer) -> VehicleOut:
    """With `autocharge`, the vehicle's token (`VID:` + MAC) is issued in the same step, to
    a contract of the same customer that has not ended."""
    vehicle = await services.vehicles.do_register(
        actor,
        body.customer_id,
        body.make,
        body.model,
        battery_kwh=body.battery_kwh,
        connector_standards=frozenset(body.connector_standards),
        plate=body.plate,
        autocharge=None if body.autocharge is None else body.autocharge.to_domain(),
    )
    return VehicleOut.from_domain(vehicle)


@router.get("/{vehicle_id}", summary="Get a vehicle", responses=error_responses(404))
async def get_vehicle(vehicle_id: VehicleParam, services: Services, actor: Reader) -> VehicleOut:
    return VehicleOut.from_domain(await services.vehicles.get(actor, vehicle_id))


@router.patch(
    "/{vehicle_id}", summary="Change a vehicle's description", responses=error_responses(404, 422)
)
async def update_vehicle(
    vehicle_id: VehicleParam, body: VehiclePatch, services: Services, actor: Writer
) -> VehicleOut:
    changed = await services.vehicles.do_update(actor, vehicle_id, body.to_update())
    return VehicleOut.from_domain(changed)


@router.delete(
    "/{vehicle_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a vehicle (its autocharge token expires)",
    responses=error_responses(404),
)
async def remove_vehicle(vehicle_id: VehicleParam, services: Services, actor: Writer) -> None:
    await services.vehicles.do_remove(actor, vehicle_id)


@router.post(
    "/{vehicle_id}/autocharge",
    summary="Enable autocharge: issue the vehicle's token",
    responses=error_responses(404, 409, 422),
)
async def enable_autocharge(
    vehicle_id: VehicleParam, body: AutochargeModel, services: Services, actor: Writer
) -> VehicleOut:
    changed = await services.vehicles.do_enable_autocharge(actor, vehicle_id, body.to_domain())
    return VehicleOut.from_domain(changed)


@router.delete(
    "/{vehicle_id}/autocharge",
    summary="Disable autocharge: the vehicle's token expires",
    responses=error_responses(404, 409),
)
async def disable_autocharge(
    vehicle_id: VehicleParam, services: Services, actor: Writer
) -> VehicleOut:
    return VehicleOut.from_domain(await services.vehicles.do_disable_autocharge(actor, vehicle_id))
