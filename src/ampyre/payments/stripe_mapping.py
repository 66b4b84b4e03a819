"""Stripe's objects as payment port records (pure functions on the JSON Stripe sends).

Stripe amounts are already in the currency's minor unit (cents; yen have none), as integers;
currencies are lower case ("eur") where Ampyre writes them upper case ("EUR").

**PaymentIntent → PaymentState** (``latest_charge`` expanded when the adapter asked for it;
a webhook carries only its id):

============================================  ==========================================
``requires_capture``                          AUTHORIZED (``amount_capturable`` reserved)
``succeeded``                                 CAPTURED, or PARTIALLY_CAPTURED when
                                              ``amount_received`` < ``amount``; then
                                              PARTIALLY_REFUNDED / REFUNDED by the refunds
``canceled`` with reason ``automatic``        EXPIRED (Stripe cancels an uncaptured intent
                                              when its authorisation lapses)
``canceled`` after a failed attempt           DECLINED
``canceled`` otherwise                        VOIDED
``requires_payment_method`` after a failed    DECLINED (final for Ampyre: a new attempt is
attempt (``last_payment_error``)              a new payment, never the same intent again)
``requires_payment_method`` (no attempt yet),
``requires_confirmation``, ``requires_action``,
``processing``                                REQUIRES_ACTION (not decided yet)
============================================  ==========================================

**Refunds.** When less than the authorisation is captured Stripe releases the rest by
refunding it on the charge, so ``charge.amount_refunded`` counts the released remainder too.
What was paid back to the customer is ``amount_refunded - (amount - amount_captured)``.

**Failure codes.** ``failure_code`` is the issuer's ``decline_code`` when it says something
("insufficient_funds", "expired_card", "authentication_required"...), else the error
``code`` ("card_declined" for a generic decline).

``raw`` is the Stripe object without client secrets (they let a browser confirm the intent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ampyre.domain.payments import MinorAmount, PaymentState
from ampyre.services.payment_port import (
    CardDetails,
    ProviderPayment,
    ProviderRefund,
    ProviderSetup,
    WebhookEvent,
)

PROVIDER_NAME = "stripe"

JsonObject = Mapping[str, Any]

UNCAPTURED_LIFETIME = timedelta(days=7)
"""How long Stripe keeps an uncaptured card authorisation when the charge does not say
(``payment_method_details.card.capture_before``)."""

_CLIENT_SECRET = re.compile(r"\b(?:pi|seti)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+")
_SECRET_KEYS = frozenset({"client_secret"})
_REDACTED = "[redacted]"


def scrub(value: Any) -> Any:
    """A copy of ``value`` (a Stripe object as JSON) without client secrets: the
    ``client_secret`` fields are dropped and a secret inside a URL (Stripe's 3-D Secure
    links carry one) is replaced by "[redacted]"."""
    if isinstance(value, Mapping):
        return {key: scrub(item) for key, item in value.items() if key not in _SECRET_KEYS}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return _CLIENT_SECRET.sub(_REDACTED, value)
    return value


def _object(value: Any) -> JsonObject | None:
    """An expandable field when it was expanded (a JSON object), else None (an id or null)."""
    return value if isinstance(value, Mapping) else None


def _id(value: Any) -> str | None:
    """The id of an expandable field, expanded or not."""
    if isinstance(value, str):
        return value
    expanded = _object(value)
    if expanded is not None and isinstance(expanded.get("id"), str):
        return str(expanded["id"])
    return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _instant(value: Any) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None


def currency_of(value: Any) -> str:
    """Stripe's currency ("eur") as Ampyre writes it ("EUR")."""
    return str(value).upper()


def card_details(card: Any) -> CardDetails | None:
    """The displayable part of a Stripe card (``payment_method.card`` or
    ``charge.payment_method_details.card``)."""
    card = _object(card)
    if card is None or not isinstance(card.get("last4"), str):
        return None
    return CardDetails(
        brand=str(card.get("brand") or "unknown"),
        last4=str(card["last4"]),
        exp_month=_int(card.get("exp_month")),
        exp_year=_int(card.get("exp_year")),
    )


def _method_card(method: Any) -> CardDetails | None:
    expanded = _object(method)
    return card_details(expanded.get("card")) if expanded is not None else None


def _charge_card(charge: JsonObject | None) -> CardDetails | None:
    if charge is None:
        return None
    details = _object(charge.get("payment_method_details")) or {}
    return card_details(details.get("card"))


def failure_of(error: Any) -> tuple[str | None, str | None]:
    """``(failure_code, failure_message)`` of a Stripe error object (``last_payment_error``,
    ``last_setup_error`` or the ``error`` of an error response)."""
    error = _object(error)
    if error is None:
        return None, None
    decline = error.get("decline_code")
    code = error.get("code")
    chosen = decline if decline and decline != "generic_decline" else code or decline
    message = error.get("message")
    return (
        str(chosen) if chosen else str(error.get("type") or "payment_failed"),
        str(message) if message else None,
    )


def customer_refunded(charge: JsonObject | None) -> int:
    """What was paid back to the customer on ``charge`` (minor units), not counting what
    was never captured: Stripe counts an authorisation released by a partial capture, a
    cancellation or an expiry in ``amount_refunded`` too."""
    if charge is None:
        return 0
    released = max(0, _int(charge.get("amount")) - _int(charge.get("amount_captured")))
    return max(0, _int(charge.get("amount_refunded")) - released)


def _captured_state(amount: int, received: int, refunded: int) -> PaymentState:
    if refunded > 0:
        return PaymentState.REFUNDED if refunded >= received else PaymentState.PARTIALLY_REFUNDED
    return PaymentState.PARTIALLY_CAPTURED if received < amount else PaymentState.CAPTURED


def _intent_state(intent: JsonObject, refunded: int) -> PaymentState:
    status = intent.get("status")
    failed = intent.get("last_payment_error") is not None
    if status == "requires_capture":
        return PaymentState.AUTHORIZED
    if status == "succeeded":
        return _captured_state(
            _int(intent.get("amount")), _int(intent.get("amount_received")), refunded
        )
    if status == "canceled":
        if intent.get("cancellation_reason") == "automatic":
            return PaymentState.EXPIRED
        return PaymentState.DECLINED if failed else PaymentState.VOIDED
    if status == "requires_payment_method" and failed:
        return PaymentState.DECLINED
    return PaymentState.REQUIRES_ACTION


def redirect_url(intent: JsonObject) -> str | None:
    """Where the customer goes for a pending 3-D Secure challenge (``next_action`` of type
    ``redirect_to_url``), if anywhere."""
    action = _object(intent.get("next_action"))
    if action is None:
        return None
    redirect = _object(action.get("redirect_to_url"))
    url = redirect.get("url") if redirect is not None else None
    return str(url) if url else None


def _expires_at(intent: JsonObject, charge: JsonObject | None) -> datetime | None:
    if intent.get("status") != "requires_capture":
        return None
    details = _object(charge.get("payment_method_details")) if charge is not None else None
    card = _object(details.get("card")) if details is not None else None
    capture_before = _instant(card.get("capture_before")) if card is not None else None
    if capture_before is not None:
        return capture_before
    created = _instant(intent.get("created"))
    return created + UNCAPTURED_LIFETIME if created is not None else None


_NOT_TAKEN = frozenset(
    {
        PaymentState.REQUIRES_ACTION,
        PaymentState.AUTHORIZED,
        PaymentState.VOIDED,
        PaymentState.EXPIRED,
        PaymentState.DECLINED,
    }
)
"""States in which nothing was taken from the card."""


def payment_from_intent(
    intent: JsonObject, *, declined: JsonObject | None = None
) -> ProviderPayment:
    """A PaymentIntent as a :class:`ProviderPayment`. ``declined`` is the ``error`` of a
    card error response that carried this intent: the payment is DECLINED with its codes."""
    currency = currency_of(intent.get("currency"))
    amount = _int(intent.get("amount"))
    received = _int(intent.get("amount_received"))
    charge = _object(intent.get("latest_charge"))
    refunded = customer_refunded(charge)
    state = PaymentState.DECLINED if declined is not None else _intent_state(intent, refunded)
    if state is PaymentState.AUTHORIZED:
        authorized = _int(intent.get("amount_capturable")) or amount
    elif state in (PaymentState.DECLINED, PaymentState.REQUIRES_ACTION):
        authorized = 0
    elif state in (PaymentState.VOIDED, PaymentState.EXPIRED):
        authorized = amount if intent.get("latest_charge") else 0
    else:
        authorized = amount
    failure_code, failure_message = failure_of(
        declined if declined is not None else intent.get("last_payment_error")
    )
    return ProviderPayment(
        reference=str(intent["id"]),
        state=state,
        authorized=MinorAmount(authorized, currency),
        captured=MinorAmount(received if state not in _NOT_TAKEN else 0, currency),
        refunded=MinorAmount(refunded, currency),
        action_url=redirect_url(intent) if state is PaymentState.REQUIRES_ACTION else None,
        authorization_expires_at=_expires_at(intent, charge),
        method=_id(intent.get("payment_method")),
        card=_method_card(intent.get("payment_method")) or _charge_card(charge),
        failure_code=failure_code,
        failure_message=failure_message,
        raw=scrub(intent),
    )


def payment_from_charge(charge: JsonObject) -> ProviderPayment | None:
    """The payment a refunded charge belongs to (``charge.refunded`` events carry the charge,
    not the intent), or None for a charge made outside a PaymentIntent."""
    intent = _id(charge.get("payment_intent"))
    if intent is None:
        return None
    currency = currency_of(charge.get("currency"))
    amount = _int(charge.get("amount"))
    captured = _int(charge.get("amount_captured"))
    refunded = customer_refunded(charge)
    return ProviderPayment(
        reference=intent,
        state=_captured_state(amount, captured, refunded),
        authorized=MinorAmount(amount, currency),
        captured=MinorAmount(captured, currency),
        refunded=MinorAmount(refunded, currency),
        method=_id(charge.get("payment_method")),
        card=_charge_card(charge),
        raw=scrub(charge),
    )


def setup_from_intent(intent: JsonObject) -> ProviderSetup:
    """A SetupIntent as a :class:`ProviderSetup`: ``succeeded`` is AUTHORIZED (the method
    can be charged off-session), a failed attempt or a cancelled setup is DECLINED, anything
    else still needs the customer (REQUIRES_ACTION)."""
    status = intent.get("status")
    error = intent.get("last_setup_error")
    if status == "succeeded":
        state = PaymentState.AUTHORIZED
    elif status == "canceled" or (status == "requires_payment_method" and error is not None):
        state = PaymentState.DECLINED
    else:
        state = PaymentState.REQUIRES_ACTION
    failure_code, failure_message = failure_of(error)
    if state is PaymentState.DECLINED and failure_code is None:
        failure_code = "setup_canceled"
    method = _id(intent.get("payment_method"))
    return ProviderSetup(
        reference=str(intent["id"]),
        state=state,
        action_url=redirect_url(intent) if state is PaymentState.REQUIRES_ACTION else None,
        method=method if state is PaymentState.AUTHORIZED else None,
        card=_method_card(intent.get("payment_method")),
        failure_code=failure_code,
        failure_message=failure_message,
        raw=scrub(intent),
    )


def refund_from_object(refund: JsonObject, payment_reference: str) -> ProviderRefund:
    """A Stripe Refund. ``pending`` counts as succeeded: Stripe has taken the refund on
    (card refunds settle later); ``failed``/``canceled`` did not pay anything back."""
    status = refund.get("status")
    succeeded = status in ("succeeded", "pending")
    reason = refund.get("failure_reason")
    return ProviderRefund(
        reference=str(refund["id"]),
        payment_reference=_id(refund.get("payment_intent")) or payment_reference,
        amount=MinorAmount(_int(refund.get("amount")), currency_of(refund.get("currency"))),
        succeeded=succeeded,
        failure_message=None if succeeded else str(reason or f"refund {status}"),
        raw=scrub(refund),
    )


def event_from_object(event: JsonObject) -> WebhookEvent:
    """A verified Stripe Event: ``payment_intent.*`` events carry the payment,
    ``setup_intent.*`` the setup, ``charge.refunded`` the payment of the refunded charge;
    other events are passed on with neither."""
    kind = str(event["type"])
    data = _object(event.get("data")) or {}
    obj = _object(data.get("object")) or {}
    payment: ProviderPayment | None = None
    setup: ProviderSetup | None = None
    if kind.startswith("payment_intent.") and obj.get("object") == "payment_intent":
        payment = payment_from_intent(obj)
    elif kind.startswith("setup_intent.") and obj.get("object") == "setup_intent":
        setup = setup_from_intent(obj)
    elif kind == "charge.refunded" and obj.get("object") == "charge":
        payment = payment_from_charge(obj)
    occurred_at = _instant(event.get("created"))
    if occurred_at is None:
        raise ValueError("a Stripe event has an integer 'created' time")
    return WebhookEvent(
        provider=PROVIDER_NAME,
        event_id=str(event["id"]),
        type=kind,
        occurred_at=occurred_at,
        payment=payment,
        setup=setup,
        raw=scrub(event),
    )
