"""Customers ⇄ ``customers`` rows; consents ⇄ ``customer_consents`` (append-only)."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, paged, require_one_row
from ampyre.db.tables import customer_consents, customers
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import (
    BillingAddress,
    Consent,
    ConsentKind,
    Customer,
    CustomerProfile,
    VatId,
)
from ampyre.services.records import CustomerFilter, Page


class SqlCustomerRepository:
    """``CustomerRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, customer_id: str) -> Customer | None:
        row = (
            await self._conn.execute(sa.select(customers).where(customers.c.id == customer_id))
        ).first()
        if row is None:
            return None
        return (await self._with_consents([row]))[0]

    async def list(self, flt: CustomerFilter, page: Page) -> builtins.list[Customer]:
        """Oldest first; ``search`` matches name, email or VAT id (case-insensitive)."""
        statement = sa.select(customers).order_by(customers.c.created_at, customers.c.id)
        if flt.search:
            statement = statement.where(
                sa.or_(
                    customers.c.name.icontains(flt.search, autoescape=True),
                    customers.c.email.icontains(flt.search, autoescape=True),
                    customers.c.vat_id.icontains(flt.search, autoescape=True),
                )
            )
        if flt.type is not None:
            statement = statement.where(customers.c.type == flt.type.value)
        if flt.profile is not None:
            statement = statement.where(customers.c.profile == flt.profile.value)
        if flt.blocked is not None:
            blocked = customers.c.blocked_at.is_not(None)
            statement = statement.where(blocked if flt.blocked else ~blocked)
        rows = (await self._conn.execute(paged(statement, page))).all()
        return await self._with_consents(rows)

    async def add(self, customer: Customer) -> None:
        await insert_unique(
            self._conn,
            sa.insert(customers).values(
                id=customer.id,
                **_columns(customer),
                **({"created_at": customer.created_at} if customer.created_at else {}),
            ),
            exists=lambda: self._exists(customer.id),
            what=f"customer {customer.id!r}",
        )
        await self._add_consents(customer.id, customer.consents)

    async def update(self, customer: Customer) -> None:
        """Write every field; consents are appended, never rewritten (except by
        anonymisation, which clears their sources)."""
        result = await self._conn.execute(
            sa.update(customers).where(customers.c.id == customer.id).values(**_columns(customer))
        )
        require_one_row(result, f"customer {customer.id!r}")
        stored = await self._conn.scalar(
            sa.select(sa.func.count())
            .select_from(customer_consents)
            .where(customer_consents.c.customer_id == customer.id)
        )
        await self._add_consents(customer.id, customer.consents[int(stored or 0) :])
        if customer.anonymised_at is not None:
            await self._conn.execute(
                sa.update(customer_consents)
                .where(customer_consents.c.customer_id == customer.id)
                .values(source="anonymised")
            )

    async def _add_consents(self, customer_id: str, consents: Sequence[Consent]) -> None:
        if consents:
            await self._conn.execute(
                sa.insert(customer_consents),
                [
                    {
                        "customer_id": customer_id,
                        "kind": c.kind.value,
                        "given": c.given,
                        "at": c.at,
                        "source": c.source,
                    }
                    for c in consents
                ],
            )

    async def _with_consents(self, rows: Sequence[AnyRow]) -> builtins.list[Customer]:
        if not rows:
            return []
        consents: dict[str, list[Consent]] = defaultdict(list)
        found = await self._conn.execute(
            sa.select(customer_consents)
            .where(customer_consents.c.customer_id.in_([row.id for row in rows]))
            .order_by(customer_consents.c.id)
        )
        for c in found:
            consents[c.customer_id].append(Consent(ConsentKind(c.kind), c.given, c.at, c.source))
        return [_customer(row, tuple(consents[row.id])) for row in rows]

    async def _exists(self, customer_id: str) -> bool:
        return await self.get(customer_id) is not None


def _columns(customer: Customer) -> dict[str, Any]:
    address = customer.address
    return {
        "type": customer.type.value,
        "profile": customer.profile.value,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "address": None if address is None else asdict(address),
        "language": customer.language,
        "time_zone": customer.time_zone,
        "vat_country": customer.vat_id.country if customer.vat_id else None,
        "vat_id": customer.vat_id.number if customer.vat_id else None,
        "blocked_reason": customer.blocked_reason,
        "blocked_at": customer.blocked_at,
        "anonymised_at": customer.anonymised_at,
        "notes": customer.notes,
    }


def _customer(row: AnyRow, consents: tuple[Consent, ...]) -> Customer:
    return Customer(
        id=row.id,
        type=CustomerType(row.type),
        profile=CustomerProfile(row.profile),
        name=row.name,
        email=row.email,
        phone=row.phone,
        address=None if row.address is None else BillingAddress(**row.address),
        language=row.language,
        time_zone=row.time_zone,
        vat_id=None if row.vat_id is None else VatId(row.vat_country, row.vat_id),
        consents=consents,
        blocked_reason=row.blocked_reason,
        blocked_at=row.blocked_at,
        created_at=row.created_at,
        anonymised_at=row.anonymised_at,
        notes=row.notes,
    )
