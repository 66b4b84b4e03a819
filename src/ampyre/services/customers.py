"""Operator and support use cases for customers: register, look up, change, consents,
block, export all their data, anonymise.

Every rule of what a valid customer is lives in :func:`ampyre.domain.customers.check_customer`;
the VAT id's format is checked here with the country's rules (``ampyre.formats.vat_ids``).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import (
    BillingAddress,
    Consent,
    ConsentKind,
    Customer,
    CustomerProfile,
    VatId,
    check_customer,
)
from ampyre.domain.errors import NotFound, ValidationFailed
from ampyre.formats.vat_ids import parse_vat_id
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import AccessRevoker, Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.records import CustomerFilter, Page, TokenFilter
from ampyre.services.revocation import revoke_best_effort
from ampyre.services.updates import KEEP, Keep, merged


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """What registering a customer takes; ``vat_id`` as typed (checked and normalised)."""

    type: CustomerType
    profile: CustomerProfile
    name: str
    email: str | None = None
    phone: str | None = None
    address: BillingAddress | None = None
    language: str = "en"
    time_zone: str = "UTC"
    vat_id: str | None = None
    consents: tuple[tuple[ConsentKind, bool], ...] = ()
    """Consents stated at registration; recorded with the registration's time and source."""
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerUpdate:
    """Fields to change; ``KEEP`` leaves one as stored, None clears it."""

    name: str | Keep = KEEP
    email: str | Keep | None = KEEP
    phone: str | Keep | None = KEEP
    address: BillingAddress | Keep | None = KEEP
    language: str | Keep = KEEP
    time_zone: str | Keep = KEEP
    vat_id: str | Keep | None = KEEP
    type: CustomerType | Keep = KEEP
    profile: CustomerProfile | Keep = KEEP
    notes: str | Keep | None = KEEP


MAX_TOKENS_REVOKED = 10_000
"""More tokens than any one account holds (a large fleet has a few thousand cards)."""


@dataclass(frozen=True, slots=True)
class CustomerService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    operator_country: str = "PL"
    """ISO alpha-2 country of the operator: what "domestic" and "foreign" mean."""
    revoker: AccessRevoker | None = None
    """Told the customer's tokens when the account is blocked or anonymised."""

    async def do_register(self, actor: Actor, new: NewCustomer, *, source: str) -> Customer:
        """Register a customer; ``source`` says where consents were given (e.g. "portal")."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        now = self.clock.now()
        customer = Customer(
            id=str(uuid.uuid4()),
            type=new.type,
            profile=new.profile,
            name=new.name.strip(),
            email=new.email,
            phone=new.phone,
            address=new.address,
            language=new.language,
            time_zone=new.time_zone,
            vat_id=self._vat(new.vat_id, new.address),
            consents=tuple(Consent(kind, given, now, source) for kind, given in new.consents),
            created_at=now,
            notes=new.notes,
        )
        check_customer(customer, operator_country=self.operator_country)
        async with self.uow_factory() as uow:
            await uow.customers.add(customer)
            await uow.commit()
        return await self.get_customer(actor, customer.id)

    async def get_customer(self, actor: Actor, customer_id: str) -> Customer:
        check_permission(actor, Permission.CUSTOMERS_READ)
        async with self.uow_factory() as uow:
            found = await uow.customers.get(customer_id)
        if found is None:
            raise NotFound(f"customer {customer_id} does not exist")
        return found

    async def list_customers(self, actor: Actor, flt: CustomerFilter, page: Page) -> list[Customer]:
        check_permission(actor, Permission.CUSTOMERS_READ)
        async with self.uow_factory() as uow:
            return await uow.customers.list(flt, page)

    async def do_update(self, actor: Actor, customer_id: str, update: CustomerUpdate) -> Customer:
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            current = await self._get(uow, customer_id)
            self._refuse_anonymised(current)
            changed = replace(
                current,
                name=merged(update.name, current.name).strip(),
                email=merged(update.email, current.email),
                phone=merged(update.phone, current.phone),
                address=merged(update.address, current.address),
                language=merged(update.language, current.language),
                time_zone=merged(update.time_zone, current.time_zone),
                type=merged(update.type, current.type),
                profile=merged(update.profile, current.profile),
                notes=merged(update.notes, current.notes),
            )
            if not isinstance(update.vat_id, Keep):
                changed = replace(changed, vat_id=self._vat(update.vat_id, changed.address))
            check_customer(changed, operator_country=self.operator_country)
            await uow.customers.update(changed)
            await uow.commit()
        return await self.get_customer(actor, customer_id)

    async def do_record_consent(
        self, actor: Actor, customer_id: str, kind: ConsentKind, *, given: bool, source: str
    ) -> Customer:
        """Record that a consent was given or withdrawn now (the history is kept)."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            current = await self._get(uow, customer_id)
            self._refuse_anonymised(current)
            consent = Consent(kind, given, self.clock.now(), source)
            await uow.customers.update(current.with_consent(consent))
            await uow.commit()
        return await self.get_customer(actor, customer_id)

    async def do_block(self, actor: Actor, customer_id: str, reason: str) -> Customer:
        """Block the account: its tokens are refused from the next authorisation on."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            current = await self._get(uow, customer_id)
            await uow.customers.update(current.block(reason, self.clock.now()))
            await uow.commit()
        await self._revoke_tokens(customer_id)
        return await self.get_customer(actor, customer_id)

    async def do_unblock(self, actor: Actor, customer_id: str) -> Customer:
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            current = await self._get(uow, customer_id)
            self._refuse_anonymised(current)
            await uow.customers.update(current.unblock())
            await uow.commit()
        return await self.get_customer(actor, customer_id)

    async def _revoke_tokens(self, customer_id: str) -> None:
        """Make stations forget the customer's tokens (their access was just withdrawn)."""
        if self.revoker is None:
            return
        async with self.uow_factory() as uow:
            tokens = await uow.tokens.list(
                TokenFilter(customer_id=customer_id), Page(limit=MAX_TOKENS_REVOKED)
            )
        await revoke_best_effort(self.revoker, [token.uid for token in tokens])

    async def export_customer(self, actor: Actor, customer_id: str) -> dict[str, Any]:
        """Everything Ampyre holds about one customer, for a data access request (GDPR
        art. 15): the account with its consent history."""
        check_permission(actor, Permission.CUSTOMERS_PRIVACY)
        async with self.uow_factory() as uow:
            customer = await self._get(uow, customer_id)
        return {"exported_at": _iso(self.clock.now()), "customer": customer_document(customer)}

    async def do_anonymise(self, actor: Actor, customer_id: str) -> Customer:
        """Erase the customer's personal data for good (GDPR art. 17); the account stays,
        blocked, so what was billed to it still adds up."""
        check_permission(actor, Permission.CUSTOMERS_PRIVACY)
        async with self.uow_factory() as uow:
            current = await self._get(uow, customer_id)
            await uow.customers.update(current.anonymised(self.clock.now()))
            await uow.commit()
        await self._revoke_tokens(customer_id)
        return await self.get_customer(actor, customer_id)

    def _vat(self, text: str | None, address: BillingAddress | None) -> VatId | None:
        if text is None:
            return None
        return parse_vat_id(text, address.country if address else None)

    @staticmethod
    async def _get(uow: UnitOfWork, customer_id: str) -> Customer:
        found = await uow.customers.get(customer_id)
        if found is None:
            raise NotFound(f"customer {customer_id} does not exist")
        return found

    @staticmethod
    def _refuse_anonymised(customer: Customer) -> None:
        if customer.anonymised_at is not None:
            raise ValidationFailed(f"customer {customer.id} was anonymised and cannot change")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def customer_document(customer: Customer) -> dict[str, Any]:
    """A customer as plain JSON-ready data (the API's and the export's shape)."""
    address = customer.address
    return {
        "id": customer.id,
        "type": customer.type.value,
        "profile": customer.profile.value,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "address": None if address is None else asdict(address),
        "language": customer.language,
        "time_zone": customer.time_zone,
        "vat_id": customer.vat_id.number if customer.vat_id else None,
        "consents": {kind.value: customer.consent(kind) for kind in ConsentKind},
        "consent_history": [
            {"kind": c.kind.value, "given": c.given, "at": _iso(c.at), "source": c.source}
            for c in customer.consents
        ],
        "blocked": customer.blocked,
        "blocked_reason": customer.blocked_reason,
        "blocked_at": _iso(customer.blocked_at),
        "created_at": _iso(customer.created_at),
        "anonymised_at": _iso(customer.anonymised_at),
        "notes": customer.notes,
    }
