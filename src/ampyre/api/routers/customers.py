"""/customers: accounts, their consents, blocking, data export and anonymisation."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.customers import (
    BlockModel,
    ConsentModel,
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
)
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import CustomerProfile
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import CustomerFilter, Page

router = APIRouter(prefix="/customers", tags=["customers"])

CustomerParam = Annotated[str, Path(max_length=36, description="The customer id.")]
Reader = Annotated[Actor, acting(P.CUSTOMERS_READ)]
Writer = Annotated[Actor, acting(P.CUSTOMERS_WRITE)]
Privacy = Annotated[Actor, acting(P.CUSTOMERS_PRIVACY)]
CSV_COLUMNS = (
    "id",
    "type",
    "profile",
    "name",
    "email",
    "phone",
    "country",
    "vat_id",
    "language",
    "blocked",
    "created_at",
)


def _filter(
    search: Annotated[str | None, Query(max_length=100, description="Name, email, VAT id.")] = None,
    type: Annotated[CustomerType | None, Query()] = None,
    profile: Annotated[CustomerProfile | None, Query()] = None,
    blocked: Annotated[bool | None, Query()] = None,
) -> CustomerFilter:
    return CustomerFilter(search or None, type, profile, blocked)


Filter = Annotated[CustomerFilter, Depends(_filter)]


@router.get("", summary="List or search customers")
async def list_customers(
    services: Services, actor: Reader, flt: Filter, page: Annotated[Page, Depends(page_params)]
) -> Paged[CustomerOut]:
    found = await services.customers.list_customers(actor, flt, page)
    return Paged(
        items=[CustomerOut.from_domain(c) for c in found], limit=page.limit, offset=page.offset
    )


@router.get("/export.csv", summary="Customers as CSV (for a CRM or ERP)", response_class=Response)
async def export_csv(services: Services, actor: Reader, flt: Filter) -> Response:
    """All matching customers, oldest first, one row each (UTF-8, header row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    offset = 0
    while batch := await services.customers.list_customers(actor, flt, Page(1000, offset)):
        for c in batch:
            writer.writerow(
                [
                    c.id,
                    c.type.value,
                    c.profile.value,
                    c.name,
                    c.email or "",
                    c.phone or "",
                    c.address.country if c.address else "",
                    c.vat_id.number if c.vat_id else "",
                    c.language,
                    "yes" if c.blocked else "no",
                    c.created_at.isoformat() if c.created_at else "",
                ]
            )
        offset += len(batch)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a customer",
    responses=error_responses(422),
)
async def register(body: CustomerCreate, services: Services, actor: Writer) -> CustomerOut:
    """Each type has its rules: a business or municipal customer needs a billing address; a
    foreign business a valid VAT id of another country; a subscriber an email address."""
    created = await services.customers.do_register(actor, body.to_new(), source=f"api:{actor.name}")
    return CustomerOut.from_domain(created)


@router.get("/{customer_id}", summary="Get a customer", responses=error_responses(404))
async def get_customer(
    customer_id: CustomerParam, services: Services, actor: Reader
) -> CustomerOut:
    return CustomerOut.from_domain(await services.customers.get_customer(actor, customer_id))


@router.patch("/{customer_id}", summary="Change a customer", responses=error_responses(404))
async def update_customer(
    customer_id: CustomerParam, body: CustomerPatch, services: Services, actor: Writer
) -> CustomerOut:
    changed = await services.customers.do_update(actor, customer_id, body.to_update())
    return CustomerOut.from_domain(changed)


@router.post(
    "/{customer_id}/consents",
    summary="Record a consent given or withdrawn (kept as history)",
    responses=error_responses(404),
)
async def record_consent(
    customer_id: CustomerParam, body: ConsentModel, services: Services, actor: Writer
) -> CustomerOut:
    changed = await services.customers.do_record_consent(
        actor, customer_id, body.kind, given=body.given, source=body.source
    )
    return CustomerOut.from_domain(changed)


@router.post(
    "/{customer_id}/block",
    summary="Block a customer (their tokens are refused from the next authorisation)",
    responses=error_responses(404, 409),
)
async def block(
    customer_id: CustomerParam, body: BlockModel, services: Services, actor: Writer
) -> CustomerOut:
    return CustomerOut.from_domain(
        await services.customers.do_block(actor, customer_id, body.reason)
    )


@router.post(
    "/{customer_id}/unblock", summary="Unblock a customer", responses=error_responses(404, 409)
)
async def unblock(customer_id: CustomerParam, services: Services, actor: Writer) -> CustomerOut:
    return CustomerOut.from_domain(await services.customers.do_unblock(actor, customer_id))


@router.get(
    "/{customer_id}/export",
    summary="Everything held about a customer (data access request)",
    responses=error_responses(404),
)
async def export_customer(
    customer_id: CustomerParam, services: Services, actor: Privacy
) -> dict[str, Any]:
    return await services.customers.export_customer(actor, customer_id)


@router.post(
    "/{customer_id}/anonymise",
    summary="Erase a customer's personal data for good (the account stays, blocked)",
    responses=error_responses(404, 409),
)
async def anonymise(customer_id: CustomerParam, services: Services, actor: Privacy) -> CustomerOut:
    return CustomerOut.from_domain(await services.customers.do_anonymise(actor, customer_id))
