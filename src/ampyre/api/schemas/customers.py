"""Customer request and response models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel, PatchModel, UtcTime, given, given_value
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import BillingAddress, ConsentKind, Customer, CustomerProfile
from ampyre.services.customers import CustomerUpdate, NewCustomer


class BillingAddressModel(ApiModel):
    street: str = Field(min_length=1, max_length=200, examples=["ul. Prosta 51"])
    city: str = Field(min_length=1, max_length=200, examples=["Warszawa"])
    postal_code: str = Field(min_length=1, max_length=200, examples=["00-838"])
    country: str = Field(pattern=r"^[A-Z]{2}$", examples=["PL"], description="ISO 3166-1.")

    def to_domain(self) -> BillingAddress:
        return BillingAddress(self.street, self.city, self.postal_code, self.country)


_VAT = Field(
    default=None,
    max_length=40,
    description="With its EU country prefix (checked with the country's rules); a non-EU "
    "number is checked for the billing address's country.",
    examples=["DE136695976"],
)


class CustomerCreate(ApiModel):
    type: CustomerType
    profile: CustomerProfile
    name: str = Field(min_length=1, max_length=200, examples=["Acme Logistics GmbH"])
    email: str | None = Field(default=None, max_length=320, examples=["fleet@acme.example"])
    phone: str | None = Field(default=None, max_length=30)
    address: BillingAddressModel | None = None
    language: str = Field(default="en", examples=["pl"])
    time_zone: str = Field(default="UTC", examples=["Europe/Warsaw"])
    vat_id: str | None = _VAT
    consents: dict[ConsentKind, bool] = Field(
        default_factory=dict,
        description='Consents stated at registration, e.g. {"email_contact": true}.',
    )
    notes: str | None = Field(default=None, max_length=2000)

    def to_new(self) -> NewCustomer:
        return NewCustomer(
            type=self.type,
            profile=self.profile,
            name=self.name,
            email=self.email,
            phone=self.phone,
            address=None if self.address is None else self.address.to_domain(),
            language=self.language,
            time_zone=self.time_zone,
            vat_id=self.vat_id,
            consents=tuple(self.consents.items()),
            notes=self.notes,
        )


class CustomerPatch(PatchModel):
    """Only the fields sent change; null clears email, phone, address, VAT id or notes."""

    not_nullable = ("type", "profile", "name", "language", "time_zone")

    type: CustomerType | None = None
    profile: CustomerProfile | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=30)
    address: BillingAddressModel | None = None
    language: str | None = None
    time_zone: str | None = None
    vat_id: str | None = _VAT
    notes: str | None = Field(default=None, max_length=2000)

    def to_update(self) -> CustomerUpdate:
        address = given(self, "address", self.address)
        return CustomerUpdate(
            name=given_value(self, "name", self.name),
            email=given(self, "email", self.email),
            phone=given(self, "phone", self.phone),
            address=address
            if not isinstance(address, BillingAddressModel)
            else address.to_domain(),
            language=given_value(self, "language", self.language),
            time_zone=given_value(self, "time_zone", self.time_zone),
            vat_id=given(self, "vat_id", self.vat_id),
            type=given_value(self, "type", self.type),
            profile=given_value(self, "profile", self.profile),
            notes=given(self, "notes", self.notes),
        )


class ConsentModel(ApiModel):
    kind: ConsentKind
    given: bool
    source: str = Field(
        min_length=1,
        max_length=200,
        description="Where it was stated, e.g. 'phone call'.",
    )


class BlockModel(ApiModel):
    reason: str = Field(min_length=1, max_length=500, examples=["card reported stolen"])


class ConsentOut(BaseModel):
    kind: ConsentKind
    given: bool
    at: UtcTime
    source: str


class CustomerOut(BaseModel):
    id: str
    type: CustomerType
    profile: CustomerProfile
    name: str
    email: str | None
    phone: str | None
    address: BillingAddressModel | None
    language: str
    time_zone: str
    vat_id: str | None
    consents: dict[ConsentKind, bool] = Field(description="What holds now.")
    consent_history: list[ConsentOut]
    blocked: bool
    blocked_reason: str | None
    blocked_at: UtcTime | None
    created_at: UtcTime | None
    anonymised_at: UtcTime | None
    notes: str | None

    @classmethod
    def from_domain(cls, c: Customer) -> CustomerOut:
        address: Any = c.address
        return cls(
            id=c.id,
            type=c.type,
            profile=c.profile,
            name=c.name,
            email=c.email,
            phone=c.phone,
            address=None
            if address is None
            else BillingAddressModel(
                street=address.street,
                city=address.city,
                postal_code=address.postal_code,
                country=address.country,
            ),
            language=c.language,
            time_zone=c.time_zone,
            vat_id=c.vat_id.number if c.vat_id else None,
            consents={kind: c.consent(kind) for kind in ConsentKind},
            consent_history=[
                ConsentOut(kind=x.kind, given=x.given, at=x.at, source=x.source) for x in c.consents
            ],
            blocked=c.blocked,
            blocked_reason=c.blocked_reason,
            blocked_at=c.blocked_at,
            created_at=c.created_at,
            anonymised_at=c.anonymised_at,
            notes=c.notes,
        )
