"""/contracts: subscriptions of customers to plans and their state history.

The bonus points of a contract (/contracts/{id}/bonus...) are in ``routers.bonus``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.contracts import ActivateModel, ContractCreate, ContractOut, ReasonModel
from ampyre.domain.contracts import ContractState
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import ContractFilter, Page

router = APIRouter(prefix="/contracts", tags=["contracts"])

ContractParam = Annotated[
    str,
    Path(
        max_length=40,
        description="The eMAID, compact or hyphenated, any case; its check digit, when "
        "given, must be right.",
        examples=["PL-AMP-C12345678-X"],
    ),
]
Reader = Annotated[Actor, acting(P.CUSTOMERS_READ)]
Writer = Annotated[Actor, acting(P.CUSTOMERS_WRITE)]


def _filter(
    customer_id: Annotated[str | None, Query(max_length=36)] = None,
    plan_id: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[ContractState | None, Query()] = None,
) -> ContractFilter:
    return ContractFilter(customer_id, plan_id, state)


@router.get("", summary="List contracts")
async def list_contracts(
    services: Services,
    actor: Reader,
    flt: Annotated[ContractFilter, Depends(_filter)],
    page: Annotated[Page, Depends(page_params)],
) -> Paged[ContractOut]:
    """Oldest first."""
    found = await services.contracts.list(actor, flt, page)
    now = services.clock.now()
    return Paged(
        items=[ContractOut.from_domain(c, now) for c in found],
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a customer to a plan",
    responses=error_responses(404, 409, 422),
)
async def subscribe(body: ContractCreate, services: Services, actor: Writer) -> ContractOut:
    """The customer must be neither blocked nor anonymised, and the plan offered now to the
    customer's type (409 with code `customer_blocked`, `customer_anonymised`,
    `plan_not_offered` or `plan_not_eligible`). The contract gets a new eMAID."""
    created = await services.contracts.do_subscribe(
        actor,
        body.customer_id,
        body.plan_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        activate=body.activate,
    )
    return ContractOut.from_domain(created, services.clock.now())


@router.get("/{contract_id}", summary="Get a contract", responses=error_responses(404, 422))
async def get_contract(
    contract_id: ContractParam, services: Services, actor: Reader
) -> ContractOut:
    found = await services.contracts.get(actor, contract_id)
    return ContractOut.from_domain(found, services.clock.now())


_TRANSITION = error_responses(404, 409, 422)
"""409 `invalid_transition` (e.g. an ended contract) or `contract_over` (past its end)."""


@router.post(
    "/{contract_id}/activate",
    summary="Put a pending or suspended contract in force",
    responses=_TRANSITION,
)
async def activate(
    contract_id: ContractParam,
    services: Services,
    actor: Writer,
    body: ActivateModel | None = None,
) -> ContractOut:
    reason = "" if body is None else body.reason
    changed = await services.contracts.do_activate(actor, contract_id, reason)
    return ContractOut.from_domain(changed, services.clock.now())


@router.post(
    "/{contract_id}/suspend",
    summary="Suspend a contract (its tokens stop working)",
    responses=_TRANSITION,
)
async def suspend(
    contract_id: ContractParam, body: ReasonModel, services: Services, actor: Writer
) -> ContractOut:
    changed = await services.contracts.do_suspend(actor, contract_id, body.reason)
    return ContractOut.from_domain(changed, services.clock.now())


@router.post("/{contract_id}/end", summary="End a contract for good", responses=_TRANSITION)
async def end(
    contract_id: ContractParam, body: ReasonModel, services: Services, actor: Writer
) -> ContractOut:
    changed = await services.contracts.do_end(actor, contract_id, body.reason)
    return ContractOut.from_domain(changed, services.clock.now())
