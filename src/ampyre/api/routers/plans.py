"""/plans: plans (offers) subscribers sign: fees, special prices, bonus rule, who may sign."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import AwareDatetime

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.plans import PlanCreate, PlanOut, PlanPatch
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import Page

router = APIRouter(prefix="/plans", tags=["plans"])

PlanParam = Annotated[str, Path(max_length=64, description="The plan id.")]
Reader = Annotated[Actor, acting(P.PLANS_READ)]
Writer = Annotated[Actor, acting(P.PLANS_WRITE)]


@router.get("", summary="List plans")
async def list_plans(
    services: Services,
    actor: Reader,
    page: Annotated[Page, Depends(page_params)],
    offered_at: Annotated[
        AwareDatetime | None,
        Query(description="Only the plans that can be subscribed to at this instant."),
    ] = None,
) -> Paged[PlanOut]:
    """In id order."""
    found = await services.plans.list(actor, page, offered_at=offered_at)
    now = services.clock.now()
    return Paged(
        items=[PlanOut.from_domain(p, now) for p in found], limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Define a plan",
    responses=error_responses(409, 422),
)
async def create_plan(body: PlanCreate, services: Services, actor: Writer) -> PlanOut:
    """Fees have at most the currency's decimals; each special price names a tariff in the
    plan's currency and applies per operator, roaming partner or station group."""
    created = await services.plans.do_create(actor, body.to_new())
    return PlanOut.from_domain(created, services.clock.now())


@router.get("/{plan_id}", summary="Get a plan", responses=error_responses(404))
async def get_plan(plan_id: PlanParam, services: Services, actor: Reader) -> PlanOut:
    return PlanOut.from_domain(await services.plans.get(actor, plan_id), services.clock.now())


@router.patch("/{plan_id}", summary="Change a plan", responses=error_responses(404, 409, 422))
async def update_plan(
    plan_id: PlanParam, body: PlanPatch, services: Services, actor: Writer
) -> PlanOut:
    """Only the fields sent change, for contracts already signed too (fees, special prices,
    bonus rule); the validity only decides who can still sign."""
    changed = await services.plans.do_update(actor, plan_id, body.to_update())
    return PlanOut.from_domain(changed, services.clock.now())


@router.post(
    "/{plan_id}/end",
    summary="Stop offering a plan now (signed contracts run on)",
    responses=error_responses(404, 409),
)
async def end_plan(plan_id: PlanParam, services: Services, actor: Writer) -> PlanOut:
    ended = await services.plans.do_end(actor, plan_id)
    return PlanOut.from_domain(ended, services.clock.now())
