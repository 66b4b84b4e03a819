"""/authorizations: the authorisation log, searchable and exportable as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.authorizations import AuthorizationOut
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.domain.authorization import AuthorizationAttempt, AuthorizationTrigger
from ampyre.domain.emaid import Emaid
from ampyre.domain.id_tags import AuthorizationStatus
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.authorization_log import EXPORT_LIMIT
from ampyre.services.records import AuthorizationFilter, Page

router = APIRouter(prefix="/authorizations", tags=["authorizations"])

Reader = Annotated[Actor, acting(P.AUTHORIZATIONS_READ)]
CSV_COLUMNS = (
    "id",
    "at",
    "trigger",
    "uid",
    "status",
    "reason",
    "station_id",
    "connector_id",
    "token_kind",
    "contract_id",
    "customer_id",
    "tariff_id",
    "transaction_id",
)


def _filter(
    uid: Annotated[str | None, Query(max_length=20, description="The idTag, exactly.")] = None,
    station_id: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: Annotated[str | None, Query(max_length=36)] = None,
    contract_id: Annotated[
        str | None, Query(max_length=20, description="eMAID, compact or hyphenated.")
    ] = None,
    status: Annotated[AuthorizationStatus | None, Query()] = None,
    trigger: Annotated[AuthorizationTrigger | None, Query()] = None,
    at_from: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="At or after this time (with a time zone)."),
    ] = None,
    at_to: Annotated[
        AwareDatetime | None,
        Query(alias="to", description="Before this time (with a time zone)."),
    ] = None,
) -> AuthorizationFilter:
    return AuthorizationFilter(
        uid=uid or None,
        station_id=station_id or None,
        customer_id=customer_id or None,
        contract_id=Emaid.parse(contract_id).compact if contract_id else None,
        status=status,
        trigger=trigger,
        at_from=at_from,
        at_to=at_to,
    )


Filter = Annotated[AuthorizationFilter, Depends(_filter)]


@router.get(
    "",
    summary="Search the authorisation log, newest first",
    responses=error_responses(422),
)
async def search(
    services: Services, actor: Reader, flt: Filter, page: Annotated[Page, Depends(page_params)]
) -> Paged[AuthorizationOut]:
    """Every attempt to charge (OCPP Authorize, the idTag of a start or stop, a remote
    start) with its answer and why; every filter narrows the search."""
    found = await services.authorization_log.search(actor, flt, page)
    return Paged(
        items=[AuthorizationOut.from_domain(a) for a in found],
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/export.csv",
    summary="The authorisation log as CSV",
    response_class=Response,
    responses=error_responses(422),
    description="Every matching attempt, newest first, one row each (UTF-8, header row). "
    f"At most {EXPORT_LIMIT} rows: a larger export is refused (422 `export_too_large`); "
    "narrow the filters.",
)
async def export_csv(services: Services, actor: Reader, flt: Filter) -> Response:
    attempts = await services.authorization_log.export(actor, flt)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(a) for a in attempts)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")


def _csv_row(a: AuthorizationAttempt) -> list[str]:
    optional = (
        a.station_id,
        a.connector_id,
        a.token_kind.value if a.token_kind else None,
        a.contract_id,
        a.customer_id,
        a.tariff_id,
        a.transaction_id,
    )
    return [
        str(a.id),
        a.at.isoformat(),
        a.trigger.value,
        a.uid,
        a.status.value,
        a.reason,
        *("" if value is None else str(value) for value in optional),
    ]
