"""Tariff, assignment and CDR models.

Request bodies that carry prices are read with exact decimals (see ``exact_json``): a JSON
number like 0.35 is never turned into a float. The pydantic models here document those
bodies in OpenAPI and shape the responses; amounts in responses are decimal strings.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi import Request
from pydantic import AwareDatetime, BaseModel, Field

from ampyre.api.schemas.common import ApiModel, UtcTime
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import Price
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.domain.rating.cdr import Cdr
from ampyre.domain.rating.pricing import PricedLine, PricedSession
from ampyre.domain.rating.tariff import Dimension, TimeUnit
from ampyre.formats.tariff_document import tariff_to_document
from ampyre.services.rating import LiveCost
from ampyre.services.records import StoredTariff

MAX_BODY_BYTES = 1_000_000


async def exact_json(request: Request) -> Any:
    """The request body as JSON with every non-integer number read as ``Decimal``."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ValidationFailed("the request body is too large")
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"the request body is not valid JSON: {exc}") from exc


class PriceModel(BaseModel):
    excl_vat: Decimal
    incl_vat: Decimal

    @classmethod
    def of(cls, price: Price) -> PriceModel:
        return cls(excl_vat=price.excl_vat, incl_vat=price.incl_vat)


class ComponentModel(ApiModel):
    dimension: Dimension = Field(
        description="ENERGY (per kWh), TIME (charging), "
        "PARKING_TIME (connected, not charging) or FLAT (per session)."
    )
    price: Decimal = Field(
        description="Excluding VAT: per kWh, per time_unit or per session.", examples=["0.35"]
    )
    vat_percent: Decimal | None = Field(
        default=None, description="VAT rate in percent; null means no VAT applies.", examples=["23"]
    )
    step_size: int = Field(
        default=1,
        ge=0,
        description="Wh (ENERGY) or seconds; billed once per session, rounding the total up.",
    )
    time_unit: TimeUnit = Field(default=TimeUnit.HOUR, description="For TIME / PARKING_TIME.")


class RestrictionsModel(ApiModel):
    start_time: str | None = Field(
        default=None, examples=["22:00"], description="Local time at the location, inclusive."
    )
    end_time: str | None = Field(
        default=None, examples=["06:00"], description="Exclusive; before start_time wraps midnight."
    )
    start_date: str | None = Field(default=None, examples=["2027-01-01"])
    end_date: str | None = Field(default=None, description="Exclusive.")
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = Field(default=None, description="kW")
    max_power: Decimal | None = Field(default=None, description="kW")
    min_duration_s: int | None = Field(default=None, description="From the session start.")
    max_duration_s: int | None = None
    days_of_week: list[str] | None = Field(default=None, examples=[["SATURDAY", "SUNDAY"]])
    reservation: str | None = Field(default=None, examples=["RESERVATION"])


class ElementModel(ApiModel):
    components: list[ComponentModel]
    restrictions: RestrictionsModel | None = None


class TariffDocumentModel(ApiModel):
    """A tariff version: what a session costs."""

    currency: str = Field(examples=["EUR"])
    type: str | None = Field(default=None, examples=["REGULAR"])
    min_price: PriceModel | None = None
    max_price: PriceModel | None = None
    parking_grace_s: int = Field(
        default=0, ge=0, description="Parking is free for this long from the session start."
    )
    texts: dict[str, str] = Field(default_factory=dict, examples=[{"en": "Standard AC"}])
    info_url: str | None = None
    elements: list[ElementModel]


class TariffCreateModel(ApiModel):
    id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,36}$", examples=["AC-STANDARD"])
    name: str = Field(min_length=1, max_length=255, examples=["Standard AC"])
    tariff: TariffDocumentModel
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class TariffVersionCreateModel(ApiModel):
    tariff: TariffDocumentModel
    valid_from: AwareDatetime | None = Field(
        default=None, description="When the new prices start (now when omitted)."
    )


class TariffRenameModel(ApiModel):
    name: str = Field(min_length=1, max_length=255)


class TariffVersionOut(BaseModel):
    number: int
    valid_from: UtcTime | None
    valid_until: UtcTime | None
    tariff: dict[str, Any] = Field(description="The tariff document (amounts as strings).")


class TariffOut(BaseModel):
    id: str
    name: str
    currency: str
    versions: list[TariffVersionOut]

    @classmethod
    def from_domain(cls, stored: StoredTariff) -> TariffOut:
        return cls(
            id=stored.id,
            name=stored.name,
            currency=stored.currency,
            versions=[
                TariffVersionOut(
                    number=v.number,
                    valid_from=v.valid_from,
                    valid_until=v.valid_until,
                    tariff=tariff_to_document(v.tariff),
                )
                for v in stored.versions
            ],
        )


class AssignmentModel(ApiModel):
    tariff_id: str
    scope: AssignmentScope
    target: str | None = Field(
        default=None,
        max_length=64,
        description="Station id, group name, location id, operator or partner id; "
        "none for the network default.",
    )
    plan_id: str | None = Field(
        default=None, max_length=64, description="Only for sessions under this plan."
    )
    priority: int = Field(default=100, description="Lower wins among station groups.")

    def to_domain(self) -> TariffAssignment:
        return TariffAssignment(
            self.tariff_id, self.scope, self.target, self.plan_id, self.priority
        )


class AssignmentOut(AssignmentModel):
    id: int

    @classmethod
    def from_domain(cls, a: TariffAssignment) -> AssignmentOut:
        return cls(
            id=a.id or 0,
            tariff_id=a.tariff_id,
            scope=a.scope,
            target=a.target,
            plan_id=a.plan_id,
            priority=a.priority,
        )


class ResolvedOut(BaseModel):
    tariff_id: str
    tariff_name: str
    version: int
    assignment: AssignmentOut
    tariff: dict[str, Any]


class LineOut(BaseModel):
    kind: str
    dimension: Dimension | None
    vat_percent: Decimal | None
    quantity: Decimal = Field(description="kWh, seconds or sessions as measured.")
    billed_quantity: Decimal = Field(description="After step_size rounding.")
    unit_price: Decimal
    amount: PriceModel = Field(description="Exact, not rounded.")

    @classmethod
    def of(cls, line: PricedLine) -> LineOut:
        return cls(
            kind=line.kind.value,
            dimension=line.dimension,
            vat_percent=line.vat_percent,
            quantity=line.quantity,
            billed_quantity=line.billed_quantity,
            unit_price=line.unit_price,
            amount=PriceModel.of(line.amount),
        )


class VatTotalOut(BaseModel):
    vat_percent: Decimal | None
    excl_vat: Decimal
    incl_vat: Decimal


class CostOut(BaseModel):
    """Running (or final) cost of a transaction."""

    transaction_id: int
    active: bool
    as_of: UtcTime
    currency: str
    tariff_id: str | None
    tariff_version: int | None
    total: PriceModel
    energy_kwh: Decimal
    charging_s: Decimal
    parking_s: Decimal
    lines: list[LineOut]

    @classmethod
    def of(cls, cost: LiveCost) -> CostOut:
        priced: PricedSession = cost.priced
        return cls(
            transaction_id=cost.transaction_id,
            active=cost.active,
            as_of=cost.as_of,
            currency=priced.currency,
            tariff_id=cost.tariff_id,
            tariff_version=cost.tariff_version,
            total=PriceModel.of(cost.total),
            energy_kwh=priced.energy_kwh,
            charging_s=priced.charging_s,
            parking_s=priced.parking_s,
            lines=[LineOut.of(x) for x in priced.lines],
        )


class CdrOut(BaseModel):
    id: int
    transaction_id: int
    sequence: int
    credit_reference_id: int | None
    reason: str | None
    station_id: str
    connector_id: int
    id_tag: str
    location_id: str | None
    time_zone: str
    tariff_id: str | None
    tariff_version: int | None
    currency: str
    started_at: UtcTime
    ended_at: UtcTime
    energy_kwh: Decimal
    charging_s: Decimal
    parking_s: Decimal
    total: PriceModel
    energy_cost: PriceModel
    time_cost: PriceModel
    parking_cost: PriceModel
    fixed_cost: PriceModel
    vat_totals: list[VatTotalOut]
    lines: list[LineOut]
    created_at: UtcTime | None

    @classmethod
    def of(cls, cdr: Cdr) -> CdrOut:
        s = cdr.session
        return cls(
            id=cdr.id or 0,
            transaction_id=s.transaction_id,
            sequence=cdr.sequence,
            credit_reference_id=cdr.credit_reference_id,
            reason=cdr.reason,
            station_id=s.station_id,
            connector_id=s.connector_id,
            id_tag=s.id_tag,
            location_id=s.location_id,
            time_zone=s.time_zone,
            tariff_id=cdr.tariff_id,
            tariff_version=cdr.tariff_version,
            currency=cdr.currency,
            started_at=s.started_at,
            ended_at=s.ended_at,
            energy_kwh=cdr.energy_kwh,
            charging_s=cdr.charging_s,
            parking_s=cdr.parking_s,
            total=PriceModel.of(cdr.total),
            energy_cost=PriceModel.of(cdr.energy_cost),
            time_cost=PriceModel.of(cdr.time_cost),
            parking_cost=PriceModel.of(cdr.parking_cost),
            fixed_cost=PriceModel.of(cdr.fixed_cost),
            vat_totals=[
                VatTotalOut(vat_percent=v.vat_percent, excl_vat=v.excl_vat, incl_vat=v.incl_vat)
                for v in cdr.vat_totals
            ],
            lines=[LineOut.of(x) for x in cdr.lines],
            created_at=cdr.created_at,
        )


class CreditModel(ApiModel):
    reason: str = Field(min_length=1, max_length=500, examples=["wrong tariff assigned"])
    rerate: bool = Field(
        default=False,
        description="Also price the session again into a new CDR with the tariffs assigned now.",
    )


class CreditOut(BaseModel):
    credit: CdrOut
    replacement: CdrOut | None
