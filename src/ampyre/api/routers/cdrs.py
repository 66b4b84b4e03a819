"""/cdrs and /transactions/{id}/cost: what sessions cost, running and final."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import AwareDatetime

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.tariffs import CdrOut, CostOut, CreditModel, CreditOut
from ampyre.domain.errors import Conflict
from ampyre.domain.locations import Location
from ampyre.domain.rating.pricing import PricedSession
from ampyre.domain.stations import ConnectorFormat, PowerType
from ampyre.formats.countries import alpha3
from ampyre.formats.ocpi_cdr import (
    AuthMethod,
    CdrLocation,
    CdrMetadata,
    CdrToken,
    TokenType,
    cdr_to_ocpi,
    seconds_between,
)
from ampyre.formats.ocpi_tariff import dumps_ocpi, tariff_to_ocpi
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.rating import CdrContext
from ampyre.services.records import CdrFilter, Page

router = APIRouter(tags=["cdrs"])

CdrParam = Annotated[int, Path(description="The CDR id.")]
Reader = Annotated[Actor, acting(P.CDRS_READ)]
Writer = Annotated[Actor, acting(P.CDRS_WRITE)]
TransactionsReader = Annotated[Actor, acting(P.TRANSACTIONS_READ)]


@router.get("/cdrs", summary="List charge detail records (newest end first)")
async def list_cdrs(
    services: Services,
    actor: Reader,
    page: Annotated[Page, Depends(page_params)],
    station_id: Annotated[str | None, Query(max_length=48)] = None,
    transaction_id: int | None = None,
    ended_from: Annotated[AwareDatetime | None, Query(description="Inclusive.")] = None,
    ended_to: Annotated[AwareDatetime | None, Query(description="Exclusive.")] = None,
) -> Paged[CdrOut]:
    found = await services.rating.list_cdrs(
        actor, CdrFilter(station_id, transaction_id, ended_from, ended_to), page
    )
    return Paged(items=[CdrOut.of(c) for c in found], limit=page.limit, offset=page.offset)


@router.get("/cdrs/{cdr_id}", summary="Get a CDR", responses=error_responses(404))
async def get_cdr(cdr_id: CdrParam, services: Services, actor: Reader) -> CdrOut:
    return CdrOut.of(await services.rating.get_cdr(actor, cdr_id))


@router.post(
    "/cdrs/{cdr_id}/credit",
    status_code=status.HTTP_201_CREATED,
    summary="Cancel a CDR with a credit CDR (and optionally re-rate the session)",
    responses=error_responses(404, 409),
)
async def credit_cdr(
    cdr_id: CdrParam, body: CreditModel, services: Services, actor: Writer
) -> CreditOut:
    """A CDR is never changed; the credit CDR carries the negated amounts and references it."""
    credit, replacement = await services.rating.do_credit(
        actor, cdr_id, reason=body.reason, rerate=body.rerate
    )
    return CreditOut(
        credit=CdrOut.of(credit),
        replacement=None if replacement is None else CdrOut.of(replacement),
    )


@router.get(
    "/transactions/{transaction_id}/cost",
    summary="Running cost of a session (final cost once it ended)",
    responses=error_responses(404),
)
async def transaction_cost(
    transaction_id: int, services: Services, actor: TransactionsReader
) -> CostOut:
    """Priced with the same engine as the CDR, up to the latest meter reading (`as_of`):
    it changes with every meter value the station sends."""
    return CostOut.of(await services.rating.live_cost(actor, transaction_id))


@router.get(
    "/cdrs/{cdr_id}/ocpi",
    summary="A CDR as an OCPI 2.2.1 CDR object",
    responses={
        **error_responses(404, 409),
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
    },
    response_class=Response,
)
async def export_ocpi_cdr(
    cdr_id: CdrParam,
    services: Services,
    actor: Reader,
    country_code: Annotated[str, Query(pattern=r"^[A-Z]{2}$")] = "NL",
    party_id: Annotated[str, Query(pattern=r"^[A-Z0-9]{3}$")] = "AMP",
) -> Response:
    """A credit CDR is exported as OCPI asks: the cancelled session's data with a negative
    ``total_cost``, ``credit: true`` and ``credit_reference_id``. Amounts are JSON numbers."""
    context = await services.rating.cdr_context(actor, cdr_id)
    cdr = context.cdr
    if context.location is None:
        raise Conflict(
            f"station {cdr.session.station_id} has no location; an OCPI CDR needs one",
            code="no_location",
        )
    source = context.credited if context.credited is not None else cdr
    priced = PricedSession(
        currency=source.currency,
        lines=source.lines,
        periods=source.periods,
        energy_kwh=source.energy_kwh,
        charging_s=source.charging_s,
        parking_s=source.parking_s,
        total_time_s=seconds_between(source.session.started_at, source.session.ended_at),
    )
    meta = _metadata(context, context.location, country_code, party_id)
    tariffs = (
        [
            tariff_to_ocpi(
                context.tariff.tariff,
                id=cdr.tariff_id or "",
                country_code=country_code,
                party_id=party_id,
                valid_from=context.tariff.valid_from,
                valid_until=context.tariff.valid_until,
                last_updated=context.tariff.valid_from or cdr.session.started_at,
            )
        ]
        if context.tariff is not None and cdr.tariff_id
        else []
    )
    document = cdr_to_ocpi(
        priced, meta, last_updated=cdr.created_at or cdr.session.ended_at, tariffs=tariffs
    )
    return Response(dumps_ocpi(document), media_type="application/json")


def _metadata(
    context: CdrContext, location: Location, country_code: str, party_id: str
) -> CdrMetadata:
    cdr, connector = context.cdr, context.connector
    facts = cdr.session
    evse_uid = f"{facts.station_id}*{facts.connector_id}"
    return CdrMetadata(
        country_code=country_code,
        party_id=party_id,
        cdr_id=str(cdr.id),
        start=facts.started_at,
        end=facts.ended_at,
        token=CdrToken(uid=facts.id_tag, type=TokenType.RFID, contract_id=facts.id_tag),
        auth_method=AuthMethod.AUTH_REQUEST,
        location=CdrLocation(
            id=location.id,
            name=location.name,
            address=location.address.street,
            city=location.address.city,
            postal_code=location.address.postal_code,
            country=alpha3(location.address.country),
            latitude=location.coordinates.latitude,
            longitude=location.coordinates.longitude,
            evse_uid=evse_uid,
            evse_id=(connector.evse_id if connector and connector.evse_id else evse_uid),
            connector_id=str(facts.connector_id),
            connector_standard=(connector.standard.value if connector else "IEC_62196_T2"),
            connector_format=connector.format if connector else ConnectorFormat.SOCKET,
            power_type=connector.power_type if connector else PowerType.AC_3_PHASE,
        ),
        currency=cdr.currency,
        session_id=str(facts.transaction_id),
        tariff_id=cdr.tariff_id,
        credit=cdr.is_credit,
        credit_reference_id=(
            str(cdr.credit_reference_id) if cdr.credit_reference_id is not None else None
        ),
        remark=cdr.reason,
    )
