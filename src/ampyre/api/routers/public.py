"""/public: what anyone may read without logging in (EU AFIR: ad hoc prices before charging)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from pydantic import AwareDatetime, BaseModel

from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import UtcTime, error_responses
from ampyre.formats.price_text import describe_tariff

router = APIRouter(prefix="/public", tags=["public"])


class PriceLineOut(BaseModel):
    kind: str
    text: str
    conditions: str
    vat_note: str
    display: str
    amount: Decimal
    unit: str


class StationPricesOut(BaseModel):
    station_id: str
    tariff_id: str
    tariff_version: int
    valid_from: UtcTime | None
    valid_until: UtcTime | None
    currency: str
    locale: str
    lines: list[PriceLineOut]
    vat_note: str
    summary: str


@router.get(
    "/stations/{station_id}/prices",
    summary="The ad hoc price of a station, as text for drivers (no login)",
    responses=error_responses(404),
)
async def station_prices(
    station_id: Annotated[str, Path(max_length=48)],
    services: Services,
    locale: Annotated[
        str | None,
        Query(
            max_length=35, description="e.g. en, pl, de-AT; default from Accept-Language, else en."
        ),
    ] = None,
    at: Annotated[
        AwareDatetime | None,
        Query(description="Show the prices in force at this time (default now)."),
    ] = None,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> StationPricesOut:
    """Order of EU AFIR: per kWh, per minute, per session, then other fees; gross prices."""
    resolved = await services.tariffs.resolve(None, station_id, at=at)
    tag = locale or _first_language(accept_language) or "en"
    display = describe_tariff(resolved.version.tariff, tag)
    return StationPricesOut(
        station_id=station_id,
        tariff_id=resolved.tariff_id,
        tariff_version=resolved.version.number,
        valid_from=resolved.version.valid_from,
        valid_until=resolved.version.valid_until,
        currency=display.currency,
        locale=display.locale,
        lines=[
            PriceLineOut(
                kind=line.kind,
                text=line.text,
                conditions=line.conditions,
                vat_note=line.vat_note,
                display=line.display,
                amount=line.amount,
                unit=line.unit,
            )
            for line in display.lines
        ],
        vat_note=display.vat_note,
        summary=display.summary,
    )


def _first_language(header: str | None) -> str | None:
    """The first language of an Accept-Language header ("pl-PL,pl;q=0.9" → "pl-PL")."""
    if not header:
        return None
    first = header.split(",")[0].split(";")[0].strip()
    return first if first and first != "*" else None
