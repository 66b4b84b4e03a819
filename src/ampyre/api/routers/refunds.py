"""/refunds: drivers' refund ("cashback") requests, support's queue, approval and rejection."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.refunds import RefundCreate, RefundOut, RefundReject
from ampyre.domain.refunds import RefundStatus
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import Page

router = APIRouter(prefix="/refunds", tags=["refunds"])

RefundParam = Annotated[str, Path(max_length=40, description="The refund request id.")]
Reader = Annotated[Actor, acting(P.PAYMENTS_READ)]
Requester = Annotated[Actor, acting(P.CUSTOMERS_WRITE)]
Approver = Annotated[Actor, acting(P.REFUNDS_APPROVE)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Request a refund for a session (on behalf of its driver)",
    responses=error_responses(404, 409, 422),
)
async def request_refund(body: RefundCreate, services: Services, actor: Requester) -> RefundOut:
    """The rules decide at once: a session that delivered almost no energy or that the
    station ended with a fault is approved (`automatic`) and paid back by `due_by`, within
    20 minutes; any other waits for support (`pending_approval`). 422 when the amount is
    more than was paid and not yet refunded or asked for; 409 `not_refundable` when the
    session has no captured payment."""
    request = await services.refunds.do_request(
        actor, body.transaction_id, body.amount, body.reason
    )
    return RefundOut.from_domain(request)


@router.get("", summary="Refund requests, newest first")
async def list_refunds(
    services: Services,
    actor: Reader,
    page: Annotated[Page, Depends(page_params)],
    status: Annotated[
        RefundStatus | None,
        Query(description="Only these, e.g. `pending_approval`: support's queue."),
    ] = None,
) -> Paged[RefundOut]:
    found = await services.refunds.list(actor, status, page)
    return Paged(
        items=[RefundOut.from_domain(r) for r in found], limit=page.limit, offset=page.offset
    )


@router.post(
    "/{refund_id}/approve",
    summary="Approve a waiting (or failed) request: paid back within 20 minutes",
    responses=error_responses(404, 409),
)
async def approve_refund(refund_id: RefundParam, services: Services, actor: Approver) -> RefundOut:
    return RefundOut.from_domain(await services.refunds.do_approve(actor, refund_id))


@router.post(
    "/{refund_id}/reject",
    summary="Reject a waiting (or failed) request, saying why",
    responses=error_responses(404, 409, 422),
)
async def reject_refund(
    refund_id: RefundParam, body: RefundReject, services: Services, actor: Approver
) -> RefundOut:
    return RefundOut.from_domain(await services.refunds.do_reject(actor, refund_id, body.reason))
