"""Customers (accounts): who pays for charging, and what they agreed to (DOMAIN.md §5).

A customer is private, a domestic or foreign business, or a municipality; ad hoc (created
automatically when someone pays at a station, no registration) or a subscriber (signed up,
with contracts). Consents are a history: each entry records when, how and whether it was
given, and the latest entry of a kind is what holds. Blocking an account blocks every one of
its tokens at the next authorisation. Anonymising removes personal data for good but keeps
the account (and what was billed to it) with its id and type.

Checking a VAT id's format needs country rules that live outside the domain: the service
does that (``ampyre.formats.vat_ids``) before building a customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from ampyre.domain.customer_types import CustomerType
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.locations import validate_time_zone

NAME_MAX = 200
REASON_MAX = 500
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_LANGUAGE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
ANONYMISED = "anonymised"


class CustomerProfile(StrEnum):
    AD_HOC = "ad_hoc"
    """Pays per session by card; created without registration."""
    SUBSCRIBER = "subscriber"
    """Has signed up and charges under contracts."""


class ConsentKind(StrEnum):
    AUTOMATIC_PAYMENTS = "automatic_payments"
    """Charge the saved payment method without asking each time (merchant-initiated)."""
    EMAIL_CONTACT = "email_contact"
    """Contact by email beyond what a contract needs (news, offers)."""


@dataclass(frozen=True, slots=True)
class Consent:
    """One statement of consent: given or withdrawn, when, and through what (e.g. "portal",
    "phone call with agent x", "api:token-name")."""

    kind: ConsentKind
    given: bool
    at: datetime
    source: str

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValidationFailed("a consent's time needs a time zone")
        if not self.source.strip() or len(self.source) > 200:
            raise ValidationFailed("a consent needs its source (1-200 characters)")


@dataclass(frozen=True, slots=True)
class BillingAddress:
    street: str
    city: str
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2, upper case."""

    def __post_init__(self) -> None:
        for name in ("street", "city", "postal_code"):
            value = getattr(self, name)
            if not value.strip() or len(value) > 200:
                raise ValidationFailed(f"address {name} must be 1-200 characters")
        if not _COUNTRY.match(self.country):
            raise ValidationFailed("address country must be an ISO 3166-1 code like 'PL'")


@dataclass(frozen=True, slots=True)
class VatId:
    """A VAT identification number already checked for its country's format: ``country``
    is the ISO 3166-1 alpha-2 code of the issuing state (Greece: GR), ``number`` the whole
    normalised id with its prefix ("PL5261040828", "EL094259216")."""

    country: str
    number: str


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    type: CustomerType
    profile: CustomerProfile
    name: str
    """The person's or the organisation's name."""
    email: str | None = None
    phone: str | None = None
    address: BillingAddress | None = None
    language: str = "en"
    time_zone: str = "UTC"
    vat_id: VatId | None = None
    consents: tuple[Consent, ...] = ()
    blocked_reason: str | None = None
    blocked_at: datetime | None = None
    created_at: datetime | None = None
    anonymised_at: datetime | None = None
    notes: str | None = field(default=None, compare=False)

    @property
    def blocked(self) -> bool:
        return self.blocked_at is not None

    def consent(self, kind: ConsentKind) -> bool:
        """Whether the consent holds now (the latest statement of that kind)."""
        latest = [c for c in self.consents if c.kind is kind]
        return bool(latest) and latest[-1].given

    def with_consent(self, consent: Consent) -> Customer:
        return replace(self, consents=(*self.consents, consent))

    def block(self, reason: str, at: datetime) -> Customer:
        reason = reason.strip()
        if not reason or len(reason) > REASON_MAX:
            raise ValidationFailed(f"blocking needs a reason (1-{REASON_MAX} characters)")
        if self.blocked:
            raise Conflict(f"customer {self.id} is already blocked", code="already_blocked")
        return replace(self, blocked_reason=reason, blocked_at=at)

    def unblock(self) -> Customer:
        if not self.blocked:
            raise Conflict(f"customer {self.id} is not blocked", code="not_blocked")
        return replace(self, blocked_reason=None, blocked_at=None)

    def anonymised(self, at: datetime) -> Customer:
        """The account without personal data: name, contact, address, VAT id and notes are
        replaced or removed; type, profile and id stay (invoices refer to them). Consents
        keep their kind and time but lose their source; the account is blocked."""
        if self.anonymised_at is not None:
            raise Conflict(f"customer {self.id} is already anonymised", code="anonymised")
        return replace(
            self,
            name=ANONYMISED,
            email=None,
            phone=None,
            address=None,
            vat_id=None,
            notes=None,
            consents=tuple(replace(c, source=ANONYMISED) for c in self.consents),
            blocked_reason=self.blocked_reason or ANONYMISED,
            blocked_at=self.blocked_at or at,
            anonymised_at=at,
        )


def check_customer(customer: Customer, *, operator_country: str) -> Customer:
    """The rules every stored customer meets (the service calls this on create and update).

    ``operator_country`` (ISO alpha-2) decides what "domestic" and "foreign" mean: a foreign
    business needs a VAT id of another country (its invoices are reverse-charged), a domestic
    business or municipality a billing address in the operator's country.
    """
    if customer.anonymised_at is not None:
        return customer
    name = customer.name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(f"name must be 1-{NAME_MAX} characters")
    if customer.email is not None and not _EMAIL.match(customer.email):
        raise ValidationFailed(f"email {customer.email!r} is not an email address")
    if customer.phone is not None and not re.fullmatch(r"\+?[0-9 ()./-]{5,30}", customer.phone):
        raise ValidationFailed("phone must be 5-30 digits, spaces, +, (, ), ., / or -")
    if not _LANGUAGE.match(customer.language):
        raise ValidationFailed("language must be a code like 'pl' or 'en-GB'")
    validate_time_zone(customer.time_zone)
    if customer.profile is CustomerProfile.SUBSCRIBER and customer.email is None:
        raise ValidationFailed("a subscriber needs an email address (invoices are sent there)")
    kind = customer.type
    if kind is CustomerType.PRIVATE:
        if customer.vat_id is not None:
            raise ValidationFailed("a private customer has no VAT id; choose a business type")
        return customer
    if customer.address is None:
        raise ValidationFailed(f"a {kind.value} customer needs a billing address")
    if kind is CustomerType.BUSINESS_FOREIGN:
        if customer.vat_id is None:
            raise ValidationFailed(
                "a foreign business customer needs a VAT id (its invoices are reverse-charged)"
            )
        if customer.vat_id.country == operator_country:
            raise ValidationFailed(
                f"VAT id {customer.vat_id.number} is from {operator_country}, the operator's "
                "own country: this is a domestic business customer"
            )
    elif customer.address.country != operator_country:
        raise ValidationFailed(
            f"a {kind.value} customer has its billing address in {operator_country}; "
            f"one in {customer.address.country} is a foreign business customer"
        )
    elif customer.vat_id is not None and customer.vat_id.country != operator_country:
        raise ValidationFailed(
            f"VAT id {customer.vat_id.number} is not from {operator_country}, the operator's "
            "country: this is a foreign business customer"
        )
    return customer
