"""Payments as Ampyre sees them, whatever the provider (DOMAIN.md §3).

Amounts cross the payment port as integer **minor units** and a currency
(:class:`MinorAmount`): 46.13 PLN is 4613, 500 JPY is 500. A payment has one of the
normalised :class:`PaymentState` s and only ever moves forward (:func:`can_move`): a late or
repeated webhook reporting an earlier state changes nothing.

Every call to a provider carries an idempotency key derived from what the call does, never
random (:func:`idempotency_key`), so a retried call after a timeout is the same call to the
provider and cannot charge twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import check_currency, minor_units


class PaymentState(StrEnum):
    REQUIRES_ACTION = "requires_action"
    """The customer must do something first (3-D Secure challenge, card entry)."""
    AUTHORIZED = "authorized"
    """The amount is reserved on the card (manual capture), not yet taken."""
    CAPTURED = "captured"
    """Taken in full (of what was captured; an auto-captured charge ends here too)."""
    PARTIALLY_CAPTURED = "partially_captured"
    """Less than authorised was taken; the rest was released."""
    VOIDED = "voided"
    """The authorisation was cancelled; nothing was taken."""
    EXPIRED = "expired"
    """The authorisation lapsed before it was captured (card-not-present ≈ 7 days)."""
    DECLINED = "declined"
    """The provider or the issuer refused (decline, insufficient funds, expired card...)."""
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    """Everything captured was paid back."""


_S = PaymentState
_NEXT: Mapping[PaymentState, frozenset[PaymentState]] = {
    _S.REQUIRES_ACTION: frozenset({_S.AUTHORIZED, _S.CAPTURED, _S.DECLINED, _S.EXPIRED, _S.VOIDED}),
    _S.AUTHORIZED: frozenset({_S.CAPTURED, _S.PARTIALLY_CAPTURED, _S.VOIDED, _S.EXPIRED}),
    _S.CAPTURED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.PARTIALLY_CAPTURED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.PARTIALLY_REFUNDED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.VOIDED: frozenset(),
    _S.EXPIRED: frozenset(),
    _S.DECLINED: frozenset(),
    _S.REFUNDED: frozenset(),
}
"""The only moves a payment makes. PARTIALLY_REFUNDED → PARTIALLY_REFUNDED is a further
partial refund (the refunded amount grows)."""

FINAL_STATES = frozenset(state for state, nexts in _NEXT.items() if not nexts)


def can_move(current: PaymentState, reported: PaymentState) -> bool:
    """Whether a payment in ``current`` may take ``reported``: only forward moves (a report
    of the state it is already in, or of an earlier one, is not a move)."""
    return reported in _NEXT[current]


@dataclass(frozen=True, slots=True, order=True)
class MinorAmount:
    """An amount in the currency's minor unit (cents, grosze; yen have none). >= 0."""

    value: int
    currency: str

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if self.value < 0:
            raise ValidationFailed("a payment amount is never negative")

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> MinorAmount:
        """``amount`` (e.g. Decimal("46.13")) in minor units; ``ValidationFailed`` when it has
        more decimals than the currency (round it first)."""
        scaled = amount.scaleb(minor_units(currency))
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            raise ValidationFailed(
                f"{amount} {currency} has more than {minor_units(currency)} decimals"
            )
        return cls(int(scaled), currency)

    def decimal(self) -> Decimal:
        """The amount in major units, e.g. 4613 PLN → Decimal("46.13")."""
        return Decimal(self.value).scaleb(-minor_units(self.currency))

    def __add__(self, other: MinorAmount) -> MinorAmount:
        self._same_currency(other)
        return MinorAmount(self.value + other.value, self.currency)

    def __sub__(self, other: MinorAmount) -> MinorAmount:
        self._same_currency(other)
        return MinorAmount(self.value - other.value, self.currency)

    def _same_currency(self, other: MinorAmount) -> None:
        if other.currency != self.currency:
            raise ValidationFailed(f"cannot add {other.currency} to {self.currency}")

    def __str__(self) -> str:
        return f"{self.decimal()} {self.currency}"


_KEY_PART = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def idempotency_key(operation: str, *parts: str | int) -> str:
    """The provider idempotency key of ``operation`` on ``parts``, e.g.
    ``idempotency_key("capture", "pay_42")`` → "capture:pay_42". The same operation on the
    same thing always gives the same key (DOMAIN.md §3)."""
    texts = [operation, *(str(part) for part in parts)]
    for text in texts:
        if not _KEY_PART.match(text):
            raise ValidationFailed(f"{text!r} cannot be part of an idempotency key")
    return ":".join(texts)


class PaymentPurpose(StrEnum):
    SESSION = "session"
    """Pays one charging session (pre-authorised, or charged after it)."""
    WALLET_TOP_UP = "wallet_top_up"
    """Adds money to the customer's prepaid wallet."""


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment at a provider, as Ampyre tracks it.

    ``reference`` is the provider's id (None until the provider has answered);
    ``authorized``/``captured``/``refunded`` are what the provider last reported.
    Changes come from provider answers and webhooks through :meth:`observe`, which only
    lets the payment move forward.
    """

    id: str
    customer_id: str
    provider: str
    purpose: PaymentPurpose
    state: PaymentState
    authorized: MinorAmount
    captured: MinorAmount
    refunded: MinorAmount
    reference: str | None = None
    transaction_id: int | None = None
    method: str | None = None
    action_url: str | None = None
    authorization_expires_at: datetime | None = None
    failure_code: str | None = None
    failure_message: str | None = None

    @property
    def currency(self) -> str:
        return self.authorized.currency

    @property
    def refundable(self) -> MinorAmount:
        """Captured and not yet refunded."""
        return MinorAmount(max(self.captured.value - self.refunded.value, 0), self.currency)

    def observe(self, report: PaymentReport) -> Payment | None:
        """The payment after the provider reported ``report``; None when the report moves
        nothing (the same or an earlier state, e.g. a duplicated or late webhook). A further
        partial refund counts as a move when the refunded amount grew."""
        grows = report.state is self.state and report.refunded.value > self.refunded.value
        if not (can_move(self.state, report.state) or grows):
            return None
        if report.refunded.value < self.refunded.value or report.captured.value < (
            self.captured.value
        ):
            return None
        return replace(
            self,
            state=report.state,
            authorized=report.authorized if report.authorized.value else self.authorized,
            captured=report.captured,
            refunded=report.refunded,
            reference=self.reference or report.reference,
            method=report.method or self.method,
            action_url=report.action_url if report.state is PaymentState.REQUIRES_ACTION else None,
            authorization_expires_at=report.authorization_expires_at
            or self.authorization_expires_at,
            failure_code=report.failure_code,
            failure_message=report.failure_message,
        )


class PaymentReport(Protocol):
    """What a provider says about a payment (an answer or a webhook), as
    :meth:`Payment.observe` reads it; the payment port's ``ProviderPayment`` is one."""

    @property
    def reference(self) -> str: ...
    @property
    def state(self) -> PaymentState: ...
    @property
    def authorized(self) -> MinorAmount: ...
    @property
    def captured(self) -> MinorAmount: ...
    @property
    def refunded(self) -> MinorAmount: ...
    @property
    def method(self) -> str | None: ...
    @property
    def action_url(self) -> str | None: ...
    @property
    def authorization_expires_at(self) -> datetime | None: ...
    @property
    def failure_code(self) -> str | None: ...
    @property
    def failure_message(self) -> str | None: ...
