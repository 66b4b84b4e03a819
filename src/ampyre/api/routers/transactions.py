"""/transactions: charging sessions and their meter values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.transactions import TransactionDetailOut, TransactionOut
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import Page, TransactionFilter

router = APIRouter(prefix="/transactions", tags=["transactions"])

Reader = Annotated[Actor, acting(P.TRANSACTIONS_READ)]


@router.get("", summary="List transactions, newest start first")
async def list_transactions(
    services: Services,
    actor: Reader,
    page: Annotated[Page, Depends(page_params)],
    station_id: Annotated[str | None, Query()] = None,
    id_tag: Annotated[str | None, Query()] = None,
    started_from: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="Started at or after this time (with a time zone)."),
    ] = None,
    started_to: Annotated[
        AwareDatetime | None,
        Query(alias="to", description="Started before this time (with a time zone)."),
    ] = None,
    active: Annotated[bool | None, Query(description="Only running (or finished) ones.")] = None,
) -> Paged[TransactionOut]:
    flt = TransactionFilter(
        station_id=station_id,
        id_tag=id_tag,
        started_from=started_from,
        started_to=started_to,
        active=active,
    )
    found = await services.queries.list_transactions(actor, flt, page)
    return Paged(
        items=[TransactionOut.from_domain(t) for t in found],
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/{transaction_id}",
    summary="Get a transaction with all its meter values",
    responses=error_responses(404),
)
async def get_transaction(
    transaction_id: Annotated[int, Path(description="The OCPP transactionId.")],
    services: Services,
    actor: Reader,
) -> TransactionDetailOut:
    detail = await services.queries.get_transaction(actor, transaction_id)
    return TransactionDetailOut.from_detail(detail)
