"""The payment port: what Ampyre needs from a payment service provider (DOMAIN.md §3).

Adapters live in :mod:`ampyre.payments` (the built-in sandbox, Stripe; the next provider is a
new module there). They translate the provider's objects into these records, with amounts in
minor units and states normalised to :class:`~ampyre.domain.payments.PaymentState`. Every
call that changes something carries the caller's deterministic idempotency key and passes it
to the provider (Stripe: the Idempotency-Key header), so a call retried after a timeout is
the same call.

Errors: :class:`PaymentProviderUnavailable` when the provider could not be reached or timed
out (the outcome is unknown: ask again with :meth:`PaymentProvider.get_payment` or retry with
the same key); :class:`PaymentProviderRejected` when the provider refused the request itself
(bad key, unknown payment, amount above the authorisation). A card that is declined is not an
error: the payment comes back ``DECLINED`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ampyre.domain.errors import DomainError
from ampyre.domain.payments import MinorAmount, PaymentState


class PaymentProviderUnavailable(DomainError):
    """The provider did not answer (network error, timeout, 5xx): the outcome is unknown."""

    code = "payment_provider_unavailable"


class PaymentProviderRejected(DomainError):
    """The provider refused the request (authentication, validation, state)."""

    code = "payment_provider_rejected"


class InvalidWebhook(DomainError):
    """A webhook whose signature does not verify, is too old, or cannot be read."""

    code = "invalid_webhook"


@dataclass(frozen=True, slots=True)
class CardDetails:
    """What may be shown of a card: never its number."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    """A payment as the provider reports it now.

    ``reference`` is the provider's id (Stripe: the PaymentIntent id). ``authorized`` is
    what is (or was) reserved, ``captured`` what was taken, ``refunded`` what was paid back.
    ``action_url`` is where the customer completes a 3-D Secure challenge while the state is
    REQUIRES_ACTION; ``authorization_expires_at`` when an uncaptured authorisation lapses.
    ``method`` is the provider token of the card used (to save it, when asked).
    ``failure_code`` / ``failure_message`` explain a decline (e.g. "card_declined",
    "insufficient_funds", "expired_card"). ``raw`` is the provider's object, for the
    payment log (adapters remove anything secret).
    """

    reference: str
    state: PaymentState
    authorized: MinorAmount
    captured: MinorAmount
    refunded: MinorAmount
    action_url: str | None = None
    authorization_expires_at: datetime | None = None
    method: str | None = None
    card: CardDetails | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderSetup:
    """A request to save a card for later use off-session (Stripe: a SetupIntent).

    ``state`` is REQUIRES_ACTION (``action_url`` to complete, e.g. card entry or 3-D
    Secure), AUTHORIZED when the method is ready to use (``method``, ``card``), or DECLINED.
    """

    reference: str
    state: PaymentState
    action_url: str | None = None
    method: str | None = None
    card: CardDetails | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    reference: str
    payment_reference: str
    amount: MinorAmount
    succeeded: bool
    failure_message: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified webhook. ``event_id`` is unique per provider (stored under a unique
    (provider, event id), so a duplicate changes nothing). ``payment`` is the payment's
    state as the event reports it (None for events about other objects); ``setup`` the
    same for a saved-method setup; ``occurred_at`` when the provider created the event
    (events may arrive out of order: states only move forward)."""

    provider: str
    event_id: str
    type: str
    occurred_at: datetime
    payment: ProviderPayment | None = None
    setup: ProviderSetup | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    ok: bool
    message: str
    """What was checked and what came back (e.g. "account acct_1 reachable, test mode")."""
    test_mode: bool


class PaymentProvider(Protocol):
    """One configured provider account. ``name`` identifies the adapter ("sandbox",
    "stripe") and is stored with every payment and webhook."""

    @property
    def name(self) -> str: ...

    async def ensure_customer(
        self, customer_id: str, *, email: str | None, name: str, idempotency_key: str
    ) -> str:
        """The provider's customer for Ampyre's ``customer_id`` (created when needed);
        saved methods belong to it. Returns the provider's customer reference."""
        ...

    async def set_up_method(
        self, provider_customer: str, *, return_url: str, idempotency_key: str
    ) -> ProviderSetup:
        """Start saving a card for off-session use (customer present, 3-D Secure)."""
        ...

    async def get_setup(self, reference: str) -> ProviderSetup: ...

    async def authorise(
        self,
        amount: MinorAmount,
        *,
        provider_customer: str | None,
        method: str | None,
        return_url: str,
        description: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> ProviderPayment:
        """Reserve ``amount`` with manual capture. With ``method`` (a saved card) it is
        confirmed at once; without, the result is REQUIRES_ACTION with an ``action_url``
        where the customer enters a card (and completes 3-D Secure)."""
        ...

    async def capture(
        self, reference: str, amount: MinorAmount, *, idempotency_key: str
    ) -> ProviderPayment:
        """Take ``amount`` (≤ authorised) of an AUTHORIZED payment; the rest is released.
        ``amount`` 0 is not a capture: void instead."""
        ...

    async def void(self, reference: str, *, idempotency_key: str) -> ProviderPayment: ...

    async def charge(
        self,
        amount: MinorAmount,
        *,
        provider_customer: str,
        method: str,
        description: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> ProviderPayment:
        """A merchant-initiated charge on a saved method, customer not present, captured
        at once (CAPTURED, or DECLINED with the reason)."""
        ...

    async def refund(
        self, reference: str, amount: MinorAmount, *, reason: str, idempotency_key: str
    ) -> ProviderRefund:
        """Pay back ``amount`` (partial allowed) of a captured payment."""
        ...

    async def get_payment(self, reference: str) -> ProviderPayment:
        """The payment as the provider has it now (after a timeout, or to reconcile)."""
        ...

    async def detach_method(self, method: str) -> None:
        """Forget a saved card at the provider (the customer removed it)."""
        ...

    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the signature over the raw body and normalise the event; raises
        :class:`InvalidWebhook`. Pure: no I/O."""
        ...

    async def check_connection(self) -> ConnectionCheck:
        """Whether the configured keys work (a read-only call)."""
        ...


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One setting an operator enters to connect a provider. ``secret`` ones (API keys,
    webhook secrets) are stored encrypted and only ever shown masked."""

    name: str
    secret: bool
    description: str
    required: bool = True


class ProviderFactory(Protocol):
    def __call__(self, credentials: Mapping[str, str]) -> PaymentProvider:
        """A provider for one account, from the operator's settings (every required
        field present; ``ValidationFailed`` when a value cannot be right, e.g. a Stripe
        secret key that does not start with "sk_")."""
        ...


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """What an adapter module offers: its ``name`` (stored with payments), a label for
    people, the settings it needs, and how to build it. ``test_only`` providers (the
    sandbox) are refused in a production configuration."""

    name: str
    label: str
    fields: tuple[CredentialField, ...]
    factory: ProviderFactory
    test_only: bool = False
